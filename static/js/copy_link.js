// The one-time download page (templates/dataprotection/public_copy.html). The secret of the
// link is after "#" in the address: browsers never send that part, so no server or proxy log
// holds it. This copies it into the form's hidden field, takes it out of the address bar (and
// so out of the browser's history), and hides the box for typing the code by hand. Pressing
// "Download my file" then sends it, once, in the body of a POST.
(function () {
  "use strict";
  var field = document.getElementById("copy-secret");
  var manual = document.getElementById("copy-code-box");
  var ready = document.getElementById("copy-secret-found");
  if (!field) {
    return;
  }
  var secret = window.location.hash.replace(/^#/, "");
  if (!secret) {
    return;
  }
  field.value = secret;
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  if (manual) {
    manual.hidden = true;
  }
  if (ready) {
    ready.hidden = false;
  }
})();
