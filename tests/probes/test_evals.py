"""Evals run by lm-evaluation-harness (``.venv-evals``) on the project's own tasks, with local data only.

With random weights (the tiny vLLM server) every score is about 0, so a scorer that always said 0 would
pass those tests too: a stand-in server that answers each item with its reference answer proves the
whole path (lm-eval's request, our hooks, the sandbox, the results read back) can also score 1.

These tests need ``.venv-evals`` (``make evals-env``, a prerequisite of ``make test``) and most need the
tiny vLLM server; like the server, a missing venv fails them with the command that installs it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from catalog.evidence import read_history
from probes.checks import Context
from probes.client import Client, Timeouts
from probes.evals import (
    DRIVER,
    HARNESS_PYTHON_ENV,
    INSTALL_HINT,
    Suite,
    SuiteError,
    bundled_suites,
    harness_python,
    load_suite,
    run_suite,
)
from probes.runner import run_probes
from probes.target import ProbeTarget
from testbed.fault_proxy import Fault, FaultProxy
from testbed.vllm_server import VllmServer, free_port
from tests.probes.conftest import API_KEY, API_KEY_ENV, target_for

REPO = Path(__file__).resolve().parents[2]
#: The version locks/evals.txt pins: what every result must say ran it.
LM_EVAL_VERSION = re.search(r"(?m)^lm-eval==(\S+)", (REPO / "locks/evals.txt").read_text())[1]  # type: ignore[index]
SUITES = {s.task: s for s in bundled_suites()}
CODE_INSTRUCTION = "# Complete this Python function."


@pytest.fixture
def harness() -> Path:
    python = harness_python()
    if not python.exists():
        pytest.fail(f"{python} not found: {INSTALL_HINT}", pytrace=False)
    return python


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# -- a stand-in server that knows every answer -------------------------------------------------------------
@dataclass
class Seen:
    path: str
    body: dict[str, Any]
    authorization: str | None


@dataclass
class ReferenceServer:
    """An OpenAI-compatible server on 127.0.0.1 that answers each item of the bundled tasks correctly."""

    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, path: str, text: str) -> str:
        chat = path.endswith("/chat/completions")
        for item in SUITES["json-format"].json_items():
            if item.prompt == text:
                wrapped = f"Sure! ```json\n{json.dumps(item.equals)}\n```" if chat else json.dumps(item.equals)
                return wrapped
        for code in SUITES["code-small"].code_items():
            if text.startswith(CODE_INSTRUCTION) and code.prompt in text:
                if chat:
                    return f"Here it is:\n```python\n{code.prompt}{code.reference}```\nIt passes the tests."
                # What a base model does next: the body, then more code that is not part of it.
                return f"{code.reference}\n\ndef unrelated(:\n    broken"
        raise AssertionError(f"no item has the prompt {text!r}")


@pytest.fixture
def reference_server() -> Iterator[ReferenceServer]:
    state = ReferenceServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            state.seen.append(Seen(self.path, body, self.headers.get("authorization")))
            if self.path == "/v1/chat/completions":
                text = state.answer(self.path, body["messages"][-1]["content"])
                choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text}}
            else:
                choice = {"index": 0, "text": state.answer(self.path, body["prompt"])}
            payload = json.dumps({"id": "x", "object": "x", "model": body["model"], "choices": [choice]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every proxy variable points at a listener that records what reaches it: any request for a host
    other than 127.0.0.1 (a model or data hub) would land there."""
    listener = socket.create_server(("127.0.0.1", 0))
    hits: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    hits.append(conn.recv(200))
                except OSError:
                    hits.append(b"(connected)")

    threading.Thread(target=accept, daemon=True).start()
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield hits
    finally:
        listener.close()


@pytest.fixture
async def keyed(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    yield


async def score(target: ProbeTarget, suite: Suite) -> tuple[Any, Any]:
    async with Client(target, Timeouts()) as client:
        return await run_suite(Context(client, target), suite)


# -- the whole path can score full marks ---------------------------------------------------------------------
@pytest.mark.evals
@pytest.mark.sandbox
@pytest.mark.parametrize("endpoint", ["chat", "completions"])
async def test_reference_answers_score_full_marks(
    harness: Path, reference_server: ReferenceServer, tripwire: list[bytes], keyed: None, endpoint: str
) -> None:
    target = target_for(reference_server.base_url, "reference", endpoints=frozenset({endpoint}))
    before = now()
    outcomes = await asyncio.gather(*(score(target, suite) for suite in SUITES.values()))
    for suite, (check, outcome) in zip(SUITES.values(), outcomes, strict=True):
        assert (check.status, check.reason) == ("pass", None), (suite.task, check.reason)
        assert outcome is not None and outcome.score == 1.0 and outcome.passed
        assert (outcome.task, outcome.n, outcome.subset_of, outcome.full_n) == (
            suite.task,
            len(suite.items),
            None,
            None,
        )
        assert (outcome.harness, outcome.harness_version, outcome.version) == ("lm-eval", LM_EVAL_VERSION, "2.0")
        assert outcome.metric == {"json-format": "json_match", "code-small": "pass@1"}[suite.task]
        assert before <= outcome.date <= now()
    # lm-eval asked the deployment's endpoint, once per item, greedily, with the key in the header only.
    path = "/v1/chat/completions" if endpoint == "chat" else "/v1/completions"
    assert {s.path for s in reference_server.seen} == {path}
    assert len(reference_server.seen) == sum(len(s.items) for s in SUITES.values())
    assert all(s.body["model"] == "tiny" and s.body["temperature"] == 0 for s in reference_server.seen)
    assert {s.authorization for s in reference_server.seen} == {f"Bearer {API_KEY}"}
    assert {s.body["max_tokens"] for s in reference_server.seen} == {96, 160}
    assert tripwire == [], "something tried to reach a host other than the endpoint"


@pytest.mark.evals
async def test_a_sandbox_that_cannot_run_code_is_an_error_not_a_zero(
    harness: Path, reference_server: ReferenceServer, keyed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every answer is right, but bwrap cannot start where lm-eval runs: no program runs (never
    unconfined), nothing is scored, and the claim says why instead of failing the model."""
    with tempfile.TemporaryDirectory(prefix="fake-bwrap-") as folder:
        Path(folder).chmod(0o755)  # the sandbox's unprivileged uid must be able to execute it
        fake = Path(folder) / "bwrap"
        fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
        check, outcome = await score(target_for(reference_server.base_url, "no-sandbox"), SUITES["code-small"])
    assert check.status == "error" and outcome is None
    assert check.reason is not None and check.reason.startswith("8 of 8 programs were not run: "), check.reason
    assert "does not work here" in check.reason and "No permissions to creating new namespace" in check.reason


# -- what cannot be scored is an error, with the reason ---------------------------------------------------------
@pytest.mark.evals
async def test_an_unreachable_server_is_an_error(harness: Path) -> None:
    target = target_for(f"http://127.0.0.1:{free_port()}/v1", "gone", api_key_env=None, endpoints=frozenset({"chat"}))
    check, outcome = await score(target, SUITES["json-format"].subset(2))
    assert check.status == "error" and outcome is None
    assert check.reason is not None and check.reason.startswith("lm-eval could not run json-format: ConnectionError")
    assert "Connection refused" in check.reason


async def test_a_missing_harness_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HARNESS_PYTHON_ENV, "/nonexistent/.venv-evals/bin/python")
    target = target_for(f"http://127.0.0.1:{free_port()}/v1", "any", api_key_env=None)
    check, outcome = await score(target, SUITES["json-format"])
    assert (check.status, check.reason, outcome) == (
        "error",
        "lm-eval could not run json-format: lm-eval is not installed (/nonexistent/.venv-evals/bin/python not "
        "found): run `make evals-env` (tools/install-evals.sh) to create .venv-evals",
        None,
    )


async def test_a_harness_that_dies_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dying = tmp_path / "python"
    dying.write_text("#!/bin/sh\necho 'Fatal Python error: Segmentation fault' >&2\nexit 139\n")
    dying.chmod(0o755)
    monkeypatch.setenv(HARNESS_PYTHON_ENV, str(dying))
    target = target_for(f"http://127.0.0.1:{free_port()}/v1", "any", api_key_env=None)
    check, outcome = await score(target, SUITES["code-small"])
    assert (check.status, check.reason, outcome) == (
        "error",
        "lm-eval could not run code-small: lm-eval exited with status 139 and no results: "
        "Fatal Python error: Segmentation fault",
        None,
    )


def _harness_processes() -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if str(DRIVER).encode() in args:
            found.append(cmdline.parent.name)
    return found


@pytest.mark.evals
async def test_a_deadline_stops_the_harness(harness: Path) -> None:
    """A server that never answers: the deadline cancels the check, and lm-eval goes with it."""
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        target = target_for(f"http://127.0.0.1:{silent.getsockname()[1]}/v1", "silent", api_key_env=None)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(4):
                await score(target, SUITES["json-format"])
    finally:
        silent.close()
    # The harness was SIGKILLed and waited for; a forked child of it leaves /proc once the kernel has reaped
    # it, which on a busy machine can lag a moment. Left alive, the harness would wait out its 120 s request
    # timeout and retries against the silent server, far beyond this safety net.
    deadline = time.monotonic() + 10
    while _harness_processes() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert _harness_processes() == []


# -- the real tiny vLLM server ---------------------------------------------------------------------------------
@pytest.mark.vllm
async def test_a_subset_runs_on_the_real_server_under_its_own_name(vllm_server: VllmServer, tmp_path: Path) -> None:
    only = {"capabilities": frozenset(), "served_context": None}  # the evals, and little else
    chat = target_for(vllm_server.base_url, "chat-only", endpoints=frozenset({"chat"}), **only)
    plain = target_for(vllm_server.base_url, "completions-only", endpoints=frozenset({"completions"}), **only)
    subsets = [s.subset(2) for s in bundled_suites()]
    before = now()
    summary = await run_probes(
        [chat, plain], evidence_dir=tmp_path, concurrency=2, workload=None, suites=subsets, deadlines=None
    )
    for result in summary.results:
        evals = {r.claim: r for r in result.records if r.claim.startswith("eval:")}
        assert sorted(evals) == ["eval:code-small-first-2", "eval:json-format-first-2"], "never the full names"
        for record in evals.values():
            assert record.status == "fail", (record.claim, record.reason)
            assert record.reason is not None and "is below the gate" in record.reason
        data = json.loads((tmp_path / f"{result.target.deployment_id}.json").read_text())
        assert [(e["task"], e["subset_of"], e["n"], e["full_n"]) for e in data["evals"]] == [
            ("code-small-first-2", "code-small", 2, 8),
            ("json-format-first-2", "json-format", 2, 10),
        ]
        for written in data["evals"]:
            assert (written["harness"], written["harness_version"]) == ("lm-eval", LM_EVAL_VERSION)
            assert written["version"] == "2.0" and written["score"] < written["gate"]
            assert before <= dt.datetime.fromisoformat(written["date"]) <= now()
    history = read_history(tmp_path / "history.jsonl")
    assert {line.claim for line in history.lines if line.claim.startswith("eval:")} == {
        "eval:code-small-first-2",
        "eval:json-format-first-2",
    }


@pytest.mark.vllm
async def test_a_server_that_answers_errors_fails_the_eval_in_its_words(
    vllm_server: VllmServer, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """Every eval request is answered 500 with the Authorization header in the message (a careless
    server): lm-eval gives up, the claim fails with the server's words, scrubbed, and nothing is scored."""
    fault_proxy.faults = {"/v1/chat/completions": Fault("echo-auth")}
    target = target_for(fault_proxy.base_url, "echoing", endpoints=frozenset({"chat"}), capabilities=frozenset())
    summary = await run_probes(
        [target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[SUITES["json-format"].subset(2)]
    )
    record = next(r for r in summary.results[0].records if r.claim == "eval:json-format-first-2")
    assert (record.status, record.reason) == (
        "fail",
        "lm-eval gave up on json-format: HTTP 500 from POST /v1/chat/completions: "
        "invalid credentials: Bearer [REDACTED] was refused",
    )
    assert ("/v1/chat/completions", "echo-auth") in fault_proxy.log
    data = json.loads((tmp_path / "echoing.json").read_text())
    assert data["evals"] == []
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        assert API_KEY not in path.read_text(), f"the API key leaked into {path.name}"


# -- task files --------------------------------------------------------------------------------------------------
def test_bundled_tasks_are_lm_eval_tasks_with_local_data() -> None:
    assert sorted(SUITES) == ["code-small", "json-format"]
    for suite in SUITES.values():
        text = suite.path.read_text()
        assert "custom_dataset: !function utils.docs" in text and "dataset_path" not in text, "local data only"
        assert suite.harness_task == suite.task and suite.limit is None
    assert (SUITES["json-format"].gate, SUITES["code-small"].gate) == (0.7, 0.5)


def test_a_subset_is_named_as_one() -> None:
    json_format = SUITES["json-format"]
    first3 = json_format.subset(3)
    assert (first3.task, first3.harness_task, first3.limit, first3.n) == ("json-format-first-3", "json-format", 3, 3)
    assert json_format.subset(10) == json_format, "all of the items is the task itself"
    assert json_format.subset(50) == json_format


def _task(tmp_path: Path, text: str, rows: str = '{"id": "a", "prompt": "p", "keys": {}}\n') -> Path:
    (tmp_path / "data.jsonl").write_text(rows)
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return path


GOOD = (
    "task: {name}\ncustom_dataset: !function utils.docs\nmetric_list:\n  - metric: m\n"
    "metadata:\n  version: 1.0\n  data: data.jsonl\n  kind: json\n  gate: {gate}\n"
)


def test_broken_tasks_name_their_file(tmp_path: Path) -> None:
    assert load_suite(_task(tmp_path, GOOD.format(name="ok-task", gate=0.5))).items[0]["id"] == "a"
    with pytest.raises(SuiteError) as info:
        load_suite(path := _task(tmp_path, GOOD.format(name="json_format", gate=0.5)))
    assert str(info.value) == (
        f"{path}: task: 'json_format' is not a name an eval:<task> claim can carry (lowercase, hyphens)"
    )
    with pytest.raises(SuiteError) as info:
        load_suite(path := _task(tmp_path, GOOD.format(name="x", gate=2)))
    assert str(info.value) == f"{path}: gate: must be 1 or less"
    with pytest.raises(SuiteError) as info:
        load_suite(path := _task(tmp_path, "task: x\nmetric_list: [{metric: m}]\nmetadata: {version: 1}\n"))
    assert str(info.value) == f"{path}: metadata.gate: required; metadata.kind: required; metadata.data: required"
    with pytest.raises(SuiteError) as info:
        load_suite(
            _task(tmp_path, GOOD.format(name="x", gate=0.5), '{"id": "a", "prompt": "p", "keys": {}}\n{"id": 1}\n')
        )
    assert str(info.value) == f"{tmp_path / 'data.jsonl'}:2: id: must be text"
