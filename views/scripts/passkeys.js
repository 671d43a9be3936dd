// Runs a passkey ceremony from a form marked data-passkey ("sign-in" or "register"): the
// options the server made are in data-passkey-options, the browser's answer goes into the
// form's hidden "credential" field, and the form is posted like any other. Without this script
// (or without WebAuthn) the form stays hidden and the page works with codes alone.
(function () {
  'use strict';
  var library = window.SimpleWebAuthnBrowser;
  if (!library || !library.browserSupportsWebAuthn()) return;
  var forms = document.querySelectorAll('form[data-passkey]');
  Array.prototype.forEach.call(forms, function (form) {
    var start = form.querySelector('[data-passkey-start]');
    var field = form.querySelector('input[name="credential"]');
    var status = form.querySelector('[data-passkey-status]');
    var options;
    try {
      options = JSON.parse(form.getAttribute('data-passkey-options'));
    } catch (error) {
      return;
    }
    if (!start || !field || !options) return;
    form.hidden = false;
    start.addEventListener('click', function (event) {
      event.preventDefault();
      start.disabled = true;
      if (status) status.hidden = true;
      var ceremony = form.getAttribute('data-passkey') === 'register'
        ? library.startRegistration({ optionsJSON: options })
        : library.startAuthentication({ optionsJSON: options });
      ceremony.then(function (answer) {
        field.value = JSON.stringify(answer);
        form.submit();
      }, function () {
        start.disabled = false;
        if (status) status.hidden = false;
      });
    });
  });
})();
