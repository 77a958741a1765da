// One way for every page script to start: after each instant-navigation page swap when Material's
// document$ exists, else once the DOM is ready. Set-up functions mark what they set up, so they are
// safe to run again on the same page.
window.mcOnEveryPage = function (init) {
  "use strict";
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(() => init());
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init());
  } else {
    init();
  }
};
