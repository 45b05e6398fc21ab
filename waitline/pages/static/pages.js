// Hosted pages, made nicer with JavaScript; everything works without it.
(function () {
  "use strict";
  // Copy buttons: hidden until this script can make them work.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { select(input, done); });
      } else {
        select(input, done);
      }
    });
  });

  function select(input, done) {
    input.focus();
    input.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selected to copy */ }
    done();
  }

  // Sign-up: one submission at a time; reCAPTCHA v3 needs a fresh token just before it.
  document.querySelectorAll("form.signup").forEach(function (form) {
    var sending = false;
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      var siteKey = form.getAttribute("data-recaptcha");
      var button = form.querySelector("button[type=submit]");
      sending = true;
      if (button) { button.disabled = true; button.textContent = form.getAttribute("data-joining"); }
      if (siteKey && window.grecaptcha) {
        event.preventDefault();
        window.grecaptcha.ready(function () {
          window.grecaptcha.execute(siteKey, { action: "signup" }).then(function (token) {
            form.querySelector("[name='g-recaptcha-response']").value = token;
            form.submit();
          });
        });
      }
    });
  });
})();
