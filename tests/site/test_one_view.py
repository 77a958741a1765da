"""Every surface reads the judged view (catalog/view.py) and the display formatters (catalog/display.py).

No page renderer, template, agent file, the MCP server or the gateway export judges a deployment, works out
where clients send requests, or writes a price, an SLO target or availability from the raw catalog fields: a
line here that finds one names the file and the line to move into the view or a formatter.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from catalog.clients import Target
from catalog.display import availability_text, client_text, cost_cell, slo_targets_text, token_prices_text
from catalog.evidence_folder import Evidence
from catalog.loader import load_catalog
from catalog.schema import Cost, SloTargets
from catalog.verdicts import Availability
from catalog.view import JudgedView

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

#: Every module that turns the view into something a reader or an agent sees.
SURFACE_MODULES = sorted(
    {
        *(REPO / "hooks" / "render").glob("*.py"),
        REPO / "hooks" / "site_context.py",
        REPO / "hooks" / "plugin.py",
        REPO / "hooks" / "generate.py",
        REPO / "mcp_server" / "server.py",
        REPO / "gateway" / "litellm_export.py",
    }
)
TEMPLATES = sorted((REPO / "hooks" / "templates").rglob("*.j2"))

#: Calls only the view makes: a surface that makes one judges or targets on its own.
VIEW_ONLY = re.compile(r"\b(judge|client_target|successor|answers)\(")
#: Exceptions, each with its reason.
ALLOWED = {
    # `examples_for(catalog, deployment)` is the entry point for callers without a view (tests/gateway).
    ("hooks/render/snippets.py", "client_target("),
}

#: Raw fields of facts that have a formatter: cost, SLO targets, availability, the client's key text.
RAW_FACTS = re.compile(
    r"_usd_per_mtok|gpu_usd_per_hour|slo\.(ttft|itl|e2e)|slo\[|\.availability\b|\.text\(\)|key_text\(|usd\("
)
#: The gateway export writes prices per token as LiteLLM's data, not as display text.
RAW_ALLOWED = {"gateway/litellm_export.py"}


def _hits(path: Path, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    relative = path.relative_to(REPO).as_posix()
    return [
        (f"{relative}:{number}: {line.strip()}", match.group(0))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if (match := pattern.search(line))
    ]


def test_no_surface_judges_or_targets_itself() -> None:
    found = [
        where
        for path in SURFACE_MODULES
        for where, call in _hits(path, VIEW_ONLY)
        if (path.relative_to(REPO).as_posix(), call) not in ALLOWED
    ]
    assert found == [], "read these from the judged view (catalog/view.py):\n" + "\n".join(found)


def test_no_template_formats_a_fact_itself() -> None:
    found = [where for path in TEMPLATES for where, _ in _hits(path, RAW_FACTS)]
    assert found == [], "build these in Python with catalog/display.py:\n" + "\n".join(found)


def test_no_renderer_formats_a_fact_itself() -> None:
    found = [
        where
        for path in SURFACE_MODULES
        if path.relative_to(REPO).as_posix() not in RAW_ALLOWED
        for where, hit in _hits(path, RAW_FACTS)
        # The formatters themselves are called by name: `.text()` of an Availability is its one formatter.
        if hit not in (".text()", ".availability", "key_text(")
    ]
    assert found == [], "use the formatters of catalog/display.py:\n" + "\n".join(found)


def test_formatters() -> None:
    cost = Cost(input_usd_per_mtok=1, output_usd_per_mtok=5, basis="list-price")
    assert token_prices_text(cost) == "$1 / $5"
    assert cost_cell(cost) == "$1 / $5 (list price)"
    assert cost_cell(Cost(gpu_usd_per_hour=1.1)) == "GPU $1.10/h"
    assert cost_cell(None) == "—"
    assert token_prices_text(Cost(output_usd_per_mtok=2), missing="—") == "— / $2"
    slo = SloTargets(ttft_p95_ms=250, itl_p95_ms=20, max_output_tokens=256)
    assert slo_targets_text(slo) == "TTFT p95 < 250 ms, ITL p95 < 20 ms (≤256 out)"
    assert slo_targets_text(SloTargets(note="provisional")) is None
    assert availability_text([Availability(7, 2, 1), Availability(30, 0, 0)]) == (
        "50% of 2 runs in the last 7 days · no runs in the last 30 days"
    )
    gateway = Target("http://gw/v1", "coder", None, via_gateway=True)
    assert client_text(gateway) == (
        "base_url http://gw/v1 (gateway), model `coder`, a gateway key, in a variable the catalog does not name"
    )
    assert client_text(Target("http://x/v1", "m", None, via_gateway=False, inferred="guess")) == (
        "base_url http://x/v1 (inferred: guess), model `m`"
    )


@pytest.fixture(scope="module")
def view() -> JudgedView:
    return JudgedView(load_catalog(FIXTURES / "small-catalog"), Evidence(), dt.date(2026, 11, 22))


def test_records_are_judged_once_and_on_demand(view: JudgedView) -> None:
    first = next(iter(view.catalog.deployments))
    assert view.record(first) is view.record(first)
    assert len(view._records) == 1  # only what was asked for is judged
    assert [r.id for r in view.records()] == list(view.catalog.deployments)


def test_json_shapes_are_shared(view: JudgedView) -> None:
    for record in view.records():
        summary = record.evidence_summary_json()
        assert summary["availability"] == record.availability_json()
        assert set(summary) == {"state", "serving", "quality", "last_verified", "availability"}
        # The overall state is the serving summary (catalog/verdicts.py); quality is apart.
        assert summary["state"] == summary["serving"] == record.verdict.serving.value
        client = record.client_json()
        assert client is None or set(client) == {
            "base_url",
            "model",
            "api_key_env",
            "api_key",
            "via_gateway",
            "base_url_inferred",
        }
