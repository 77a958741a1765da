// Mermaid (vendored, 3.5 MB) loads only on a page that draws a diagram, at the moment it draws it.
//
// Material renders each <pre class="mermaid"> through the global `mermaid` when one is defined (else it
// fetches Mermaid from a CDN, which must never happen: the site works offline). This stand-in is that
// global on every page: it remembers Material's settings and, on the first diagram, loads the vendored
// script, which replaces it, and renders through the real thing. Pages without diagrams never call it.
(function () {
  "use strict";
  if (typeof window.mermaid !== "undefined") return;
  const src = new URL("vendor/mermaid.min.js", document.currentScript.src).href;
  let settings = {};
  let loading = null;

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

  window.mermaid = {
    initialize(options) {
      settings = options;
    },
    render(...args) {
      return real().then((mermaid) => mermaid.render(...args));
    },
    run(...args) {
      return real().then((mermaid) => mermaid.run(...args));
    },
  };
})();
