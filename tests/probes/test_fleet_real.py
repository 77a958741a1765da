"""A fleet on two real servers (the tiny vLLM and the tiny llama.cpp, both on 127.0.0.1): each server's
deployments are probed one at a time while the two servers are probed together, and two shards run side by
side, merged, give the evidence one serial run gives."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from catalog.claims import Capability, EndpointKind
from catalog.evidence import ClaimRecord
from catalog.types import BackendKind
from probes.client import Timeouts
from probes.fleet import Shard, server_of, shard_targets
from probes.merge import merge_shards
from probes.runner import DeploymentResult, RunSummary, run_probes
from probes.target import ProbeTarget
from probes.workload import Sweep, Workload
from testbed.llamacpp_server import LLAMACPP_CONTEXT, LlamaCppServer
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY_ENV, LLAMACPP_SERVED_NAME, target_for

pytestmark = [pytest.mark.vllm, pytest.mark.llamacpp]

SMALL_LOAD = Workload(requests=6, prompt_tokens=32, output_tokens=8, concurrency=2, goodput=Sweep(levels=(1,)))
#: Loose: the claim under test is that both runs judge alike, not that a busy 2-core machine is fast.
SLO = {"ttft_p95_ms": 60_000, "itl_p95_ms": 60_000, "e2e_p95_ms": 60_000}
#: As loose: in CI two CPU hogs, vLLM and llama.cpp share two cores, and a read can wait long.
PATIENT = Timeouts(read=120.0, request=300.0)


class Timeline:
    """When each deployment's probing started and finished (the run's Progress hooks)."""

    def __init__(self) -> None:
        self.spans: dict[str, list[float]] = {}

    def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None:
        self.spans[target.deployment_id] = [time.monotonic()]

    def record_done(self, target: ProbeTarget, record: ClaimRecord) -> None:
        pass

    def deployment_finished(self, result: DeploymentResult) -> None:
        self.spans[result.target.deployment_id].append(time.monotonic())


def overlap(one: list[float], other: list[float]) -> bool:
    return one[0] < other[1] and other[0] < one[1]


@pytest.fixture
def fleet(vllm_server: VllmServer, llamacpp_server: LlamaCppServer) -> list[ProbeTarget]:
    on_vllm = [target_for(vllm_server.base_url, f"vllm-{n}", slo=SLO) for n in range(3)]
    llama = ProbeTarget(
        deployment_id="llama-0",
        base_url=llamacpp_server.base_url,
        health_url=None,
        served_name=LLAMACPP_SERVED_NAME,
        api_key_env=API_KEY_ENV,
        endpoints=frozenset({EndpointKind.chat}),
        capabilities=frozenset({Capability.streaming}),
        served_context=LLAMACPP_CONTEXT,
        fim_tokens=None,
        slo=SLO,
        engine=BackendKind.llama_cpp,
    )
    on_llama = [replace(llama, deployment_id=f"llama-{n}") for n in range(2)]
    # Interleaved, as a catalog lists them: the plan, not the order, keeps one server's deployments apart.
    return [on_vllm[0], on_llama[0], on_vllm[1], on_llama[1], on_vllm[2]]


def verdicts(summary: RunSummary) -> dict[str, dict[str, str]]:
    return {r.target.deployment_id: {c.claim: c.status for c in r.records} for r in summary.results}


def serving(found: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The verdicts that do not depend on how loaded this machine is (every claim but latency)."""
    return {deployment: {c: s for c, s in claims.items() if c != "latency"} for deployment, claims in found.items()}


async def test_one_server_at_a_time_per_server_and_servers_side_by_side(
    fleet: list[ProbeTarget], tmp_path: Path
) -> None:
    timeline = Timeline()
    summary = await run_probes(
        fleet, evidence_dir=tmp_path, concurrency=4, workload=SMALL_LOAD, suites=[], progress=timeline, timeouts=PATIENT
    )
    assert [r.target.deployment_id for r in summary.results] == [t.deployment_id for t in fleet]
    found = serving(verdicts(summary))
    assert all(status == "pass" for claims in found.values() for status in claims.values()), found
    spans = {t.deployment_id: (server_of(t), timeline.spans[t.deployment_id]) for t in fleet}
    for (a, (server_a, span_a)), (b, (server_b, span_b)) in itertools.combinations(spans.items(), 2):
        if server_a == server_b:
            assert not overlap(span_a, span_b), f"{a} and {b} share {server_a} but were probed at the same time"
    # The first deployment of each server starts at once: the two servers were probed together.
    assert overlap(timeline.spans["vllm-0"], timeline.spans["llama-0"])


async def test_two_shards_side_by_side_merge_into_what_one_serial_run_judges(
    fleet: list[ProbeTarget], tmp_path: Path
) -> None:
    base = tmp_path / "evidence"
    serial = await run_probes(fleet, evidence_dir=base, concurrency=1, workload=SMALL_LOAD, suites=[], timeouts=PATIENT)
    folders = [tmp_path / "shard-1", tmp_path / "shard-2"]
    for folder in folders:
        shutil.copytree(base, folder)
    halves = [shard_targets(fleet, Shard(k, 2)) for k in (1, 2)]
    assert sorted(len(h) for h in halves) == [2, 3]
    sharded = await asyncio.gather(
        *(
            run_probes(half, evidence_dir=folder, concurrency=4, workload=SMALL_LOAD, suites=[], timeouts=PATIENT)
            for half, folder in zip(halves, folders, strict=True)
        )
    )
    merge_shards(base, folders)
    merged_verdicts = {**verdicts(sharded[0]), **verdicts(sharded[1])}
    assert serving(merged_verdicts) == serving(verdicts(serial))
    # Latency was measured in both; where both runs got a verdict (not an error of a starved machine), it agrees.
    for deployment, claims in verdicts(serial).items():
        judged = {claims["latency"], merged_verdicts[deployment]["latency"]} - {"error"}
        assert len(judged) <= 1, (deployment, claims["latency"], merged_verdicts[deployment]["latency"])
    written = {t.deployment_id: json.loads((base / f"{t.deployment_id}.json").read_text())["run_id"] for t in fleet}
    assert written == {r.target.deployment_id: shard.run_id for shard in sharded for r in shard.results}, (
        "each deployment's evidence is its shard's run"
    )
    history = [json.loads(line) for line in (base / "history.jsonl").read_text().splitlines()]
    assert {line["run_id"] for line in history} == {serial.run_id, sharded[0].run_id, sharded[1].run_id}
