/*
 * Browser behaviour for the generated catalog pages. Plain ES2020, no libraries, no build step.
 *
 *   - Filters and sorting for the deployment table (.mc-filters[data-filters-for] + table with th[data-sort]).
 *   - Step-through decision trees (.mc-stepper with its tree as JSON).
 *
 * Material's instant navigation swaps the page content without reloading this script, so every
 * feature runs from init(), which Material calls through document$ after each page change, and
 * each feature marks the elements it has set up (data-mc-ready) so running init() twice is harmless.
 *
 * Catalog text only ever reaches the page through textContent and attribute setters, never as markup.
 */
(() => {
  "use strict";

  const READY = "mcReady"; // dataset key -> data-mc-ready

  /** Run `setup(el)` once per element matching `selector` under `root`. */
  function each(root, selector, setup) {
    for (const el of root.querySelectorAll(selector)) {
      if (el.dataset[READY]) continue;
      el.dataset[READY] = "1";
      try {
        setup(el);
      } catch (err) {
        console.error("catalog.js: could not set up", el, err);
      }
    }
  }

  /** Create an element with a class and optional text (always via textContent). */
  function h(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }

  const tokens = (value) => (value || "").trim().toLowerCase().split(/\s+/).filter(Boolean);

  /* ------------------------------------------------------------------ filters */

  // Not "q": Material reads ?q= as a search query, opens the search overlay over the page, moves the
  // focus there and deletes q from the address when the overlay closes. Material also owns ?h= (highlight).
  const TEXT_PARAM = "name";

  function setupFilters(box) {
    const table = document.getElementById(box.dataset.filtersFor || "");
    if (!table || !table.tBodies.length) return;
    const selects = [...box.querySelectorAll("select[data-filter]")];
    const text = box.querySelector("input[data-filter-text]");
    const count = box.querySelector(".mc-filter-count");
    const rows = () => [...table.tBodies[0].rows];
    const noun = (n) => (n === 1 ? "deployment" : "deployments");

    const reset = h("button", "mc-filter-reset", "Clear filters");
    reset.type = "button";
    box.insertBefore(reset, count || null);

    // The address is the source of truth on load: it overrides any form state the browser restored.
    const params = new URLSearchParams(window.location.search);
    for (const select of selects) {
      const wanted = params.get(select.dataset.filter);
      const known = [...select.options].some((o) => o.value === wanted);
      select.value = wanted !== null && known ? wanted : "";
    }
    if (text) text.value = params.get(TEXT_PARAM) || "";

    function apply(updateUrl) {
      const active = selects.filter((s) => s.value).map((s) => [s.dataset.filter, s.value.toLowerCase()]);
      const needle = text ? text.value.trim().toLowerCase() : "";
      let shown = 0;
      const all = rows();
      for (const row of all) {
        const ok =
          active.every(([key, value]) => tokens(row.getAttribute(`data-${key}`)).includes(value)) &&
          (!needle || (row.dataset.name || "").toLowerCase().includes(needle));
        row.hidden = !ok;
        if (ok) shown += 1;
      }
      if (count) count.textContent = `${shown} of ${all.length} ${noun(all.length)}`;
      reset.disabled = !active.length && !needle;
      box.classList.toggle("mc-filters--active", !reset.disabled);
      table.classList.toggle("mc-table--empty", shown === 0);
      if (updateUrl) writeUrl(active, text ? text.value.trim() : "");
    }

    function writeUrl(active, q) {
      const url = new URL(window.location.href);
      for (const select of selects) url.searchParams.delete(select.dataset.filter);
      url.searchParams.delete(TEXT_PARAM);
      for (const select of selects) if (select.value) url.searchParams.set(select.dataset.filter, select.value);
      if (q) url.searchParams.set(TEXT_PARAM, q);
      if (url.href !== window.location.href) {
        // Keep Material's history state so its instant navigation still restores this page.
        window.history.replaceState(window.history.state, "", url.href);
      }
    }

    for (const select of selects) select.addEventListener("change", () => apply(true));
    if (text) text.addEventListener("input", () => apply(true));
    reset.addEventListener("click", () => {
      for (const select of selects) select.value = "";
      if (text) text.value = "";
      apply(true);
    });
    apply(false);
  }

  /* ------------------------------------------------------------------ sorting */

  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    const cell = row.cells[index];
    if (!cell) return "";
    const raw = cell.hasAttribute("data-sort-value") ? cell.getAttribute("data-sort-value") : cell.textContent;
    return (raw || "").trim();
  }

  /** A sort key: [isMissing, value]. Missing values sort last in both directions. */
  function sortKey(kind, raw) {
    if (kind === "number") {
      const n = Number.parseFloat(raw.replace(/,/g, ""));
      return Number.isFinite(n) ? [false, n] : [true, 0];
    }
    return raw ? [false, raw] : [true, ""];
  }

  function compareKeys(kind, a, b) {
    if (kind === "number") return a - b;
    if (kind === "date") return a < b ? -1 : a > b ? 1 : 0; // ISO 8601 strings order as text
    return collator.compare(a, b);
  }

  function setupSorting(table) {
    const headRow = table.tHead && table.tHead.rows[0];
    if (!headRow || !table.tBodies.length) return;
    const body = table.tBodies[0];
    const headers = [...headRow.cells];
    headers.forEach((th, index) => {
      const kind = th.dataset.sort;
      if (!kind) return;
      // A real button inside the header makes sorting reachable from the keyboard.
      const button = h("button", "mc-sort");
      button.type = "button";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.classList.add("mc-sortable");
      th.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        const keyed = [...body.rows].map((row, position) => ({
          row,
          position,
          key: sortKey(kind, cellValue(row, index)),
        }));
        keyed.sort((x, y) => {
          if (x.key[0] !== y.key[0]) return x.key[0] ? 1 : -1;
          const order = x.key[0] ? 0 : compareKeys(kind, x.key[1], y.key[1]);
          return (ascending ? order : -order) || x.position - y.position;
        });
        const fragment = document.createDocumentFragment();
        for (const { row } of keyed) fragment.appendChild(row);
        body.appendChild(fragment);
        for (const other of headers) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      });
    });
  }

  /* ------------------------------------------------------------------ decision trees */

  /** The tree's JSON. Material's instant navigation re-creates inline scripts without their
   * attributes, so after it the data script has lost its class; fall back to any script child. */
  function readTree(box) {
    if (box.dataset.tree) return JSON.parse(box.dataset.tree);
    const script =
      box.querySelector(":scope > script.mc-tree-data") ||
      [...box.querySelectorAll(":scope > script")].find((s) => s.textContent.trim().startsWith("{"));
    if (!script) throw new Error("no tree data");
    return JSON.parse(script.textContent);
  }

  /** `href` if it is a relative or http(s) address; null otherwise (no javascript: or data: links from data). */
  function safeHref(href) {
    if (typeof href !== "string" || !href) return null;
    try {
      const url = new URL(href, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? href : null;
    } catch {
      return null;
    }
  }

  function setupStepper(box) {
    let tree;
    try {
      tree = readTree(box);
      if (!tree || !tree.nodes || !tree.nodes[tree.root]) throw new Error(`root node ${tree && tree.root} missing`);
    } catch (err) {
      box.appendChild(h("p", "mc-step-error", "This decision tree could not be loaded; the outline shows it instead."));
      console.error("catalog.js: bad decision tree in", box, err);
      return;
    }

    const ui = h("div", "mc-step-ui");
    const question = h("p", "mc-step-question");
    question.tabIndex = -1;
    question.setAttribute("aria-live", "polite");
    const options = h("div", "mc-step-options");
    options.setAttribute("role", "group");
    const result = h("div", "mc-step-result");
    const nav = h("div", "mc-step-nav");
    const back = h("button", "mc-step-back", "Back");
    back.type = "button";
    const restart = h("button", "mc-step-restart", "Start over");
    restart.type = "button";
    nav.append(back, restart);
    ui.append(question, options, result, nav);
    box.appendChild(ui);
    box.classList.add("mc-stepper--ready");

    // Each step: the node asked and the option chosen there.
    let steps = [];
    let finished = false;

    const currentNodeId = () => {
      if (!steps.length) return tree.root;
      const last = steps[steps.length - 1];
      return finished ? last.node : last.option.next;
    };

    function choose(nodeId, option) {
      steps.push({ node: nodeId, option });
      finished = !option.next;
      render(true);
    }

    function renderQuestion(nodeId) {
      const node = tree.nodes[nodeId];
      if (!node) {
        question.textContent = `This tree has no question "${nodeId}".`;
        return;
      }
      question.textContent = node.question || "";
      for (const option of node.options || []) {
        const button = h("button", "mc-step-option", option.label);
        button.type = "button";
        button.addEventListener("click", () => choose(nodeId, option));
        options.appendChild(button);
      }
    }

    function renderRecommendation(rec, reasons) {
      const item = h("li", "mc-step-rec");
      const title = rec.title || rec.backend || "";
      const href = safeHref(rec.href);
      if (href) {
        const link = h("a", "mc-step-rec-link", title);
        link.setAttribute("href", href);
        item.appendChild(link);
      } else {
        item.appendChild(h("strong", "mc-step-rec-title", title));
      }
      if (rec.backend && rec.backend !== title) {
        item.append(" on ", h("span", "mc-step-rec-backend", rec.backend));
      }
      if (rec.label) item.append(" ", h("span", "mc-step-rec-label", rec.label));
      if (rec.note) item.append(" ", h("span", "mc-step-rec-note", `(${rec.note})`));
      item.append(" ", h("span", "mc-step-rec-why", `because: ${reasons.join("; ")}`));
      return item;
    }

    function renderResult() {
      result.appendChild(h("p", "mc-step-result-title", "Recommended for your answers"));
      // Every recommendation met on the path, in order; repeats are merged and list each answer that led to them.
      const merged = new Map();
      for (const { option } of steps) {
        for (const rec of option.recommend || []) {
          const key = JSON.stringify([rec.title, rec.href, rec.backend, rec.label, rec.note]);
          if (!merged.has(key)) merged.set(key, { rec, reasons: [] });
          merged.get(key).reasons.push(option.label);
        }
      }
      if (merged.size) {
        const list = h("ul", "mc-step-recs");
        for (const { rec, reasons } of merged.values()) list.appendChild(renderRecommendation(rec, reasons));
        result.appendChild(list);
      } else {
        result.appendChild(h("p", "mc-step-none", "This path ends without a recommendation."));
      }
      result.appendChild(h("p", "mc-step-path-title", "Your answers"));
      const path = h("ol", "mc-step-path");
      for (const { node, option } of steps) {
        const item = h("li");
        const asked = tree.nodes[node] ? tree.nodes[node].question : node;
        item.append(h("span", "mc-step-path-question", asked), " ", h("span", "mc-step-path-answer", option.label));
        path.appendChild(item);
      }
      result.appendChild(path);
    }

    function render(moveFocus) {
      question.textContent = "";
      options.replaceChildren();
      result.replaceChildren();
      question.hidden = finished;
      options.hidden = finished;
      result.hidden = !finished;
      if (finished) renderResult();
      else renderQuestion(currentNodeId());
      back.disabled = steps.length === 0;
      restart.disabled = steps.length === 0;
      box.dataset.step = String(steps.length);
      if (moveFocus) (finished ? result : question).focus({ preventScroll: true });
    }
    result.tabIndex = -1;

    back.addEventListener("click", () => {
      if (finished) {
        // Back from the result shows the last question again, without its answer.
        finished = false;
      }
      steps.pop();
      render(true);
    });
    restart.addEventListener("click", () => {
      steps = [];
      finished = false;
      render(true);
    });
    render(false);
  }

  /* ------------------------------------------------------------------ wiring */

  function init(root = document) {
    each(root, ".mc-filters[data-filters-for]", setupFilters);
    each(root, "table.mc-table", setupSorting);
    each(root, ".mc-stepper", setupStepper);
    // Room for later features (e.g. compare) goes here, each with its own setup function.
  }

  window.mcCatalog = { init };

  window.mcOnEveryPage(() => init());
})();
