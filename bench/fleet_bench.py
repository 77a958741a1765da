"""A fleet probed serially, by server in parallel, and all at once: time and latency verdicts, in one run.

`python -m bench.fleet_bench [--servers 4] [--per-server 4] [--output bench/results.json]`

Starts `--servers` paced OpenAI-compatible servers on 127.0.0.1 (testbed/paced_server.py: independent of each
other and of this machine's two cores, as servers on different machines are), with `--per-server` deployments
each, every one with the same SLO, and probes the whole fleet three ways with the same workload:

- **serial**: one deployment at a time (`python -m probes run --concurrency 1`);
- **by server**: the servers side by side, each server's deployments one at a time (the default plan,
  `probes/fleet.py`);
- **all at once**: every deployment at the same time, the plan before issue 22, to show what it prevents.

The result says how long each took, the ratio by server / serial, and whether each way judged every
latency claim as the serial run did. Written as the `fleet` section of `--output`, the file `make bench`
fills (the Performance page shows it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.run_bench import RESULTS, write_section
from catalog.claims import Capability, EndpointKind
from catalog.types import BackendKind
from probes.client import Timeouts
from probes.runner import Deadlines, DeploymentResult, probe_deployment, run_probes
from probes.target import ProbeTarget
from probes.workload import Workload

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "fleet"
#: The paced servers' speed: first token after TTFT_MS, the next ones every ITL_MS, SLOTS sequences at once.
TTFT_MS, ITL_MS, SLOTS = 100.0, 10.0, 2
#: A request holds a slot for TTFT_MS + 31 * ITL_MS = 410 ms. One client on an idle server meets these
#: with room for a busy prober's own delays (150 ms of TTFT); a second client on the same server takes
#: the slots half the time, which puts about 200 ms of waiting in front of a first token.
SLO = {"ttft_p95_ms": 250.0, "itl_p95_ms": 50.0, "e2e_p95_ms": 1000.0}
#: The latency verdict is judged at the workload's concurrency; the goodput sweep only reports, so it is
#: left out here to keep the benchmark short.
WORKLOAD = Workload(requests=10, prompt_tokens=32, output_tokens=32, concurrency=SLOTS, goodput=None)
#: The issue's goal: the fleet probed by server in at most a third of the serial time.
TARGET_RATIO = 1 / 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def paced_servers(count: int) -> Iterator[list[str]]:
    """``count`` paced servers, each serving one model; their base URLs."""
    ports = [_free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "testbed.paced_server",
                *("--port", str(port), "--served-name", "paced"),
                *("--slots", str(SLOTS), "--ttft-ms", str(TTFT_MS), "--itl-ms", str(ITL_MS)),
            ],
            cwd=REPO_ROOT,
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}/v1" for port in ports]
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"paced server {url} did not start within 60 s")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def fleet(urls: list[str], per_server: int) -> list[ProbeTarget]:
    """The deployments, listed server after server in turn (as a catalog sorted by name might list them)."""
    return [
        ProbeTarget(
            deployment_id=f"s{s}-d{d}",
            base_url=url,
            health_url=None,
            served_name="paced",
            api_key_env=None,
            endpoints=frozenset({EndpointKind.chat}),
            capabilities=frozenset({Capability.streaming}),
            served_context=None,
            fim_tokens=None,
            slo=SLO,
            engine=BackendKind.openai_compatible,
        )
        for d in range(per_server)
        for s, url in enumerate(urls)
    ]


def _latency(results: list[DeploymentResult]) -> dict[str, str]:
    return {r.target.deployment_id: next(c.status for c in r.records if c.claim == "latency") for r in results}


def _misses(results: list[DeploymentResult]) -> dict[str, str]:
    """Why each failed latency claim failed, in the record's words (which target, what p95)."""
    return {
        r.target.deployment_id: c.reason or ""
        for r in results
        for c in r.records
        if c.claim == "latency" and c.status != "pass"
    }


async def _all_at_once(targets: list[ProbeTarget], evidence_dir: Path) -> list[DeploymentResult]:
    """Every deployment at the same time, whatever server it is on: what `--concurrency N` did before."""
    return list(
        await asyncio.gather(
            *(
                probe_deployment(
                    t,
                    run_id="all-at-once",
                    evidence_dir=evidence_dir,
                    workload=WORKLOAD,
                    suites=[],
                    timeouts=Timeouts(),
                    progress=None,
                    deadlines=Deadlines(),
                )
                for t in targets
            )
        )
    )


def measure(servers: int, per_server: int) -> dict[str, Any]:
    ways: dict[str, dict[str, Any]] = {}
    with paced_servers(servers) as urls, tempfile.TemporaryDirectory(prefix="fleet-bench-") as work:
        targets = fleet(urls, per_server)
        for way in ("serial", "by_server", "all_at_once"):
            evidence_dir = Path(work) / way
            started = time.perf_counter()
            if way == "all_at_once":
                results = asyncio.run(_all_at_once(targets, evidence_dir))
            else:
                concurrency = 1 if way == "serial" else servers
                summary = asyncio.run(
                    run_probes(
                        targets, evidence_dir=evidence_dir, concurrency=concurrency, workload=WORKLOAD, suites=[]
                    )
                )
                results = summary.results
            seconds = time.perf_counter() - started
            latency = _latency(results)
            ways[way] = {
                "seconds": round(seconds, 2),
                "latency_pass": sum(1 for s in latency.values() if s == "pass"),
                "latency": latency,
                "misses": _misses(results),
            }
    serial = ways["serial"]
    for way in ("by_server", "all_at_once"):
        ways[way]["ratio_to_serial"] = round(ways[way]["seconds"] / serial["seconds"], 3)
        ways[way]["same_verdicts_as_serial"] = ways[way]["latency"] == serial["latency"]
    return {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
        "servers": servers,
        "deployments": servers * per_server,
        "server_pace": {"ttft_ms": TTFT_MS, "itl_ms": ITL_MS, "slots": SLOTS},
        "slo": SLO,
        "workload": WORKLOAD.to_json(),
        "target_ratio": round(TARGET_RATIO, 3),
        "ways": ways,
    }


def report(result: dict[str, Any]) -> str:
    ways = result["ways"]
    lines = [f"{result['deployments']} deployments on {result['servers']} paced loopback servers"]
    for way, shown in (("serial", "serial"), ("by_server", "by server"), ("all_at_once", "all at once")):
        data = ways[way]
        ratio = f", {data['ratio_to_serial']:.2f}x serial" if "ratio_to_serial" in data else ""
        same = ""
        if "same_verdicts_as_serial" in data:
            same = ", same latency verdicts" if data["same_verdicts_as_serial"] else ", DIFFERENT latency verdicts"
        lines.append(
            f"  {shown:12} {data['seconds']:7.1f} s{ratio}; latency passes {data['latency_pass']}/"
            f"{result['deployments']}{same}"
        )
    met = ways["by_server"]["ratio_to_serial"] <= TARGET_RATIO and ways["by_server"]["same_verdicts_as_serial"]
    lines.append(f"  goal (by server <= 1/3 of serial, same verdicts): {'met' if met else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--per-server", type=int, default=4)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = measure(args.servers, args.per_server)
    write_section(args.output, SECTION, result)
    print(report(result))


if __name__ == "__main__":
    main()
