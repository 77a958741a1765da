// Every plain markdown table is sortable by clicking a heading (the catalog table has its own sorter,
// which is why tables with a class are left alone). Tablesort 5 is vendored from npm.
(function () {
  "use strict";
  function init() {
    document.querySelectorAll("article table:not([class])").forEach((table) => {
      if (table.dataset.mcReady || !table.tHead) return;
      table.dataset.mcReady = "1";
      new Tablesort(table); // eslint-disable-line no-new
    });
  }
  window.mcOnEveryPage(() => init());
})();
