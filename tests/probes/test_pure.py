"""Pure parts of the probes: targets, planning, percentiles, schema checks, eval scoring, error text."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from probes.checks import Context, check_context_length
from probes.client import (
    MAX_BODY_BYTES,
    ClaimFailed,
    Client,
    Timeouts,
    describe_transport_error,
    error_message,
    redact_paths,
    scrub,
    scrub_bytes,
)
from probes.evals import (
    CodeItem,
    JsonItem,
    bundled_suites,
    code_program,
    first_json_object,
    score_json,
)
from probes.latency import percentile
from probes.runner import RunSummary, plan
from probes.schema_check import validate
from probes.target import ProbeTarget, TargetFileError, dump_target_json, load_target_json
from probes.workload import Workload


def _target(**kw: object) -> ProbeTarget:
    base: dict[str, object] = {
        "deployment_id": "d",
        "base_url": "http://127.0.0.1:8000/v1",
        "health_url": None,
        "served_name": "m",
        "api_key_env": None,
        "endpoints": frozenset({"chat"}),
        "capabilities": frozenset(),
        "served_context": None,
        "fim_tokens": None,
        "slo": {},
    }
    base.update(kw)
    return ProbeTarget(**base)  # type: ignore[arg-type]


def test_health_url_defaults_to_the_server_root() -> None:
    target = _target(base_url="https://llm.example:8443/v1")
    assert target.health_endpoint == "https://llm.example:8443/health"
    assert target.server_root == "https://llm.example:8443"
    assert _target(health_url="http://h/ready").health_endpoint == "http://h/ready"


def test_target_rejects_unknown_claims() -> None:
    with pytest.raises(ValueError, match=r"unknown endpoints \['chats'\].*unknown SLO keys \['ttft'\]"):
        _target(endpoints=frozenset({"chats"}), slo={"ttft": 1.0})


def test_target_json_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "targets.json"
    target = _target(endpoints=frozenset({"chat", "fim"}), fim_tokens=("<a>", "<b>", "<c>"), slo={"ttft_p95_ms": 250})
    dump_target_json([target], path)
    assert load_target_json(path) == [target]

    path.write_text(json.dumps([{"deployment_id": "x", "base_url": "ftp://h", "served_name": "m", "colour": 1}, 3]))
    with pytest.raises(TargetFileError) as info:
        load_target_json(path)
    assert str(info.value) == (f"{path}: [0] (x): unknown keys ['colour']\n{path}: [1]: expected an object")


def test_plan_follows_the_claims() -> None:
    suites = bundled_suites()
    claims = [c.claim for c in plan(_target(), Workload(), suites)]
    assert claims == ["health", "served-name", "endpoint:chat", "latency", "eval:code-small", "eval:json-format"]
    everything = _target(
        endpoints=frozenset({"chat", "completions", "responses", "embeddings", "fim"}),
        capabilities=frozenset({"streaming", "tools", "structured-output", "vision", "reasoning"}),
        served_context=1024,
    )
    assert [c.claim for c in plan(everything, None, [])] == [
        "health",
        "served-name",
        "context-length",
        "endpoint:responses",
        "endpoint:chat",
        "endpoint:completions",
        "endpoint:fim",
        "endpoint:embeddings",
        "capability:streaming",
        "capability:tools",
        "capability:structured-output",
        "capability:vision",
        "capability:reasoning",
    ]
    # An embeddings-only deployment generates nothing to time or grade.
    assert [c.claim for c in plan(_target(endpoints=frozenset({"embeddings"})), Workload(), suites)] == [
        "health",
        "served-name",
        "endpoint:embeddings",
    ]


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_schema_check() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string", "enum": ["x"]}},
        "required": ["a"],
        "additionalProperties": False,
    }
    assert validate({"a": 1, "b": "x"}, schema) == []
    assert validate({"a": True, "b": "y", "c": 0}, schema) == [
        "$.a: expected integer, got bool",
        "$.b: 'y' is not one of ['x']",
        "$: unexpected key 'c'",
    ]
    assert validate([], schema) == ["$: expected object, got list"]
    with pytest.raises(ValueError, match="does not support"):
        validate({}, {"type": "object", "patternProperties": {}})


def test_json_scoring() -> None:
    item = JsonItem(id="p", prompt="", keys={"name": "string", "age": "integer"}, equals={"age": 36})
    assert score_json(item, 'Sure! ```json\n{"name": "Ada", "age": 36}\n```')
    assert not score_json(item, '{"name": "Ada", "age": "36"}')
    assert not score_json(item, '{"name": "Ada", "age": 37}')
    assert not score_json(item, '{"name": "Ada"}')
    assert not score_json(item, "no json here {")
    assert first_json_object('x {bad} {"ok": 1}') == {"ok": 1}


def test_code_program_accepts_a_full_function_or_a_bare_body() -> None:
    item = CodeItem(
        id="add", prompt="def add(a, b):\n", entry_point="add", tests="assert add(1, 2) == 3\n", reference=""
    )
    full = code_program(item, "Here:\n```python\ndef add(a, b):\n    return a + b\n```\nDone.", chat=True)
    assert full.startswith("def add(a, b):\n    return a + b\n") and "assert add(1, 2) == 3" in full
    body = code_program(item, "    return a + b\n", chat=True)
    assert body.startswith("def add(a, b):\n    return a + b")
    completion = code_program(item, "    return a + b", chat=False)
    assert completion.startswith("def add(a, b):\n    return a + b")


def test_bundled_suites_load_and_are_not_named_after_benchmarks() -> None:
    suites = bundled_suites()
    assert {s.task for s in suites} == {"json-format", "code-small"}
    for suite in suites:
        assert "humaneval" not in suite.task.lower() and "mbpp" not in suite.task.lower()
        assert len(suite.items) >= 8


def test_error_message_extraction() -> None:
    assert error_message(b'{"error": {"message": "model x does not exist", "code": 404}}') == "model x does not exist"
    assert error_message(b'{"detail": "Not Found"}') == "Not Found"
    assert error_message(b"<html>  bad\n gateway </html>") == "<html> bad gateway </html>"
    assert error_message(b"") == "(empty body)"


def test_scrub_ignores_trivially_short_secrets() -> None:
    assert scrub("key sk-abc123 leaked", ("sk-abc123",)) == "key [REDACTED] leaked"
    assert scrub("a b c", ("a",)) == "a b c"


def test_transport_errors_are_named() -> None:
    timeouts = Timeouts(connect=1.5, read=2, request=9)
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    assert describe_transport_error(refused, "GET /health", timeouts, "h:1").reason == (
        "GET /health: connection refused (h:1)"
    )
    assert describe_transport_error(httpx.ConnectTimeout("x"), "GET /x", timeouts).reason == (
        "GET /x: connect timeout after 1.5 s"
    )
    assert describe_transport_error(httpx.ReadTimeout("x"), "GET /x", timeouts).reason == (
        "GET /x: read timeout, no data for 2 s"
    )
    assert describe_transport_error(TimeoutError(), "POST /v1/x", timeouts).reason == (
        "POST /v1/x: no complete response within the 9 s request deadline"
    )
    truncated = describe_transport_error(httpx.RemoteProtocolError("incomplete chunked read"), "POST /y", timeouts)
    assert truncated.reason.startswith("POST /y: response truncated") and not truncated.connect_phase


def test_exit_code_precedence() -> None:
    from catalog.evidence import ClaimRecord, Status
    from probes.runner import DeploymentResult

    def result(*statuses: Status) -> DeploymentResult:
        now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        return DeploymentResult(
            _target(), [ClaimRecord(claim="health", status=s, date=now) for s in statuses], None, None
        )

    assert RunSummary("r", "s", "f", [result("pass", "info")]).exit_code == 0
    assert RunSummary("r", "s", "f", [result("pass", "fail")]).exit_code == 1
    assert RunSummary("r", "s", "f", [result("fail"), result("error")]).exit_code == 2


# -- bounded probes: pure parts ----------------------------------------------------------------------------
def test_secrets_are_scrubbed_before_the_excerpt_is_cut() -> None:
    key = "sk-abcdef0123456789"
    body = json.dumps({"error": {"message": "x" * 190 + key + " and more"}}).encode()
    # Cut first, then scrubbed, this left "sk-abcdef0" behind.
    assert error_message(body, (key,)) == "x" * 190 + "[REDACTED]…"
    # A key echoed inside JSON with escaped slashes is the same key.
    slashed = "sk-ab/cd/0123456789"
    assert scrub_bytes(b'{"m": "Bearer sk-ab\\/cd\\/0123456789"}', (slashed,)) == b'{"m": "Bearer [REDACTED]"}'
    assert scrub('{"m": "sk-ab\\/cd\\/0123456789"}', (slashed,)) == '{"m": "[REDACTED]"}'


def test_machine_paths_are_shortened_and_urls_are_not() -> None:
    root = Path(__file__).resolve().parents[2]
    assert redact_paths(f"cannot write {root}/evidence/x.json") == "cannot write <repo>/evidence/x.json"
    assert redact_paths(f"'{Path.home()}/.cache'") == "'~/.cache'"
    # A sibling folder whose name starts like the repository's is not the repository.
    assert "<repo>" not in redact_paths(f"{root}2/x"), "only whole path components match"
    assert redact_paths("GET /v1/models: HTTP 404") == "GET /v1/models: HTTP 404"
    assert redact_paths("/srv/ev/a.json", {"/srv/ev": "<evidence>"}) == "<evidence>/a.json"


def test_timeouts_mark_the_host_as_down() -> None:
    timeouts = Timeouts(connect=1, read=2, request=9)
    assert describe_transport_error(httpx.ReadTimeout("x"), "GET /x", timeouts, "h:1").timed_out
    assert describe_transport_error(TimeoutError(), "GET /x", timeouts, "h:1").timed_out
    assert describe_transport_error(httpx.ConnectTimeout("x"), "GET /x", timeouts, "h:1").connect_phase
    truncated = describe_transport_error(httpx.RemoteProtocolError("x"), "GET /x", timeouts, "h:1")
    assert not truncated.timed_out and not truncated.connect_phase


def _mock_client(handler: Callable[[httpx.Request], httpx.Response], **target: object) -> Client:
    return Client(_target(**target), Timeouts(), transport=httpx.MockTransport(handler))


async def test_stream_lines_are_split_across_chunks_and_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PURE_TEST_KEY", "sk-streamed-key-42")
    pieces = [b'data: {"a": 1}\r\n\r\nda', b'ta: {"key": "sk-streamed', b'-key-42"}\n\n', b"data: [DONE]\n\n"]

    class Chunked(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

    async with _mock_client(lambda r: httpx.Response(200, stream=Chunked()), api_key_env="PURE_TEST_KEY") as client:
        result = await client.stream("/chat/completions", {})
    assert [e.data for e in result.events] == ['{"a": 1}', '{"key": "[REDACTED]"}', "[DONE]"]
    assert result.done and result.problems == []


async def test_bodies_over_the_cap_fail_unread() -> None:
    def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(10**10)}, stream=httpx.ByteStream(b"{}"))

    async with _mock_client(declared) as client:
        with pytest.raises(ClaimFailed) as info:
            await client.json("GET", "/models")
    assert info.value.reason == (
        "HTTP 200 from GET /v1/models: response body over 16777216 bytes (16 MiB): it declares 10000000000 bytes; "
        "none read"
    )

    class Endless(httpx.AsyncByteStream):
        served = 0

        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                Endless.served += 65536
                yield b" " * 65536

    async with _mock_client(lambda r: httpx.Response(200, stream=Endless())) as client:
        with pytest.raises(ClaimFailed, match=r"over 16777216 bytes \(16 MiB\); stopped reading there$"):
            await client.json("GET", "/models")
        with pytest.raises(ClaimFailed, match=r"over 16777216 bytes \(16 MiB\); stopped reading there$"):
            await client.stream("/chat/completions", {})
    assert Endless.served <= 2 * (MAX_BODY_BYTES + 65536), "each read stopped at the cap"


async def test_the_context_prompt_for_a_long_claim_takes_four_token_counts() -> None:
    """A 128k-token claim: the prompts are built by repetition and sized with /tokenize twice to
    calibrate and once each, not token by token (here against a stand-in that counts ' the' + 3)."""
    claimed = 131072
    counted: list[int] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "m", "max_model_len": claimed}]})
        body = json.loads(request.content)
        tokens = body.get("prompt", "").count(" the") + 3
        if request.url.path == "/tokenize":
            counted.append(tokens)
            return httpx.Response(200, json={"count": tokens, "tokens": [1] * tokens})
        if tokens + body.get("max_tokens", 0) > claimed:
            return httpx.Response(400, json={"error": {"message": f"{tokens} tokens is over {claimed}"}})
        return httpx.Response(200, json={"choices": [{"text": "x"}]})

    async with _mock_client(server, endpoints=frozenset({"completions"}), served_context=claimed) as client:
        started = time.perf_counter()
        result = await check_context_length(Context(client, client.target))
        took = time.perf_counter() - started
    assert (result.status, result.reason) == ("pass", None)
    assert result.value == {
        "claimed": claimed,
        "max_model_len": claimed,
        "endpoint": "POST /v1/completions",
        "margin_tokens": 9,
        "accepted_prompt_tokens": claimed - 9,
        "refused_prompt_tokens": claimed + 1,
        "server_error": f"{claimed + 1} tokens is over {claimed}",
    }
    assert counted == [19, 35, claimed - 9, claimed + 1]
    assert took < 5, f"{took:.1f} s"
