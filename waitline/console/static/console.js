// Waitline console: small enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // htmx requests carry the session's CSRF token, as forms do in their hidden field.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector("meta[name='csrf-token']");
    if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    // The workspace switcher (and any select marked so) submits as soon as it changes.
    if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
    // A "select all" checkbox ticks every row checkbox of the same form.
    if (target.matches("input[data-select-all]")) {
      var boxes = document.querySelectorAll("input[name='" + target.dataset.selectAll + "']");
      boxes.forEach(function (box) { box.checked = target.checked; });
    }
  });

  // Copy buttons: <button data-copy="#element-id"> copies that element's text or value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    var text = "value" in source ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Forms that change many things at once ask first (data-confirm="...").
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
