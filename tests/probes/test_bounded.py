"""Bounded probes: a hostile server costs the run a bounded time and memory, and leaks nothing into evidence.

Each test stands a hostile server (testbed/fault_proxy.py) in front of, or instead of, the real
one and asserts two things: what a maintainer reads in the evidence, and how long the run took. The
timings in the assertions are what the run may cost *after* the fix; the docstrings say what the same
fault cost before it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.evidence import ClaimRecord as Record
from catalog.evidence import read_history
from probes import checks
from probes.client import MAX_BODY_BYTES, Timeouts
from probes.evals import bundled_suites
from probes.runner import Deadlines, DeploymentResult, run_probes
from probes.target import ProbeTarget
from probes.workload import Workload
from testbed.fault_proxy import Fault, FaultProxy
from testbed.tiny_model import REPO_ROOT
from testbed.vllm_server import VllmServer, free_port
from tests.probes.conftest import API_KEY, target_for

#: Against a hostile server with nothing real behind it: only the injected fault has to trip these.
FAST = Timeouts(connect=1.0, read=1.5, request=3.0)
#: Where the real tiny vLLM server answers too: its honest answers must come well within these even on a busy
#: 2-core machine (a chat answer takes well under a second idle), so only the injected hang trips them.
REAL = Timeouts(connect=5.0, read=10.0, request=30.0)
#: A deadline long enough for the checks before the latency check on a busy machine (a few seconds idle), and
#: far shorter than the latency check itself: 4000 requests take many minutes, so the deadline always stops it.
DEADLINE_S = 20
ENDLESS = Workload(requests=4000, prompt_tokens=16, output_tokens=64, concurrency=2)
#: How late a run may end after its deadline on a busy machine: stopping the check and writing the evidence.
STOP_SLACK_S = 10
NO_DEADLINES = Deadlines(deployment=None, run=None)


def closer_to_one_than_to_ten(took: float, each: float) -> bool:
    """Whether a run that took `took` seconds paid one wait of `each` seconds rather than ten (one per check):
    the threshold halfway between leaves seconds of room for a busy machine, and ten waits still fail."""
    return took < (1 + 10) / 2 * each


def _records(result: DeploymentResult) -> dict[str, Record]:
    return {r.claim: r for r in result.records}


def _evidence_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def lone_proxy() -> Iterator[FaultProxy]:
    """A hostile server with nothing behind it: every path must be given a fault that needs no upstream."""
    with FaultProxy(free_port()) as proxy:
        yield proxy


def _everything(base_url: str, name: str) -> ProbeTarget:
    """A target claiming much, so that a fault that is paid once per check would show."""
    return target_for(base_url, name, api_key_env=None)


# -- a whole server that hangs or drips: one timeout, not one per check -----------------------------------
async def test_a_hanging_server_costs_one_read_timeout(lone_proxy: FaultProxy, tmp_path: Path) -> None:
    """Before: every one of the 10 checks waited out its own read timeout (10 x 1.5 s here, 10 x 30 s with
    the defaults)."""
    lone_proxy.default = Fault("hang")
    target = _everything(lone_proxy.base_url, "hangs")
    started = time.perf_counter()
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[], timeouts=FAST)
    took = time.perf_counter() - started
    records = summary.results[0].records
    assert len(records) == 10
    first = "GET /health: read timeout, no data for 1.5 s"
    assert [(r.status, r.reason) for r in records] == [("error", first)] + [("error", f"not attempted: {first}")] * 9
    assert lone_proxy.log == [("/health", "hang")], "nothing else was sent to the hung server"
    assert closer_to_one_than_to_ten(took, FAST.read), f"one read timeout, not ten: {took:.1f} s"
    assert json.loads((tmp_path / "hangs.json").read_text())["records"][1]["reason"] == f"not attempted: {first}"
    assert summary.exit_code == 2


async def test_a_dripping_server_costs_one_request_deadline(lone_proxy: FaultProxy, tmp_path: Path) -> None:
    """A byte every 0.1 s never trips the 1.5 s read timeout (even when a busy machine delays a byte a second);
    the 3 s deadline on the whole request ends it. Before: once per check (10 x 3 s here; 10 x 120 s, some 20
    minutes, with the defaults)."""
    lone_proxy.default = Fault("trickle", interval=0.1)
    target = _everything(lone_proxy.base_url, "drips")
    started = time.perf_counter()
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[], timeouts=FAST)
    took = time.perf_counter() - started
    first = "GET /health: no complete response within the 3 s request deadline"
    assert [(r.status, r.reason) for r in summary.results[0].records] == [("error", first)] + [
        ("error", f"not attempted: {first}")
    ] * 9
    assert closer_to_one_than_to_ten(took, FAST.request), f"one request deadline, not ten: {took:.1f} s"


@pytest.mark.vllm
async def test_a_request_that_hangs_mid_run_keeps_what_was_proven(
    vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """The server stops answering at the chat check: the checks before it keep their passes, the ones
    after it are not attempted, and the whole deployment costs one read timeout more than a good run."""
    fault_proxy.faults = {"/v1/chat/completions": Fault("hang")}
    target = target_for(fault_proxy.base_url, "stops-answering")
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[], timeouts=REAL)
    records = summary.results[0].records
    claims = [r.claim for r in records]
    before, after = records[: claims.index("endpoint:chat")], records[claims.index("endpoint:chat") + 1 :]
    assert [(r.claim, r.status) for r in before] == [
        ("health", "pass"),
        ("served-name", "pass"),
        ("context-length", "pass"),
        ("endpoint:responses", "pass"),
    ]
    assert _records(summary.results[0])["endpoint:chat"].reason == (
        "POST /v1/chat/completions: read timeout, no data for 10 s"
    )
    assert [r.claim for r in after] == [
        "endpoint:completions",
        "endpoint:fim",
        "capability:streaming",
        "capability:tools",
        "capability:structured-output",
    ]
    assert {r.reason for r in after} == {"not attempted: POST /v1/chat/completions: read timeout, no data for 10 s"}
    written = json.loads((tmp_path / "stops-answering.json").read_text())
    assert [r["status"] for r in written["records"]] == [r.status for r in records]
    assert sum(1 for path, _ in fault_proxy.log if path == "/v1/chat/completions") == 1


# -- bodies ----------------------------------------------------------------------------------------------
@pytest.mark.vllm
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_huge_body_fails_without_being_read(
    declared: bool, vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """A 2 GiB `/v1/models`. Before: read whole (about 9 GiB of memory and 70 s for 1 GiB, so some 140 s
    here), and the deployment's other checks and every deployment after it waited."""
    fault_proxy.faults = {"/v1/models": Fault("huge", size=2 * 1024**3, declare_length=declared)}
    target = target_for(fault_proxy.base_url, "huge-models", endpoints=frozenset({"chat"}), capabilities=frozenset())
    good = target_for(vllm_server.base_url, "neighbour", endpoints=frozenset({"chat"}), capabilities=frozenset())
    started = time.perf_counter()
    summary = await run_probes(
        [target, good], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[], timeouts=REAL
    )
    took = time.perf_counter() - started
    records = _records(summary.results[0])
    over = "HTTP 200 from GET /v1/models: response body over 16777216 bytes (16 MiB)"
    expected = f"{over}: it declares {2 * 1024**3} bytes; none read" if declared else f"{over}; stopped reading there"
    assert (records["served-name"].status, records["served-name"].reason) == ("fail", expected)
    assert (records["context-length"].status, records["context-length"].reason) == ("fail", expected)
    assert records["health"].status == "pass" and records["endpoint:chat"].status == "pass"
    assert all(r.status == "pass" for r in summary.results[1].records), "the next deployment was probed as usual"
    # What the proxy managed to hand over before the probe hung up: at most the cap and the socket buffers.
    assert fault_proxy.sent["/v1/models"] < (1 if declared else 2) * MAX_BODY_BYTES
    # A few seconds idle (two deployments' checks against the real server); reading the body would take
    # minutes. The bound leaves room for a busy machine and still fails a run that reads the 2 GiB.
    assert took < 60, f"{took:.1f} s"


# -- secrets ---------------------------------------------------------------------------------------------
@pytest.mark.vllm
async def test_a_key_echoed_across_the_excerpt_cut_leaves_no_piece(
    vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """The error message is cut to 200 characters, and the key echoed in it starts at character 190.
    Before: the key was scrubbed after the cut, so its first 10 characters reached the evidence."""
    prefix = "invalid credentials: "
    pad = 190 - len(prefix) - len("Bearer ")
    fault_proxy.faults = {"/v1/chat/completions": Fault("echo-auth", pad=pad)}
    target = target_for(fault_proxy.base_url, "echoes", endpoints=frozenset({"chat"}), capabilities=frozenset())
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    assert ("/v1/chat/completions", "echo-auth") in fault_proxy.log
    chat = _records(summary.results[0])["endpoint:chat"]
    assert chat.reason == f"HTTP 500 from POST /v1/chat/completions: {prefix}{'x' * pad}Bearer [REDACTED]…"
    written = _evidence_text(tmp_path)
    pieces = {API_KEY[i : i + 8] for i in range(len(API_KEY) - 7)}
    assert not [p for p in pieces if p in written or p in (chat.reason or "")], "a piece of the key leaked"


# -- deadlines -------------------------------------------------------------------------------------------
@pytest.mark.vllm
async def test_the_deployment_deadline_stops_a_long_check_and_keeps_the_rest(
    vllm_server: VllmServer, tmp_path: Path
) -> None:
    """4000 latency requests would take many minutes; a 20 s deployment deadline stops them, records why,
    skips the evals, and still writes what was proven before."""
    target = target_for(
        vllm_server.base_url,
        "slow-workload",
        endpoints=frozenset({"chat"}),
        capabilities=frozenset(),
        served_context=None,
    )
    started = time.perf_counter()
    summary = await run_probes(
        [target],
        evidence_dir=tmp_path,
        concurrency=1,
        workload=ENDLESS,
        suites=bundled_suites(),
        deadlines=Deadlines(deployment=DEADLINE_S, run=None),
    )
    took = time.perf_counter() - started
    records = summary.results[0].records
    assert [(r.claim, r.status) for r in records[:3]] == [
        ("health", "pass"),
        ("served-name", "pass"),
        ("endpoint:chat", "pass"),
    ]
    latency = records[3]
    assert (latency.claim, latency.status) == ("latency", "error")
    assert (latency.reason or "").startswith(
        f"stopped: the deployment deadline ({DEADLINE_S} s) passed during this check, after "
    )
    assert [(r.claim, r.status, r.reason) for r in records[4:]] == [
        (
            f"eval:{s.task}",
            "error",
            f"not checked: the deployment deadline ({DEADLINE_S} s) passed before this check started",
        )
        for s in bundled_suites()
    ]
    assert DEADLINE_S <= took < DEADLINE_S + STOP_SLACK_S, f"{took:.1f} s"
    written = json.loads((tmp_path / "slow-workload.json").read_text())
    assert [(r["claim"], r["status"]) for r in written["records"]] == [(r.claim, r.status) for r in records]
    assert written["latency"] is None and written["evals"] == []


@pytest.mark.vllm
async def test_the_run_deadline_keeps_the_evidence_of_deployments_it_did_not_reach(
    vllm_server: VllmServer, tmp_path: Path
) -> None:
    first = target_for(vllm_server.base_url, "first", endpoints=frozenset({"chat"}), capabilities=frozenset())
    second = target_for(vllm_server.base_url, "second", endpoints=frozenset({"completions"}), capabilities=frozenset())
    await run_probes([second], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    previous = (tmp_path / "second.json").read_bytes()

    started = time.perf_counter()
    summary = await run_probes(
        [first, second],
        evidence_dir=tmp_path,
        concurrency=1,
        workload=ENDLESS,
        suites=[],
        deadlines=Deadlines(deployment=600, run=DEADLINE_S),
    )
    took = time.perf_counter() - started
    assert DEADLINE_S <= took < DEADLINE_S + STOP_SLACK_S, f"{took:.1f} s"
    first_records = _records(summary.results[0])
    assert first_records["endpoint:chat"].status == "pass"
    assert (first_records["latency"].reason or "").startswith(
        f"stopped: the run deadline ({DEADLINE_S} s) passed during this check"
    )
    assert (tmp_path / "first.json").exists()

    reached = summary.results[1]
    note = f"not probed: the run deadline ({DEADLINE_S} s) passed before its turn; previous evidence kept"
    assert reached.not_probed == note and reached.evidence_file is None
    assert {(r.status, r.reason) for r in reached.records} == {
        ("error", f"not checked: the run deadline ({DEADLINE_S} s) passed before this deployment was probed")
    }
    assert [r.claim for r in reached.records] == [
        "health",
        "served-name",
        "context-length",
        "endpoint:completions",
        "latency",
    ]
    assert (tmp_path / "second.json").read_bytes() == previous
    lines = [line for line in read_history(tmp_path / "history.jsonl").lines if line.run_id == summary.run_id]
    assert [
        (line.deployment, line.claim, line.status, line.reason) for line in lines if line.deployment == "second"
    ] == [("second", "run", "error", note)]
    assert summary.exit_code == 2


# -- no paths of this machine ----------------------------------------------------------------------------
async def test_no_absolute_path_of_this_machine_reaches_the_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = tmp_path / "evidence"

    async def leaky(ctx: checks.Context) -> checks.CheckResult:
        raise PermissionError(13, "Permission denied", str(evidence / ".leaky.tmp"))

    async def names_a_file(ctx: checks.Context) -> checks.CheckResult:
        return checks.CheckResult("fail", f"see {REPO_ROOT / 'probes' / 'checks.py'} and {Path.home() / 'x'}")

    monkeypatch.setitem(checks.CLAIM_CHECKS, "health", names_a_file)
    monkeypatch.setitem(checks.CLAIM_CHECKS, "served-name", leaky)
    target = target_for(f"http://127.0.0.1:{free_port()}/v1", "leaky", api_key_env=None)
    summary = await run_probes([target], evidence_dir=evidence, concurrency=1, workload=None, suites=[])
    result = summary.results[0]
    assert result.records[0].reason == "see <repo>/probes/checks.py and ~/x"
    assert result.crash == (
        "probing crashed, previous evidence kept: PermissionError: [Errno 13] Permission denied: '<evidence>/.leaky.tmp'"
    )
    written = _evidence_text(evidence)
    for path in (REPO_ROOT, tmp_path, Path.home()):
        assert str(path) not in written
