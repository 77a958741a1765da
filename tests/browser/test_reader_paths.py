"""Reader paths, measured: for each of the five seed guides, its readers' three main answers reached from the
home page in Chromium, with the clicks taken and where the answer then sits on the screen.

The three questions are the same for every guide: which model for my task in my fleet and how to call it (the
model name a client sends and where), what is verified (the evidence state), and the guide's main caveat. Each
answer is reached from a fresh visit to the home page at a laptop window (1366 x 768) and a phone window
(390 x 844); the test fails when an answer is not wholly on the first screen after its clicks (below the sticky
header, above the window's bottom edge).

The measured table is kept on the Fleets page (docs/fleets.md, "Reader paths, measured"). The test asserts that
table equals what it measured (clicks exactly, screens within `SCREENS_TOLERANCE`) and prints the table to paste
when it does not. Why not a generated page section: the numbers exist only after a Chromium run against a built
site, so a build-time renderer could only show a file that some earlier run left behind, which can go stale
without anything failing; comparing here fails the very run that measured a change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from .conftest import REPO_ROOT, new_context
from .helpers import wait_for_page_scripts

pytestmark = pytest.mark.browser

#: The two windows every path is measured in: (label, width, height).
WINDOWS = [("1366x768", 1366, 768), ("390x844", 390, 844)]
DOCS_PAGE = REPO_ROOT / "docs" / "fleets.md"
TABLE_HEADING = "## Reader paths, measured"
#: How far a screens figure in the docs table may be from the measured one (a quarter of a text line on a
#: phone): fonts and anti-aliasing move a position by a pixel or two between Chromium builds.
SCREENS_TOLERANCE = 0.02


@dataclass(frozen=True)
class Answer:
    """One answer a guide's reader looks for, and how they get there from the home page."""

    question: str
    """The question, as the docs table names it."""
    clicks: tuple[str, ...]
    """Playwright selectors clicked in order from the home page (a tab label, a link by its text)."""
    parts: tuple[tuple[str, str], ...]
    """(selector, text) of each element that holds the answer once the clicks are done: the first shown element
    the selector finds must hold the text (the fact itself, so a moved or emptied answer fails too). A model
    name and the URL it is sent to can be two elements: a line and the sentence above the lines."""


def tab(label: str) -> str:
    """The home page's fleet tab whose label starts with `label`."""
    return f'article .tabbed-labels > label:has-text("{label}")'


#: In the open tab of the home page.
OPEN_TAB = "article .tabbed-block:visible"
CALL, VERIFIED, CAVEAT = "which model, how to call it", "what is verified", "main caveat"
CAVEAT_BOX = f"{OPEN_TAB} .admonition.warning"
EVIDENCE = f'{OPEN_TAB} [data-answer="evidence"]'
WHERE = f'{OPEN_TAB} [data-answer="where"]'


def line(task: str) -> str:
    """The answer box's line for a task (or, in a fleet whose guide picks nothing by task, a deployment)."""
    return f'{OPEN_TAB} [data-answer-task="{task}"]'


CHOOSING = ('article a:has-text("Choosing a kind of model")',)

#: guide -> (its label in the docs table, its readers' answers). The task in CALL is one its guide ranks.
PATHS: dict[str, tuple[str, tuple[Answer, ...]]] = {
    "seed-000": (
        "000 vLLM fleet",
        (
            Answer(
                f"{CALL} (general chat)",
                (),
                ((line("general-chat"), "gpt-oss-20b at http://localhost:8009/v1/gpt-oss-20b"),),
            ),
            Answer(VERIFIED, (), ((EVIDENCE, "Verified by our probes: none of its 25"),)),
            Answer(CAVEAT, (), ((CAVEAT_BOX, "100% AI generated"),)),
        ),
    ),
    "seed-001": (
        "001 Provider stack",
        (
            Answer(
                f"{CALL} (coding)",
                (tab("Provider stack"),),
                (
                    (WHERE, "Send the model names below to http://localhost:4000/v1 (gateway)"),
                    (line("coding"), "qwen-coder-vllm"),
                ),
            ),
            Answer(VERIFIED, (tab("Provider stack"),), ((EVIDENCE, "Verified by our probes: none of its 4"),)),
            Answer(CAVEAT, (tab("Provider stack"),), ((CAVEAT_BOX, "not production scale"),)),
        ),
    ),
    "seed-002": (
        "002 Modal benchmark fleet",
        (
            Answer(
                f"{CALL} (qwen3-4b)",
                (tab("Modal benchmark"),),
                (
                    (WHERE, "to the fleet's gateway (its URL is not published)"),
                    (line("qwen3-4b-local"), "qwen3-4b-local"),
                ),
            ),
            Answer(
                VERIFIED,
                (tab("Modal benchmark"),),
                ((line("qwen3-4b-local"), "reported Eval smoke-5: 5/5 passed (74s)"),),
            ),
            Answer(CAVEAT, (tab("Modal benchmark"),), ((CAVEAT_BOX, "only during benchmark runs"),)),
        ),
    ),
    "seed-003": (
        "003 Reference deployment",
        (
            Answer(
                f"{CALL} (coding)",
                (tab("Reference deployment"),),
                (
                    (WHERE, "to the fleet's gateway (its URL is not published)"),
                    (line("coder-chat"), "coder-chat — Qwen2.5-Coder-7B-Instruct-AWQ"),
                ),
            ),
            Answer(
                VERIFIED,
                (tab("Reference deployment"),),
                ((line("coder-chat"), "reported Eval humaneval-first-20: HumanEval 18/20 = 90%"),),
            ),
            Answer(CAVEAT, (tab("Reference deployment"),), ((CAVEAT_BOX, "not a production SLA"),)),
        ),
    ),
    # The explainer names no fleet: its reader's model is a kind of model, found on "Choosing a kind of model".
    "seed-004": (
        "004 Choosing the right model",
        (
            Answer(
                "which kind of model",
                CHOOSING,
                (("article h2:has-text('Decide the kind of model first')", "Decide the kind"),),
            ),
            Answer(VERIFIED, CHOOSING, (("article p:has-text('Nothing here')", "Nothing here is measured"),)),
            Answer(CAVEAT, CHOOSING, (("article .admonition.warning", "production and legal constraints"),)),
        ),
    ),
}

#: Where the answer's first shown element sits: its box, the window's height and the sticky header's bottom.
_BOX_JS = """(el) => {
    const box = el.getBoundingClientRect();
    const header = document.querySelector(".md-header");
    return {top: box.top, bottom: box.bottom, height: window.innerHeight,
            header: header ? header.getBoundingClientRect().bottom : 0};
}"""


@dataclass(frozen=True)
class Measured:
    guide: str
    question: str
    window: str
    clicks: int
    screens: float
    """Where the answer starts (its lowest part, if several), in window heights from the top of the window after
    the clicks."""
    on_first_screen: bool

    def row(self) -> str:
        return f"| {self.guide} | {self.question} | {self.window} | {self.clicks} | {self.screens:.2f} |"


def _seen(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def measure(page: Page, base_url: str, guide: str, answer: Answer, window: str) -> Measured:
    page.goto(base_url)
    wait_for_page_scripts(page)
    for selector in answer.clicks:
        target = page.locator(selector).first
        # A link to another page (Material loads it in place, so there is no page load to wait for): its address.
        href = target.evaluate("(el) => el.tagName === 'A' && el.pathname !== location.pathname ? el.href : null")
        if href:
            # Marks the page left behind; Material swaps the article for the new page's once that has loaded.
            page.evaluate("() => { document.querySelector('article').dataset.mcLeft = '1'; }")
        target.click()
        if href:
            page.wait_for_url(href)
            page.wait_for_function("() => !document.querySelector('article[data-mc-left]')")
            wait_for_page_scripts(page)
    tops, fits = [], True
    for selector, text in answer.parts:
        found = page.locator(selector).first
        found.wait_for(state="visible")
        shown = _seen(found.inner_text())
        assert _seen(text) in shown, f"{guide} {answer.question} at {window}: {text!r} not in {shown!r}"
        box: dict[str, Any] = found.evaluate(_BOX_JS)
        tops.append(box["top"] / box["height"])
        fits = fits and box["top"] >= box["header"] - 1 and box["bottom"] <= box["height"] + 1
    return Measured(
        guide=guide,
        question=answer.question,
        window=window,
        clicks=len(answer.clicks),
        screens=round(max(tops), 2),
        on_first_screen=fits,
    )


def docs_rows() -> dict[tuple[str, str, str], tuple[int, float]]:
    """The docs page's table: (guide, question, window) -> (clicks, screens)."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    assert TABLE_HEADING in text, f"{DOCS_PAGE} has no {TABLE_HEADING!r} section"
    rows = {}
    for line in text.split(TABLE_HEADING, 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5 and cells[3].isdigit():
            rows[(cells[0], cells[1], cells[2])] = (int(cells[3]), float(cells[4]))
    return rows


@pytest.fixture(params=WINDOWS, ids=[w[0] for w in WINDOWS])
def window(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Browser, int, int]]:
    label, width, height = request.param
    yield label, browser, width, height


def test_every_guide_answers_on_the_first_screen(window: tuple[str, Browser, int, int], base_url: str) -> None:
    label, browser, width, height = window
    measured = []
    errors: list[str] = []
    for guide, (name, answers) in PATHS.items():
        for answer in answers:
            # A fresh context per answer: a reader arriving at the home page, with no tab remembered.
            context = new_context(browser, viewport={"width": width, "height": height})
            try:
                page = context.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                measured.append(measure(page, base_url, name, answer, label))
                assert not errors, f"{guide} {answer.question}: script errors {errors}"
            finally:
                context.close()
    table = "\n".join(m.row() for m in measured)
    print(f"\nReader paths at {label}:\n{table}")
    off = [m.row() for m in measured if not m.on_first_screen]
    assert not off, f"answers not on the first screen at {label}:\n" + "\n".join(off)
    documented = docs_rows()
    stale = [
        m.row()
        for m in measured
        if (m.guide, m.question, m.window) not in documented
        or documented[(m.guide, m.question, m.window)][0] != m.clicks
        or abs(documented[(m.guide, m.question, m.window)][1] - m.screens) > SCREENS_TOLERANCE
    ]
    assert not stale, (
        f"{DOCS_PAGE.relative_to(REPO_ROOT)}'s table under {TABLE_HEADING!r} does not match what was measured at "
        f"{label}; put these rows in it:\n" + table
    )
