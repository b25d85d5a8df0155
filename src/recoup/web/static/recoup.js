// Recoup's page behaviour, kept out of the pages so that the Content-Security-Policy allows no inline script.
"use strict";

// The import page: with JavaScript the upload shows its progress, then the import runs in the background and the
// page follows it (GET /imports/jobs/ID); without, the form posts to /imports and the answer is the result page.
function followImportUploads(form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const shown = document.getElementById("import-progress"), bar = document.getElementById("upload-bar");
    const status = document.getElementById("import-status");
    const request = new XMLHttpRequest();
    shown.hidden = false; button.disabled = true; status.innerHTML = "";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); }
    });
    request.addEventListener("loadend", function () {
      shown.hidden = true; button.disabled = false;
      if (request.status === 200) {
        status.innerHTML = request.responseText;
        htmx.process(status);
      } else {
        const page = new DOMParser().parseFromString(request.responseText || "", "text/html");
        const alert = page.querySelector("[role=alert]");
        const failed = document.createElement("p");
        failed.className = "error";
        failed.setAttribute("role", "alert");
        failed.setAttribute("data-testid", "import-failed");
        failed.textContent = alert ? alert.textContent : (request.status + " " + request.statusText);
        status.replaceChildren(failed);
      }
    });
    request.open("POST", "/imports/jobs");
    request.send(new FormData(form));
  });
}

// A link that prints the page (the payment slip).
function printOnClick(link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.print();
  });
}

// A link back to the page before (an error page's "back to the form": the browser keeps what was typed).
function backOnClick(link) {
  link.addEventListener("click", function (event) {
    if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });
}

// A form that asks first (stopping a terminal): data-confirm holds the question, in the page's language.
function confirmBeforeSubmit(form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
}

// A money button sends its form once: a second click while the first is under way does nothing (the
// server also acts once per idempotency key, and shows the first result).
function submitOnce(form) {
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent === "yes") { event.preventDefault(); return; }
    form.dataset.sent = "yes";
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.setAttribute("aria-busy", "true"); });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-action=back]").forEach(backOnClick);
  document.querySelectorAll("form[data-confirm]").forEach(confirmBeforeSubmit);
  document.querySelectorAll("form[data-once]").forEach(submitOnce);
  const importForm = document.getElementById("import-form");
  if (importForm) { followImportUploads(importForm); }
  document.querySelectorAll("[data-action=print]").forEach(printOnClick);
});
