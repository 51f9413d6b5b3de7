// Import job page: poll the job's status, move the progress bar, reload when the job ends.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-status-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-import-status-url");
  var progress = box.querySelector("[role=progressbar]");
  var bar = box.querySelector(".progress-bar");
  var text = box.querySelector("[data-import-progress-text]");
  var delay = 1000;

  function show(status) {
    bar.style.width = status.percent + "%";
    bar.textContent = status.percent + "%";
    progress.setAttribute("aria-valuenow", String(status.percent));
    if (text) {
      text.textContent = status.status_label + " · " + status.processed + " / " + (status.total || "?");
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
        } else {
          delay = 1000;
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, 500);
}());
