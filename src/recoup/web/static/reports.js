// Reports page: a "working…" state while a long report is counted (no inline script: CSP).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("[data-testid=report-form]")) return;
  form.classList.add("working");
  form.setAttribute("aria-busy", "true");
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
});
