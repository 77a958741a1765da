"""The engine adapters' pure parts (catalog/engines.py): URL rules, request shapes, and parsers that take a
server's JSON as hostile. The shapes marked "as llama-server answered" were copied from the real server the
llama.cpp tests start; the others follow each engine's documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog.engines import (
    ENGINES,
    PARTS,
    count_request,
    detect_from_answer,
    detect_from_models,
    engine,
    missing_suffix,
    parse_count,
    root_of,
    served_context_from,
    version_from,
)
from catalog.types import BackendKind
from probes.target import ProbeTarget, target_from_dict, target_to_dict

VLLM = engine("vllm")
LLAMA = engine("llama-cpp")
OLLAMA = engine("ollama")
TEI = engine("tei")

#: `GET /v1/models` as llama-server answered (trimmed): OpenAI `data` with `meta`, plus Ollama-style `models`.
LLAMACPP_MODELS: dict[str, Any] = {
    "models": [{"name": "tiny-gguf", "model": "tiny-gguf"}],
    "object": "list",
    "data": [
        {
            "id": "tiny-gguf",
            "object": "model",
            "owned_by": "llamacpp",
            "meta": {"n_ctx": 512, "n_ctx_train": 4096, "n_vocab": 522},
        }
    ],
}
VLLM_MODELS: dict[str, Any] = {
    "object": "list",
    "data": [{"id": "tiny", "object": "model", "owned_by": "vllm", "root": "/m", "max_model_len": 1024}],
}


def test_every_backend_kind_has_one_adapter_and_says_what_was_proven() -> None:
    assert set(ENGINES) == set(BackendKind)
    assert {kind.value: set(adapter.proven) == set(PARTS) for kind, adapter in ENGINES.items()} == {
        "vllm": True,
        "llama-cpp": True,
        "ollama": False,
        "tei": False,
        "sglang": False,
        "openai-compatible": False,
        "gateway": False,
    }
    assert ENGINES[BackendKind.ollama].documented_only == PARTS, "no real Ollama runs here"
    with pytest.raises(ValueError, match="unknown backend kind 'tgi'"):
        engine("tgi")


def test_base_url_rules() -> None:
    assert root_of("http://h:8000/v1/", VLLM) == "http://h:8000"
    assert root_of("http://h:11434/v1", OLLAMA) == "http://h:11434"
    assert root_of("https://api.example.com/openai/v1", engine("gateway")) == "https://api.example.com"
    said = missing_suffix("http://h:11434", OLLAMA)
    assert said is not None and said.startswith("add /v1: http://h:11434 has no /v1 at its end, try http://h:11434/v1")
    assert "native API is at the root" in said
    assert missing_suffix("http://h:8000/v1/", VLLM) is None
    assert missing_suffix("https://api.example.com/openai", engine("openai-compatible")) is None, "no rule to apply"
    assert (missing_suffix("http://h:8000") or "").startswith("add /v1"), "without an engine: the shared rule"


def test_token_counting_requests_and_answers() -> None:
    assert count_request(VLLM, "prompt", "tiny", "hi") == (VLLM.count_prompt, {"model": "tiny", "prompt": "hi"})
    route, body = count_request(LLAMA, "prompt", "tiny", "hi") or (None, None)
    assert (str(route), body) == ("POST /tokenize", {"content": "hi", "add_special": True})
    assert count_request(LLAMA, "prompt", "tiny", "hi", special=False) == (
        LLAMA.count_prompt,
        {"content": "hi", "add_special": False},
    )
    route, body = count_request(LLAMA, "chat", "tiny", "hi") or (None, None)
    assert str(route) == "POST /v1/chat/completions/input_tokens"
    assert body == {"model": "tiny", "messages": [{"role": "user", "content": "hi"}]}
    assert count_request(OLLAMA, "prompt", "m", "hi") is None, "Ollama has no token-counting route"
    assert count_request(TEI, "chat", "m", "hi") is None

    assert parse_count(VLLM, {"count": 3, "tokens": [1, 2, 3]}) == 3
    assert parse_count(LLAMA, {"tokens": [1, 2]}) == 2
    assert parse_count(LLAMA, {"object": "response.input_tokens", "input_tokens": 11}) == 11
    assert parse_count(TEI, [[{"id": 1}, {"id": 2}]]) == 2
    for hostile in (None, [], "12", {"count": True}, {"count": -1}, {"count": "3"}, {"tokens": "abc"}):
        assert parse_count(VLLM, hostile) is None
        assert parse_count(LLAMA, hostile) is None
        assert parse_count(TEI, hostile) is None


def test_served_context_is_the_runtime_one() -> None:
    props = {"default_generation_settings": {"n_ctx": 512}, "build_info": "b1-abc", "total_slots": 4}
    assert served_context_from(LLAMA, props, "tiny-gguf") == 512
    assert served_context_from(LLAMA, LLAMACPP_MODELS, "tiny-gguf") == 512, "meta.n_ctx, never n_ctx_train"
    assert served_context_from(LLAMA, {"data": [{"id": "tiny-gguf", "meta": {"n_ctx_train": 4096}}]}, "x") is None
    assert served_context_from(VLLM, VLLM_MODELS, "tiny") == 1024
    assert served_context_from(VLLM, VLLM_MODELS, "other") is None
    assert served_context_from(OLLAMA, {"models": [{"name": "llama3:8b", "context_length": 4096}]}, "llama3:8b") == 4096
    assert served_context_from(TEI, {"model_id": "m", "max_input_length": 256}, "m") == 256
    for hostile in (
        None,
        [],
        {"default_generation_settings": {"n_ctx": True}},
        {"data": "x"},
        {"max_input_length": 1.5},
    ):
        assert {served_context_from(adapter, hostile, "tiny") for adapter in ENGINES.values()} == {None}


def test_version_is_a_short_printable_line() -> None:
    assert version_from(VLLM, {"version": "0.32.0"}) == "0.32.0"
    assert version_from(LLAMA, {"build_info": "b1-4f1e5a2"}) == "b1-4f1e5a2"
    assert version_from(VLLM, {"version": "x" * 65}) is None
    assert version_from(VLLM, {"version": "1.0\n<script>"}) is None
    assert version_from(VLLM, {"version": 1}) is None
    assert version_from(engine("gateway"), {"version": "1"}) is None


def test_engines_are_recognised_by_their_answers() -> None:
    assert detect_from_models(LLAMACPP_MODELS) is BackendKind.llama_cpp
    assert detect_from_models(VLLM_MODELS) is BackendKind.vllm
    assert detect_from_models({"data": [{"id": "x", "owned_by": "sglang"}]}) is BackendKind.sglang
    assert detect_from_models({"data": [{"id": "x", "owned_by": "library"}]}) is None
    assert detect_from_models("not an object") is None
    assert detect_from_answer(BackendKind.llama_cpp, {"default_generation_settings": {}, "build_info": "b1"})
    assert detect_from_answer(BackendKind.vllm, {"version": "0.32.0"})
    assert not detect_from_answer(BackendKind.vllm, {"version": "0.32.0", "other": 1})
    assert detect_from_answer(BackendKind.tei, {"model_id": "m", "max_input_length": 512})
    assert not detect_from_answer(BackendKind.tei, ["model_id"])


def test_a_target_names_its_engine() -> None:
    base = {"deployment_id": "d", "base_url": "http://127.0.0.1:11434/v1", "served_name": "llama3:8b"}
    ollama = target_from_dict({**base, "engine": "ollama"})
    assert ollama.health_endpoint == "http://127.0.0.1:11434/", "Ollama's root answers; it has no /health"
    assert target_from_dict(base).health_endpoint == "http://127.0.0.1:11434/health", "vLLM when not named"
    gateway = target_from_dict({**base, "engine": "gateway"})
    assert gateway.health_endpoint is None
    assert target_from_dict(target_to_dict(ollama)) == ollama
    with pytest.raises(ValueError, match="'tgi' is not a valid BackendKind"):
        target_from_dict({**base, "engine": "tgi"})
    with pytest.raises(ValueError, match="unknown engine 'tgi'"):
        ProbeTarget(
            deployment_id="d",
            base_url="http://h/v1",
            health_url=None,
            served_name="m",
            api_key_env=None,
            endpoints=frozenset(),
            capabilities=frozenset(),
            served_context=None,
            fim_tokens=None,
            slo={},
            engine="tgi",  # type: ignore[arg-type]
        )


async def test_the_version_comes_from_the_engine_when_no_answer_carries_a_fingerprint(tmp_path: Path) -> None:
    """A server whose answers carry no `system_fingerprint`: the run asks the engine's version route (vLLM's
    `/version` here) once its checks are done, and the evidence names that version."""
    from probes.runner import run_probes
    from tests.probes.test_secrets import LoopbackServer, openai_like

    with LoopbackServer(route=openai_like("m")) as server:
        target = target_from_dict(
            {"deployment_id": "d", "base_url": server.base_url, "served_name": "m", "endpoints": ["chat"]}
        )
        summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    evidence = summary.results[0].evidence
    assert evidence is not None and evidence.server.version == "0.0.1"
    assert [s.path for s in server.seen][-1] == "/version"
