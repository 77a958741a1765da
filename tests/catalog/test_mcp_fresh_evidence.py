"""Issue 25's done-when for MCP, over Streamable HTTP with the official SDK client: the server answers from the
evidence folder as it is at each call, with no restart, as a probe run actually lands in it.

tests/catalog/test_mcp_http.py already holds the listing of annotated tools, `isError: true` for an unknown
deployment, and one evidence file copied into an empty folder (under a pinned `SOURCE_DATE_EPOCH`). What this file
adds: a server on the real clock (no `SOURCE_DATE_EPOCH`, as one runs in production) seeing probe runs stamped
*now*; the history lines a run appends to `history.jsonl` (which `claims_changed_since` and availability read),
not only the run's JSON file; a newer run that replaces the file and turns the verdict from verified to failing;
a pick (`pick_deployment`) that follows the evidence as well; and a removed file taking the evidence back.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

from testbed.mcp_http import serving_mcp_http
from tests.site.sitebuild import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"
DEPLOYMENT = "coder-fim"
"""A deployment of the small catalog that the coding chooser picks, with one claim (`endpoint:fim`)."""
CLAIM = "endpoint:fim"


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def land_a_probe_run(evidence: Path, moment: dt.datetime, *, passing: bool) -> None:
    """What `python -m probes run` leaves for one deployment: its evidence file (replacing the last run's) and
    one history line per claim appended to history.jsonl. The file is the fixture's, re-stamped at `moment`."""
    run = json.loads((FIXTURES / "every-state-evidence" / f"{DEPLOYMENT}.json").read_text(encoding="utf-8"))
    run_id = f"{_stamp(moment)}-fresh"
    reason = None if passing else "HTTP 404 from /v1/completions with a FIM prompt"
    run.update(run_id=run_id, started_at=_stamp(moment), finished_at=_stamp(moment + dt.timedelta(seconds=30)))
    (record,) = run["records"]
    assert record["claim"] == CLAIM
    record.update(date=_stamp(moment + dt.timedelta(seconds=1)), status="pass" if passing else "fail", reason=reason)
    line = {
        "claim": CLAIM,
        "date": record["date"],
        "deployment": DEPLOYMENT,
        "format_version": 2,
        "reason": reason,
        "run_id": run_id,
        "status": record["status"],
        "ttft_p95_ms": None,
    }
    target = evidence / f"{DEPLOYMENT}.json"
    written = evidence / f".{DEPLOYMENT}.json.tmp"
    written.write_text(json.dumps(run, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.replace(target)  # as a writer that never leaves a half-written file does
    with (evidence / "history.jsonl").open("a", encoding="utf-8") as history:
        history.write(json.dumps(line, sort_keys=True) + "\n")


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def _ok(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    return result.structured_content


async def _state(client: Client, since: dt.date) -> dict[str, Any]:
    """What an agent sees of the deployment through three tools, in one evidence state."""
    details = await _ok(client, "get_deployment", deployment_id=DEPLOYMENT)
    picks = await _ok(client, "pick_deployment", task="coding", fleet="team")
    (pick,) = [p for f in picks["fleets"] for p in f["picks"] if p["deployment"] == DEPLOYMENT]
    changes = await _ok(client, "claims_changed_since", since=since.isoformat())
    return {
        "summary": details["evidence"]["summary"],
        "last_verified": details["evidence"]["last_verified"],
        "runs_7d": details["availability"]["7d"]["runs"],
        "pick_summary": pick["evidence"]["summary"],
        "changes": [(c["claim"], c["was"], c["now"]) for c in changes["changes"] if c["deployment"] == DEPLOYMENT],
    }


async def test_probe_runs_stamped_now_are_seen_by_the_next_call_without_a_restart(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first, second = now - dt.timedelta(minutes=2), now - dt.timedelta(minutes=1)
    since = first.date() - dt.timedelta(days=2)
    # No SOURCE_DATE_EPOCH, as one runs in production: "today" is the day of each call.
    with serving_mcp_http(FIXTURES / "small-catalog", evidence, log=tmp_path / "server.log", epoch=None) as url:
        async with Client(url) as client:
            assert await _state(client, since) == {
                "summary": "unverified",
                "last_verified": None,
                "runs_7d": 0,
                "pick_summary": "unverified",
                "changes": [],
            }, "nothing probed yet"

            land_a_probe_run(evidence, first, passing=True)
            assert await _state(client, since) == {
                "summary": "verified",
                "last_verified": first.date().isoformat(),
                "runs_7d": 1,
                "pick_summary": "verified",
                "changes": [(CLAIM, "never probed", "passing")],
            }, "the first run, written while the server ran: file and history line"

            land_a_probe_run(evidence, second, passing=False)
            after = await _state(client, since)
            assert after["summary"] == after["pick_summary"] == "failing", "a newer run replaced the file"
            assert after["runs_7d"] == 2, "its history line was read as well"
            assert after["changes"] == [(CLAIM, "never probed", "not passing")]

            (evidence / f"{DEPLOYMENT}.json").unlink()
            (evidence / "history.jsonl").unlink()
            gone = await _state(client, since)
            assert gone["summary"] == "unverified" and gone["runs_7d"] == 0 and not gone["changes"], (
                "evidence removed is evidence no longer shown"
            )


async def test_the_tools_over_http_stay_annotated_and_an_unknown_id_an_error_after_the_evidence_changes(
    tmp_path: Path,
) -> None:
    """The done-when's three checks on one server, in the order an agent meets them: the annotated tools, a tool
    error for an unknown deployment, and a new evidence file, with the tool list unchanged by the new evidence."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    # No SOURCE_DATE_EPOCH, as one runs in production: "today" is the day of each call.
    with serving_mcp_http(FIXTURES / "small-catalog", evidence, log=tmp_path / "server.log", epoch=None) as url:
        async with Client(url) as client:
            before = (await client.list_tools()).tools
            assert before and all(
                t.annotations is not None and t.annotations.read_only_hint and t.annotations.idempotent_hint
                for t in before
            )
            typo = await client.call_tool("get_deployment", {"deployment_id": "coder-fym"})
            assert typo.is_error and DEPLOYMENT in _text(typo)

            land_a_probe_run(evidence, dt.datetime.now(dt.UTC).replace(microsecond=0), passing=True)
            fresh = await _ok(client, "get_deployment", deployment_id=DEPLOYMENT)
            assert fresh["evidence"]["summary"] == "verified"
            after = (await client.list_tools()).tools
            assert [t.model_dump() for t in after] == [t.model_dump() for t in before]
            still = await client.call_tool("get_deployment", {"deployment_id": "coder-fym"})
            assert still.is_error
