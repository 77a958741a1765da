"""Attack text in every string field of the schema and in the evidence: in Chromium, nothing runs and nothing
becomes markup; the text shows as written (plain fields) or as sanitized Markdown (`Prose` fields).

Two sites are built from copies of the small catalog (tests/support/hostile_catalog.py): one with a one-line
payload (attribute lists, raw HTML, `javascript:` links, fence openers) in every field whose type accepts it,
one with payloads that need a line break (a lone `\\r` or `\\n` before a heading, raw HTML, a fence, Mermaid
statements, a content tab). Each field has its own tag, so a failure names the field.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import new_context
from tests.browser.helpers import wait_for_page_scripts
from tests.site.sitebuild import build_site
from tests.support.hostile_catalog import XSS_FLAG, HostileCatalog, write_hostile_catalog

pytestmark = pytest.mark.browser

_FINDINGS_JS = """() => {
    const found = [];
    if (window.__FLAG__) found.push(`script ran: ${window.__FLAG__}`);
    for (const el of document.querySelectorAll("*")) {
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase(), value = attr.value;
            if (name === "data-mc-xss") found.push(`attacker element <${el.localName}> (${value})`);
            if (name.startsWith("on") && /MC[FE]\\d{3}|__FLAG__/.test(value)) found.push(`handler ${name} on <${el.localName}>: ${value.slice(0, 60)}`);
            if (name === "style" && /MC[FE]\\d{3}|animation/.test(value) && !el.closest(".mermaid")) found.push(`attacker style on <${el.localName}>: ${value.slice(0, 60)}`);
            if (["href", "src", "action", "formaction"].includes(name) && /^\\s*(javascript|data|vbscript):/i.test(value) && !/^data:,?$/.test(value)) found.push(`${name}=${value.slice(0, 60)} on <${el.localName}>`);
        }
    }
    for (const el of document.querySelectorAll("h1, h2, h3, h4, h5, h6, .tabbed-labels > label")) {
        const text = el.textContent.trim();
        if (/^(MCHEAD|MCTAB)-/.test(text)) found.push(`attacker ${el.localName}: ${text.slice(0, 40)}`);
    }
    return {found, text: document.body.innerText};
}""".replace("__FLAG__", XSS_FLAG)


#: Mermaid has drawn every diagram, and two animation frames have passed since (style, animation start).
_SETTLED_JS = """async () => {
    if (document.querySelector("pre.mermaid")) return false;
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    return true;
}"""


@dataclass
class HostileSite:
    kind: str
    hostile: HostileCatalog
    site_dir: Path
    base_url: str


def _serve(site_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site_dir)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module", params=["one-line", "line-break"])
def hostile_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSite]:
    kind = request.param
    tmp = tmp_path_factory.mktemp(f"hostile-{kind}")
    hostile = write_hostile_catalog(tmp, kind)
    result = build_site(tmp, hostile.catalog, hostile.evidence)
    assert result.returncode == 0, result.output[-4000:]
    server, url = _serve(result.site_dir)
    try:
        yield HostileSite(kind, hostile, result.site_dir, url)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Visit:
    page: str
    found: list[str]
    dialogs: list[str]
    text: str


def _visit_every_page(site: HostileSite, browser: Browser) -> list[Visit]:
    context = new_context(browser, viewport={"width": 1400, "height": 1000})
    visits = []
    try:
        for path in sorted(site.site_dir.rglob("index.html")):
            relative = path.parent.relative_to(site.site_dir).as_posix()
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog, seen=dialogs: (seen.append(dialog.message), dialog.dismiss()))
            page.goto(f"{site.base_url}{'' if relative == '.' else relative + '/'}", wait_until="load")
            # What could run after `load`: the page scripts' set-up, Mermaid drawing the diagrams (it replaces
            # each <pre class="mermaid"> when done), and a CSS animation an injected style would start (its
            # animation events fire with the next frames). Waited for as conditions, not for a fixed time.
            wait_for_page_scripts(page)
            # Diagrams sit in "Diagram" tabs and are drawn when shown: open each, so hostile text goes through
            # Mermaid too.
            for label in page.locator("article .tabbed-labels > label", has_text="Diagram").all():
                label.click()
            page.wait_for_function(_SETTLED_JS)
            # ...then back to each tab set's first tab, where the page opens, whose text the findings read.
            for labels in page.locator("article .tabbed-labels").all():
                labels.locator("> label").first.click()
            result = page.evaluate(_FINDINGS_JS)
            visits.append(Visit(relative, result["found"], dialogs, result["text"]))
            page.close()
    finally:
        context.close()
    return visits


@pytest.fixture(scope="module")
def visits(hostile_site: HostileSite, browser: Browser) -> list[Visit]:
    return _visit_every_page(hostile_site, browser)


def test_nothing_runs_and_nothing_becomes_markup(hostile_site: HostileSite, visits: list[Visit]) -> None:
    assert len(visits) > 15
    problems = []
    for visit in visits:
        for finding in visit.found + [f"dialog: {m}" for m in visit.dialogs]:
            tags = re.findall(r"MC[FE]\d{3}", finding)
            fields = ", ".join(sorted({hostile_site.hostile.tag_of(t) for t in tags})) or "?"
            problems.append(f"{visit.page or '/'}: {finding} [field: {fields}]")
    assert not problems, f"{len(problems)} injections ({hostile_site.kind}):\n" + "\n".join(problems[:40])


def test_every_field_that_reaches_a_page_shows_its_text(hostile_site: HostileSite, visits: list[Visit]) -> None:
    """Plain fields show the payload as written; `Prose` shows it as sanitized Markdown; entities never show."""
    text = "\n".join(v.text for v in visits)
    assert "&lt;" not in text and "&amp;" not in text and "&#" not in text, "text escaped twice somewhere"
    fields = hostile_site.hostile.fields.values()
    accepted = [f for f in fields if hostile_site.kind in f.accepted]
    shown = [f for f in accepted if re.search(rf"\b{f.tag}\b", text)]
    if hostile_site.kind == "one-line":
        for f in shown:
            plain = f"{f.tag} *y*{{: style=animation-name:pulse"
            markdown = f"{f.tag} y{{: style=animation-name:pulse"
            assert plain in text or markdown in text, f"{f.path} ({f.tag}) is not shown as written"
            # In a curl example (the tab shown first) the quote is shell-quoted (`'"'"'`) or JSON's `\\u0027`.
            quote = r"""(?:'|\\u0027|'"'"')"""
            raw_html = rf"<img src=x onerror=window\.{XSS_FLAG}={quote}{f.tag}{quote}"
            assert re.search(raw_html, text), f"{f.path}: raw HTML not shown as text"
    evidence = {name: tag for name, tag in hostile_site.hostile.evidence_tags.items() if tag in text}
    print(
        f"\n{hostile_site.kind}: {len(fields)} string fields in the schema, {len(accepted)} took the payload, "
        f"{len(shown)} of those are shown on a page; evidence fields shown: {sorted(evidence)}"
    )
    assert len(shown) >= (90 if hostile_site.kind == "one-line" else 25)
    assert set(evidence) >= {"records[].reason", "server.version", "run_id", "evals[].task"}
