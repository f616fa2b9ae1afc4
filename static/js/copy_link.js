// The one-time download page (templates/dataprotection/public_copy.html). The secret of the
// link is after "#" in the address: browsers never send that part, so no server or proxy log
// holds it. This copies it into the form's hidden field, takes it out of the address bar (and
// so out of the browser's history), and hides the box for typing the code by hand. Pressing
// "Download my file" then sends it, once, in the body of a POST.
//
// So that reloading the page (or a phone reopening a tab it had put to sleep) does not lose
// the secret once it is out of the address bar, it is kept in sessionStorage under this
// link's path. sessionStorage belongs to this one tab: no other tab or window sees it, it is
// never sent to any server, and the browser deletes it when the tab is closed. It is removed
// sooner: when the form is sent (the link then works for that download only, or is refused
// for good, so the secret is of no further use), and when the person leaves by the quick exit
// (button or Escape), so nothing of the link stays behind for whoever picks up the device.
(function () {
  "use strict";
  var field = document.getElementById("copy-secret");
  var manual = document.getElementById("copy-code-box");
  var ready = document.getElementById("copy-secret-found");
  if (!field) {
    return;
  }
  var key = "copy-link:" + window.location.pathname;
  var store = null;
  try {
    store = window.sessionStorage;
  } catch (e) {
    store = null; // storage refused (private mode, settings): the address alone is used
  }

  function forget() {
    if (store) {
      try {
        store.removeItem(key);
      } catch (e) {
        // nothing kept to forget
      }
    }
  }

  // The quick exit (static/js/quick_exit.js) leaves the page; forget the secret first.
  var exit = document.getElementById("quick-exit");
  if (exit) {
    exit.addEventListener("click", forget);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      forget(); // one press of the quick exit's double Escape is enough to forget it
    }
  });
  if (field.form) {
    field.form.addEventListener("submit", forget);
  }

  var secret = window.location.hash.replace(/^#/, "");
  if (secret) {
    if (store) {
      try {
        store.setItem(key, secret);
      } catch (e) {
        // not kept: a reload then needs the link opened again from the message
      }
    }
  } else if (store) {
    secret = store.getItem(key) || "";
  }
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
