// Complaints: the print button of the QR poster (no inline script: the CSP forbids it).
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.dataset.print) {
    window.print();
  }
});
