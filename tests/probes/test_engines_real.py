"""Every part of the vLLM and llama.cpp adapters (catalog/engines.py) that `Engine.proven` claims, asked of the
real servers on loopback: health, version, token counting (prompt and chat), served context, metrics, and
recognising the engine from its answers. The other engines' adapters claim no part proven, and none runs here.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from catalog.engines import PARTS, detect_from_answer, detect_from_models, engine, missing_suffix
from catalog.types import BackendKind
from probes.client import Client, Timeouts
from probes.engines import count_tokens, served_context, server_version
from probes.target import ProbeTarget
from testbed.llamacpp_server import LlamaCppServer
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY, API_KEY_ENV, LLAMACPP_SERVED_NAME, target_for


async def prove_adapter(target: ProbeTarget) -> dict[str, object]:
    """What each part of the target's adapter reads from its real server."""
    adapter = target.adapter
    assert set(adapter.proven) == set(PARTS), "this test proves every part"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with Client(target, Timeouts()) as client:
        models = await client.json("GET", "/models")
        assert target.health_endpoint is not None and adapter.metrics is not None
        health = httpx.get(target.health_endpoint, timeout=30).status_code  # no key: health is public
        metrics = httpx.get(target.server_root + adapter.metrics.path, headers=headers, timeout=30)
        assert adapter.version is not None
        version_answer = httpx.get(target.server_root + adapter.version.path, headers=headers, timeout=30).json()
        return {
            "base-url": missing_suffix(target.base_url, adapter),
            "health": health,
            "version": await server_version(client, target),
            "token-count": (
                await count_tokens(client, target, "prompt", " the" * 10),
                await count_tokens(client, target, "chat", " the" * 10)
                - await count_tokens(client, target, "chat", ""),
            ),
            "served-context": await served_context(client, target, models),
            "metrics": (metrics.status_code, f"\n{adapter.metrics_prefix}prompt_tokens_total " in metrics.text),
            "detect": (detect_from_models(models), detect_from_answer(adapter.kind, version_answer)),
        }


@pytest.mark.vllm
async def test_the_vllm_adapter_against_real_vllm(vllm_server: VllmServer) -> None:
    proven = await prove_adapter(target_for(vllm_server.base_url))
    version = proven.pop("version")
    assert isinstance(version, str) and version.startswith("0.32"), version
    assert proven == {
        "base-url": None,
        "health": 200,
        "token-count": (10, 10),
        "served-context": 1024,
        # The shared server runs with --disable-log-stats: /metrics answers, without vLLM's own series. The
        # `vllm:` histograms are read from a real server with stats on by bench/probe_accuracy.py.
        "metrics": (200, False),
        "detect": (BackendKind.vllm, True),
    }


@pytest.mark.llamacpp
async def test_the_llamacpp_adapter_against_real_llamacpp(llamacpp_server: LlamaCppServer) -> None:
    target = replace(
        target_for(llamacpp_server.base_url),
        served_name=LLAMACPP_SERVED_NAME,
        served_context=None,
        api_key_env=API_KEY_ENV,
        engine=BackendKind.llama_cpp,
    )
    proven = await prove_adapter(target)
    version = proven.pop("version")
    assert isinstance(version, str) and version.startswith("b1-"), version
    assert proven == {
        "base-url": None,
        "health": 200,
        "token-count": (10, 10),
        "served-context": 512,
        "metrics": (200, True),
        "detect": (BackendKind.llama_cpp, True),
    }
    assert missing_suffix(llamacpp_server.root_url, engine("llama-cpp")) == (
        f"add /v1: {llamacpp_server.root_url} has no /v1 at its end, try {llamacpp_server.root_url}/v1 "
        "(llama.cpp's server serves the OpenAI API under /v1: use http://HOST:PORT/v1)"
    )
