"""The card's pictures (hooks/render/charts.py, hooks/templates/_charts.svg.j2): the TTFT p95 chart and the
availability strip, drawn from the bounded history summary as inline SVG.

`charts-month-evidence` holds 30 days of runs of `coder-chat` (fixture of the small catalog): one run a day at
10:00, none on 2026-11-01, 2026-11-02 and 2026-11-14, a run the server did not answer on 2026-10-28, and on
2026-11-10 an unanswered run at 04:00 beside an answered one at 10:00.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
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
        values = [run.ttft_p95_ms for run in ctx.record(dep).verdict.runs if run.ttft_p95_ms is not None]
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


@pytest.mark.parametrize(
    ("value", "text"), [(0.0, "0 ms"), (150.0, "150 ms"), (12.5, "12.5"), (25.0, "25 ms"), (1500.0, "1500")]
)
def test_tick_text_leaves_the_unit_off_a_long_label(value: float, text: str) -> None:
    assert charts.tick_text(value) == text


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


# ITL p95 per run and the 90-day strip: evidence folders made here from the month fixture, as the prober leaves them.

#: ITL p95 of the ten kept runs, oldest first, against coder-chat's SLO target of 20 ms: three above it.
ITL = [12.0, 14.5, 13.2, 21.3, 16.0, 15.1, 19.9, 22.4, 17.0, 20.6]


def _with_itl(tmp_path: Path) -> Path:
    """The month fixture with an ITL p95 on the latency line of each of coder-chat's ten newest runs, as the
    prober writes it (`HistoryLine.itl_p95_ms`), and its summary folded from those lines."""
    from catalog.evidence import history_text, read_history
    from probes.evidence import update_summaries

    folder = tmp_path / "itl-evidence"
    shutil.copytree(FIXTURES / "charts-month-evidence", folder)
    lines = read_history(folder / "history.jsonl").lines
    runs = list(dict.fromkeys(line.run_id for line in lines if line.deployment == "coder-chat"))[-len(ITL) :]
    itl = dict(zip(runs, ITL, strict=True))
    marked = [
        line.model_copy(update={"itl_p95_ms": itl[line.run_id]})
        if line.deployment == "coder-chat" and line.claim == "latency" and line.run_id in itl
        else line
        for line in lines
    ]
    assert sum(line.itl_p95_ms is not None for line in marked) == len(ITL), "each kept run has a latency line"
    (folder / "history.jsonl").write_text(history_text(marked), encoding="utf-8")
    update_summaries(folder)
    return folder


def _long_history(tmp_path: Path, days: int = 100) -> Path:
    """`days` days of coder-chat to 2026-11-20, one run a day at 10:00: none on every 9th day, unanswered on every
    13th, and on every 17th an unanswered run at 04:00 beside the answered one."""
    from catalog.evidence import HistoryLine, history_text
    from probes.evidence import update_summaries

    folder = tmp_path / "long-evidence"
    folder.mkdir()
    shutil.copy(FIXTURES / "charts-month-evidence" / "coder-chat.json", folder / "coder-chat.json")
    newest = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    lines = []
    for back in range(days - 1, -1, -1):
        moment = newest - dt.timedelta(days=back)
        if back % 9 == 4:
            continue
        if back % 17 == 5:
            early = moment - dt.timedelta(hours=6)
            lines.append(
                HistoryLine(
                    run_id=f"{early:%Y-%m-%dT%H}",
                    deployment="coder-chat",
                    claim="health",
                    status="error",
                    date=early,
                    reason="connection refused",
                )
            )
        status = "error" if back % 13 == 7 else "pass"
        lines.append(
            HistoryLine(
                run_id=f"{moment:%Y-%m-%dT%H}",
                deployment="coder-chat",
                claim="health",
                status=status,
                date=moment,
                reason="connection refused" if status == "error" else None,
            )
        )
    (folder / "history.jsonl").write_text(history_text(lines), encoding="utf-8")
    update_summaries(folder)
    return folder


def _expected_state(back: int) -> str:
    if back % 9 == 4:
        return "none"
    if back % 13 == 7:
        return "failed"
    return "partly" if back % 17 == 5 else "answered"


def _charts_by_key(text: str) -> dict[str, ET.Element]:
    found = {}
    for block in re.findall(r"<svg class=\"mc-chart\".*?</svg>", text, flags=re.S):
        element = ET.fromstring(block)
        found[(element.get("aria-labelledby") or "").split()[0].split("-")[2]] = element
    return found


def test_itl_chart_is_each_runs_itl_p95_against_its_own_target(tmp_path: Path) -> None:
    ctx = _ctx(str(_with_itl(tmp_path)))
    runs = ctx.record("coder-chat").verdict.runs
    assert [run.itl_p95_ms for run in runs] == ITL
    card = render_deployment_card(ctx, "coder-chat")
    found = _charts_by_key(card)
    assert list(found) == ["ttft", "itl"], "both charts, TTFT first"
    itl = found["itl"]
    line = itl.find("polyline")
    assert line is not None and "mc-chart-line--itl" in (line.get("class") or "")
    drawn = [tuple(float(n) for n in pair.split(",")) for pair in (line.get("points") or "").split()]
    top = charts.nice_top(max(ITL))  # 22.4 ms and the 20 ms target -> 25 ms
    assert top == 25.0
    step = (charts.PLOT_RIGHT - charts.PLOT_LEFT) / (len(runs) - 1)
    assert drawn == [(round(charts.PLOT_LEFT + i * step, 1), _y(value, top)) for i, value in enumerate(ITL)]
    target = next(el for el in itl.iter("line") if el.get("class") == "mc-chart-target")
    assert float(target.get("y1") or 0) == _y(20.0, top)
    assert [el.text for el in itl.iter("text") if el.get("class") == "mc-chart-target-label"] == ["SLO 20 ms"]
    assert itl.findtext("title") == "ITL p95 per probe run against the SLO target of 20 ms"
    desc = itl.findtext("desc") or ""
    assert "lowest 12.0 ms, highest 22.4 ms, newest 20.6 ms" in desc and "SLO target 20 ms: 3 of 10 above it" in desc
    # The TTFT chart keeps its own scale and target.
    ttft_target = next(el for el in found["ttft"].iter("line") if el.get("class") == "mc-chart-target")
    assert float(ttft_target.get("y1") or 0) == _y(250.0, 300.0)
    # Every id on the card is unique (two charts, one strip), and the HTML guard accepts it.
    ids = re.findall(r'\bid="([^"]+)"', card)
    assert len(ids) == len(set(ids))
    html = markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS).convert(card)
    assert html.count("<svg") == 3 and unsafe_markup(html) == []
    # The same numbers as a table, for a reader who cannot see the chart: one ITL p95 cell per run, in order.
    table = card[card.index("| Run | Passed | Failed | TTFT p95 | ITL p95 |") :].split("\n\n")[0].splitlines()[2:]
    assert [row.split(" | ")[-1].rstrip(" |") for row in table] == [f"{value:.1f} ms" for value in ITL]


def test_a_card_whose_runs_measured_no_itl_has_no_itl_column() -> None:
    card = render_deployment_card(_ctx("charts-month-evidence"), "coder-chat")
    assert "| Run | Passed | Failed | TTFT p95 |\n" in card and "| ITL p95 |" not in card


def test_only_runs_with_itl_are_drawn(tmp_path: Path) -> None:
    """Lines written before ITL was recorded have none: one run that has it is one point, the rest not measured."""
    from catalog.evidence import read_evidence_file
    from probes.evidence import append_history, history_lines

    folder = tmp_path / "evidence"
    shutil.copytree(FIXTURES / "charts-month-evidence", folder)
    latest = read_evidence_file(folder / "coder-chat.json")
    moment = dt.datetime(2026, 11, 20, 16, tzinfo=dt.UTC)
    later = latest.model_copy(
        update={
            "run_id": "2026-11-20T16:00:00Z",
            "started_at": moment,
            "finished_at": moment + dt.timedelta(seconds=20),
            "records": [r.model_copy(update={"date": moment + dt.timedelta(seconds=1)}) for r in latest.records],
        }
    )
    append_history(folder, history_lines(later))  # its ITL p95: the fixture file's, 18.2 ms
    itl = _charts_by_key(render_deployment_card(_ctx(str(folder)), "coder-chat"))["itl"]
    assert len((itl.find("polyline").get("points") or "").split()) == 1  # type: ignore[union-attr]
    assert "newest 18.2 ms" in (itl.findtext("desc") or "") and "9 runs measured none" in (itl.findtext("desc") or "")


def test_a_month_of_history_has_no_long_strip(month: SiteContext, card_md: str) -> None:
    assert dated_facts(month, "coder-chat")["long_days"] == ()
    assert "mc-longstrip" not in card_md


def test_long_strip_has_each_of_90_days_in_its_state(tmp_path: Path) -> None:
    ctx = _ctx(str(_long_history(tmp_path)))
    long_days = dated_facts(ctx, "coder-chat")["long_days"]
    newest = dt.date(2026, 11, 20)
    assert [day for day, _runs, _answered in long_days] == [newest - dt.timedelta(days=b) for b in range(89, -1, -1)]
    # The 30-day strip is the newest 30 of the same days.
    assert dated_facts(ctx, "coder-chat")["days"] == long_days[-30:]
    card = render_deployment_card(ctx, "coder-chat")
    strip = _svgs(card)["mc-longstrip"]
    assert strip.get("role") == "img" and strip.get("viewBox") == "0 0 449 34"
    assert (strip.get("aria-labelledby") or "").split() == ["mc-longstrip-title", "mc-longstrip-desc"]
    # One path per state; day j of a state lies inside that state's path (x from 5j, 4 units wide).
    paths = {(p.get("class") or "").removeprefix("mc-day--"): p.get("d") or "" for p in strip.iter("path")}
    spans = {s: [(int(x), int(x) + int(w)) for x, w in re.findall(r"M(\d+) 0h(\d+)v", d)] for s, d in paths.items()}
    expected = [_expected_state(back) for back in range(89, -1, -1)]
    assert set(paths) == set(expected) == {"answered", "partly", "failed", "none"}
    for index, state in enumerate(expected):
        x = index * charts.LONG_DAY
        assert any(lo <= x and x + charts.LONG_DAY - 1 <= hi for lo, hi in spans[state]), (index, state)
    assert len(list(strip.iter())) <= 3 + 4 + 2  # svg, title, desc, a path per state, two labels
    tally = {state: expected.count(state) for state in ("answered", "partly", "failed", "none")}
    desc = strip.findtext("desc") or ""
    assert (
        f"{tally['answered']} days answered, {tally['partly']} days partly answered, {tally['failed']} days failed, "
        f"{tally['none']} days not probed" in desc
    )
    runs = sum(r for _d, r, _a in long_days)
    answered = sum(a for _d, _r, a in long_days)
    assert f"{answered} of {runs} runs answered" in desc
    # The table lists weeks counted back from the newest day: 12 whole weeks, and the 6 days left over first.
    figure = re.search(r'<figure class="mc-chart-figure">\n<svg class="mc-longstrip".*?</figure>', card, flags=re.S)
    assert figure is not None
    rows = re.findall(
        r"<tr><td>([\d-]+) – ([\d-]+)</td><td>(\d+)</td><td>(\d+)</td><td>([a-z, \d]+)</td></tr>", figure.group()
    )
    assert len(rows) == 13
    assert rows[0][:2] == (long_days[0][0].isoformat(), long_days[5][0].isoformat())
    assert rows[-1][:2] == ((newest - dt.timedelta(days=6)).isoformat(), newest.isoformat())
    assert sum(int(row[2]) for row in rows) == runs and sum(int(row[3]) for row in rows) == answered
    newest_week = expected[-7:]
    assert rows[-1][4] == charts._states_text(newest_week)  # type: ignore[arg-type]
    # Bounded weight: the whole figure, its table included, is a few KB.
    assert len(figure.group().encode()) < 3500
    html = markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS).convert(card)
    assert unsafe_markup(html) == [] and "<p><svg" not in html
    assert set(_svgs(html)) == set(_svgs(card)) == {"mc-strip", "mc-longstrip"}  # no latency line: no run chart
    ids = re.findall(r'\bid="([^"]+)"', card)
    assert len(ids) == len(set(ids))


def test_long_strip_weeks_and_states_by_hand() -> None:
    day = dt.date(2026, 11, 20)
    days = [
        (day - dt.timedelta(days=b), 0 if b == 3 else 2, 0 if b in (3, 10) else 1 if b == 0 else 2)
        for b in range(89, -1, -1)
    ]
    long = charts.long_strip(days)
    assert long is not None
    assert [w.days_text for w in long.weeks[-2:]] == ["2026-11-07 – 2026-11-13", "2026-11-14 – 2026-11-20"]
    assert long.weeks[-1].states_text == "5 days answered, 1 day partly answered, 1 day not probed"
    assert (long.weeks[-1].runs, long.weeks[-1].answered) == (12, 11)
    assert long.weeks[-2].states_text == "6 days answered, 1 day failed"
    assert charts.long_strip([]) is None and charts.long_window(None) == ()
