// Mermaid (vendored, 3.5 MB) loads only on a page that draws a diagram, at the moment a diagram is shown.
//
// Material renders each <pre class="mermaid"> through the global `mermaid` when one is defined (else it
// fetches Mermaid from a CDN, which must never happen: the site works offline). This stand-in is that
// global on every page: it remembers Material's settings and loads the vendored script, which replaces it,
// only when a diagram's source is laid out. Material asks to render every diagram as the page loads, those
// in a hidden content tab too (the Decide page keeps its diagrams in a "Diagram" tab behind "Step through"):
// each such request waits until its diagram is shown (its tab opened, by a click, a link or a tab restored
// from an earlier page), so a reader who never opens the tab never downloads Mermaid. Pages without diagrams
// never call it.
(function () {
  "use strict";
  if (typeof window.mermaid !== "undefined") return;
  const src = new URL("vendor/mermaid.min.js", document.currentScript.src).href;
  let settings = {};
  let loading = null;
  const claimed = new WeakSet();

  function real() {
    loading ||= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => {
        window.mermaid.initialize(settings);
        resolve(window.mermaid);
      };
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.appendChild(script);
    });
    return loading;
  }

  const laidOut = (el) => el.getClientRects().length > 0;

  // The diagram source Material is rendering: it calls render(id, el.textContent) while `el` is still in
  // the page, so the first unclaimed <pre> with that text is it.
  function sourceOf(text) {
    for (const pre of document.querySelectorAll("article pre")) {
      if (!claimed.has(pre) && pre.textContent === text) {
        claimed.add(pre);
        return pre;
      }
    }
    return null;
  }

  // Resolves once `el` is laid out: at once if it is, else when it gets a size (a ResizeObserver sees a
  // hidden tab's content go from no box to a box, whatever opened the tab, and wherever it is scrolled).
  function shown(el) {
    if (!el || laidOut(el)) return Promise.resolve();
    return new Promise((resolve) => {
      const observer = new ResizeObserver(() => {
        if (laidOut(el)) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe(el);
    });
  }

  window.mermaid = {
    initialize(options) {
      settings = options;
    },
    render(id, text, ...rest) {
      return shown(sourceOf(text))
        .then(real)
        .then((mermaid) => mermaid.render(id, text, ...rest));
    },
    run(...args) {
      return real().then((mermaid) => mermaid.run(...args));
    },
  };
})();
