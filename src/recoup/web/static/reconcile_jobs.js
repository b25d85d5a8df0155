// The reconciliation of an import's days: while it runs, ask for its progress every half second and put the
// answer in place of the old one, until the job has ended (no inline script: CSP). Without JavaScript the page
// offers a link to refresh.
"use strict";

(function () {
  const EVERY_MS = 500;

  function follow(box) {
    const url = box.getAttribute("data-progress-url");
    if (!url || box.getAttribute("data-state") !== "running") { return; }
    window.setTimeout(function () {
      fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (answer) {
          if (!answer.ok) { throw new Error(answer.status + " " + answer.statusText); }
          return answer.text();
        })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("reconcile-job");
          if (!fresh) { throw new Error("no progress in the answer"); }
          const adopted = document.importNode(fresh, true);
          box.replaceWith(adopted);
          follow(adopted);
        })
        .catch(function () { window.setTimeout(function () { follow(box); }, EVERY_MS * 4); });
    }, EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const box = document.getElementById("reconcile-job");
    if (box) { follow(box); }
  });
})();
