"""Ten questions an agent asks, measured on the bundled site over HTTP and on the MCP server over Streamable HTTP
(bench/agent_questions.py), and the table docs/agents.md shows held to the measurement (issue 25, item 4).

The site is the agent files `python -m hooks.generate` writes (the same bytes a build publishes beside the pages,
tests/site/test_generate.py), served by `http.server` on 127.0.0.1; the MCP server is `python -m mcp_server
--http` on 127.0.0.1, driven by the official SDK's client. Both judge on the day of the newest probe run, so the
table does not age.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bench import agent_questions as aq
from catalog.loader import BUNDLED_CATALOG

EVIDENCE = aq.REPO_ROOT / "evidence"

#: Questions that need more than one fetch after llms.txt, or more than one tool call, today, and why. Each is a
#: strict expected failure: the day a surface answers it in one, the test fails (XPASS) until this entry goes
#: and the table in docs/agents.md is rewritten (`python -m bench.agent_questions --write-docs`).
KNOWN_GAPS: dict[tuple[int, str], str] = {}

#: How far the bytes in the docs table may be from the measured ones (see `test_the_docs_table_is_the_measured_one`).
BYTES_TOLERANCE = 0.25
BYTES_SLACK = 2048


@pytest.fixture(scope="module")
def day() -> dt.date:
    return aq.newest_evidence_day(EVIDENCE)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory, day: dt.date) -> list[aq.Measured]:
    site = aq.generate_site(tmp_path_factory.mktemp("agent-questions") / "out", BUNDLED_CATALOG, EVIDENCE, day)
    return aq.measure(site, BUNDLED_CATALOG, EVIDENCE, day)


def test_ten_questions_each_measured_on_both_routes(measured: list[aq.Measured]) -> None:
    assert [(m.question.number, m.route) for m in measured] == [
        (n, route) for n in range(1, 11) for route in ("HTTP", "MCP")
    ]
    for row in measured:
        assert row.question.needles, f"question {row.question.number} has no expected answer"
        assert all(row.question.needles), f"question {row.question.number} has an expected value no surface can match"


def _cases() -> list[object]:
    """Every (question, route); a known gap is a strict expected failure, so closing it fails the test too."""
    return [
        pytest.param(n, r, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(n, r)]))
        if (n, r) in KNOWN_GAPS
        else pytest.param(n, r)
        for n in range(1, 11)
        for r in ("HTTP", "MCP")
    ]


@pytest.mark.parametrize(("number", "route"), _cases())
def test_each_question_is_answered_in_one_fetch_or_call(measured: list[aq.Measured], number: int, route: str) -> None:
    (row,) = [m for m in measured if m.question.number == number and m.route == route]
    assert row.count is not None, f"{row.question.text}: not answered over {route} ({row.used})"
    assert row.count <= 1, f"{row.question.text}: {row.count} {'fetches' if route == 'HTTP' else 'calls'}"


def test_the_docs_table_is_the_measured_one(measured: list[aq.Measured]) -> None:
    """Counts and files or tool calls must match exactly; bytes within 25% (or 2 KB). Bytes move with every
    wording change of a surface, so equality would fail on edits that change nothing an agent does; a route that
    grows or shrinks by a quarter is a change the page should show."""
    page = (aq.REPO_ROOT / "docs" / "agents.md").read_text(encoding="utf-8")
    documented = aq.rows_of(aq.documented_table(page))
    now = aq.measured_rows(measured)
    hint = f"docs/agents.md's table is out of date: run `{aq.COMMAND}`"
    assert [(r.number, r.route, r.count, r.used) for r in documented] == [
        (r.number, r.route, r.count, r.used) for r in now
    ], hint
    for old, new in zip(documented, now, strict=True):
        allowed = max(BYTES_TOLERANCE * old.bytes, BYTES_SLACK)
        assert abs(old.bytes - new.bytes) <= allowed, f"{hint} (question {new.number} {new.route}: {old.bytes:,} "
        f"bytes documented, {new.bytes:,} measured)"
    assert aq.COMMAND in page, "the page names the command that reproduces the table"


def test_an_answer_must_sit_in_one_line_or_object_not_be_spread_over_the_file() -> None:
    """The check is not satisfied by values that each appear somewhere: a base URL on one pick's line and a model
    name on another's do not answer "base URL and model name of that pick"."""
    question = aq.Question(
        0, "base URL and model of a-dep?", (aq._id("a-dep"), aq._literal("http://h/v1"), aq._model("m")), (), None, None
    )
    line = "- [a](deployments/a-dep/index.md): base_url http://h/v1, model `m`"
    assert aq.answers(question, aq.units("llms.txt", line))
    spread = "- [a](deployments/a-dep/index.md): base_url http://h/v1\n- [b](deployments/b-dep/index.md): model `m`"
    assert not aq.answers(question, aq.units("llms.txt", spread))
    longer_id = "- [a](deployments/demo-a-dep/index.md): base_url http://h/v1, model `m`"
    assert not aq.answers(question, aq.units("llms.txt", longer_id))
    one = '{"d": {"deployment": "a-dep", "client": {"base_url": "http://h/v1", "model": "m"}}}'
    assert aq.answers(question, aq.units("a.json", one))
    apart = '[{"deployment": "a-dep", "base_url": "http://h/v1"}, {"deployment": "b-dep", "model": "m"}]'
    assert not aq.answers(question, aq.units("a.json", apart))


def test_the_page_keeps_its_catalog_markers() -> None:
    """Rewriting the table (`--write-docs`) touches nothing else of the hand-written page."""
    page = (aq.REPO_ROOT / "docs" / "agents.md").read_text(encoding="utf-8")
    table = aq.documented_table(page)
    before, _, after = page.partition(table)
    assert aq.TABLE_HEADING in before
    markers = re.findall(r"<!--\s*catalog:[A-Za-z0-9_-]*\s*-->", page)
    assert markers == re.findall(r"<!--\s*catalog:[A-Za-z0-9_-]*\s*-->", before + after)
