"""Every way a deployment can misbehave is recorded with a reason, and the run goes on to the next one.

Faults come from real sources: a closed port, an unresolvable name, a listener whose backlog is full,
a real vLLM server killed mid-run, and a proxy that corrupts, truncates, slows or withholds the real
server's answers (testbed/fault_proxy.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.evidence import ClaimRecord as Record
from catalog.evidence import read_history
from probes import checks
from probes.client import Timeouts
from probes.runner import DeploymentResult, run_probes
from probes.target import ProbeTarget
from probes.workload import Workload
from testbed.fault_proxy import Fault, FaultProxy
from testbed.vllm_server import VllmServer, free_port
from tests.probes.conftest import target_for

pytestmark = pytest.mark.vllm

#: Every run here probes the real tiny vLLM server too (the good neighbour, and the faulty deployment's
#: untouched paths), whose honest answers must come well within these limits even on a busy 2-core machine
#: (idle, a check takes well under a second). The injected faults are far beyond them: a hang never answers,
#: the drip below needs minutes for one answer, and a full backlog never completes the connection.
FAST = Timeouts(connect=5.0, read=10.0, request=30.0)


def _records(result: DeploymentResult) -> dict[str, Record]:
    return {r.claim: r for r in result.records}


def _healthy(result: DeploymentResult) -> None:
    """Every claim holds ("info" is latency measured without targets)."""
    expected = {r.claim: "info" if r.claim == "latency" else "pass" for r in result.records}
    assert {r.claim: r.status for r in result.records} == expected


@pytest.fixture
def full_backlog_port() -> Iterator[int]:
    """A listener that never accepts, with its backlog already full: new SYNs go unanswered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    server.close()


@dataclass(frozen=True)
class Case:
    name: str
    claim: str
    status: str
    reason: str  # regex, matched against the whole reason


def _chat_only(base_url: str, name: str) -> ProbeTarget:
    return target_for(base_url, name, endpoints=frozenset({"chat"}), capabilities=frozenset(), served_context=None)


async def _run_with_good_neighbour(
    faulty: ProbeTarget, vllm_server: VllmServer, tmp_path: Path, timeouts: Timeouts = FAST
) -> tuple[dict[str, Record], DeploymentResult]:
    good = _chat_only(vllm_server.base_url, "good-neighbour")
    summary = await run_probes(
        [faulty, good], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[], timeouts=timeouts
    )
    _healthy(summary.results[1])
    assert (tmp_path / "good-neighbour.json").exists()
    return _records(summary.results[0]), summary.results[0]


CONNECT_CASES = [
    Case("closed-port", "health", "error", r"GET /health: connection refused \(127\.0\.0\.1:\d+\)"),
    Case("unknown-host", "health", "error", r"GET /health: DNS lookup failed for probe-target\.invalid:8000 \(.+\)"),
    Case("connect-timeout", "health", "error", r"GET /health: connect timeout after 5 s"),
]


@pytest.mark.parametrize("case", CONNECT_CASES, ids=lambda c: c.name)
async def test_connection_level_faults(
    case: Case, vllm_server: VllmServer, tmp_path: Path, full_backlog_port: int
) -> None:
    base = {
        "closed-port": f"http://127.0.0.1:{free_port()}/v1",
        "unknown-host": "http://probe-target.invalid:8000/v1",
        "connect-timeout": f"http://127.0.0.1:{full_backlog_port}/v1",
    }[case.name]
    records, result = await _run_with_good_neighbour(_chat_only(base, case.name), vllm_server, tmp_path)
    assert records[case.claim].status == case.status
    assert re.fullmatch(case.reason, records[case.claim].reason or ""), records[case.claim].reason
    # The API host is the same one, so the remaining checks say why they were not attempted.
    assert records["served-name"].status == "error"
    assert (records["endpoint:chat"].reason or "").startswith("not attempted: GET /health: ")
    assert result.evidence_file is not None and json.loads(result.evidence_file.read_text())["records"]


PROXY_CASES = [
    Case("http-503", "endpoint:chat", "fail", r"HTTP 503 from POST /v1/chat/completions: injected upstream failure"),
    Case("http-500-models", "served-name", "fail", r"HTTP 500 from GET /v1/models: injected upstream failure"),
    Case(
        "malformed-json",
        "endpoint:chat",
        "fail",
        r"HTTP 200 from POST /v1/chat/completions but the body is not JSON: '.*'",
    ),
    Case(
        "truncated-body",
        "endpoint:chat",
        "error",
        r"POST /v1/chat/completions: response truncated, server closed the connection \(.*\)",
    ),
    Case(
        "truncated-stream",
        "capability:streaming",
        "error",
        r"POST /v1/chat/completions: response truncated, server closed the connection \(.*incomplete chunked read.*\)",
    ),
    Case(
        "corrupt-sse-event",
        "capability:streaming",
        "fail",
        r"POST /v1/chat/completions stream is malformed: \d+ of \d+ data lines are not JSON, first: '\[\"id\".*",
    ),
    Case(
        "stream-without-done",
        "capability:streaming",
        "fail",
        r"POST /v1/chat/completions stream is malformed: the stream ended without data: \[DONE\]",
    ),
    Case("read-timeout", "endpoint:chat", "error", r"POST /v1/chat/completions: read timeout, no data for 10 s"),
    Case(
        "drip",
        "endpoint:chat",
        "error",
        r"POST /v1/chat/completions: no complete response within the 30 s request deadline",
    ),
]

PROXY_FAULTS = {
    "http-503": {"/v1/chat/completions": Fault("status", code=503)},
    "http-500-models": {"/v1/models": Fault("status", code=500)},
    "malformed-json": {"/v1/chat/completions": Fault("malformed-json")},
    "truncated-body": {"/v1/chat/completions": Fault("truncate", after_bytes=100)},
    "truncated-stream": {"/v1/chat/completions": Fault("truncate", after_bytes=300)},
    # Same-length rewrites of the real stream: the first event's JSON opens with "[", and the final
    # "data: [DONE]" becomes an SSE comment line, which a client must ignore.
    "corrupt-sse-event": {"/v1/chat/completions": Fault("rewrite", old=b'data: {"id"', new=b'data: ["id"')},
    "stream-without-done": {"/v1/chat/completions": Fault("rewrite", old=b"data: [DONE]", new=b": no [DONE] ")},
    "read-timeout": {"/v1/chat/completions": Fault("hang")},
    # A byte every 0.25 s: 40 times inside the read timeout, and a chat answer of some hundreds of bytes takes
    # minutes, several times the request deadline.
    "drip": {"/v1/chat/completions": Fault("drip", chunk=1, interval=0.25)},
}


@pytest.mark.parametrize("case", PROXY_CASES, ids=lambda c: c.name)
async def test_faults_injected_into_real_responses(
    case: Case, vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    fault_proxy.faults = PROXY_FAULTS[case.name]
    claims = {"streaming"} if case.claim == "capability:streaming" else set()
    faulty = target_for(
        fault_proxy.base_url,
        case.name,
        endpoints=frozenset() if claims else frozenset({"chat"}),
        capabilities=frozenset(claims),
        served_context=None,
    )
    records, _ = await _run_with_good_neighbour(faulty, vllm_server, tmp_path)
    record = records[case.claim]
    assert (record.status, record.claim) == (case.status, case.claim)
    assert re.fullmatch(case.reason, record.reason or ""), record.reason
    injected = {path for path, kind in fault_proxy.log if kind != "pass"}
    assert injected == set(PROXY_FAULTS[case.name]), "the fault was never exercised"
    if case.claim != "health":
        assert records["health"].status == "pass", "untouched paths still pass through the proxy"


async def test_server_killed_mid_run(doomed_vllm_server: VllmServer, vllm_server: VllmServer, tmp_path: Path) -> None:
    doomed = target_for(doomed_vllm_server.base_url, "doomed")
    survivor = _chat_only(vllm_server.base_url, "survivor")
    killed_after: list[str] = []

    class KillAfterChat:
        def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None:
            pass

        def record_done(self, target: ProbeTarget, record: Record) -> None:
            if target.deployment_id == "doomed" and record.claim == "endpoint:chat":
                doomed_vllm_server.kill()
                killed_after.append(record.claim)

        def deployment_finished(self, result: DeploymentResult) -> None:
            pass

    summary = await run_probes(
        [doomed, survivor],
        evidence_dir=tmp_path,
        concurrency=1,
        workload=Workload(requests=4, prompt_tokens=16, output_tokens=4, concurrency=2),
        suites=[],
        timeouts=FAST,
        progress=KillAfterChat(),
    )
    assert killed_after == ["endpoint:chat"]
    records = summary.results[0].records
    claims = [r.claim for r in records]
    before, after = records[: claims.index("endpoint:chat") + 1], records[claims.index("endpoint:chat") + 1 :]
    assert [(r.claim, r.status, r.reason) for r in before if r.status != "pass"] == []
    assert [r.claim for r in after] == [
        "endpoint:completions",
        "endpoint:fim",
        "capability:streaming",
        "capability:tools",
        "capability:structured-output",
        "latency",
    ]
    assert all(r.status == "error" for r in after)
    assert re.fullmatch(r"POST /v1/completions: connection refused \(127\.0\.0\.1:\d+\)", after[0].reason or "")
    assert all(
        (r.reason or "").startswith("not attempted: POST /v1/completions: connection refused") for r in after[1:]
    )
    _healthy(summary.results[1])
    assert summary.exit_code == 2
    evidence = json.loads((tmp_path / "doomed.json").read_text())
    assert [r["status"] for r in evidence["records"]] == [r.status for r in records]


async def test_a_crash_in_the_probes_keeps_previous_evidence(
    vllm_server: VllmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _chat_only(vllm_server.base_url, "crashy")
    neighbour = target_for(
        vllm_server.base_url, "neighbour", endpoints=frozenset({"completions"}), capabilities=frozenset()
    )
    first = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    _healthy(first.results[0])
    previous = (tmp_path / "crashy.json").read_bytes()

    async def buggy_check(ctx: checks.Context) -> checks.CheckResult:
        raise KeyError("a bug in a check")

    monkeypatch.setitem(checks.CLAIM_CHECKS, "endpoint:chat", buggy_check)
    second = await run_probes([target, neighbour], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    assert second.results[0].crash == "probing crashed, previous evidence kept: KeyError: 'a bug in a check'"
    assert second.results[0].evidence_file is None
    assert (tmp_path / "crashy.json").read_bytes() == previous
    assert second.results[1].crash is None and (tmp_path / "neighbour.json").exists(), "the run went on"
    assert second.exit_code == 2
    last = read_history(tmp_path / "history.jsonl").lines
    crash_lines = [line for line in last if line.claim == "run"]
    assert [(c.run_id, c.deployment, c.status, c.reason) for c in crash_lines] == [
        (second.run_id, "crashy", "error", "probing crashed, previous evidence kept: KeyError: 'a bug in a check'")
    ]


async def test_an_aborted_run_leaves_earlier_results_intact(vllm_server: VllmServer, tmp_path: Path) -> None:
    target = target_for(vllm_server.base_url, "aborted", endpoints=frozenset({"chat"}), capabilities=frozenset())
    await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    previous = (tmp_path / "aborted.json").read_bytes()
    history_before = (tmp_path / "history.jsonl").read_bytes()

    latency_started = asyncio.Event()
    done: list[str] = []

    class WatchForLatency:
        """Tells when every check before the latency check is done, so the latency check is under way."""

        def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None:
            self.before = claims[claims.index("latency") - 1]

        def record_done(self, target: ProbeTarget, record: Record) -> None:
            done.append(record.claim)
            if record.claim == self.before:
                latency_started.set()

        def deployment_finished(self, result: DeploymentResult) -> None:
            pass

    task = asyncio.create_task(
        run_probes(
            [target],
            evidence_dir=tmp_path,
            concurrency=1,
            workload=Workload(requests=400, prompt_tokens=16, output_tokens=64, concurrency=2),
            suites=[],
            progress=WatchForLatency(),
        )
    )
    # Cancel inside the 400-request latency check, which takes minutes: once the check before it is done (a
    # condition, however long a busy machine takes to get there), and a moment more to be well into it.
    await asyncio.wait_for(latency_started.wait(), timeout=600)
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "latency" not in done, "the run was cancelled after the latency check, not inside it"
    assert (tmp_path / "aborted.json").read_bytes() == previous
    assert (tmp_path / "history.jsonl").read_bytes() == history_before
    assert [p.name for p in tmp_path.rglob(".*")] == [], "no temp files left"
