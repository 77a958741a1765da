"""The MCP server, driven by the official SDK's own stdio client, as an agent would use it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from catalog.verdicts import SummaryState, summary_rule
from tests.site.sitebuild import REPO_ROOT, SOURCE_DATE_EPOCH, build_site

FIXTURES = REPO_ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = build_site(tmp_path_factory.mktemp("mcp"), FIXTURES / "small-catalog", FIXTURES / "every-state-evidence")
    assert result.returncode == 0, result.output
    return result.site_dir


def _params(site: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=[
            *("-m", "mcp_server", "--catalog", str(FIXTURES / "small-catalog")),
            *("--evidence", str(FIXTURES / "every-state-evidence"), "--site", str(site)),
        ],
        cwd=str(REPO_ROOT),
        env={**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
    )


async def _call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)  # type: ignore[union-attr]


async def test_an_agent_lists_and_calls_every_tool(site: Path) -> None:
    async with stdio_client(_params(site)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        listed = (await session.list_tools()).tools
        assert all(t.annotations and t.annotations.read_only_hint and t.annotations.idempotent_hint for t in listed)
        assert all(t.annotations and t.annotations.open_world_hint is False for t in listed)
        tools = {tool.name for tool in listed}
        assert tools == {
            "list_tasks",
            "pick_deployment",
            "get_deployment",
            "compare_deployments",
            "claims_changed_since",
            "explain_evidence",
        }

        rules = await _call(session, "explain_evidence")
        partial = next(s for s in rules["summaries"]["serving"]["states"] if s["state"] == "partial")
        assert partial["when"] == summary_rule(SummaryState.partial), "the badges page's rule, word for word"
        assert rules["summaries"]["quality"]["states"][-1]["state"] == "not-evaluated"
        assert rules["overall_summary"] == "serving"

        tasks = await _call(session, "list_tasks")
        assert [t["id"] for t in tasks["tasks"]] == ["coding", "general-chat"]

        coding = await _call(session, "pick_deployment", task="coding")
        (fleet,) = coding["fleets"]
        assert (fleet["fleet"], fleet["name"]) == ("team", "Test team"), "every answer says whose it is"
        first = fleet["picks"][0]
        assert (first["deployment"], first["rank"]) == ("coder-chat", 1)
        # Routed through the fleet's gateway: the agent is sent there, with the gateway's key, as the card is.
        assert first["client"]["base_url"] == "http://localhost:4000/v1"
        assert first["client"]["model"] == "coder-chat"
        assert first["client"]["api_key"] == "key $GATEWAY_KEY"
        assert first["evidence"]["summary"] == "failing", "the same state as the card on the same day"
        assert [p["deployment"] for p in fleet["picks"]] == ["coder-chat", "coder-fim"]

        unknown = await session.call_tool("pick_deployment", {"task": "codng"})
        assert unknown.is_error, "a tool error, not an answer"
        assert "unknown task 'codng'; nearest: coding." in unknown.content[0].text  # type: ignore[union-attr]

        typo = await session.call_tool("get_deployment", {"deployment_id": "old-lama"})
        assert typo.is_error
        assert "nearest: old-llama" in typo.content[0].text  # type: ignore[union-attr]
        assert "coder-chat" not in typo.content[0].text, "the nearest ids, not every id"  # type: ignore[union-attr]

        details = await _call(session, "get_deployment", deployment_id="old-llama")
        assert details["evidence"]["summary"] == "unverified"
        assert [(c["claim"], c["state"]) for c in details["claims"]] == [("endpoint:chat", "stale")]

        compared = await _call(session, "compare_deployments", deployment_ids=["coder-chat", "coder-fim"])
        assert compared["deployments"]["coder-chat"]["evidence"] == "failing"
        assert compared["deployments"]["coder-fim"]["evidence"] == "verified"
        assert "evidence" in compared["differ"] and "fleet" not in compared["differ"]

        changed = await _call(session, "claims_changed_since", since="2026-11-19")
        assert {(c["deployment"], c["claim"], c["was"], c["now"]) for c in changed["changes"]} >= {
            ("coder-chat", "latency", "passing", "not passing"),
            ("coder-fim", "endpoint:fim", "never probed", "passing"),
        }


async def test_llms_txt_and_catalog_json_are_resources(site: Path) -> None:
    async with stdio_client(_params(site)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        uris = {str(r.uri) for r in (await session.list_resources()).resources}
        assert uris == {"catalog://llms.txt", "catalog://catalog.json"}
        llms = (await session.read_resource("catalog://llms.txt")).contents[0]
        assert llms.text == (site / "llms.txt").read_text()  # type: ignore[union-attr]
        catalog = (await session.read_resource("catalog://catalog.json")).contents[0]
        data = json.loads(catalog.text)  # type: ignore[union-attr]
        assert data["deployments"]["coder-fim"]["evidence_summary"]["state"] == "verified"


def test_each_call_answers_from_the_evidence_and_the_day_of_the_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt
    import shutil

    from catalog.evidence_folder import Evidence
    from catalog.loader import load_catalog
    from mcp_server.server import CatalogView

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    view = CatalogView(load_catalog(FIXTURES / "small-catalog"), Evidence(), dt.date(2026, 1, 1), evidence)
    view.refresh()
    assert view.details("coder-fim")["evidence"]["summary"] == "unverified", "nothing probed yet"
    shutil.copytree(FIXTURES / "every-state-evidence", evidence, dirs_exist_ok=True)
    view.refresh()
    assert view.details("coder-fim")["evidence"]["summary"] == "verified", "a probe run since the last call"
    judged = view.judged
    view.refresh()
    assert view.judged is judged, "nothing changed: the view is not judged again"
    # 30 days on, the same evidence is older than the deployment's stale_after_days.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(SOURCE_DATE_EPOCH) + 30 * 86400))
    view.refresh()
    assert view.details("coder-fim")["evidence"]["summary"] == "unverified"
    assert view.details("coder-fim")["availability"] == {
        "7d": {"runs": 0, "answered": 0, "share": None},
        "30d": {"runs": 0, "answered": 0, "share": None},
    }
