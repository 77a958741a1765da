// Compare page: shows 2-4 deployments side by side from the data the page embeds, keeps the
// selection in ?d=a,b,c and highlights rows whose values differ. Text only (textContent).
(function () {
  "use strict";

  function setUp(root) {
    if (root.dataset.mcReady) return;
    root.dataset.mcReady = "1";
    const data = JSON.parse(root.dataset.compare);
    const max = parseInt(root.dataset.max || "4", 10);
    const table = root.querySelector(".mc-compare-table");
    const add = root.querySelector(".mc-compare-add");
    const status = root.querySelector(".mc-compare-status");
    const params = new URLSearchParams(window.location.search);
    let selected = (params.get("d") || "").split(",").filter((id) => id && data.deployments[id]);
    selected = [...new Set(selected)].slice(0, max);

    function saveToUrl() {
      const url = new URL(window.location.href);
      if (selected.length) url.searchParams.set("d", selected.join(","));
      else url.searchParams.delete("d");
      history.replaceState(history.state, "", url);
    }

    function cell(tag, text) {
      const el = document.createElement(tag);
      el.textContent = text;
      return el;
    }

    function draw() {
      table.replaceChildren();
      add.disabled = selected.length >= max;
      status.textContent = selected.length < 2
        ? `Pick ${2 - selected.length} more deployment${selected.length === 1 ? "" : "s"} to compare.`
        : `${selected.length} deployments; differing rows are highlighted.`;
      if (!selected.length) return;
      const head = document.createElement("thead");
      const headRow = document.createElement("tr");
      // The corner above the row labels heads nothing: a plain cell, not an empty heading.
      headRow.appendChild(cell("td", ""));
      for (const id of selected) {
        const th = document.createElement("th");
        th.dataset.deployment = id;
        const link = document.createElement("a");
        link.href = data.deployments[id].href;
        link.textContent = data.deployments[id].name;
        const remove = cell("button", "×");
        remove.type = "button";
        remove.className = "mc-compare-remove";
        remove.setAttribute("aria-label", `Remove ${data.deployments[id].name}`);
        remove.addEventListener("click", () => {
          selected = selected.filter((other) => other !== id);
          saveToUrl();
          draw();
        });
        th.append(link, " ", remove);
        headRow.appendChild(th);
      }
      head.appendChild(headRow);
      const body = document.createElement("tbody");
      data.rows.forEach((label, index) => {
        const tr = document.createElement("tr");
        const values = selected.map((id) => data.deployments[id].values[index]);
        if (selected.length > 1 && new Set(values).size > 1) tr.className = "mc-diff";
        tr.appendChild(cell("th", label));
        values.forEach((value) => tr.appendChild(cell("td", value)));
        body.appendChild(tr);
      });
      table.append(head, body);
    }

    add.addEventListener("change", () => {
      const id = add.value;
      if (id && !selected.includes(id) && selected.length < max) {
        selected.push(id);
        saveToUrl();
        draw();
      }
      add.value = "";
    });
    root.querySelector(".mc-compare-clear").addEventListener("click", () => {
      selected = [];
      saveToUrl();
      draw();
    });
    draw();
  }

  function init() {
    document.querySelectorAll(".mc-compare").forEach(setUp);
  }

  window.mcOnEveryPage(() => init());
})();
