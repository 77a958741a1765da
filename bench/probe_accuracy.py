"""Probe accuracy against a real tiny vLLM server (the one the probe tests use).

1. TTFT: run the probe's latency workload, and read the server's own
   `vllm:time_to_first_token_seconds` histogram from `/metrics` before and after. The
   histogram's sum/count gives the server's exact mean TTFT over the same requests; compare
   it with the probe's mean. Target: within max(2 ms, 5%).
2. Concurrency: K deployments, each behind its own loopback proxy that adds a fixed delay per
   request (standing in for a remote server's network and queueing time, since one tiny CPU
   server cannot serve K deployments in parallel on 2 cores). Probe them one at a time, then
   all at once with `--concurrency K`; target: together <= 1.2x the slowest alone.

Run: `python -m bench.probe_accuracy` (needs .venv-vllm: `make vllm-env`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from pathlib import Path

import httpx

from catalog.claims import Capability, EndpointKind
from probes.latency import Workload
from probes.runner import run_probes
from probes.target import ProbeTarget
from tests.support.fault_proxy import FaultProxy
from tests.support.tiny_model import ensure_tiny_model
from tests.support.vllm_server import launch_vllm

TTFT = "vllm:time_to_first_token_seconds"


def histogram(metrics: str, name: str) -> tuple[float, float]:
    """(sum, count) of a Prometheus histogram, added over all label sets."""
    total = count = 0.0
    for line in metrics.splitlines():
        if match := re.match(rf"^{re.escape(name)}_(sum|count)(?:\{{[^}}]*\}})? ([0-9.eE+-]+)$", line):
            if match.group(1) == "sum":
                total += float(match.group(2))
            else:
                count += float(match.group(2))
    return total, count


def target(base_url: str, deployment_id: str, served_name: str, *, claims: bool = True) -> ProbeTarget:
    return ProbeTarget(
        deployment_id=deployment_id,
        base_url=base_url,
        health_url=None,
        served_name=served_name,
        api_key_env=None,
        # Latency needs a generating endpoint; with claims=False only the completions check joins it.
        endpoints=frozenset(
            {EndpointKind.chat, EndpointKind.completions, EndpointKind.responses}
            if claims
            else {EndpointKind.completions}
        ),
        capabilities=frozenset({Capability.streaming} if claims else ()),
        served_context=1024,
        fim_tokens=None,
        slo={"ttft_p95_ms": 250.0},
    )


async def main_async(requests: int, k: int, delay_s: float) -> dict[str, object]:
    log = Path(tempfile.gettempdir()) / "probe-accuracy-vllm.log"
    server = launch_vllm(ensure_tiny_model(), log_path=log, served_name="tiny", log_stats=True)
    try:
        server.wait_ready()
        with tempfile.TemporaryDirectory() as evidence:
            metrics_url = f"{server.root_url}/metrics"
            # Warm up once so start-up compilation is not in either measurement.
            await run_probes(
                [target(server.base_url, "warm-up", "tiny")],
                evidence_dir=Path(evidence),
                concurrency=1,
                workload=Workload(requests=3, concurrency=1),
                suites=[],
            )
            before = histogram(httpx.get(metrics_url).text, TTFT)
            workload = Workload(requests=requests, concurrency=1)
            # Few claims: besides the workload, only the calibration and one completions check reach the engine.
            summary = await run_probes(
                [target(server.base_url, "accuracy", "tiny", claims=False)],
                evidence_dir=Path(evidence),
                concurrency=1,
                workload=workload,
                suites=[],
            )
            metrics_text = httpx.get(metrics_url).text
            after = histogram(metrics_text, TTFT)
            if after[1] == 0:
                ttft_lines = [line for line in metrics_text.splitlines() if "first_token" in line][:5]
                raise SystemExit(f"no {TTFT} histogram in /metrics; lines mentioning first_token: {ttft_lines}")
            written = summary.results[0].evidence
            latency = written.latency if written else None
            if latency is None or latency.ttft_ms is None:
                raise SystemExit(f"the probe measured no TTFT: {summary.results[0].records}")
            served = after[1] - before[1]
            # Calibration and the other checks also send requests; the histogram sees them all.
            server_mean_ms = (after[0] - before[0]) / served * 1000 if served else float("nan")
            probe_mean_ms = latency.ttft_ms.mean
            gap_ms = probe_mean_ms - server_mean_ms
            allowed = max(2.0, 0.05 * server_mean_ms)

            async def timed(targets: list[ProbeTarget], concurrency: int) -> float:
                started = time.perf_counter()
                await run_probes(
                    targets, evidence_dir=Path(evidence), concurrency=concurrency, workload=None, suites=[]
                )
                return time.perf_counter() - started

            proxies = [FaultProxy(server.port, delay_s=delay_s).start() for _ in range(k)]
            try:
                targets = [target(p.base_url, f"dep-{i}", "tiny") for i, p in enumerate(proxies)]
                alone = [await timed([t], 1) for t in targets]
                together = await timed(targets, k)
            finally:
                for proxy in proxies:
                    proxy.stop()
        return {
            "ttft_probe_mean_ms": round(probe_mean_ms, 2),
            "ttft_server_mean_ms": round(server_mean_ms, 2),
            "ttft_requests_probe": latency.ttft_ms.n,
            "ttft_requests_server_histogram": int(served),
            "ttft_gap_ms": round(gap_ms, 2),
            "ttft_allowed_gap_ms": round(allowed, 2),
            "ttft_within_target": abs(gap_ms) <= allowed,
            "k": k,
            "proxy_delay_s": delay_s,
            "alone_s": [round(a, 2) for a in alone],
            "together_s": round(together, 2),
            "together_over_slowest": round(together / max(alone), 3),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("-k", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each proxy adds per request")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args.requests, args.k, args.delay)), indent=2))


if __name__ == "__main__":
    main()
