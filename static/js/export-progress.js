// Keeps the status of a background document (templates/pdf/_job_status.html, on whatever page
// includes it: a case-file export or any other) current without reloading the page: the page
// is fetched again and its progress, stage text and result are copied in. The stage text is a
// polite live region, so screen readers hear each new stage. Polling stops when the document
// is finished (or seems stuck), so an open page does not keep the session alive for ever.
(function () {
  "use strict";
  var status = document.getElementById("export-status");
  if (!status || status.dataset.poll !== "true") {
    return;
  }
  var delay = 1000 * (parseInt(status.dataset.refreshSeconds, 10) || 2);
  var maxPolls = Math.ceil((15 * 60 * 1000) / delay);
  var polls = 0;

  function copy(fresh, id, copyValue) {
    var current = document.getElementById(id);
    var next = fresh.getElementById(id);
    if (!current || !next) {
      return;
    }
    if (copyValue) {
      current.value = next.value;
    }
    if (current.innerHTML !== next.innerHTML) {
      current.innerHTML = next.innerHTML;
    }
  }

  function update(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var freshStatus = fresh.getElementById("export-status");
    if (!freshStatus) {
      window.location.reload();
      return;
    }
    copy(fresh, "export-progress", true);
    copy(fresh, "export-stage", false);
    copy(fresh, "export-result", false);
    if (freshStatus.dataset.poll === "true" && ++polls < maxPolls) {
      window.setTimeout(poll, delay);
    }
  }

  function poll() {
    window
      .fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          // Signed out, access ended or the job expired: show that page as it is.
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          update(html);
        }
      })
      .catch(function () {
        window.setTimeout(poll, delay * 5);
      });
  }

  window.setTimeout(poll, delay);
})();
