// Shouhu's only script (the Content-Security-Policy allows no inline script): buttons marked data-print print the page.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});

// A read-only address (the calendar subscription) is selected whole on a tap, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-select-all")) {
    event.target.select();
  }
});
