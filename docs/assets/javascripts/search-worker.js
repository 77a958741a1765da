// Material's search box, keyboard and highlighting, answered from Pagefind's index.
//
// Material talks to its search through a web worker and lets a site bring its own ("custom search
// worker"): SETUP -> READY, then QUERY (the box's text) -> RESULT ({items: [[page, ...sections]],
// suggest}). This worker answers from the Pagefind bundle that the build writes to pagefind/: a small
// entry file, the WebAssembly search core, and only the index chunks and page fragments a query needs,
// so what a reader downloads stays small however large the catalog grows. The engine (entry file, core and
// metadata, about 140 KB, the same files on every page and so cached after the first) loads as soon as
// Material starts this worker, in parallel with the page, so a reader's first query does not wait for it;
// index chunks and fragments load only as a query needs them. Nothing comes from outside the site.
/* eslint-env worker */
"use strict";

const SETUP = 0;
const READY = 1;
const QUERY = 2;
const RESULT = 3;
//: Results shown, best first. Pagefind ranks every match; each shown result costs one fragment request
//: (a page's text, up to 30 KB on a card), so the list stops at the best 10, the number Material shows
//: before a reader scrolls (Material's own search listed every match).
const SHOWN = 10;
//: A query typed within this many milliseconds of the next one is dropped unanswered. A search cannot be
//: stopped once it runs, and a short prefix ("s", "sy") matches nearly every page: at 3000 models its ~300 ms
//: held up the query the reader finished typing (measured: every-page query 750 ms at 30 ms, 620 at 100).
const SETTLE_MS = 100;
//: Sections (headings) shown under a page's result, best first.
const SECTIONS = 3;

// This file is served from assets/javascripts/; the site root is two folders up.
const root = new URL("../../", self.location.href);
let pagefind = null;
let latest = 0;

function load() {
  if (!pagefind) {
    // Pagefind's module checks `window?.location` when it decides whether to start a worker of its own;
    // inside this worker there is no `window`, so declare it (undefined) and ask for no nested worker.
    if (!("window" in self)) self.window = undefined;
    pagefind = import(new URL("pagefind/pagefind.js", root).href).then(async (module) => {
      await module.options({ baseUrl: "/", excerptLength: 24, noWorker: true });
      await module.init();
      // init() only reads the entry file; the first search (or preload) fetches and compiles the core and
      // reads the metadata. A preload does that now, plus one small index chunk.
      await module.preload("a");
      return module;
    });
  }
  return pagefind;
}

// "/deployments/x/#a" -> "deployments/x/#a": Material resolves locations against the site's base.
function relative(url) {
  return url.replace(/^\/+/, "");
}

function words(query) {
  return query
    .toLowerCase()
    .split(/[\s\-:*+~^]+/)
    .filter(Boolean);
}

// Material completes the last word the reader is typing from `suggest`: take the first highlighted word
// in the best result that starts with it.
function suggestion(query, excerpts) {
  const last = words(query).pop();
  if (!last) return undefined;
  for (const excerpt of excerpts) {
    for (const match of excerpt.matchAll(/<mark>([^<]+)<\/mark>/g)) {
      const word = (match[1].toLowerCase().match(/^[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*/u) || [""])[0];
      if (word.startsWith(last) && word !== last) return [word];
    }
  }
  return undefined;
}

async function search(query, ticket) {
  const terms = Object.fromEntries(words(query).map((word) => [word, true]));
  if (!Object.keys(terms).length) return { items: [] };
  const module = await load();
  if (ticket !== latest) return null;
  const found = await module.search(query);
  if (ticket !== latest) return null;
  if (!found || !found.results) return { items: [] };
  const pages = await Promise.all(found.results.slice(0, SHOWN).map((result) => result.data()));
  const items = pages.map((page, rank) => {
    const score = found.results[rank].score;
    const url = relative(page.url);
    const article = { location: url, title: page.meta.title || url, text: page.excerpt, score, terms };
    const sections = (page.sub_results || [])
      .filter((sub) => sub.url.includes("#") && sub.title !== article.title)
      .slice(0, SECTIONS)
      .map((sub, i) => ({
        location: relative(sub.url),
        title: sub.title,
        text: sub.excerpt,
        score: score * (1 - (i + 1) / 10),
        terms,
      }));
    return [article, ...sections];
  });
  return { items, suggest: suggestion(query, pages.map((page) => page.excerpt)) };
}

self.addEventListener("message", async (event) => {
  const message = event.data;
  if (message.type === SETUP) {
    load().catch((error) => console.warn("search could not start:", error));
    self.postMessage({ type: READY });
  } else if (message.type === QUERY) {
    const ticket = ++latest;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (ticket !== latest) return;
    let data;
    try {
      data = await search(message.data, ticket);
    } catch (error) {
      console.warn("search failed:", error);
      data = { items: [] };
    }
    // Answers can finish out of order while the reader types; only the newest query's answer is shown.
    if (data && ticket === latest) self.postMessage({ type: RESULT, data });
  }
});
