// Content tabs (pymdownx.tabbed) and the links into them. A heading inside a closed tab has no box, so a link
// to it (a table-of-contents entry, a link on the page, or an address like page/#heading-in-tab-2) would
// scroll nowhere. Here:
//  - a link to an element inside a closed tab opens that tab (and the tabs around it) before the browser
//    follows it, and an address whose target is inside a closed tab opens it on arrival;
//  - the table of contents lists only the headings of the tabs that are open, and follows each switch.
// Opening a tab is a click on its radio button, as a reader's click would be: Material then switches the tabs
// with the same label (content.tabs.link) and remembers the choice. Without JavaScript the page is unchanged.
(function () {
  "use strict";

  // The radio button that shows a tab's block: the inputs and blocks of a tabbed set are in the same order.
  function inputOf(block) {
    const content = block.parentElement;
    const set = content && content.parentElement;
    if (!set || !set.classList.contains("tabbed-set")) return null;
    const blocks = [...content.children].filter((el) => el.classList.contains("tabbed-block"));
    return set.querySelectorAll(":scope > input")[blocks.indexOf(block)] || null;
  }

  // The tab blocks around `el`, outermost first.
  function blocksAround(el) {
    const blocks = [];
    for (let block = el.closest(".tabbed-block"); block; block = block.parentElement.closest(".tabbed-block")) {
      blocks.unshift(block);
    }
    return blocks;
  }

  function inClosedTab(el) {
    return blocksAround(el).some((block) => {
      const input = inputOf(block);
      return input !== null && !input.checked;
    });
  }

  // Opens every closed tab around `el`; whether it opened one.
  function openTabsAround(el) {
    let opened = false;
    for (const block of blocksAround(el)) {
      const input = inputOf(block);
      if (input && !input.checked) {
        input.click();
        opened = true;
      }
    }
    return opened;
  }

  function targetOf(hash) {
    if (!hash || hash.length < 2) return null;
    let id = hash.slice(1);
    try {
      id = decodeURIComponent(id);
    } catch (_) {
      // Not percent-encoded text: the id as written.
    }
    return document.getElementById(id);
  }

  // A link to a place on this page (Material rewrites the table of contents' "#id" links to whole URLs).
  function onThisPage(link) {
    return link.hash.length > 1 && link.origin === location.origin && link.pathname === location.pathname;
  }

  // The table of contents (the sidebar's, and the copy in the menu on narrow screens) shows the headings of
  // open tabs only.
  function syncToc() {
    for (const link of document.querySelectorAll(".md-nav--secondary a.md-nav__link[href*='#']")) {
      if (!onThisPage(link)) continue;
      const target = targetOf(link.hash);
      const item = link.closest(".md-nav__item");
      if (target && item) item.hidden = inClosedTab(target);
    }
  }

  // The address's target, when it is inside a closed tab: open the tab and scroll to it.
  function openAddressTarget() {
    const target = targetOf(location.hash);
    if (target && inClosedTab(target) && openTabsAround(target)) target.scrollIntoView();
  }

  // Same-page links: open the tab before the browser scrolls to the target (capture: before Material's own
  // handlers see the click).
  document.addEventListener(
    "click",
    (event) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      const link = event.target instanceof Element ? event.target.closest("a[href*='#']") : null;
      if (!link || !onThisPage(link)) return;
      const target = targetOf(link.hash);
      if (target && inClosedTab(target)) openTabsAround(target);
    },
    true,
  );
  window.addEventListener("hashchange", openAddressTarget);
  // A tab switched by the reader, by Material (linked tabs, a tab restored from an earlier page) or here.
  document.addEventListener("change", (event) => {
    if (event.target instanceof Element && event.target.matches(".tabbed-set > input")) syncToc();
  });

  window.mcOnEveryPage(() => {
    openAddressTarget();
    syncToc();
  });
})();
