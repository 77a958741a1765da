"""`python -m probes discover` against hostile servers: bounded time and memory, one line that says what was wrong,
never a traceback or a half-written catalog; the API key only where `PROBES_KEYS` allows it, never redirected.

Ported from the discover tests of tests/probes/test_onboard_bounds.py and tests/probes/test_secrets.py (the
old `python -m catalog discover`): the servers are real loopback HTTP servers serving hostile `/v1/models`
bodies. The messages are the probes' client's own now (the same limits, one wording for probes and discover).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from catalog import check_catalog
from catalog.outbound import KEYS_ENV, MAX_BODY_BYTES, Timeouts
from onboarding.onboard import MAX_DISCOVERED_MODELS, OnboardError
from probes.discover import discover
from testbed.tiny_model import REPO_ROOT
from tests.probes.test_secrets import KEY_ENV, LoopbackServer, json_answer, openai_like

FAST = Timeouts(connect=1.0, read=1.0, request=2.0)
#: What starting a subprocess, or a busy machine, may add to a limit a test times.
SLACK_S = 8


def cli(*args: str, keys: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(KEYS_ENV, None)
    if keys is not None:
        env[KEYS_ENV] = keys
    return subprocess.run(
        [sys.executable, "-m", "probes", "discover", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def models(*entries: dict[str, Any]) -> Any:
    """A route answering `/v1/models` with these entries."""
    return lambda handler: json_answer(handler, 200, {"object": "list", "data": list(entries)})


def not_found(handler: BaseHTTPRequestHandler) -> None:
    json_answer(handler, 404, {"detail": "Not Found"})


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(route=not_found) as running:
        yield running


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exactly one line on stderr, no traceback, nothing on stdout."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("python -m probes discover: "), done.stderr
    return done.stderr.removeprefix("python -m probes discover: ").removesuffix("\n")


def quiet(line: str) -> None:
    pass


# -- base URL ---------------------------------------------------------------------------------------------------
def test_a_base_url_without_v1_is_told_to_add_it(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = models({"id": "m"})
    root = f"http://{server.netloc}"
    message = one_line_error(cli(root, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {root}/models answered HTTP 404 (Not Found); nothing was written: add /v1: {root} has no /v1 at its "
        f"end, try {root}/v1 (the OpenAI API is under /v1)"
    )
    assert not (tmp_path / "cat").exists()


def test_a_url_with_credentials_is_refused_before_asking(server: LoopbackServer, tmp_path: Path) -> None:
    message = one_line_error(cli(f"http://admin:pw-{secrets.token_hex(4)}@{server.netloc}/v1", "--catalog", "x"))
    assert message.startswith(f"http://{server.netloc}/v1: the URL holds a user name or password"), message
    assert "--api-key-env NAME" in message
    assert server.seen == []


# -- size -------------------------------------------------------------------------------------------------------
def test_a_models_list_declaring_2_gb_is_not_read(server: LoopbackServer, tmp_path: Path) -> None:
    sent = [0]

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(2 * 10**9))
        handler.end_headers()
        while sent[0] < 256 * 1024 * 1024:
            handler.wfile.write(b" " * 65536)
            sent[0] += 65536

    server.routes["/v1/models"] = huge
    message = one_line_error(cli(server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {server.base_url}/models: HTTP 200 from GET /v1/models: response body over {MAX_BODY_BYTES} bytes "
        "(16 MiB): it declares 2000000000 bytes; none read; nothing was written"
    )
    assert sent[0] < 64 * 1024 * 1024, "the client hung up instead of reading the body"
    assert not (tmp_path / "cat").exists()


def test_an_endless_models_list_stops_at_the_cap(server: LoopbackServer, tmp_path: Path) -> None:
    sent = [0]

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")  # no length: the body ends when the connection does
        handler.end_headers()
        handler.wfile.write(b'{"data": [')
        while sent[0] < 1024 * 1024 * 1024:
            handler.wfile.write(b'{"id": "m"},' * 8192)
            sent[0] += 12 * 8192

    server.routes["/v1/models"] = endless
    started = time.monotonic()
    with pytest.raises(OnboardError) as info:
        discover(server.base_url, tmp_path / "cat", timeouts=Timeouts(), notes=quiet)
    assert str(info.value) == (
        f"GET {server.base_url}/models: HTTP 200 from GET /v1/models: response body over {MAX_BODY_BYTES} bytes "
        "(16 MiB); stopped reading there; nothing was written"
    )
    assert sent[0] < 4 * MAX_BODY_BYTES, "it stopped reading near the cap (the rest sat in socket buffers)"
    assert time.monotonic() - started < 30
    assert not (tmp_path / "cat").exists()


# -- time -------------------------------------------------------------------------------------------------------
def drip(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then a byte every 0.2 s: never a read timeout, never a whole answer (stops after 60 s)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000000")
    handler.end_headers()
    for _ in range(300):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.2)


def test_a_dripping_models_list_is_cut_off_at_the_request_deadline(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = drip
    started = time.monotonic()
    with pytest.raises(OnboardError) as info:
        discover(server.base_url, tmp_path / "cat", timeouts=FAST, notes=quiet)
    took = time.monotonic() - started
    assert str(info.value) == (
        "GET /v1/models: no complete response within the 2 s request deadline; nothing was written "
        "(hint: check that the server answers at this URL)"
    )
    assert 2 <= took < 2 + SLACK_S
    assert not (tmp_path / "cat").exists()


def test_a_server_that_never_answers_costs_one_read_timeout(server: LoopbackServer, tmp_path: Path) -> None:
    def silent(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(30)

    server.routes["/v1/models"] = silent
    started = time.monotonic()
    with pytest.raises(OnboardError) as info:
        discover(server.base_url, tmp_path / "cat", timeouts=FAST, notes=quiet)
    assert str(info.value) == (
        "GET /v1/models: read timeout, no data for 1 s; nothing was written "
        "(hint: check that the server answers at this URL)"
    )
    assert time.monotonic() - started < 1 + SLACK_S


def test_the_whole_discovery_has_a_deadline(server: LoopbackServer, tmp_path: Path) -> None:
    """Each answer comes in time, but 3 models x several checks at 0.5 s each outlast the discovery's deadline."""

    def slow_refusal(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.5)
        not_found(handler)

    server.routes["/v1/models"] = models({"id": "m-a"}, {"id": "m-b"}, {"id": "m-c"})
    server.route = slow_refusal
    started = time.monotonic()
    with pytest.raises(OnboardError) as info:
        discover(server.base_url, tmp_path / "cat", timeouts=Timeouts(request=10), deadline=2, notes=quiet)
    assert str(info.value) == (
        f"{server.base_url}: the discovery took longer than its 2 s deadline; nothing was written "
        "(hint: the server answers too slowly, or serves too many models)"
    )
    assert time.monotonic() - started < 2 + SLACK_S
    assert not (tmp_path / "cat").exists()


# -- count, names and shapes ----------------------------------------------------------------------------------
def test_200000_models_are_refused_before_any_is_asked(server: LoopbackServer, tmp_path: Path) -> None:
    body = json.dumps({"data": [{"id": f"model-{i:06d}", "object": "model"} for i in range(200_000)]}).encode()
    assert len(body) < MAX_BODY_BYTES, "the count, not the size, is what this test trips"

    def listing(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.routes["/v1/models"] = listing
    message = one_line_error(cli(server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {server.base_url}/models lists 200000 models; discover takes at most {MAX_DISCOVERED_MODELS} from one "
        "server, and wrote nothing (hint: a listing this long is a gateway: import its config with `python -m "
        "onboarding import-litellm`, or discover the servers behind it one by one)"
    )
    assert [s.path for s in server.seen] == ["/v1/models"], "no model was asked about"
    assert not (tmp_path / "cat").exists()


def test_names_that_differ_only_in_case_are_refused_not_dropped(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = models({"id": "Qwen"}, {"id": "qwen"})
    message = one_line_error(cli(server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {server.base_url}/models: the served names `Qwen` and `qwen` would both be written to "
        "deployments/qwen.yaml: a catalog id is lower case and is its file's name, so names that differ only in case "
        "or punctuation share a file; nothing was written (hint: serve them under names that differ in more than "
        "case or punctuation, e.g. with vLLM's --served-model-name)"
    )
    assert not (tmp_path / "cat").exists()


def test_a_json_array_is_one_line(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = lambda handler: json_answer(handler, 200, [{"id": "m"}])
    message = one_line_error(cli(server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f'GET {server.base_url}/models answered JSON list, not an OpenAI model list (`{{"data": [...]}}`); nothing '
        "was written (hint: point discover at an OpenAI-compatible server's base URL, with /v1)"
    )


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("x" * 5000, f"the served name `{'x' * 40}…` is 5000 characters long; the catalog takes at most 200"),
        (
            "y" * 81,
            f"the served name `{'y' * 40}…` would give the id `{'y' * 40}…` of 81 characters, longer than the 80 an "
            "id may have: an id is also its file's name",
        ),
        ("../../etc/passwd", "the served name `../../etc/passwd` "),
        ("bad`name", "the served name `bad`name` "),
    ],
)
def test_a_name_that_cannot_be_a_file_name_is_one_line(
    name: str, problem: str, server: LoopbackServer, tmp_path: Path
) -> None:
    server.routes["/v1/models"] = models({"id": name})
    got = one_line_error(cli(server.base_url, "--catalog", str(tmp_path / "cat")))
    assert got.startswith(f"GET {server.base_url}/models: {problem}"), got
    assert got.endswith(
        "; nothing was written (hint: serve it under another name (e.g. vLLM's --served-model-name), or discover "
        "another server)"
    ), got
    assert not (tmp_path / "cat").exists()


def test_max_model_len_true_is_not_a_length(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = models(
        {"id": "flag", "max_model_len": True, "owned_by": "vllm"},
        {"id": "huge", "max_model_len": 10**30, "owned_by": "vllm"},
        {"id": "fine", "max_model_len": 8, "owned_by": "vllm"},
    )
    server.routes["/v1/chat/completions"] = lambda handler: json_answer(
        handler, 200, {"choices": [{"message": {"role": "assistant", "content": "hi"}}]}
    )
    said: list[str] = []
    discover(server.base_url, tmp_path / "cat", notes=said.append)
    assert said == [
        "the model `flag`: max_model_len `true` is not a number of tokens (1 to 100000000), so the deployment states "
        "none",
        "the model `huge`: max_model_len `1000000000000000000000000000000` is not a number of tokens (1 to "
        "100000000), so the deployment states none",
    ]
    loaded, errors = check_catalog(tmp_path / "cat")
    assert errors == [] and loaded is not None
    served = {d.served_name: d.serving.max_model_len for d in loaded.deployments.values()}
    assert served == {"flag": None, "huge": None, "fine": 8}
    assert {d.backend for d in loaded.deployments.values()} == {"vllm"}, "recognised by owned_by"


def test_a_hostile_root_falls_back_to_the_served_name(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = models({"id": "ok-model", "root": "org/" + "r" * 5000})
    said: list[str] = []
    discover(server.base_url, tmp_path / "cat", notes=said.append)
    assert said == ["the model `ok-model`: its `root` is not a usable weights name, so its name stands in"]
    assert sorted(p.name for p in (tmp_path / "cat" / "models").iterdir()) == ["ok-model.yaml"]


# -- keys ---------------------------------------------------------------------------------------------------
def test_discover_follows_no_redirect(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.probes.test_secrets import redirect_to

    key = f"sk-discover-{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    with LoopbackServer("127.0.0.2") as thief, LoopbackServer("127.0.0.1") as api:
        api.routes["/v1/models"] = redirect_to(f"http://{thief.netloc}/v1/models")
        monkeypatch.setenv(KEYS_ENV, f"{KEY_ENV}={api.netloc}")
        with pytest.raises(OnboardError) as info:
            discover(api.base_url, tmp_path / "cat", api_key_env=KEY_ENV, notes=quiet)
    assert [s.headers.get("Authorization") for s in api.seen] == [f"Bearer {key}"]
    assert thief.seen == []
    assert str(info.value).startswith(f"GET {api.base_url}/models answered HTTP 302"), str(info.value)
    assert not (tmp_path / "cat").exists()


def test_discover_refuses_a_key_that_is_not_allowed_and_sends_nothing(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        done = cli(server.base_url, "--catalog", str(tmp_path / "cat"), "--api-key-env", "AWS_SECRET_ACCESS_KEY")
    assert server.seen == [], "nothing was asked"
    assert one_line_error(done) == (
        f"key AWS_SECRET_ACCESS_KEY is not allowed for host {server.netloc}, so it was not sent (hint: to send it "
        f"there, add AWS_SECRET_ACCESS_KEY={server.netloc} to PROBES_KEYS where the probes run, not in the catalog)"
    )
    assert not (tmp_path / "cat").exists()


def test_discover_sends_an_allowed_key_to_its_host_and_scrubs_it(tmp_path: Path) -> None:
    key = f"sk-discover-{secrets.token_hex(12)}"
    with LoopbackServer(route=openai_like("echo")) as server:
        env_keys = f"{KEY_ENV}={server.netloc}"
        os.environ[KEY_ENV] = key
        try:
            done = cli(
                server.base_url,
                *("--catalog", str(tmp_path / "cat"), "--evidence", str(tmp_path / "ev"), "--api-key-env", KEY_ENV),
                keys=env_keys,
            )
        finally:
            os.environ.pop(KEY_ENV, None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {s.headers.get("Authorization") for s in server.seen if s.path.startswith("/v1/")} == {f"Bearer {key}"}
    assert all("Authorization" not in s.headers for s in server.seen if s.path == "/health"), "health takes no key"
    written = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert key not in done.stdout + done.stderr + written


# -- engines told apart by their routes ------------------------------------------------------------------------
def ollama_like(handler: BaseHTTPRequestHandler) -> None:
    """Ollama's documented answers (no real Ollama runs here): `/v1/models` owned by `library`, the root's
    "Ollama is running", `/api/version`, `/api/ps` with the loaded model's context; 404 elsewhere."""
    path = handler.path.split("?")[0]
    if path == "/v1/models":
        json_answer(handler, 200, {"object": "list", "data": [{"id": "llama3.1:8b", "owned_by": "library"}]})
    elif path == "/":
        body = b"Ollama is running"
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    elif path == "/api/version":
        json_answer(handler, 200, {"version": "0.6.2"})
    elif path == "/api/ps":
        json_answer(handler, 200, {"models": [{"name": "llama3.1:8b", "model": "llama3.1:8b", "context_length": 4096}]})
    elif path == "/v1/chat/completions":
        json_answer(handler, 200, {"choices": [{"message": {"role": "assistant", "content": "hi"}}]})
    else:
        not_found(handler)


def test_an_ollama_server_is_recognised_by_its_routes(tmp_path: Path) -> None:
    with LoopbackServer(route=ollama_like) as server:
        discovery, _ = discover(server.base_url, tmp_path / "cat", evidence_dir=tmp_path / "ev", notes=quiet)
    assert (discovery.kind.value, discovery.detected_by, discovery.version) == ("ollama", "GET /api/version", "0.6.2")
    (found,) = discovery.found
    statuses = {r.claim: (r.status, r.reason) for r in found.records}
    assert statuses["health"] == ("pass", None), "Ollama's root, not /health"
    assert statuses["endpoint:chat"] == ("pass", None)
    # Ollama counts no tokens: the context it reports is written, and the record says no request could prove it.
    assert found.context == 4096
    status, reason = statuses["context-length"]
    assert status == "info"
    assert reason == (
        "no request can prove the claimed context of 4096 tokens: Ollama has no route that counts the tokens of "
        "chat messages; GET /api/ps reports context_length 4096"
    )
    loaded, errors = check_catalog(tmp_path / "cat")
    assert errors == [] and loaded is not None
    (dep,) = loaded.deployments.values()
    assert (dep.backend, dep.serving.max_model_len, dep.serving.engine_version) == ("ollama", 4096, "0.6.2")
    assert "/" in [s.path for s in server.seen] and "/health" not in [s.path for s in server.seen]


def test_a_served_context_answer_over_the_cap_is_a_note(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = models({"id": "tiny", "owned_by": "llamacpp"})
    server.routes["/health"] = lambda handler: json_answer(handler, 200, {"status": "ok"})
    server.routes["/props"] = lambda handler: json_answer(handler, 200, {"pad": "x" * 4096})
    said: list[str] = []
    discovery, _ = asyncio_discover(server.base_url, tmp_path, said, max_body=2048)
    assert discovery.kind.value == "llama-cpp" and discovery.found[0].context is None
    assert said == [
        "the model `tiny`: no served context read: HTTP 200 from GET /props: response body over 2048 bytes: it "
        "declares 4107 bytes; none read"
    ]


def asyncio_discover(base_url: str, tmp_path: Path, said: list[str], *, max_body: int) -> tuple[Any, None]:
    """`ask_server` with a small body cap (the CLI's is the probes' 16 MiB)."""
    import asyncio

    from probes.discover import ask_server

    return asyncio.run(ask_server(base_url, max_body=max_body, notes=said.append)), None
