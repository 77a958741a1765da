"""API keys go only where the operator allowed them (`PROBES_KEYS`, catalog/outbound.py), never where a catalog
points them.

Real loopback servers record every request they get (headers and body), so each test shows what really went
over the wire: a catalog that names `AWS_SECRET_ACCESS_KEY` never makes any request carry its value, an allowed
key reaches its own host and no other, and a redirect cannot carry it anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from catalog.claims import EndpointKind
from catalog.outbound import KEYS_ENV, HostPort, KeyGrants, KeyGrantsError
from probes.runner import DeploymentResult, run_probes
from probes.target import ProbeTarget
from testbed.tiny_model import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"
SERVED = "qwen2.5-coder-7b-instruct"
KEY_ENV = "PROBES_SECRETS_TEST_KEY"

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def carries(self, secret: str) -> bool:
        """Whether the secret is anywhere in this request: a header, the path, the body."""
        text = json.dumps(self.headers) + self.path
        return secret in text or secret.encode() in self.body


def json_answer(handler: BaseHTTPRequestHandler, status: int, value: Any) -> None:
    body = json.dumps(value).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def openai_like(served: str = SERVED) -> Route:
    """Answers like a small OpenAI-compatible server: /health, /v1/models with one model, and 200 elsewhere."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        if path == "/health":
            json_answer(handler, 200, {})
        elif path.endswith("/models"):
            json_answer(handler, 200, {"object": "list", "data": [{"id": served, "max_model_len": 16384}]})
        elif path.endswith("/embeddings"):
            json_answer(handler, 404, {"detail": "Not Found"})
        elif path == "/version":
            json_answer(handler, 200, {"version": "0.0.1"})
        else:
            json_answer(handler, 200, {"choices": [{"message": {"role": "assistant", "content": "hi"}}]})

    return answer


@dataclass
class LoopbackServer:
    """A real HTTP server on a loopback address that records every request, answering with `route`
    (or `routes[path]` where one is given)."""

    host: str = "127.0.0.1"
    route: Route = field(default_factory=openai_like)
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    owner.routes.get(self.path.split("?")[0], owner.route)(self)

            do_GET = do_POST = _any  # http.server's names

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc}/v1"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> str:
    """A recognizable value in a variable every cloud runner holds, which no catalog may send anywhere."""
    value = f"canary-aws-{secrets.token_hex(16)}"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", value)
    return value


def catalog_pointing(tmp_path: Path, base_url: str, api_key_env: str) -> Path:
    """The small fixture catalog with `coder-chat` at `base_url`, naming `api_key_env`."""
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    path = catalog / "deployments" / "coder-chat.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'endpoint: {base_url: "http://127.0.0.1:9/v1", api_key_env: CODER_KEY}'
    assert old in text
    path.write_text(text.replace(old, f'endpoint: {{base_url: "{base_url}", api_key_env: {api_key_env}}}'))
    return catalog


def probe_cli(catalog: Path, evidence: Path, keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(KEYS_ENV, None)
    if keys is not None:
        env[KEYS_ENV] = keys
    return subprocess.run(
        [
            *(sys.executable, "-m", "probes", "run", "--catalog", str(catalog), "--only", "coder-chat"),
            *("--evidence", str(evidence), "--no-evals", "--no-latency", "--request-timeout", "20"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def target(base_url: str, name: str, api_key_env: str | None = KEY_ENV) -> ProbeTarget:
    return ProbeTarget(
        deployment_id=name,
        base_url=base_url,
        health_url=None,
        served_name=SERVED,
        api_key_env=api_key_env,
        endpoints=frozenset({EndpointKind.chat}),
        capabilities=frozenset(),
        served_context=None,
        fim_tokens=None,
        slo={},
    )


# -- the catalog cannot choose a secret ---------------------------------------------------------------------
def test_a_catalog_naming_aws_secret_access_key_never_sends_it(canary: str, tmp_path: Path) -> None:
    with LoopbackServer() as server:
        catalog = catalog_pointing(tmp_path, server.base_url, "AWS_SECRET_ACCESS_KEY")
        # Even with an allow-list that names other keys for this very host.
        done = probe_cli(catalog, tmp_path / "ev", keys=f"VLLM_API_KEY={server.netloc}")
    assert done.returncode == 2, done.stdout + done.stderr
    assert server.seen, "the probe did reach the server (its health check needs no key)"
    assert not [s for s in server.seen if s.carries(canary)], "the canary went over the wire"
    assert not [s for s in server.seen if "authorization" in {h.lower() for h in s.headers}]
    assert {s.path for s in server.seen} == {"/health"}, "nothing that needs the key was sent without it"

    refusal = (
        f"key AWS_SECRET_ACCESS_KEY is not allowed for host {server.netloc}, so it was not sent (hint: to send it "
        f"there, add AWS_SECRET_ACCESS_KEY={server.netloc} to PROBES_KEYS where the probes run, not in the catalog)"
    )
    assert f"python -m probes: coder-chat: {refusal}\n" in done.stderr, done.stderr
    evidence = json.loads((tmp_path / "ev" / "coder-chat.json").read_text())
    reasons = {r["claim"]: (r["status"], r["reason"]) for r in evidence["records"]}
    assert reasons["health"] == ("pass", None)
    assert reasons["served-name"] == ("error", refusal)
    assert reasons["endpoint:chat"] == ("error", f"not attempted: {refusal}")
    assert {status for claim, (status, _) in reasons.items() if claim != "health"} == {"error"}
    written = "\n".join(p.read_text() for p in (tmp_path / "ev").rglob("*") if p.is_file())
    for name, text in {"stdout": done.stdout, "stderr": done.stderr, "evidence": written}.items():
        assert canary not in text, f"the canary is in the {name}"


def test_the_variable_is_not_read_before_the_allow_list_says_yes(tmp_path: Path) -> None:
    """An unset variable and a set one are refused alike: evidence cannot tell a catalog which ones exist."""
    with LoopbackServer() as server:
        unset = target(server.base_url, "unset", api_key_env="PROBES_SURELY_UNSET_VARIABLE")
        set_ = target(server.base_url, "set", api_key_env="HOME")
        summary = run_keys_probe([unset, set_], tmp_path, keys="")
    (unset_records, set_records) = ({r.claim: r.reason for r in result.records} for result in summary)
    assert unset_records["served-name"] == (
        f"key PROBES_SURELY_UNSET_VARIABLE is not allowed for host {server.netloc}, so it was not sent (hint: to "
        f"send it there, add PROBES_SURELY_UNSET_VARIABLE={server.netloc} to PROBES_KEYS where the probes run, not "
        "in the catalog)"
    )
    assert set_records["served-name"] == (unset_records["served-name"] or "").replace(
        "PROBES_SURELY_UNSET_VARIABLE", "HOME"
    )


def run_keys_probe(targets: list[ProbeTarget], tmp_path: Path, keys: str) -> list[DeploymentResult]:
    previous = os.environ.get(KEYS_ENV)
    os.environ[KEYS_ENV] = keys
    try:
        summary = asyncio.run(
            run_probes(targets, evidence_dir=tmp_path / "ev", concurrency=2, workload=None, suites=[])
        )
    finally:
        if previous is None:
            os.environ.pop(KEYS_ENV, None)
        else:
            os.environ[KEYS_ENV] = previous
    return list(summary.results)


# -- an allowed key goes to its hosts and nowhere else ------------------------------------------------------
def test_an_allowed_key_goes_to_its_host_and_not_to_another(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = f"sk-allowed-{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    with LoopbackServer("127.0.0.1") as home, LoopbackServer("127.0.0.2") as elsewhere:
        results = run_keys_probe(
            [target(home.base_url, "home"), target(elsewhere.base_url, "elsewhere")],
            tmp_path,
            keys=f"{KEY_ENV}={home.netloc}",
        )
    assert {s.headers.get("Authorization") for s in home.seen if s.path.startswith("/v1/")} == {f"Bearer {key}"}
    assert not [s for s in elsewhere.seen if s.carries(key)], "the key reached a host it is not allowed for"
    assert {s.path for s in elsewhere.seen} == {"/health"}
    home_records, elsewhere_records = ({r.claim: r for r in result.records} for result in results)
    assert home_records["endpoint:chat"].status == "pass", home_records["endpoint:chat"].reason
    assert elsewhere_records["served-name"].reason == (
        f"key {KEY_ENV} is not allowed for host {elsewhere.netloc}, so it was not sent (hint: to send it there, add "
        f"{KEY_ENV}={elsewhere.netloc} to PROBES_KEYS where the probes run, not in the catalog)"
    )
    assert home.netloc not in (elsewhere_records["served-name"].reason or ""), "the allow-list is not published"


def test_one_key_bound_to_several_hosts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = f"sk-shared-{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    with LoopbackServer("127.0.0.1") as one, LoopbackServer("127.0.0.2") as two, LoopbackServer("127.0.0.3") as three:
        run_keys_probe(
            [target(one.base_url, "one"), target(two.base_url, "two"), target(three.base_url, "three")],
            tmp_path,
            keys=f"{KEY_ENV}={one.netloc},127.0.0.2",  # a host without a port: every port of it
        )
    assert any(s.carries(key) for s in one.seen) and any(s.carries(key) for s in two.seen)
    assert not any(s.carries(key) for s in three.seen)


def test_the_health_url_on_another_host_never_gets_the_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = f"sk-health-{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    with LoopbackServer("127.0.0.1") as api, LoopbackServer("127.0.0.2") as health:
        probed = replace(target(api.base_url, "split"), health_url=f"http://{health.netloc}/health")
        # Allowed for both hosts: still, the key is an API key, and only API requests carry it.
        run_keys_probe([probed], tmp_path, keys=f"{KEY_ENV}={api.netloc},{health.netloc}")
    assert [s.path for s in health.seen] == ["/health"] and not health.seen[0].carries(key)
    assert any(s.carries(key) for s in api.seen)


# -- redirects ------------------------------------------------------------------------------------------------
def redirect_to(url: str, status: int = 302) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", url)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_does_not_carry_the_key(
    status: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = f"sk-redirected-{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    with LoopbackServer("127.0.0.2") as thief, LoopbackServer("127.0.0.1") as api:
        for path in ("/v1/models", "/v1/chat/completions"):
            api.routes[path] = redirect_to(f"http://{thief.netloc}{path}", status)
        results = run_keys_probe([target(api.base_url, "redirects")], tmp_path, keys=f"{KEY_ENV}={api.netloc}")
    assert any(s.carries(key) for s in api.seen), "the allowed host got the key"
    assert thief.seen == [], "the probes followed a redirect"
    records = {r.claim: r for r in results[0].records}
    assert records["endpoint:chat"].status == "fail"
    assert (records["endpoint:chat"].reason or "").startswith(f"HTTP {status} from POST /v1/chat/completions")


# -- the allow-list itself ------------------------------------------------------------------------------------
def test_the_allow_list_syntax() -> None:
    grants = KeyGrants.parse(
        "VLLM_API_KEY=10.0.0.5:8000,10.0.0.6:8000\n  OPENAI_API_KEY=API.openai.com:443;LOCAL=[::1] VLLM_API_KEY=h"
    )
    assert grants.hosts("VLLM_API_KEY") == (HostPort("10.0.0.5", 8000), HostPort("10.0.0.6", 8000), HostPort("h", None))
    assert grants.refusal("VLLM_API_KEY", "http://10.0.0.6:8000/v1") is None
    assert grants.refusal("VLLM_API_KEY", "http://10.0.0.6:8001/v1") is not None, "a port binds"
    assert grants.refusal("VLLM_API_KEY", "https://h:1234/v1") is None, "a host without a port takes every port"
    assert grants.refusal("OPENAI_API_KEY", "https://api.OpenAI.com/v1") is None, "443 is https's port"
    assert grants.refusal("OPENAI_API_KEY", "http://api.openai.com/v1") is not None, "80 is not 443"
    assert grants.refusal("LOCAL", "http://[::1]:8000/v1") is None
    assert grants.refusal("LOCAL", "http://127.0.0.1:8000/v1") is not None, "no DNS, no aliases: hosts as written"
    assert grants.refusal("OTHER", "http://10.0.0.5:8000/v1") is not None
    assert KeyGrants.parse("").grants == {} and KeyGrants.parse("  \n").grants == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "VLLM_API_KEY=*",
            "PROBES_KEYS: entry 1 (VLLM_API_KEY), host 1 is a wildcard, which PROBES_KEYS does not allow (hint: name "
            "every host the key belongs to, e.g. VLLM_API_KEY=10.0.0.5:8000,10.0.0.6:8000)",
        ),
        (
            "A=h VLLM_API_KEY=h,*.example.com",
            "PROBES_KEYS: entry 2 (VLLM_API_KEY), host 2 is a wildcard, which PROBES_KEYS does not allow (hint: name "
            "every host the key belongs to, e.g. VLLM_API_KEY=10.0.0.5:8000,10.0.0.6:8000)",
        ),
        (
            "VLLM_API_KEY",
            "PROBES_KEYS: entry 1 does not start with the name of an environment variable and `=` (hint: write "
            "NAME=HOST[:PORT][,HOST[:PORT]...], entries separated by spaces, e.g. PROBES_KEYS=VLLM_API_KEY=10.0.0.5:8000)",
        ),
        (
            "VLLM_API_KEY=",
            "PROBES_KEYS: entry 1 (VLLM_API_KEY) names no host (hint: write VLLM_API_KEY=HOST[:PORT][,HOST[:PORT]...])",
        ),
        (
            "VLLM_API_KEY=http://h:80",
            "PROBES_KEYS: entry 1 (VLLM_API_KEY), host 1 is a URL (hint: write only HOST[:PORT], e.g. "
            "VLLM_API_KEY=10.0.0.5:8000)",
        ),
        (
            "VLLM_API_KEY=h:99999",
            "PROBES_KEYS: entry 1 (VLLM_API_KEY), host 1 is not HOST[:PORT] (hint: a host name or address, then "
            "optionally `:` and a port from 1 to 65535, e.g. VLLM_API_KEY=10.0.0.5:8000 or VLLM_API_KEY=[::1]:8000)",
        ),
    ],
)
def test_allow_list_errors_are_one_exact_line(text: str, message: str) -> None:
    with pytest.raises(KeyGrantsError) as info:
        KeyGrants.parse(text)
    assert str(info.value) == message


def test_a_key_pasted_into_the_allow_list_is_never_echoed(tmp_path: Path) -> None:
    pasted = f"sk-live-{secrets.token_hex(16)}+/="
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), KEYS_ENV: f"VLLM_API_KEY={pasted} {pasted}"}
    done = subprocess.run(
        [sys.executable, "-m", "probes", "run", "--target-json", str(tmp_path / "none.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3
    assert done.stderr == (
        "python -m probes: error: PROBES_KEYS: entry 1 (VLLM_API_KEY), host 1 is not HOST[:PORT] (hint: a host name or "
        "address, then optionally `:` and a port from 1 to 65535, e.g. VLLM_API_KEY=10.0.0.5:8000 or "
        "VLLM_API_KEY=[::1]:8000)\n"
    )
    assert pasted not in done.stderr and pasted[:12] not in done.stderr


def test_the_scheduled_job_allows_its_one_key_for_its_one_host() -> None:
    workflow = (REPO_ROOT / ".github" / "workflows" / "probes.yml").read_text(encoding="utf-8")
    assert 'PROBES_KEYS: "VLLM_API_KEY=localhost:8009"' in workflow
    grants = KeyGrants.parse("VLLM_API_KEY=localhost:8009")
    deployment = (REPO_ROOT / "catalog" / "deployments" / "vllm-oss20b.yaml").read_text(encoding="utf-8")
    assert "base_url: http://localhost:8009/v1/gpt-oss-20b" in deployment and "api_key_env: VLLM_API_KEY" in deployment
    assert grants.refusal("VLLM_API_KEY", "http://localhost:8009/v1/gpt-oss-20b") is None


def test_target_api_key_is_none_where_it_may_not_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the evals hand lm-eval (`target.api_key()`) obeys the same allow-list."""
    monkeypatch.setenv(KEY_ENV, "sk-for-evals-1234")
    monkeypatch.setenv(KEYS_ENV, f"{KEY_ENV}=127.0.0.1:8000")
    assert target("http://127.0.0.1:8000/v1", "ok").api_key() == "sk-for-evals-1234"
    assert target("http://127.0.0.1:8001/v1", "other-port").api_key() is None
    assert target("http://127.0.0.1:8001/v1", "other-port").key_refusal() is not None
