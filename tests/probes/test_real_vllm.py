"""Probes against a real vLLM server serving the tiny random-weight model.

Outcomes asserted here are what that server really does: the claims it can honour pass, the ones it
cannot fail with the server's own words, and the evals fail their gates because the weights are random.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.evidence import ClaimRecord as Record
from catalog.evidence import read_history
from catalog.verdicts import ClaimInputs, ClaimState, claim_state
from probes.evals import bundled_suites
from probes.runner import run_probes
from probes.target import ProbeTarget
from probes.workload import Sweep, Workload
from testbed.fault_proxy import Fault, FaultProxy
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY_ENV, target_for

pytestmark = pytest.mark.vllm

SMALL_LOAD = Workload(requests=8, prompt_tokens=48, output_tokens=8, concurrency=2, goodput=Sweep(levels=(1, 2)))
# vLLM's refusal of a prompt over its 1024-token limit (its tokenizer stops counting at the limit + 1),
# as recorded: server messages are kept to a 200-character excerpt.
LIMIT_ERROR = (
    "This model's maximum context length is 1024 tokens. However, your prompt contains at least 1025 input "
    "tokens, which exceeds this limit even without any output tokens. Please reduce the length of the i…"
)


def by_claim(records: list[Record]) -> dict[str, Record]:
    return {r.claim: r for r in records}


async def test_claims_the_tiny_server_honours_pass(tiny_target: ProbeTarget, tmp_path: Path) -> None:
    summary = await run_probes([tiny_target], evidence_dir=tmp_path, concurrency=1, workload=SMALL_LOAD)
    records = by_claim(summary.results[0].records)
    must_pass = [
        "health",
        "served-name",
        "context-length",
        "endpoint:chat",
        "endpoint:completions",
        "endpoint:responses",
        "endpoint:fim",
        "capability:streaming",
        "capability:tools",
        "capability:structured-output",
    ]
    assert {c: (records[c].status, records[c].reason) for c in must_pass} == dict.fromkeys(must_pass, ("pass", None))
    # The context was demonstrated, not read off /v1/models: a prompt of 1024 less the margin went
    # through, and one of a token over the limit was refused in the server's own words.
    assert records["context-length"].value == {
        "claimed": 1024,
        "max_model_len": 1024,
        "endpoint": "POST /v1/completions",
        "margin_tokens": 9,
        "accepted_prompt_tokens": 1015,
        "refused_prompt_tokens": 1025,
        "server_error": LIMIT_ERROR,
    }
    assert records["context-length"].unit == "tokens"
    tools_value = records["capability:tools"].value
    assert isinstance(tools_value, dict) and tools_value["arguments"]["city"] in ("Paris", "Berlin", "Tokyo")

    latency = records["latency"]
    assert latency.status == "info" and latency.reason is None, "no SLO targets: measured, not judged"
    assert isinstance(latency.details, dict) and latency.details["requests_ok"] == SMALL_LOAD.requests
    assert latency.value == latency.details["ttft_p95_ms"] and latency.unit == "ms"
    # The prompt was sized through the server's own token counts; ignore_eos held every answer to length.
    assert latency.details["prompt_tokens_measured"] == SMALL_LOAD.prompt_tokens
    assert latency.details["output_tokens_measured"] == SMALL_LOAD.output_tokens

    for suite in bundled_suites():
        record = records[f"eval:{suite.task}"]
        assert record.status == "fail", "random weights cannot pass an eval gate"
        assert record.reason is not None and "below the gate" in record.reason

    data = json.loads((tmp_path / "tiny.json").read_text())
    assert data["server"]["max_model_len"] == 1024
    context = next(r for r in data["records"] if r["claim"] == "context-length")
    assert context["value"]["accepted_prompt_tokens"] == 1015 and context["value"]["refused_prompt_tokens"] == 1025
    assert data["server"]["version"].startswith("vllm-0.32.0")
    lat = data["latency"]
    assert lat["workload"] == {"requests": 8, "prompt_tokens": 48, "output_tokens": 8, "concurrency": 2}
    for metric in ("ttft_ms", "tpot_ms", "e2e_ms"):
        assert 0 < lat[metric]["p50"] <= lat[metric]["p95"]
    assert 0 <= lat["itl_ms"]["p50"] <= lat["itl_ms"]["p95"]
    assert lat["ttft_ms"]["p95"] < lat["e2e_ms"]["p95"]
    # Per request: TTFT, TPOT and E2E once each; ITL pools the gaps between token chunks (7 per answer of
    # 8 tokens, fewer where the server merged tokens into one chunk).
    assert lat["ttft_ms"]["n"] == lat["tpot_ms"]["n"] == lat["e2e_ms"]["n"] == 8
    assert 8 <= lat["itl_ms"]["n"] <= 8 * 7
    assert (lat["prompt_tokens"], lat["output_tokens"]) == (48.0, 8.0), "the server's own counts"
    assert lat["attainment"] == {} and lat["targets"] == {}
    assert lat["goodput"] is None, "no targets, no goodput sweep"
    assert {e["task"] for e in data["evals"]} == {"json-format", "code-small"}
    assert all(e["score"] < e["gate"] and e["n"] >= 8 for e in data["evals"])
    history = read_history(tmp_path / "history.jsonl")
    assert [line.claim for line in history.lines] == [r["claim"] for r in data["records"]]
    assert history.problems == [] and history.damaged == 0
    assert summary.exit_code == 1, "the failed eval gates are failed claims"


async def test_false_claims_fail_with_the_servers_reason(vllm_server: VllmServer, tmp_path: Path) -> None:
    target = target_for(
        vllm_server.base_url,
        "overclaimed",
        endpoints=frozenset({"chat", "embeddings"}),
        capabilities=frozenset({"vision", "reasoning"}),
        served_context=2048,
    )
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    records = by_claim(summary.results[0].records)
    assert records["endpoint:chat"].status == "pass"
    assert (records["endpoint:embeddings"].status, records["endpoint:embeddings"].reason) == (
        "fail",
        "HTTP 404 from POST /v1/embeddings: Not Found",
    )
    # Chat is the claimed text endpoint here, so the prompts are chat messages, counted with the template.
    context = records["context-length"]
    assert (context.status, context.reason) == (
        "fail",
        "catalog claims a context of 2048 tokens but the server's max_model_len is 1024; "
        f"a prompt of 2039 tokens (the claimed 2048 less a margin of 9) got HTTP 400: {LIMIT_ERROR}",
    )
    assert context.value == {
        "claimed": 2048,
        "max_model_len": 1024,
        "endpoint": "POST /v1/chat/completions",
        "margin_tokens": 9,
        "accepted_prompt_tokens": None,
        "refused_prompt_tokens": 1025,
        "server_error": LIMIT_ERROR,
    }
    assert (records["capability:vision"].status, records["capability:vision"].reason) == (
        "fail",
        "HTTP 400 from POST /v1/chat/completions: tiny is not a multimodal model",
    )
    assert records["capability:reasoning"].status == "fail"
    assert "no reasoning content" in (records["capability:reasoning"].reason or "")
    assert summary.exit_code == 1


async def test_wrong_model_name_and_foreign_fim_tokens(vllm_server: VllmServer, tmp_path: Path) -> None:
    wrong_name = target_for(vllm_server.base_url, "wrong-name", served_name="qwen-local", endpoints=frozenset({"chat"}))
    foreign_fim = target_for(
        vllm_server.base_url,
        "codellama-style-fim",
        endpoints=frozenset({"fim"}),
        fim_tokens=("<PRE>", "<SUF>", "<MID>"),
    )
    summary = await run_probes(
        [wrong_name, foreign_fim], evidence_dir=tmp_path, concurrency=2, workload=None, suites=[]
    )
    first = by_claim(summary.results[0].records)
    assert first["served-name"].reason == "GET /v1/models lists ['tiny'], not 'qwen-local'"
    assert first["context-length"].reason == "cannot compare context length: 'qwen-local' is not served"
    assert first["endpoint:chat"].status == "fail"
    assert (first["endpoint:chat"].reason or "").startswith(
        "HTTP 404 from POST /v1/chat/completions: The model `qwen-local` does not exist."
    )
    fim = by_claim(summary.results[1].records)["endpoint:fim"]
    assert fim.status == "fail"
    assert fim.reason is not None and fim.reason.startswith(
        "the served tokenizer does not know the FIM tokens: '<PRE>' ->"
    )


async def test_slo_targets_are_judged_on_p95(vllm_server: VllmServer, tmp_path: Path) -> None:
    loose = target_for(
        vllm_server.base_url,
        "loose-slo",
        endpoints=frozenset({"completions"}),
        capabilities=frozenset(),
        slo={"ttft_p95_ms": 60_000, "itl_p95_ms": 60_000, "e2e_p95_ms": 60_000},
    )
    # No real server answers in a microsecond: this target cannot be met.
    tight = target_for(
        vllm_server.base_url,
        "tight-slo",
        endpoints=frozenset({"chat"}),
        capabilities=frozenset(),
        slo={"ttft_p95_ms": 0.001},
    )
    summary = await run_probes([loose, tight], evidence_dir=tmp_path, concurrency=1, workload=SMALL_LOAD, suites=[])
    loose_latency = by_claim(summary.results[0].records)["latency"]
    tight_latency = by_claim(summary.results[1].records)["latency"]
    assert loose_latency.status == "pass" and loose_latency.reason is None
    assert isinstance(loose_latency.details, dict) and loose_latency.details["endpoint"] == "completions"
    assert tight_latency.status == "fail"
    assert tight_latency.reason is not None and tight_latency.reason.startswith("ttft p95 ")
    assert tight_latency.reason.endswith(" ms > target 0.001 ms")
    assert isinstance(tight_latency.details, dict) and tight_latency.details["endpoint"] == "chat/completions"
    loose_data = json.loads((tmp_path / "loose-slo.json").read_text())["latency"]
    tight_data = json.loads((tmp_path / "tight-slo.json").read_text())["latency"]
    assert loose_data["attainment"] == {"ttft_p95_ms": 1.0, "itl_p95_ms": 1.0, "e2e_p95_ms": 1.0}
    assert tight_data["attainment"] == {"ttft_p95_ms": 0.0}
    assert tight_data["targets"] == {"ttft_p95_ms": 0.001}
    # With targets, the goodput sweep follows: every level passes the loose ones, none the tight one.
    assert (loose_data["goodput"]["max_concurrency"], loose_data["goodput"]["stop_reason"]) == (2, "all_passed")
    assert (tight_data["goodput"]["max_concurrency"], tight_data["goodput"]["stop_reason"]) == (None, "missed")


async def test_api_key_is_enforced_and_checked(
    vllm_server: VllmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBES_WRONG_KEY", "sk-wrong-key-0000")
    monkeypatch.delenv("PROBES_UNSET_KEY", raising=False)
    wrong = target_for(vllm_server.base_url, "wrong-key", api_key_env="PROBES_WRONG_KEY", endpoints=frozenset({"chat"}))
    unset = target_for(vllm_server.base_url, "unset-key", api_key_env="PROBES_UNSET_KEY", endpoints=frozenset({"chat"}))
    right = target_for(vllm_server.base_url, "right-key", api_key_env=API_KEY_ENV, endpoints=frozenset({"chat"}))
    summary = await run_probes([wrong, unset, right], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    wrong_records, unset_records, right_records = (by_claim(r.records) for r in summary.results)
    assert wrong_records["health"].status == "pass", "/health is not behind the key"
    assert wrong_records["endpoint:chat"].status == "fail"
    assert (wrong_records["endpoint:chat"].reason or "").startswith("HTTP 401 from POST /v1/chat/completions")
    assert unset_records["health"].status == "pass"
    assert unset_records["served-name"].status == "error"
    assert unset_records["served-name"].reason == "environment variable PROBES_UNSET_KEY (the API key) is not set"
    assert unset_records["endpoint:chat"].reason == (
        "not attempted: environment variable PROBES_UNSET_KEY (the API key) is not set"
    )
    not_passing = {claim: (r.status, r.reason) for claim, r in right_records.items() if r.status != "pass"}
    assert not not_passing, f"with the right key every claim should hold: {not_passing}"


async def test_context_is_proven_through_chat_too(vllm_server: VllmServer, tmp_path: Path) -> None:
    target = target_for(
        vllm_server.base_url, "chat-context", endpoints=frozenset({"chat"}), capabilities=frozenset(), slo={}
    )
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    context = by_claim(summary.results[0].records)["context-length"]
    assert (context.status, context.reason) == ("pass", None)
    assert isinstance(context.value, dict) and context.value["endpoint"] == "POST /v1/chat/completions"
    # The chat template's own tokens are counted in: the filler alone would overshoot.
    assert (context.value["accepted_prompt_tokens"], context.value["refused_prompt_tokens"]) == (1015, 1025)


async def test_context_without_tokenize_stays_unproven(
    vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """A server that cannot count tokens (no /tokenize, like Ollama or a gateway) cannot prove the claim;
    the site shows such a claim unverified, never verified. A wrong claim still fails on /v1/models."""
    fault_proxy.faults = {"/tokenize": Fault("status", code=404)}
    right = target_for(
        fault_proxy.base_url, "no-tokenize", endpoints=frozenset({"completions"}), capabilities=frozenset()
    )
    wrong = target_for(
        fault_proxy.base_url,
        "no-tokenize-wrong",
        endpoints=frozenset({"completions"}),
        capabilities=frozenset(),
        served_context=2048,
    )
    summary = await run_probes([right, wrong], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    unproven = by_claim(summary.results[0].records)["context-length"]
    assert (unproven.status, unproven.reason) == (
        "info",
        "no request can prove the claimed context of 1024 tokens: POST /tokenize answered HTTP 404 "
        "(injected upstream failure); GET /v1/models reports max_model_len 1024",
    )
    facts = ClaimInputs(probe_status=unproven.status, age_days=0, stale_after_days=14, reported=False)
    assert claim_state(facts) is ClaimState.unverified
    refuted = by_claim(summary.results[1].records)["context-length"]
    assert (refuted.status, refuted.reason) == (
        "fail",
        "catalog claims a context of 2048 tokens but the server's max_model_len is 1024",
    )
    # Without counts nothing long is sent: the only completions are the two endpoint checks' own.
    assert sum(1 for path, _ in fault_proxy.log if path == "/v1/completions") == 2


async def test_a_server_that_takes_more_than_its_limit_fails(
    vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """/v1/models says 1024, but a prompt of 1025 tokens is answered 200 (here: a proxy that turns the
    refusal into a success, as a truncating gateway would). Sizing the prompts took a handful of
    /tokenize calls, not one per token."""
    fault_proxy.faults = {"/v1/completions": Fault("status", code=200)}
    target = target_for(fault_proxy.base_url, "lax", endpoints=frozenset({"completions"}), capabilities=frozenset())
    summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    context = by_claim(summary.results[0].records)["context-length"]
    assert (context.status, context.reason) == (
        "fail",
        "a prompt of 1025 tokens, over the served limit of 1024, was accepted",
    )
    assert isinstance(context.value, dict) and context.value["accepted_prompt_tokens"] == 1015
    assert context.value["refused_prompt_tokens"] is None
    tokenize_calls = sum(1 for path, _ in fault_proxy.log if path == "/tokenize")
    assert 4 <= tokenize_calls <= 6
