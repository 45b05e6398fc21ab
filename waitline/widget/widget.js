/* Waitline signup widget. Embed with:
 *   <script src="https://waitline.example/widget.js" data-waitlist="workspace/waitlist"></script>
 * It renders the form in a shadow root right after the script tag (or inside the element
 * named by data-target), so the page's CSS and the widget's never meet. Everything a
 * visitor or the server wrote is inserted as text (textContent), never as HTML. */
(function () {
  "use strict";

  var CSS =
    ":host{all:initial;display:block}" +
    ".w{--brand:#2748d6;--on:#fff;box-sizing:border-box;max-width:28rem;padding:1rem;border:1px solid #d5d9df;" +
    "border-radius:12px;background:#fff;color:#1d232b;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "text-align:left;overflow-wrap:anywhere}" +
    ".w *,.w *::before,.w *::after{box-sizing:border-box}" +
    "h2{font-size:1.2rem;margin:0 0 .5rem;line-height:1.3}p{margin:0 0 .75rem}" +
    ".f{margin:0 0 .8rem}label{display:block;font-weight:600;margin:0 0 .2rem}" +
    ".c{display:flex;gap:.5rem;align-items:flex-start}.c label{font-weight:400}" +
    "input,select{display:block;width:100%;font:inherit;padding:.55rem .7rem;border:1px solid #8a94a3;border-radius:8px;" +
    "background:#fff;color:#1d232b}input[type=checkbox]{width:1.2rem;height:1.2rem;flex:none;margin:.2rem 0 0}" +
    "button{font:inherit;font-weight:600;width:100%;padding:.65rem 1rem;border:0;border-radius:8px;cursor:pointer;" +
    "background:var(--brand);color:var(--on)}button[disabled]{opacity:.7}" +
    ":focus-visible{outline:3px solid var(--brand);outline-offset:2px}" +
    ".e{color:#b71c1c;font-size:.9rem;margin:.25rem 0 0}.x{background:#fdecec;color:#8a1111;padding:.5rem .7rem;border-radius:6px}" +
    ".m{color:#4f5966}.p{font-size:2.2rem;font-weight:800;line-height:1.1;margin:.2rem 0 .4rem}" +
    ".r{display:flex;gap:.5rem}.r button{width:auto;flex:none}" +
    ".h{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}";

  var scripts = document.querySelectorAll("script[data-waitlist]");
  for (var i = 0; i < scripts.length; i++) {
    if (!scripts[i].hasAttribute("data-waitline-mounted")) mount(scripts[i]);
  }

  function mount(script) {
    script.setAttribute("data-waitline-mounted", "");
    var parts = (script.getAttribute("data-waitlist") || "").split("/");
    if (parts.length !== 2) return;
    var base = new URL(script.src, location.href).origin;
    var path = "/" + encodeURIComponent(parts[0]) + "/" + encodeURIComponent(parts[1]);
    var api = base + "/v1/waitlists" + path;
    var key = "waitline:" + base + path;
    var target = script.getAttribute("data-target");
    var host = target ? document.querySelector(target) : null;
    if (!host) {
      host = document.createElement("div");
      script.parentNode.insertBefore(host, script.nextSibling);
    }
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = CSS;
    var box = el("div", { "class": "w", "aria-live": "polite" });
    root.appendChild(style);
    root.appendChild(box);
    var info = null;

    call("GET", api + "?lang=" + encodeURIComponent(navigator.language || "")).then(function (res) {
      if (!res.ok) return fail(res.problem.detail || "This waitlist is not available.");
      info = res.body;
      brand(info.brand && info.brand.primary_color);
      var token = load();
      if (!token) return showForm();
      return call("GET", api + "/status?token=" + encodeURIComponent(token)).then(function (st) {
        if (st.ok) return showStatus(st.body, token);
        if (st.status === 404) save(null);
        showForm();
      });
    }, function () {
      // A network error, or this site is not among the waitlist's allowed origins (CORS).
      fail("This signup form is not available on this site.");
    });

    function fail(message) {
      clear();
      box.appendChild(el("p", { "class": "x", role: "alert" }, message));
    }

    function showForm() {
      clear();
      title();
      if (info.status !== "open") {
        box.appendChild(el("p", { "class": "m" }, "This waitlist is not taking signups right now."));
        return;
      }
      if (info.form.captcha) {
        // A captcha needs the provider's script on the page; the hosted page has it.
        var p = el("p", {}, "");
        p.appendChild(el("a", { href: base + "/w" + path + location.search, target: "_blank", rel: "noopener" }, "Join on our signup page"));
        box.appendChild(p);
        return;
      }
      var form = el("form", { novalidate: "" });
      var general = el("p", { "class": "x", role: "alert", hidden: "" });
      form.appendChild(general);
      var inputs = {};
      inputs.email = field(form, "email", "Email", "email", true);
      if (info.form.collect_name !== "hidden") {
        inputs.name = field(form, "name", info.form.collect_name === "required" ? "Name" : "Name (optional)", "text", info.form.collect_name === "required");
      }
      info.form.custom_fields.forEach(function (f) {
        inputs["metadata." + f.key] = field(form, "metadata." + f.key, f.label + (f.required ? "" : " (optional)"), f.type, f.required, f.options);
      });
      var trap = el("input", { name: "website", tabindex: "-1", autocomplete: "off", "aria-hidden": "true", "class": "h" });
      form.appendChild(trap);
      var button = el("button", { type: "submit" }, "Join the waitlist");
      form.appendChild(button);
      box.appendChild(form);

      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (button.disabled) return;
        button.disabled = true;
        general.hidden = true;
        Object.keys(inputs).forEach(function (k) { inputs[k].error.textContent = ""; inputs[k].input.removeAttribute("aria-invalid"); });
        var body = { email: inputs.email.input.value.trim(), source: "widget", metadata: {} };
        if (inputs.name && inputs.name.input.value.trim()) body.name = inputs.name.input.value.trim();
        info.form.custom_fields.forEach(function (f) {
          var v = value(f, inputs["metadata." + f.key].input);
          if (v !== null) body.metadata[f.key] = v;
        });
        var ref = new URLSearchParams(location.search).get("ref");
        if (ref) body.referral_code = ref.slice(0, 64);
        if (info.variant_id) body.variant_id = info.variant_id;
        if (trap.value) body.website = trap.value;
        call("POST", api + "/entries", body).then(function (res) {
          button.disabled = false;
          if (res.ok) {
            save(res.body.status_token);
            return showStatus(res.body, res.body.status_token, res.body.message);
          }
          var errors = res.problem.errors || {};
          if (res.problem.code === "already_registered") errors = { email: [res.problem.detail] };
          var shown = false;
          Object.keys(errors).forEach(function (k) {
            if (inputs[k]) { inputs[k].error.textContent = errors[k].join(" "); inputs[k].input.setAttribute("aria-invalid", "true"); shown = true; }
          });
          if (!shown) { general.textContent = res.problem.detail || "Something went wrong. Please try again."; general.hidden = false; }
        }, function () {
          button.disabled = false;
          general.textContent = "Could not reach the waitlist. Please try again.";
          general.hidden = false;
        });
      });
    }

    function showStatus(st, token, message) {
      clear();
      title();
      if (st.invited) {
        box.appendChild(el("p", {}, "You're invited! Check your inbox."));
      } else if (st.position !== null && st.position !== undefined) {
        box.appendChild(el("p", { "class": "m" }, "Your place in line"));
        box.appendChild(el("p", { "class": "p" }, "#" + st.position));
        if (message) box.appendChild(el("p", {}, message));
      } else if (st.verified === false || st.requires_confirmation) {
        box.appendChild(el("p", {}, "Check your inbox: confirm your email to take your place in line."));
      }
      if (info.referral.enabled && st.referral_link && !st.invited) {
        box.appendChild(el("p", {}, "Each friend who joins with your link moves you up " + info.referral.boost + " spot(s)."));
        var row = el("div", { "class": "r" });
        var link = el("input", { type: "text", readonly: "", "aria-label": "Your referral link" });
        link.value = st.referral_link;
        var copy = el("button", { type: "button" }, "Copy");
        copy.addEventListener("click", function () {
          link.select();
          var done = function () { copy.textContent = "Copied!"; };
          if (navigator.clipboard) navigator.clipboard.writeText(link.value).then(done, done); else done();
        });
        row.appendChild(link);
        row.appendChild(copy);
        box.appendChild(row);
        box.appendChild(el("p", { "class": "m" }, "Friends who joined: " + st.referral_count));
      }
      var status = el("a", { href: base + "/w" + path + "/status?token=" + encodeURIComponent(token), target: "_blank", rel: "noopener" }, "Your status page");
      var p = el("p", {}, "");
      p.appendChild(status);
      box.appendChild(p);
    }

    function title() {
      box.appendChild(el("h2", {}, info.display_name));
      if (info.description) box.appendChild(el("p", { "class": "m" }, info.description));
    }

    function field(form, name, label, type, required, options) {
      var id = "w-" + name.replace(/[^a-zA-Z0-9_-]/g, "-");
      var wrap = el("div", { "class": type === "checkbox" ? "f c" : "f" });
      var input;
      if (type === "select") {
        input = el("select", { id: id, name: name });
        input.appendChild(el("option", { value: "" }, ""));
        (options || []).forEach(function (o) { input.appendChild(el("option", { value: o }, o)); });
      } else {
        input = el("input", { id: id, name: name, type: type || "text" });
        if (type === "email") input.setAttribute("autocomplete", "email");
        if (name === "name") input.setAttribute("autocomplete", "name");
      }
      if (required) input.setAttribute("required", "");
      var error = el("p", { "class": "e", id: id + "-e" });
      input.setAttribute("aria-describedby", id + "-e");
      var lab = el("label", { "for": id }, label);
      if (type === "checkbox") { wrap.appendChild(input); wrap.appendChild(lab); } else { wrap.appendChild(lab); wrap.appendChild(input); }
      wrap.appendChild(error);
      form.appendChild(wrap);
      return { input: input, error: error };
    }

    function value(f, input) {
      if (f.type === "checkbox") return input.checked ? true : (f.required ? false : null);
      var v = input.value.trim();
      if (!v) return null;
      if (f.type === "number" && !isNaN(Number(v))) return Number(v);
      return v;
    }

    function brand(color) {
      if (!/^#[0-9a-fA-F]{6}$/.test(color || "")) return;
      var n = parseInt(color.slice(1), 16);
      var lum = [n >> 16, (n >> 8) & 255, n & 255].map(function (c) {
        c /= 255;
        return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      });
      var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
      box.style.setProperty("--brand", color);
      box.style.setProperty("--on", l > 0.179 ? "#000" : "#fff");
    }

    function clear() {
      while (box.firstChild) box.removeChild(box.firstChild);
    }

    function load() {
      try { return localStorage.getItem(key); } catch (e) { return null; }
    }

    function save(token) {
      try {
        if (token) localStorage.setItem(key, token); else localStorage.removeItem(key);
      } catch (e) { /* storage blocked: the visitor just sees the form next time */ }
    }
  }

  function call(method, url, body) {
    var options = { method: method, credentials: "omit", headers: { Accept: "application/json" } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        return { ok: res.ok, status: res.status, body: data, problem: res.ok ? {} : data };
      });
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
})();
