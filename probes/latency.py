"""Latency under a small fixed workload, timed the way `vllm bench serve` times it.

Every request streams, and every chunk that carries a choice counts as a token's arrival, whether its
text is empty or not (a byte-level tokenizer often starts with a token that decodes to ""):

* ``ttft_ms``: request sent -> first chunk with a choice;
* ``tpot_ms``: per request, (last such chunk - first such chunk) / (output tokens - 1);
* ``itl_ms``: the gaps between consecutive such chunks, pooled over every request;
* ``e2e_ms``: request sent -> last such chunk (vLLM's E2EL; the trailing usage chunk carries no token).

Token counts come from the server's ``usage`` (``stream_options.include_usage``), never from counting
chunks, unless the server sends no usage. These are vLLM's definitions (``vllm/benchmarks/serve.py``).
GuideLLM names the same per-request quantity differently: its ``inter_token_latency_ms`` is TPOT here,
and its ``time_per_output_token_ms`` includes the first token.

Each request gets its own prompt (the same words, shuffled after the first), so a server's prefix cache
cannot answer one request from another's, as with the random prompts of `vllm bench serve` and GuideLLM.
The prompt is sized to ``prompt_tokens`` through the server's own count (``usage.prompt_tokens`` of
one-token requests), corrected until it lands on the target, so chat templates and tokenizers of any kind
come out right. ``ignore_eos`` (a vLLM extension) keeps every answer ``output_tokens`` long; servers that
reject it are measured without it.

With SLO targets, a bounded concurrency sweep then finds the deployment's goodput (GuideLLM's idea):
the highest concurrency at which the stated share of requests meets every target.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.evidence import Status
from probes.client import ClaimFailed, Client, ProbeOutcome, Unreachable
from probes.context import CheckResult, Context
from probes.workload import Sweep, Workload

_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "the",
    "lazy",
    "dog",
    "while",
    "a",
    "small",
    "model",
    "counts",
    "tokens",
]

#: Catalog SLO key -> the per-request metric it is judged on in attainment and goodput, and the goodput
#: objective's name (vLLM's `--goodput` and GuideLLM's GoodputSLO). The ITL target is judged per request on
#: its TPOT, its mean gap: a request has many gaps but one TPOT, which is how both tools judge decode speed.
SLO_OBJECTIVES: Mapping[str, str] = {"ttft_p95_ms": "ttft_ms", "itl_p95_ms": "tpot_ms", "e2e_p95_ms": "e2el_ms"}
#: Catalog SLO key -> the series whose p95 the target is held against.
_SERIES_OF = {"ttft_p95_ms": "ttft_ms", "itl_p95_ms": "itl_ms", "e2e_p95_ms": "e2e_ms"}


@dataclass(frozen=True)
class Sample:
    """One request's timings, in ms, and the token counts the server reported."""

    ttft_ms: float
    e2e_ms: float
    tpot_ms: float | None
    """None for an answer of one token."""
    gaps_ms: tuple[float, ...]
    """Between consecutive chunks with a choice: this request's share of the pooled ITL."""
    output_tokens: int
    prompt_tokens: int | None

    def meets(self, objectives: Mapping[str, float]) -> bool:
        """Whether every objective (``ttft_ms``, ``tpot_ms``, ``e2el_ms``) holds; no TPOT meets no TPOT target."""
        measured = {"ttft_ms": self.ttft_ms, "tpot_ms": self.tpot_ms, "e2el_ms": self.e2e_ms}
        return all((got := measured[name]) is not None and got <= limit for name, limit in objectives.items())


@dataclass(frozen=True)
class Load:
    """What one run of requests at one concurrency came back with."""

    requests: int
    concurrency: int
    samples: list[Sample]
    failures: list[ProbeOutcome]
    elapsed_s: float

    def series(self) -> dict[str, list[float]]:
        return {
            "ttft_ms": [s.ttft_ms for s in self.samples],
            "tpot_ms": [s.tpot_ms for s in self.samples if s.tpot_ms is not None],
            "itl_ms": [gap for s in self.samples for gap in s.gaps_ms],
            "e2e_ms": [s.e2e_ms for s in self.samples],
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), ``q`` in [0, 100]."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def share_of(slo_key: str) -> float:
    """The share of requests a target is stated for: ``ttft_p95_ms`` -> 0.95."""
    match = re.search(r"_p(\d+)_", slo_key)
    if match is None:
        raise ValueError(f"{slo_key!r} names no percentile")
    return int(match.group(1)) / 100


#: One token in any tokenizer worth the name (a space and a letter): what tops a prompt up to its exact size.
_PAD = "a"


def _words(count: int, pad: int = 0) -> list[str]:
    return [_WORDS[i % len(_WORDS)] for i in range(max(1, count))] + [_PAD] * pad


def prompt_text(words: int, seed: int | None, pad: int = 0) -> str:
    """``words`` filler words and ``pad`` single-token words; with a seed, all but the first shuffled.

    Tokenizers split on spaces before merging, so a shuffle keeps the token count and changes the first
    cache block: no request shares a cached prefix with another.
    """
    chosen = _words(words, pad)
    if seed is not None and len(chosen) > 2:
        rest = chosen[1:]
        random.Random(seed).shuffle(rest)
        chosen = chosen[:1] + rest
    return " ".join(chosen)


class LatencyProbe:
    """Streaming requests against chat or completions, whichever the deployment claims.

    ``prepare()`` sizes the prompt once; ``load()`` then runs any number of requests at a concurrency.
    The benchmark (`bench/probe_accuracy.py`) calls the two apart, so the server's own metrics can be read
    around the load alone.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.chat = "completions" not in ctx.target.endpoints
        self.path = "/chat/completions" if self.chat else "/completions"
        self.ignore_eos = True
        self.words = 1
        self.pad = 0
        self.calibrated_tokens: int | None = None
        # Different on every run, so a second run cannot hit the first one's cached prefixes either.
        self._salt = secrets.randbits(48)
        self._sent = 0

    @property
    def endpoint(self) -> str:
        return self.path.lstrip("/")

    def body(self, prompt: str, max_tokens: int, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.ctx.target.served_name, "max_tokens": max_tokens}
        if self.chat:
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        if self.ignore_eos:
            body["ignore_eos"] = True
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def prompt_tokens(self, words: int, pad: int = 0) -> int | None:
        """The server's count of a prompt of ``words`` words and ``pad`` pads (a one-token request's ``usage``)."""
        prompt = prompt_text(words, None, pad)
        try:
            data = await self.ctx.client.post(self.path, self.body(prompt, 1, stream=False))
        except ClaimFailed as exc:
            if not self.ignore_eos or "ignore_eos" not in exc.reason:
                raise
            self.ignore_eos = False
            data = await self.ctx.client.post(self.path, self.body(prompt, 1, stream=False))
        usage = data.get("usage")
        count = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        return count if isinstance(count, int) else None

    async def prepare(self, target_tokens: int, tries: int = 6) -> None:
        """Size the prompt so the server counts ``target_tokens`` (or as close as ``tries`` counts get).

        Two trial prompts give the tokens per word; guesses are then measured and corrected to the largest
        number of words at or under the target, and single-token pads fill the rest. Without usage counts
        the prompt is ``target_tokens`` words, and ``calibrated_tokens`` stays None.
        """
        small, large = 8, 32
        at_small = await self.prompt_tokens(small)
        at_large = await self.prompt_tokens(large)
        if at_small is None or at_large is None or at_large <= at_small:
            self.words, self.pad, self.calibrated_tokens = target_tokens, 0, None
            return
        per_word = (at_large - at_small) / (large - small)
        counts = {small: at_small, large: at_large}
        words = max(1, round(small + (target_tokens - at_small) / per_word))
        for _ in range(tries):
            if words in counts:
                break
            count = await self.prompt_tokens(words)
            if count is None:
                break
            counts[words] = count
            if count == target_tokens:
                break
            step = round((target_tokens - count) / per_word) or (1 if count < target_tokens else -1)
            words = max(1, words + step)
        under = [w for w, c in counts.items() if c <= target_tokens]
        self.words = max(under) if under else min(counts)
        self.pad = 0
        self.calibrated_tokens = counts[self.words]
        for _ in range(2):
            if self.calibrated_tokens >= target_tokens:
                break
            pad = self.pad + target_tokens - self.calibrated_tokens
            count = await self.prompt_tokens(self.words, pad)
            if count is None or count > target_tokens:
                break
            self.pad, self.calibrated_tokens = pad, count

    async def sample(self, output_tokens: int, client: Client | None = None) -> Sample:
        """One streamed request, timed as `vllm bench serve` times it."""
        self._sent += 1
        prompt = prompt_text(self.words, self._salt + self._sent, self.pad)
        result = await (client or self.ctx.client).stream(self.path, self.body(prompt, output_tokens, stream=True))
        arrivals: list[float] = []
        usage: dict[str, Any] = {}
        for at, chunk in result.chunks():
            if chunk.get("choices"):
                arrivals.append(at)
            elif isinstance(chunk.get("usage"), dict):
                usage = chunk["usage"]
        if not result.done:
            raise ClaimFailed("stream ended without data: [DONE]")
        if not arrivals:
            raise ClaimFailed("stream carried no tokens (no chunk with a choice)")
        completion = usage.get("completion_tokens")
        n_tokens = completion if isinstance(completion, int) and completion > 0 else len(arrivals)
        decode_ms = (arrivals[-1] - arrivals[0]) * 1000
        prompt_tokens = usage.get("prompt_tokens")
        return Sample(
            ttft_ms=(arrivals[0] - result.started) * 1000,
            e2e_ms=(arrivals[-1] - result.started) * 1000,
            tpot_ms=decode_ms / (n_tokens - 1) if n_tokens > 1 else None,
            gaps_ms=tuple((later - earlier) * 1000 for earlier, later in itertools.pairwise(arrivals)),
            output_tokens=n_tokens,
            prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
        )

    async def load(self, requests: int, concurrency: int, output_tokens: int, client: Client | None = None) -> Load:
        """``requests`` streamed requests, at most ``concurrency`` in flight (a closed loop, like
        ``--max-concurrency``); a failed request is kept as its outcome, never raised."""
        semaphore = asyncio.Semaphore(concurrency)

        async def one() -> Sample | ProbeOutcome:
            async with semaphore:
                try:
                    return await self.sample(output_tokens, client)
                except ProbeOutcome as exc:
                    return exc

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one() for _ in range(requests)))
        elapsed = time.perf_counter() - started
        return Load(
            requests=requests,
            concurrency=concurrency,
            samples=[o for o in outcomes if isinstance(o, Sample)],
            failures=[o for o in outcomes if isinstance(o, ProbeOutcome)],
            elapsed_s=elapsed,
        )


def stats(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        # The mean is what a server's own histogram (sum / count) can be compared with exactly.
        "mean": round(sum(values) / len(values), 2),
        "n": len(values),
    }


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def attainment(load: Load, targets: Mapping[str, float]) -> dict[str, float]:
    """Share within each target: of requests for TTFT and E2E (a failed request meets none), of the pooled
    token gaps for ITL, as its p95 pools them."""
    series = load.series()
    shares: dict[str, float] = {}
    for key, target in targets.items():
        if key == "itl_p95_ms":
            gaps = series["itl_ms"]
            shares[key] = round(sum(g <= target for g in gaps) / len(gaps), 4) if gaps else 0.0
        else:
            shares[key] = round(sum(v <= target for v in series[_SERIES_OF[key]]) / load.requests, 4)
    return shares


def goodput_level(load: Load, objectives: Mapping[str, float], share: float) -> dict[str, Any]:
    """One sweep level in GuideLLM's terms: attainment is the share of requests meeting every objective
    (a failed request meets none); goodput is those requests per second."""
    conforming = sum(sample.meets(objectives) for sample in load.samples)
    rate = conforming / load.elapsed_s if load.elapsed_s > 0 else None
    return {
        "concurrency": load.concurrency,
        "requests": load.requests,
        "conforming": conforming,
        "attainment": round(conforming / load.requests, 4),
        "goodput_rps": round(rate, 3) if rate is not None else None,
        "passed": conforming / load.requests >= share,
    }


async def sweep(
    probe: LatencyProbe, workload: Workload, plan: Sweep, targets: Mapping[str, float], done: Mapping[int, Load]
) -> dict[str, Any]:
    """Run the levels in order until one misses, every level has run, or the time budget is spent.

    ``done`` holds loads already run (the main workload), reused for their level when they sent enough
    requests. The sweep has its own connection pool, as wide as its highest level, so requests never queue
    in the client.
    """
    objectives = {SLO_OBJECTIVES[key]: value for key, value in targets.items()}
    share = max(share_of(key) for key in targets)
    levels: list[dict[str, Any]] = []
    stop_reason = "all_passed"
    started = time.perf_counter()
    ctx = probe.ctx
    async with Client(ctx.target, ctx.client.timeouts, max_connections=max(plan.levels)) as client:
        for level in plan.levels:
            if levels and time.perf_counter() - started > plan.budget_s:
                stop_reason = "budget"
                break
            wanted = plan.requests_at(level, workload.requests)
            previous = done.get(level)
            load = (
                previous
                if previous is not None and previous.requests >= wanted
                else await probe.load(wanted, level, workload.output_tokens, client)
            )
            levels.append(goodput_level(load, objectives, share))
            if not levels[-1]["passed"]:
                stop_reason = "missed"
                break
    passed = [level for level in levels if level["passed"]]
    best = passed[-1] if passed else None
    return {
        "objectives": objectives,
        "target_attainment": share,
        "levels": levels,
        "max_concurrency": best["concurrency"] if best else None,
        "goodput_rps": best["goodput_rps"] if best else None,
        "stop_reason": stop_reason,
        "budget_s": plan.budget_s,
    }


def section_for(load: Load, workload: Workload, targets: Mapping[str, float]) -> dict[str, Any]:
    """The evidence ``latency`` section of one load (without goodput)."""
    series = load.series()
    return {
        "workload": workload.to_json(),
        "ttft_ms": stats(series["ttft_ms"]),
        "tpot_ms": stats(series["tpot_ms"]),
        "itl_ms": stats(series["itl_ms"]),
        "e2e_ms": stats(series["e2e_ms"]),
        "prompt_tokens": _mean([s.prompt_tokens for s in load.samples if s.prompt_tokens is not None]),
        "output_tokens": _mean([s.output_tokens for s in load.samples]),
        "attainment": attainment(load, targets),
        "targets": dict(targets),
    }


async def measure(ctx: Context, workload: Workload) -> tuple[CheckResult, dict[str, Any] | None]:
    """Run the workload (and, with SLO targets, the goodput sweep); return the ``latency`` record's result
    and the evidence ``latency`` section.

    The record's value is the TTFT p95 in ms (what the history keeps); the other p95s, what was actually
    sent (prompt and output tokens as the server counted them, endpoint, ignore_eos) and the goodput ride
    in ``details``. The record is judged on the p95s at the workload's concurrency; goodput is reported,
    not judged.
    """
    probe = LatencyProbe(ctx)
    await probe.prepare(workload.prompt_tokens)
    load = await probe.load(workload.requests, workload.concurrency, workload.output_tokens)
    if not load.samples:
        first = load.failures[0]
        raise type(first)(f"all {workload.requests} requests failed; first: {first.reason}")

    targets = dict(ctx.target.slo)
    section = section_for(load, workload, targets)
    p95 = {key: (section[series] or {}).get("p95") for key, series in _SERIES_OF.items()}
    details: dict[str, Any] = {
        **{
            f"{name[:-3]}_p95_ms": (section[name] or {}).get("p95")
            for name in ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms")
        },
        "requests_ok": len(load.samples),
        "endpoint": probe.endpoint,
        "prompt_tokens_measured": section["prompt_tokens"] or probe.calibrated_tokens,
        "output_tokens_measured": section["output_tokens"],
        "ignore_eos": probe.ignore_eos,
        "requests_per_s": round(len(load.samples) / load.elapsed_s, 2) if load.elapsed_s > 0 else None,
    }
    if targets and workload.goodput is not None and ctx.client.down is None:
        section["goodput"] = await sweep(probe, workload, workload.goodput, targets, {workload.concurrency: load})
        details["goodput_max_concurrency"] = section["goodput"]["max_concurrency"]
    problems: list[str] = []
    if load.failures:
        problems.append(f"{len(load.failures)}/{workload.requests} requests failed; first: {load.failures[0].reason}")
    for key, target in targets.items():
        got = p95[key]
        if got is None:
            problems.append(f"{key} not measurable (answers of one token)")
        elif got > target:
            problems.append(f"{_SERIES_OF[key][:-3]} p95 {got:.1f} ms > target {target:g} ms")
    status: Status
    if any(isinstance(f, Unreachable) for f in load.failures):
        # The server stopped answering part-way: the numbers describe a partial run.
        status = "error"
    elif problems:
        status = "fail"
    else:
        status = "pass" if targets else "info"
    return (
        CheckResult(status, "; ".join(problems) or None, p95["ttft_p95_ms"], "ms", workload.to_json(), details=details),
        section,
    )
