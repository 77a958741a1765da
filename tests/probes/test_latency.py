"""Latency as `vllm bench serve` defines it, and the goodput sweep.

The definitions are checked on streams whose chunk timing the test controls (an in-process transport that
sleeps between chunks); the sweep and the prompt sizing run against the real tiny vLLM server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog.evidence import LatencySection
from catalog.evidence_folder import load_evidence
from catalog.loader import load_catalog
from hooks.render.compare import compare_rows
from hooks.render.deployment_card import render_deployment_card
from hooks.site_context import SiteContext
from probes.checks import Context
from probes.client import ClaimFailed, Client, ProbeOutcome, Timeouts, Unreachable
from probes.latency import (
    SLO_OBJECTIVES,
    LatencyProbe,
    Load,
    Sample,
    attainment,
    goodput_level,
    prompt_text,
    section_for,
    share_of,
)
from probes.runner import run_probes
from probes.target import ProbeTarget
from probes.workload import Sweep, Workload
from testbed.vllm_server import VllmServer
from tests.probes.conftest import target_for

# Chunk schedule of the timed stream, in seconds after the request: four chunks with a choice, the first
# of them with empty text (as a byte-level tokenizer's first token often is), then usage, then [DONE].
# Half a second apart, so that each timing can be told from the next chunk's even when a busy machine delivers
# a chunk up to LATE_MS late (the stream and the probe share one event loop, which load can hold up).
CHOICE_AT = (0.25, 0.75, 1.25, 1.75)
USAGE_AT = 2.25
DONE_AT = 2.5
LATE_MS = 400


def _target(endpoints: frozenset[str] = frozenset({"completions"})) -> ProbeTarget:
    return ProbeTarget(
        deployment_id="timed",
        base_url="http://timed.invalid/v1",
        health_url=None,
        served_name="m",
        api_key_env=None,
        endpoints=frozenset(endpoints),  # type: ignore[arg-type]
        capabilities=frozenset(),
        served_context=None,
        fim_tokens=None,
        slo={},
    )


def _sse(data: dict[str, Any] | str) -> bytes:
    return f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()


def _timed_stream(events: list[tuple[float, bytes]]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:
            start = asyncio.get_running_loop().time()
            for at, chunk in events:
                await asyncio.sleep(max(0.0, start + at - asyncio.get_running_loop().time()))
                yield chunk

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    return handler


def _completions_events(*, usage: bool = True) -> list[tuple[float, bytes]]:
    texts = ["", "a", "b", "c"]
    events = [(at, _sse({"choices": [{"index": 0, "text": text}]})) for at, text in zip(CHOICE_AT, texts, strict=True)]
    if usage:
        events.append((USAGE_AT, _sse({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 4}})))
    events.append((DONE_AT, _sse("[DONE]")))
    return events


async def _sample(events: list[tuple[float, bytes]], endpoints: frozenset[str] = frozenset({"completions"})) -> Sample:
    target = _target(endpoints)
    async with Client(target, Timeouts(), transport=httpx.MockTransport(_timed_stream(events))) as client:
        return await LatencyProbe(Context(client, target)).sample(4)


async def test_timings_follow_vllm_bench_serve() -> None:
    sample = await _sample(_completions_events())
    # TTFT: the first chunk with a choice, though its text is empty (the old probe waited for "a", at 0.75 s).
    assert 250 <= sample.ttft_ms < 250 + LATE_MS
    # E2E ends at the last token chunk, not at the usage chunk (2.25 s) or [DONE] (2.5 s).
    assert 1750 <= sample.e2e_ms < 1750 + LATE_MS
    # ITL: every gap between chunks with a choice (four chunks, three gaps of about 500 ms).
    assert len(sample.gaps_ms) == 3 and all(500 - LATE_MS < gap < 500 + LATE_MS for gap in sample.gaps_ms)
    # TPOT: decode time over the tokens after the first, counted by usage.
    assert sample.tpot_ms == pytest.approx((sample.e2e_ms - sample.ttft_ms) / 3)
    assert sum(sample.gaps_ms) == pytest.approx(sample.e2e_ms - sample.ttft_ms)
    assert (sample.output_tokens, sample.prompt_tokens) == (4, 12)


async def test_token_counts_come_from_usage_not_chunks() -> None:
    """A chunk can carry several tokens (a server that merges them for a slow reader): usage decides."""
    events = _completions_events()
    events[4] = (USAGE_AT, _sse({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 7}}))
    sample = await _sample(events)
    assert sample.output_tokens == 7
    assert sample.tpot_ms == pytest.approx((sample.e2e_ms - sample.ttft_ms) / 6)
    assert len(sample.gaps_ms) == 3, "ITL pools the gaps between chunks, however many tokens each carries"


async def test_without_usage_the_chunks_are_counted() -> None:
    sample = await _sample(_completions_events(usage=False))
    assert (sample.output_tokens, sample.prompt_tokens) == (4, None)


async def test_chat_counts_the_role_chunk_as_the_first() -> None:
    """vLLM's chat stream opens with a chunk that carries the role and no content; `vllm bench serve`
    (openai-chat) starts TTFT there, and so do we."""
    deltas = [{"role": "assistant", "content": ""}, {"content": "a"}, {"content": "b"}, {"content": "c"}]
    events = [
        (at, _sse({"choices": [{"index": 0, "delta": delta}]})) for at, delta in zip(CHOICE_AT, deltas, strict=True)
    ]
    events += [(USAGE_AT, _sse({"choices": [], "usage": {"completion_tokens": 3}})), (DONE_AT, _sse("[DONE]"))]
    sample = await _sample(events, frozenset({"chat"}))
    assert 250 <= sample.ttft_ms < 250 + LATE_MS
    assert len(sample.gaps_ms) == 3 and sample.output_tokens == 3


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ([(0.0, _sse({"choices": [], "usage": {"completion_tokens": 0}})), (0.0, _sse("[DONE]"))], "no chunk"),
        ([(0.0, _sse({"choices": [{"text": "a"}]}))], r"without data: \[DONE\]"),
    ],
)
async def test_a_stream_without_tokens_or_end_fails(events: list[tuple[float, bytes]], reason: str) -> None:
    with pytest.raises(ClaimFailed, match=reason):
        await _sample(events)


def _counting_server(template_tokens: int, heavy: str) -> Callable[[httpx.Request], httpx.Response]:
    """Counts a prompt as its words, plus one for each ``heavy`` word (two tokens), plus a template."""

    def handler(request: httpx.Request) -> httpx.Response:
        words = json.loads(request.content)["prompt"].split()
        count = template_tokens + len(words) + sum(word == heavy for word in words)
        return httpx.Response(200, json={"choices": [{"text": "x"}], "usage": {"prompt_tokens": count}})

    return handler


@pytest.mark.parametrize("wanted", [9, 48, 64, 128, 129, 300])
async def test_the_prompt_is_sized_to_the_exact_count(wanted: int) -> None:
    target = _target()
    handler = _counting_server(template_tokens=3, heavy="quick")
    async with Client(target, Timeouts(), transport=httpx.MockTransport(handler)) as client:
        probe = LatencyProbe(Context(client, target))
        await probe.prepare(wanted)
    assert probe.calibrated_tokens == wanted
    words = prompt_text(probe.words, seed=7, pad=probe.pad).split()
    assert 3 + len(words) + words.count("quick") == wanted, "the shuffled prompt counts the same"


def test_each_request_gets_its_own_prompt_of_the_same_words() -> None:
    first, second = prompt_text(40, seed=1, pad=3), prompt_text(40, seed=2, pad=3)
    assert first != second, "no shared first cache block"
    assert sorted(first.split()) == sorted(second.split()) == sorted(prompt_text(40, None, pad=3).split())
    assert first.split()[0] == second.split()[0] == "the", "the first word stays, so the count stays"
    assert prompt_text(40, seed=1, pad=3) == first


def _sample_of(ttft: float, tpot: float | None, e2e: float, gaps: tuple[float, ...] = ()) -> Sample:
    return Sample(ttft_ms=ttft, e2e_ms=e2e, tpot_ms=tpot, gaps_ms=gaps, output_tokens=4, prompt_tokens=12)


def _load(samples: list[Sample], failures: int = 0, concurrency: int = 2, elapsed: float = 2.0) -> Load:
    return Load(
        requests=len(samples) + failures,
        concurrency=concurrency,
        samples=samples,
        failures=[Unreachable("refused")] * failures,
        elapsed_s=elapsed,
    )


def test_attainment_counts_requests_for_ttft_and_e2e_and_gaps_for_itl() -> None:
    load = _load(
        [_sample_of(10, 5, 100, (4.0, 6.0, 30.0)), _sample_of(50, 5, 200, (4.0, 4.0, 4.0))],
        failures=2,
    )
    shares = attainment(load, {"ttft_p95_ms": 20, "itl_p95_ms": 10, "e2e_p95_ms": 150})
    # One of four requests within 20 ms TTFT (the two failures met nothing); five of six gaps within 10 ms.
    assert shares == {"ttft_p95_ms": 0.25, "itl_p95_ms": 0.8333, "e2e_p95_ms": 0.25}
    assert attainment(_load([_sample_of(10, None, 100)]), {"itl_p95_ms": 10}) == {"itl_p95_ms": 0.0}


def test_a_goodput_level_needs_every_objective_for_the_stated_share() -> None:
    objectives = {"ttft_ms": 20.0, "tpot_ms": 6.0, "e2el_ms": 150.0}
    good = _sample_of(10, 5, 100)
    slow_decode = _sample_of(10, 7, 100)
    no_tpot = _sample_of(10, None, 100)
    assert good.meets(objectives) and not slow_decode.meets(objectives) and not no_tpot.meets(objectives)
    assert no_tpot.meets({"ttft_ms": 20.0}), "without a TPOT objective one token is enough"
    level = goodput_level(_load([good] * 19 + [slow_decode], concurrency=4, elapsed=4.0), objectives, 0.95)
    assert level == {
        "concurrency": 4,
        "requests": 20,
        "conforming": 19,
        "attainment": 0.95,
        "goodput_rps": 4.75,
        "passed": True,
    }
    missed = goodput_level(_load([good] * 19, failures=1), objectives, 0.95)
    assert (missed["conforming"], missed["attainment"], missed["passed"]) == (19, 0.95, True)
    missed = goodput_level(_load([good] * 18, failures=2), objectives, 0.95)
    assert (missed["attainment"], missed["passed"]) == (0.9, False)
    assert goodput_level(_load([good], elapsed=0.0), objectives, 0.95)["goodput_rps"] is None


def test_targets_name_their_share_and_objective() -> None:
    assert [share_of(key) for key in ("ttft_p95_ms", "itl_p95_ms", "e2e_p95_ms", "ttft_p50_ms")] == [
        0.95,
        0.95,
        0.95,
        0.5,
    ]
    with pytest.raises(ValueError, match="names no percentile"):
        share_of("ttft_ms")
    assert SLO_OBJECTIVES == {"ttft_p95_ms": "ttft_ms", "itl_p95_ms": "tpot_ms", "e2e_p95_ms": "e2el_ms"}


def test_sweep_bounds() -> None:
    sweep = Sweep()
    assert (sweep.levels, sweep.requests, sweep.budget_s) == ((1, 2, 4, 8), 20, 120.0)
    # No more per level than the workload sends, but always two per stream.
    assert [sweep.requests_at(level, 20) for level in sweep.levels] == [20, 20, 20, 20]
    assert [sweep.requests_at(level, 4) for level in sweep.levels] == [4, 4, 8, 16]
    assert [Sweep(requests=50).requests_at(1, 100)] == [50]
    for bad in ({"levels": ()}, {"levels": (2, 1)}, {"levels": (0, 1)}, {"levels": (1, 1)}, {"requests": 0}):
        with pytest.raises(ValueError, match="sweep"):
            Sweep(**bad)
    with pytest.raises(ValueError, match="sweep"):
        Sweep(budget_s=0)
    assert Workload().goodput == Sweep() and Workload(goodput=None).to_json() == Workload().to_json()


def test_the_section_fits_the_evidence_contract() -> None:
    samples = [_sample_of(10, 5, 100, (4.0, 6.0, 5.0)), _sample_of(30, 7, 130, (6.0, 8.0, 7.0))]
    section = section_for(_load(samples), Workload(requests=2), {"ttft_p95_ms": 20.0})
    parsed = LatencySection.model_validate(section)
    assert parsed.tpot_ms is not None and parsed.tpot_ms.n == 2 and parsed.tpot_ms.mean == 6.0
    assert parsed.itl_ms is not None and parsed.itl_ms.n == 6 and parsed.itl_ms.mean == 6.0
    assert (parsed.prompt_tokens, parsed.output_tokens, parsed.attainment) == (12.0, 4.0, {"ttft_p95_ms": 0.5})
    assert parsed.goodput is None


# -- against the real server --------------------------------------------------------------------------------
SWEPT = Workload(requests=4, prompt_tokens=32, output_tokens=4, concurrency=2, goodput=Sweep(levels=(1, 2, 4)))


@pytest.mark.vllm
async def test_goodput_sweep_finds_the_highest_level_within_the_slo(vllm_server: VllmServer, tmp_path: Path) -> None:
    loose = target_for(
        vllm_server.base_url,
        "loose",
        endpoints=frozenset({"completions"}),
        capabilities=frozenset(),
        slo={"ttft_p95_ms": 60_000, "itl_p95_ms": 60_000, "e2e_p95_ms": 60_000},
    )
    tight = target_for(
        vllm_server.base_url,
        "tight",
        endpoints=frozenset({"completions"}),
        capabilities=frozenset(),
        slo={"e2e_p95_ms": 0.001},
    )
    summary = await run_probes([loose, tight], evidence_dir=tmp_path, concurrency=1, workload=SWEPT, suites=[])
    loose_goodput = json.loads((tmp_path / "loose.json").read_text())["latency"]["goodput"]
    levels = loose_goodput.pop("levels")
    assert loose_goodput == {
        "objectives": {"ttft_ms": 60_000.0, "tpot_ms": 60_000.0, "e2el_ms": 60_000.0},
        "target_attainment": 0.95,
        "max_concurrency": 4,
        "goodput_rps": levels[-1]["goodput_rps"],
        "stop_reason": "all_passed",
        "budget_s": 120.0,
    }
    # Level 2 is the main workload's (4 requests at concurrency 2), not run again; level 4 sends two per stream.
    assert [(lv["concurrency"], lv["requests"], lv["conforming"], lv["passed"]) for lv in levels] == [
        (1, 4, 4, True),
        (2, 4, 4, True),
        (4, 8, 8, True),
    ]
    assert all(lv["goodput_rps"] > 0 for lv in levels)
    latency = next(r for r in summary.results[0].records if r.claim == "latency")
    assert latency.details is not None and latency.details["goodput_max_concurrency"] == 4

    tight_goodput = json.loads((tmp_path / "tight.json").read_text())["latency"]["goodput"]
    assert tight_goodput["levels"] == [
        {"concurrency": 1, "requests": 4, "conforming": 0, "attainment": 0.0, "goodput_rps": 0.0, "passed": False}
    ]
    assert (tight_goodput["max_concurrency"], tight_goodput["goodput_rps"], tight_goodput["stop_reason"]) == (
        None,
        None,
        "missed",
    )
    assert tight_goodput["objectives"] == {"e2el_ms": 0.001}


@pytest.mark.vllm
async def test_the_sweep_stops_when_its_budget_is_spent(vllm_server: VllmServer, tmp_path: Path) -> None:
    target = target_for(
        vllm_server.base_url,
        "hurried",
        endpoints=frozenset({"chat"}),
        capabilities=frozenset(),
        slo={"ttft_p95_ms": 60_000},
    )
    workload = Workload(requests=2, prompt_tokens=16, output_tokens=2, concurrency=1, goodput=Sweep(budget_s=1e-6))
    await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=workload, suites=[])
    goodput = json.loads((tmp_path / "hurried.json").read_text())["latency"]["goodput"]
    # Level 1 is the main workload's, so the budget ran out before any request of the sweep's own.
    assert [lv["concurrency"] for lv in goodput["levels"]] == [1]
    assert (goodput["max_concurrency"], goodput["stop_reason"]) == (1, "budget")


@pytest.mark.vllm
async def test_no_sweep_without_targets_or_when_turned_off(vllm_server: VllmServer, tmp_path: Path) -> None:
    plain = target_for(vllm_server.base_url, "plain", endpoints=frozenset({"completions"}), capabilities=frozenset())
    off = target_for(
        vllm_server.base_url,
        "off",
        endpoints=frozenset({"completions"}),
        capabilities=frozenset(),
        slo={"ttft_p95_ms": 1},
    )
    small = Workload(requests=2, prompt_tokens=16, output_tokens=2, concurrency=1)
    await run_probes([plain], evidence_dir=tmp_path, concurrency=1, workload=small, suites=[])
    await run_probes(
        [off], evidence_dir=tmp_path, concurrency=1, workload=Workload(2, 16, 2, 1, goodput=None), suites=[]
    )
    for name in ("plain", "off"):
        latency = json.loads((tmp_path / f"{name}.json").read_text())["latency"]
        assert latency["goodput"] is None
        assert latency["prompt_tokens"] == 16.0 and latency["output_tokens"] == 2.0


def test_failures_are_outcomes_not_exceptions() -> None:
    """A load keeps a failed request as its outcome (so attainment can count it), typed as the probe's."""
    load = _load([], failures=1)
    assert isinstance(load.failures[0], ProbeOutcome) and load.series()["ttft_ms"] == []


# -- what the site shows ------------------------------------------------------------------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _site_with(latency_changes: dict[str, Any]) -> SiteContext:
    """The small catalog, with coder-chat's latency section changed as given."""
    evidence = load_evidence(FIXTURES / "small-evidence")
    run = evidence.latest["coder-chat"]
    assert run.latency is not None
    latency = LatencySection.model_validate({**run.latency.model_dump(), **latency_changes})
    evidence.latest["coder-chat"] = run.model_copy(update={"latency": latency})
    return SiteContext(
        catalog=load_catalog(FIXTURES / "small-catalog"),
        evidence=evidence,
        today=dt.date(2026, 11, 21),
        repo_root=Path(__file__).resolve().parents[2],
    )


GOODPUT = {
    "objectives": {"ttft_ms": 250.0, "tpot_ms": 20.0},
    "target_attainment": 0.95,
    "levels": [
        {"concurrency": 1, "requests": 20, "conforming": 20, "attainment": 1.0, "goodput_rps": 4.25, "passed": True},
        {"concurrency": 2, "requests": 20, "conforming": 19, "attainment": 0.95, "goodput_rps": 7.5, "passed": True},
        {"concurrency": 4, "requests": 20, "conforming": 11, "attainment": 0.55, "goodput_rps": 3.0, "passed": False},
    ],
    "max_concurrency": 2,
    "goodput_rps": 7.5,
    "stop_reason": "missed",
    "budget_s": 120.0,
}


def test_the_card_shows_tpot_the_servers_counts_and_the_goodput_sweep() -> None:
    tpot = {"p50": 9.0, "p95": 12.5, "mean": 9.5, "n": 20}
    card = render_deployment_card(
        _site_with({"tpot_ms": tpot, "prompt_tokens": 64.0, "output_tokens": 16.0, "goodput": GOODPUT}), "coder-chat"
    )
    assert (
        "(64 prompt / 16 output tokens, 64 / 16 as the server counted them, concurrency 2), "
        "timed as `vllm bench serve` times them:"
    ) in card
    assert "| TPOT | 9.0 ms | 12.5 ms | — | — |" in card
    assert (
        "**Goodput**: up to concurrency **2** (7.5 requests/s within the targets), 95% of requests meeting every "
        "target: TTFT ≤ 250 ms, TPOT ≤ 20 ms (the ITL target, per request). "
        "The sweep stopped at the first level that missed."
    ) in card
    assert "| 2 | 20 | 19 | 95% ✓ | 7.5 req/s |" in card
    assert "| 4 | 20 | 11 | 55% ✗ | 3.0 req/s |" in card


def test_a_card_of_older_evidence_shows_no_tpot_and_a_missed_first_level_says_so() -> None:
    older = render_deployment_card(_site_with({}), "coder-chat")
    assert "| TPOT |" not in older and "Goodput" not in older and "as the server counted them" not in older
    none_met = {**GOODPUT, "levels": GOODPUT["levels"][2:], "max_concurrency": None, "goodput_rps": None}
    card = render_deployment_card(_site_with({"goodput": none_met}), "coder-chat")
    assert "**Goodput**: **no level**, 95% of requests meeting every target" in card


def test_compare_shows_the_highest_concurrency_within_the_slo() -> None:
    def row(ctx: SiteContext) -> str:
        return dict(compare_rows(ctx, "coder-chat"))["Goodput (concurrency within SLO)"]

    assert row(_site_with({"goodput": GOODPUT})) == "2 (7.5 req/s)"
    none_met = {**GOODPUT, "levels": GOODPUT["levels"][2:], "max_concurrency": None, "goodput_rps": None}
    assert row(_site_with({"goodput": none_met})) == "none (missed at concurrency 4)"
    assert row(_site_with({})) == "—"
