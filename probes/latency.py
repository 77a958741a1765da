"""Latency under a small fixed workload, in GuideLLM's vocabulary (ttft, itl, e2e, attainment).

Every request streams, so time to first token is observed, not inferred:

* ttft: request sent -> first chunk carrying generated text;
* itl: (last token chunk - first token chunk) / (output tokens - 1), per request;
* e2e: request sent -> stream finished.

The prompt is sized to ``prompt_tokens`` by asking the server how many tokens two trial prompts
make (``usage.prompt_tokens``) and interpolating, so chat templates and tokenizers of any size land
close to the target. ``ignore_eos`` (a vLLM extension) keeps every answer ``output_tokens`` long;
servers that reject it are measured without it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from catalog.evidence import Status
from probes.checks import CheckResult, Context
from probes.client import ClaimFailed, ProbeOutcome, Unreachable

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


@dataclass(frozen=True)
class Workload:
    """The fixed load a latency check applies."""

    requests: int = 20
    prompt_tokens: int = 64
    output_tokens: int = 16
    concurrency: int = 2

    def __post_init__(self) -> None:
        if min(self.requests, self.prompt_tokens, self.output_tokens, self.concurrency) < 1:
            raise ValueError(f"every workload number must be at least 1: {self}")

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Sample:
    ttft_ms: float
    e2e_ms: float
    itl_ms: float | None
    output_tokens: int
    prompt_tokens: int | None


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), ``q`` in [0, 100]."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _prompt(words: int) -> str:
    return " ".join(_WORDS[i % len(_WORDS)] for i in range(max(1, words)))


class _Endpoint:
    """Streaming or one-shot requests against chat or completions, whichever the deployment claims."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.chat = "completions" not in ctx.target.endpoints
        self.path = "/chat/completions" if self.chat else "/completions"
        self.ignore_eos = True

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

    async def prompt_tokens(self, prompt: str) -> int | None:
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

    async def calibrate(self, target_tokens: int) -> tuple[str, int | None]:
        """A prompt of about ``target_tokens`` tokens, and the count the server reported for it."""
        small, large = 8, 32
        at_small = await self.prompt_tokens(_prompt(small))
        at_large = await self.prompt_tokens(_prompt(large))
        if at_small is None or at_large is None or at_large <= at_small:
            return _prompt(target_tokens), None
        per_word = (at_large - at_small) / (large - small)
        words = max(1, round(small + (target_tokens - at_small) / per_word))
        prompt = _prompt(words)
        return prompt, await self.prompt_tokens(prompt)

    async def sample(self, prompt: str, output_tokens: int) -> Sample:
        result = await self.ctx.client.stream(self.path, self.body(prompt, output_tokens, stream=True))
        token_times: list[float] = []
        usage: dict[str, Any] = {}
        for at, chunk in result.chunks():
            if isinstance(chunk.get("usage"), dict):
                usage = chunk["usage"]
            for choice in chunk.get("choices") or []:
                text = choice.get("text") if not self.chat else (choice.get("delta") or {}).get("content")
                if text:
                    token_times.append(at)
        if not result.done:
            raise ClaimFailed("stream ended without data: [DONE]")
        if not token_times:
            raise ClaimFailed("stream carried no generated text")
        tokens = usage.get("completion_tokens") if isinstance(usage.get("completion_tokens"), int) else None
        n_tokens = tokens if tokens is not None else len(token_times)
        itl = (token_times[-1] - token_times[0]) * 1000 / (n_tokens - 1) if n_tokens > 1 else None
        prompt_tokens = usage.get("prompt_tokens")
        return Sample(
            ttft_ms=(token_times[0] - result.started) * 1000,
            e2e_ms=(result.finished - result.started) * 1000,
            itl_ms=itl,
            output_tokens=n_tokens,
            prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
        )


def _stats(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        # The mean is what a server's own histogram (sum / count) can be compared with exactly.
        "mean": round(sum(values) / len(values), 2),
        "n": len(values),
    }


_METRIC_OF = {"ttft_p95_ms": "ttft_ms", "itl_p95_ms": "itl_ms", "e2e_p95_ms": "e2e_ms"}


async def measure(ctx: Context, workload: Workload) -> tuple[CheckResult, dict[str, Any] | None]:
    """Run the workload; return the ``latency`` record's result and the evidence ``latency`` section.

    The record's value is the ttft p95 in ms (what the history keeps); the other p95s and what was
    actually sent (measured prompt and output tokens, endpoint, ignore_eos) ride in ``details``.
    """
    endpoint = _Endpoint(ctx)
    prompt, measured_prompt = await endpoint.calibrate(workload.prompt_tokens)
    semaphore = asyncio.Semaphore(workload.concurrency)
    started = time.perf_counter()

    async def one() -> Sample | ProbeOutcome:
        async with semaphore:
            try:
                return await endpoint.sample(prompt, workload.output_tokens)
            except ProbeOutcome as exc:
                return exc

    outcomes = await asyncio.gather(*(one() for _ in range(workload.requests)))
    elapsed = time.perf_counter() - started
    samples = [o for o in outcomes if isinstance(o, Sample)]
    failures = [o for o in outcomes if isinstance(o, ProbeOutcome)]
    if not samples:
        first = failures[0]
        raise type(first)(f"all {workload.requests} requests failed; first: {first.reason}")

    series: dict[str, list[float]] = {
        "ttft_ms": [s.ttft_ms for s in samples],
        "itl_ms": [s.itl_ms for s in samples if s.itl_ms is not None],
        "e2e_ms": [s.e2e_ms for s in samples],
    }
    targets = dict(ctx.target.slo)
    # A failed request met no target, so it counts in the denominator of every attainment.
    attainment = {
        key: round(sum(v <= target for v in series[_METRIC_OF[key]]) / workload.requests, 4)
        for key, target in targets.items()
    }
    section: dict[str, Any] = {
        "workload": workload.to_json(),
        "ttft_ms": _stats(series["ttft_ms"]),
        "itl_ms": _stats(series["itl_ms"]),
        "e2e_ms": _stats(series["e2e_ms"]),
        "attainment": attainment,
        "targets": targets,
    }
    p95 = {key: (section[metric] or {}).get("p95") for key, metric in _METRIC_OF.items()}
    prompt_counts = [s.prompt_tokens for s in samples if s.prompt_tokens is not None]
    details: dict[str, Any] = {
        **p95,
        "requests_ok": len(samples),
        "endpoint": endpoint.path.lstrip("/"),
        "prompt_tokens_measured": (
            round(sum(prompt_counts) / len(prompt_counts), 1) if prompt_counts else measured_prompt
        ),
        "output_tokens_measured": round(sum(s.output_tokens for s in samples) / len(samples), 1),
        "ignore_eos": endpoint.ignore_eos,
        "requests_per_s": round(len(samples) / elapsed, 2) if elapsed > 0 else None,
    }
    problems: list[str] = []
    if failures:
        problems.append(f"{len(failures)}/{workload.requests} requests failed; first: {failures[0].reason}")
    for key, target in targets.items():
        got = p95[key]
        if got is None:
            problems.append(f"{key} not measurable (answers of one token)")
        elif got > target:
            problems.append(f"{_METRIC_OF[key][:-3]} p95 {got:.1f} ms > target {target:g} ms")
    status: Status
    if any(isinstance(f, Unreachable) for f in failures):
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
