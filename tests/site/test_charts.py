"""The card's pictures (hooks/render/charts.py, hooks/templates/_charts.svg.j2): the TTFT p95 chart and the
availability strip, drawn from the bounded history summary as inline SVG.

`charts-month-evidence` holds 30 days of runs of `coder-chat` (fixture of the small catalog): one run a day at
10:00, none on 2026-11-01, 2026-11-02 and 2026-11-14, a run the server did not answer on 2026-10-28, and on
2026-11-10 an unanswered run at 04:00 beside an answered one at 10:00.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
import pytest

from catalog import load_catalog
from catalog.evidence_folder import load_evidence
from catalog.history import availability_counts
from hooks.html_guard import unsafe_markup
from hooks.render import charts
from hooks.render.deployment_card import card_data, dated_facts, render_deployment_card
from hooks.render.site_pages import deployment_url
from hooks.render.templating import Links
from hooks.site_context import SiteContext

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TODAY = dt.date(2026, 11, 21)
#: The Markdown extensions of mkdocs.yml that touch a card's blocks (emoji and mermaid fences aside).
EXTENSIONS = [
    "admonition",
    "attr_list",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.superfences",
    "pymdownx.tabbed",
]
CONFIGS = {
    "toc": {"permalink": True},
    "pymdownx.highlight": {"use_pygments": False},
    "pymdownx.tabbed": {"alternate_style": True},
}


def _ctx(evidence: str, today: dt.date = TODAY) -> SiteContext:
    return SiteContext(
        catalog=load_catalog(FIXTURES / "small-catalog"),
        evidence=load_evidence(FIXTURES / evidence),
        today=today,
        repo_root=FIXTURES.parent.parent,
    )


@pytest.fixture(scope="module")
def month() -> SiteContext:
    return _ctx("charts-month-evidence")


@pytest.fixture(scope="module")
def card_md(month: SiteContext) -> str:
    return render_deployment_card(month, "coder-chat")


def _svgs(text: str) -> dict[str, ET.Element]:
    """class -> the parsed <svg> element, for each inline SVG in `text`."""
    found = {}
    for block in re.findall(r"<svg\b.*?</svg>", text, flags=re.S):
        element = ET.fromstring(block)
        found[element.get("class", "")] = element
    return found


def _y(value: float, top: float) -> float:
    """The documented scale: 0 at PLOT_BOTTOM, `top` at PLOT_TOP, rounded to 0.1."""
    return round(charts.PLOT_TOP + (charts.PLOT_BOTTOM - charts.PLOT_TOP) * (1 - value / top), 1)


def test_chart_polyline_is_each_runs_ttft_p95_scaled(month: SiteContext, card_md: str) -> None:
    runs = month.record("coder-chat").verdict.runs
    assert len(runs) == 10  # the newest RUNS_KEPT runs of the summary
    chart = _svgs(card_md)["mc-chart"]
    line = chart.find("polyline")
    assert line is not None
    drawn = [tuple(float(n) for n in pair.split(",")) for pair in (line.get("points") or "").split()]
    # Highest value or target 260.4 ms -> the axis tops out at 300 ms (the smallest nice step >= 1.05 x 260.4).
    top = 300.0
    step = (charts.PLOT_RIGHT - charts.PLOT_LEFT) / (len(runs) - 1)
    expected = [(round(charts.PLOT_LEFT + i * step, 1), _y(run.ttft_p95_ms or 0, top)) for i, run in enumerate(runs)]
    assert drawn == expected
    assert [run.ttft_p95_ms for run in runs][-1] == 260.4
    # Every value the chart names is one the evidence has.
    desc = chart.findtext("desc") or ""
    assert "lowest 216.0 ms, highest 260.4 ms, newest 260.4 ms" in desc
    assert "SLO target 250 ms: 2 of 10 above it" in desc


def test_slo_line_sits_at_the_target(card_md: str) -> None:
    chart = _svgs(card_md)["mc-chart"]
    target = next(el for el in chart.iter("line") if el.get("class") == "mc-chart-target")
    assert float(target.get("y1") or 0) == float(target.get("y2") or 0) == _y(250.0, 300.0)
    labels = [el.text for el in chart.iter("text") if el.get("class") == "mc-chart-target-label"]
    assert labels == ["SLO 250 ms"]


def test_strip_has_one_cell_per_day_in_the_right_state(month: SiteContext, card_md: str) -> None:
    strip = _svgs(card_md)["mc-strip"]
    cells = list(strip.iter("rect"))
    assert len(cells) == charts.STRIP_DAYS == 30
    # The window ends on the newest day with a run (2026-11-20), not on the build's day (2026-11-21).
    newest = dt.date(2026, 11, 20)
    days = [newest - dt.timedelta(days=back) for back in range(29, -1, -1)]
    special = {
        dt.date(2026, 10, 28): "failed",
        dt.date(2026, 11, 10): "partly",
        dt.date(2026, 11, 1): "none",
        dt.date(2026, 11, 2): "none",
        dt.date(2026, 11, 14): "none",
    }
    states = [(cell.get("class") or "").split("mc-day--")[1] for cell in cells]
    assert states == [special.get(day, "answered") for day in days]
    titles = [cell.findtext("title") for cell in cells]
    assert titles[0] == "2026-10-22: answered, 1 of 1 run"
    assert titles[days.index(dt.date(2026, 11, 10))] == "2026-11-10: partly answered, 1 of 2 runs"
    assert titles[days.index(dt.date(2026, 10, 28))] == "2026-10-28: failed, no answer in 1 run"
    assert titles[days.index(dt.date(2026, 11, 1))] == "2026-11-01: not probed"
    # The cells add up to the summary's own 30-day counts over the same days.
    counted = availability_counts(month.evidence.history["coder-chat"], newest, 30)
    assert (counted.runs, counted.answered) == (28, 26)
    desc = strip.findtext("desc") or ""
    assert "25 days answered, 1 day partly answered, 1 day failed, 3 days not probed" in desc
    assert "26 of 28 runs answered" in desc
    # ...and the table for screen readers says the same per day.
    rows = re.findall(r"<tr><td>([\d-]+)</td><td>(\d+)</td><td>([\d—]+)</td><td>([a-z ]+)</td></tr>", card_md)
    assert [row[0] for row in rows] == [day.isoformat() for day in days]
    assert rows[days.index(dt.date(2026, 11, 1))][1:] == ("0", "—", "not probed")
    assert rows[days.index(dt.date(2026, 11, 10))][1:] == ("2", "1", "partly answered")
    assert rows[days.index(dt.date(2026, 10, 28))][1:] == ("1", "0", "failed")


def test_pictures_have_a_title_and_a_text_alternative(card_md: str) -> None:
    svgs = _svgs(card_md)
    assert set(svgs) == {"mc-chart", "mc-strip"}
    for svg in svgs.values():
        assert svg.get("role") == "img"
        title, desc = svg.find("title"), svg.find("desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert (svg.get("aria-labelledby") or "").split() == [title.get("id"), desc.get("id")]
        assert "style" not in svg.attrib and svg.find(".//style") is None


def test_a_card_without_history_shows_nothing_new() -> None:
    for evidence, deployment in (("charts-month-evidence", "coder-fim"), ("small-evidence", "coder-fim")):
        ctx = _ctx(evidence)
        assert dated_facts(ctx, deployment)["days"] == ()
        card = card_data(ctx, deployment, Links(deployment_url(deployment)))
        assert card.evidence.charts == () and card.evidence.strip is None
        text = render_deployment_card(ctx, deployment)
        assert "<svg" not in text and "mc-chart" not in text and "mc-strip" not in text


def test_history_without_any_ttft_draws_no_chart_but_the_strip() -> None:
    ctx = _ctx("every-state-evidence", dt.date(2026, 11, 22))
    drawn = {dep: card_data(ctx, dep, Links(deployment_url(dep))).evidence for dep in ctx.evidence.history}
    assert drawn, "the fixture has history"
    for dep, evidence in drawn.items():
        assert evidence.strip is not None, dep
        values = [run.ttft_p95_ms for run in evidence.runs if run.ttft_p95_ms is not None]
        assert bool(evidence.charts) == bool(values), dep


def test_markdown_leaves_the_svg_alone_and_the_html_guard_accepts_it(card_md: str) -> None:
    html = markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS).convert(card_md)
    assert unsafe_markup(html) == []
    assert html.count("<svg") == 2 and "&lt;svg" not in html and "<p><svg" not in html
    assert _svgs(html).keys() == _svgs(card_md).keys()
    assert re.search(r"<details class=\"mc-chart-data\">\s*<summary>", html)


def test_the_strip_moves_with_the_history_not_with_the_day(month: SiteContext) -> None:
    """The card's cache key holds `dated_facts`: a new day without runs must not redraw the strip (or the card)."""
    later = _ctx("charts-month-evidence", TODAY + dt.timedelta(days=5))
    assert dated_facts(month, "coder-chat")["days"] == dated_facts(later, "coder-chat")["days"]
    assert dated_facts(month, "coder-chat")["days"][-1] == (dt.date(2026, 11, 20), 1, 1)
    strips = [
        re.findall(r"<svg class=\"mc-strip\".*?</svg>", render_deployment_card(ctx, "coder-chat"), flags=re.S)
        for ctx in (month, later)
    ]
    assert len(strips[0]) == 1 and strips[0] == strips[1]


@pytest.mark.parametrize(
    ("peak", "top"),
    [(260.4, 300.0), (250.0, 300.0), (95.0, 100.0), (18.2, 20.0), (0.4, 0.5), (1000.0, 1500.0), (0.0, 1.0)],
)
def test_nice_top(peak: float, top: float) -> None:
    assert charts.nice_top(peak) == pytest.approx(top)


def test_single_run_and_unmeasured_runs() -> None:
    from catalog.verdicts import RunPoint

    day = dt.date(2026, 11, 20)
    one = charts.line_chart("ttft", "TTFT p95", [RunPoint("r1", day, 3, 0, 100.0)], [100.0], None)
    assert one is not None and one.polyline == f"{(charts.PLOT_LEFT + charts.PLOT_RIGHT) / 2:g},{_y(100.0, 150.0):g}"
    assert one.target_y is None and "on 2026-11-20" in one.desc
    runs = [RunPoint("r1", day, 3, 0, 100.0), RunPoint("r2", day, 0, 3, None, answered=False)]
    gap = charts.line_chart("ttft", "TTFT p95", runs, [100.0, None], 120.0)
    assert gap is not None and len(gap.polyline.split()) == 1
    assert "newest not measured" in gap.desc and "1 run measured none" in gap.desc
    assert charts.line_chart("ttft", "TTFT p95", runs[1:], [None], 120.0) is None


def test_catalog_table_row_gets_a_small_strip_of_the_same_days(month: SiteContext) -> None:
    from hooks.render.tables import render_deployment_table

    table = render_deployment_table(month, Links("catalog/"))
    strips = _svgs(table)
    assert list(strips) == ["mc-ministrip"]  # coder-chat only: coder-fim has no history
    strip = strips["mc-ministrip"]
    assert strip.get("role") == "img"
    assert strip.get("aria-label") == (
        "Probe runs answered per day, 2026-10-22 to 2026-11-20: "
        "25 days answered, 1 day partly answered, 1 day failed, 3 days not probed"
    )
    # One path per state; each day j of that state lies inside it (x from 4j, 3 units wide).
    paths = {(p.get("class") or "").removeprefix("mc-day--"): p.get("d") or "" for p in strip.iter("path")}
    assert set(paths) == {"answered", "partly", "failed", "none"}
    spans = {
        state: [(int(x), int(x) + int(w)) for x, w in re.findall(r"M(\d+) 0h(\d+)v", d)] for state, d in paths.items()
    }
    days = dated_facts(month, "coder-chat")["days"]
    for index, (_day, runs, answered) in enumerate(days):
        state = charts.day_state(runs, answered)
        assert any(lo <= index * charts.MINI_DAY and index * charts.MINI_DAY + 3 <= hi for lo, hi in spans[state])
    assert len(list(strip.iter())) <= 5
    assert unsafe_markup(table) == []
