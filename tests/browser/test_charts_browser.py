"""A card with probe history shows its TTFT and ITL p95 charts and its 30- and 90-day availability strips in
Chromium: at 1366 and 390 px, in the light and the dark scheme, without the page scrolling sideways, and with a
text alternative.

The site is the small catalog with `tests/fixtures/charts-month-evidence` (30 days of runs of `coder-chat`: gaps,
a day the server did not answer, a day it answered one of two runs), with 60 older days of runs put before it
and an ITL p95 recorded for each kept run (as the prober records it, from each run's evidence file), built with
`mkdocs build --strict` as `make build` does. Screenshots go to
/tmp/charts-<width>-<scheme>-<strip|longstrip|chart-ttft|chart-itl>.png for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from bench.site_weight import serve
from catalog.evidence import HistoryLine, history_text, read_history
from catalog.history import read_summary
from probes.evidence import update_summaries
from tests.browser.conftest import REPO_ROOT, new_context
from tests.site.sitebuild import build_site

pytestmark = pytest.mark.browser

FIXTURES = REPO_ROOT / "tests" / "fixtures"
SHOTS = Path("/tmp")
#: ITL p95 of the ten kept runs, oldest first, against coder-chat's SLO target of 20 ms: three above it.
ITL = [12.0, 14.5, 13.2, 21.3, 16.0, 15.1, 19.9, 22.4, 20.6, 18.2]


def _evidence(tmp: Path) -> Path:
    """The month fixture with 60 older days (one answered run a day, none every 11th day) and an ITL p95 on the
    latency line of each kept run, as the prober writes it."""
    folder = tmp / "evidence"
    shutil.copytree(FIXTURES / "charts-month-evidence", folder)
    first = dt.datetime(2026, 10, 22, 10, tzinfo=dt.UTC)
    moments = [first - dt.timedelta(days=back) for back in range(60, 0, -1) if back % 11]
    older = [
        HistoryLine(run_id=f"{moment:%Y-%m-%dT%H}", deployment="coder-chat", claim="health", status="pass", date=moment)
        for moment in moments
    ]
    raw = folder / "history.jsonl"
    lines = read_history(raw).lines
    kept = list(dict.fromkeys(line.run_id for line in lines if line.deployment == "coder-chat"))[-len(ITL) :]
    itl = dict(zip(kept, ITL, strict=True))
    marked = [
        line.model_copy(update={"itl_p95_ms": itl[line.run_id]})
        if line.deployment == "coder-chat" and line.claim == "latency" and line.run_id in itl
        else line
        for line in lines
    ]
    raw.write_text(history_text(older) + history_text(marked), encoding="utf-8")
    update_summaries(folder)
    summary = read_summary(folder, "coder-chat")
    assert summary is not None and not isinstance(summary, str)
    assert [run.itl_p95_ms for run in summary.runs] == ITL
    return folder


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("charts-site")
    result = build_site(tmp, FIXTURES / "small-catalog", _evidence(tmp))
    assert result.returncode == 0, result.output
    with serve(result.site_dir) as url:
        yield url


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("width", [1366, 390])
def test_card_shows_charts_and_strips_without_overflow(
    browser: Browser, chart_site: str, width: int, scheme: str
) -> None:
    context = new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{chart_site}deployments/coder-chat/")
        page.evaluate("(scheme) => document.body.setAttribute('data-md-color-scheme', scheme)", scheme)
        pictures = {
            "chart-ttft": (page.locator("svg.mc-chart:has(polyline.mc-chart-line--ttft)"), "TTFT p95"),
            "chart-itl": (page.locator("svg.mc-chart:has(polyline.mc-chart-line--itl)"), "ITL p95"),
            "strip": (page.locator("svg.mc-strip"), "the 30 days"),
            "longstrip": (page.locator("svg.mc-longstrip"), "the 90 days"),
        }
        assert page.locator("svg.mc-chart").count() == 2
        for svg, label in pictures.values():
            assert svg.count() == 1, label
            svg.scroll_into_view_if_needed()
            box = svg.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 20, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} outside a {width} px window"
            name = svg.evaluate(
                "(el) => el.getAttribute('aria-labelledby').split(' ').map((id) => document.getElementById(id).textContent).join(' ')"
            )
            assert label in name, name
            # Every label lies inside its picture (the phone's larger type included).
            outside = svg.evaluate(
                """(el) => { const box = el.getBoundingClientRect();
                    return [...el.querySelectorAll('text')].filter((t) => { const b = t.getBoundingClientRect();
                        return b.left < box.left - 0.5 || b.right > box.right + 0.5; }).map((t) => t.textContent); }"""
            )
            assert outside == [], f"{label}: {outside} drawn outside the picture at {width} px"
        itl_name = pictures["chart-itl"][0].evaluate("(el) => el.querySelector('desc').textContent")
        assert "SLO target 20 ms: 3 of 10 above it" in itl_name, itl_name
        # Each chart's SLO line is its own target.
        targets = page.evaluate(
            "() => [...document.querySelectorAll('svg.mc-chart .mc-chart-target-label')].map((el) => el.textContent)"
        )
        assert targets == ["SLO 250 ms", "SLO 20 ms"], targets
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        # Colours come from the theme: the line, the target and the day cells are painted, not black on black.
        painted = page.evaluate(
            """() => ({
                line: getComputedStyle(document.querySelector('.mc-chart-line')).stroke,
                itl: getComputedStyle(document.querySelector('.mc-chart-line--itl')).stroke,
                longAnswered: getComputedStyle(document.querySelector('.mc-longstrip .mc-day--answered')).fill,
                longNone: getComputedStyle(document.querySelector('.mc-longstrip .mc-day--none')).fill,
                target: getComputedStyle(document.querySelector('.mc-chart-target')).stroke,
                answered: getComputedStyle(document.querySelector('.mc-day--answered')).fill,
                failed: getComputedStyle(document.querySelector('.mc-day--failed')).fill,
                text: getComputedStyle(document.querySelector('.mc-chart text')).fill,
                background: getComputedStyle(document.body).backgroundColor,
            })"""
        )
        assert painted["line"] != painted["target"] and painted["answered"] != painted["failed"], painted
        assert painted["text"] != painted["background"], painted
        assert "none" not in (painted["line"], painted["target"], painted["itl"]), painted
        assert painted["itl"] != painted["target"], painted
        assert painted["longAnswered"] == painted["answered"], painted
        assert painted["longNone"] not in (painted["longAnswered"], painted["background"], "none"), painted
        for what, (svg, _label) in pictures.items():
            svg.evaluate("(el) => el.closest('figure').scrollIntoView({block: 'center'})")
            page.screenshot(path=str(SHOTS / f"charts-{width}-{scheme}-{what}.png"))
        # The tables are there for screen readers, collapsed until opened: 30 days, and 13 weeks of the 90 days.
        days = page.locator("figure:has(svg.mc-strip) details.mc-chart-data")
        weeks = page.locator("figure:has(svg.mc-longstrip) details.mc-chart-data")
        assert days.locator("tbody tr").count() == 30 and weeks.locator("tbody tr").count() == 13
        assert not days.evaluate("(el) => el.open") and not weeks.evaluate("(el) => el.open")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_catalog_row_shows_its_small_strip(browser: Browser, chart_site: str, width: int) -> None:
    context = new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{chart_site}catalog/")
        strip = page.locator("#mc-deployments svg.mc-ministrip")
        assert strip.count() == 1  # coder-chat only: the other deployments have no history
        strip.scroll_into_view_if_needed()
        box = strip.bounding_box()
        assert box is not None and box["width"] >= 60 and box["x"] + box["width"] <= width, box
        assert "25 days answered" in (strip.get_attribute("aria-label") or "")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        strip.evaluate("(el) => el.closest('tr').scrollIntoView({block: 'center'})")
        page.screenshot(path=str(SHOTS / f"charts-{width}-catalog.png"))
    finally:
        context.close()
