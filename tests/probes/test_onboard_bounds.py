"""Bounded onboarding: a hostile server or config costs `discover` / `import litellm` a bounded time and memory,
and ends in one line that says what was wrong, never a traceback or a half-written catalog.

The servers are real loopback HTTP servers (tests/probes/test_secrets.py `LoopbackServer`) serving hostile
`/v1/models` bodies: huge, dripping, 200,000 models, names that differ only in case, `max_model_len: true`,
a JSON array, a 5,000-character id. The configs are real files: an alias bomb, a 5,000-character id.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from catalog import check_catalog
from catalog.onboard import MAX_DISCOVERED_MODELS, OnboardError, discover
from catalog.outbound import KEYS_ENV, MAX_BODY_BYTES, Timeouts
from testbed.tiny_model import REPO_ROOT
from tests.probes.test_secrets import LoopbackServer, json_answer

FAST = Timeouts(connect=1.0, read=1.0, request=2.0)
#: What starting a subprocess, or a busy machine, may add to a limit a test times.
SLACK_S = 8


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(KEYS_ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "catalog", *args],
        cwd=cwd or REPO_ROOT,
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


def one_line_error(done: subprocess.CompletedProcess[str], prefix: str = "discover") -> str:
    """The command failed with exactly one line on stderr, no traceback, nothing on stdout."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"python -m catalog {prefix}: "), done.stderr
    return done.stderr.removeprefix(f"python -m catalog {prefix}: ").removesuffix("\n")


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
    message = one_line_error(cli("discover", server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {server.base_url}/models: the answer is over {MAX_BODY_BYTES} bytes (16 MiB): it declares 2000000000 "
        "bytes; none read, nothing was written"
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
        discover(server.base_url, tmp_path / "cat", timeouts=Timeouts(), notes=print)
    assert str(info.value) == (
        f"GET {server.base_url}/models: the answer is over {MAX_BODY_BYTES} bytes (16 MiB); stopped reading there, "
        "nothing was written"
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
    """Before: no deadline at all, and a byte every 0.2 s kept `discover` waiting for ever (2 GB at that pace)."""
    server.routes["/v1/models"] = drip
    started = time.monotonic()
    with pytest.raises(OnboardError) as info:
        discover(server.base_url, tmp_path / "cat", timeouts=FAST, notes=print)
    took = time.monotonic() - started
    assert str(info.value) == (
        f"GET {server.base_url}/models: no complete answer within the 2 s request deadline; nothing was written "
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
        discover(server.base_url, tmp_path / "cat", timeouts=FAST, notes=print)
    assert str(info.value) == (
        f"GET {server.base_url}/models: read timeout, no data for 1 s; nothing was written "
        "(hint: check that the server answers at this URL)"
    )
    assert time.monotonic() - started < 1 + SLACK_S


def test_the_whole_discovery_has_a_deadline(server: LoopbackServer, tmp_path: Path) -> None:
    """Each answer comes in time, but 3 models x 4 endpoints at 0.5 s each outlast the discovery's deadline."""

    def slow_refusal(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.5)
        not_found(handler)

    server.routes["/v1/models"] = models({"id": "m-a"}, {"id": "m-b"}, {"id": "m-c"})
    server.route = slow_refusal
    started = time.monotonic()
    with pytest.raises(OnboardError) as info:
        discover(server.base_url, tmp_path / "cat", timeouts=Timeouts(request=10), deadline=2, notes=print)
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
    message = one_line_error(cli("discover", server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {server.base_url}/models lists 200000 models; discover takes at most {MAX_DISCOVERED_MODELS} from one "
        "server, and wrote nothing (hint: a listing this long is a gateway: import its config with `python -m "
        "catalog import litellm`, or discover the servers behind it one by one)"
    )
    assert [s.path for s in server.seen] == ["/v1/models"], "no model was asked about"
    assert not (tmp_path / "cat").exists()


def test_names_that_differ_only_in_case_are_refused_not_dropped(server: LoopbackServer, tmp_path: Path) -> None:
    """Before: `Qwen` and `qwen` both became deployments/qwen.yaml, and the second silently replaced the first."""
    server.routes["/v1/models"] = models({"id": "Qwen"}, {"id": "qwen"})
    message = one_line_error(cli("discover", server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f"GET {server.base_url}/models: the served names `Qwen` and `qwen` would both be written to "
        "deployments/qwen.yaml: a catalog id is lower case and is its file's name, so names that differ only in case "
        "or punctuation share a file; nothing was written (hint: serve them under names that differ in more than "
        "case or punctuation, e.g. with vLLM's --served-model-name)"
    )
    assert not (tmp_path / "cat").exists()


def test_a_json_array_is_one_line(server: LoopbackServer, tmp_path: Path) -> None:
    """Before: `AttributeError: 'list' object has no attribute 'get'`, with a traceback."""
    server.routes["/v1/models"] = lambda handler: json_answer(handler, 200, [{"id": "m"}])
    message = one_line_error(cli("discover", server.base_url, "--catalog", str(tmp_path / "cat")))
    assert message == (
        f'GET {server.base_url}/models answered JSON list, not an OpenAI model list (`{{"data": [...]}}`); nothing '
        "was written (hint: point discover at an OpenAI-compatible server's base URL, with /v1)"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "x" * 5000,
            f"the served name `{'x' * 40}…` is 5000 characters long; the catalog takes at most 200",
        ),
        (
            "y" * 81,
            f"the served name `{'y' * 40}…` would give the id `{'y' * 40}…` of 81 characters, longer than the 80 an "
            "id may have: an id is also its file's name",
        ),
        (
            "bad name",
            "the served name `bad name` holds a space, which a name in the catalog may not hold (letters, "
            "digits and `._:/-`)",
        ),
        ("../../etc/passwd", "the served name `../../etc/passwd` does not start with a letter or digit"),
    ],
)
def test_a_name_that_cannot_be_a_file_name_is_one_line(
    name: str, message: str, server: LoopbackServer, tmp_path: Path
) -> None:
    """Before: a 5,000-character id crashed with `OSError: [Errno 36] File name too long`, with a traceback."""
    server.routes["/v1/models"] = models({"id": name})
    got = one_line_error(cli("discover", server.base_url, "--catalog", str(tmp_path / "cat")))
    assert got == (
        f"GET {server.base_url}/models: {message}; nothing was written (hint: serve it under another name (e.g. "
        "vLLM's --served-model-name), or discover another server)"
    )
    assert not (tmp_path / "cat").exists()


def test_max_model_len_true_is_not_a_length(server: LoopbackServer, tmp_path: Path) -> None:
    """Before: `max_model_len: true` was written as a served context of 1 token."""
    server.routes["/v1/models"] = models(
        {"id": "flag", "max_model_len": True},
        {"id": "huge", "max_model_len": 10**30},
        {"id": "fine", "max_model_len": 8},
    )
    server.routes["/v1/chat/completions"] = lambda handler: json_answer(handler, 200, {"choices": []})
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


def test_a_hostile_root_falls_back_to_the_served_name(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/v1/models"] = models({"id": "ok-model", "root": "org/" + "r" * 5000})
    said: list[str] = []
    discover(server.base_url, tmp_path / "cat", notes=said.append)
    assert said == ["the model `ok-model`: its `root` is not a usable weights name, so its name stands in"]
    assert sorted(p.name for p in (tmp_path / "cat" / "models").iterdir()) == ["ok-model.yaml"]


def test_the_catalog_refuses_a_boolean_where_a_number_belongs(small_catalog: Path) -> None:
    path = small_catalog / "deployments" / "coder-chat.yaml"
    text = path.read_text().replace("max_model_len: 16384", "max_model_len: true")
    path.write_text(text.replace("stale_after_days", "x") + "stale_after_days: false\n")
    assert [e.format() for e in check_catalog(small_catalog)[1]] == [
        "cat/deployments/coder-chat.yaml:9:11: serving.max_model_len: `true` is a boolean, not a number (hint: write "
        "a number such as `8`, or leave the field out)",
        "cat/deployments/coder-chat.yaml:22:1: stale_after_days: `false` is a boolean, not a number (hint: write a "
        "number such as `8`, or leave the field out)",
    ]


@pytest.mark.parametrize(
    ("family", "message"),
    [
        (
            "F" * 270,
            "family: the family name is 270 characters long, over the 80 a family may have (hint: shorten it to at "
            "most 80 characters: the site names a file after each family)",
        ),
        (
            "Llama/3",
            "family: the family name holds `/`, which a family name may not hold (hint: write it with letters, "
            "digits, spaces and `.` `_` `:` `+` `(` `)` `-`: the site names a file after it)",
        ),
        ("-Llama", "family: the family name starts with `-` (hint: start it with a letter or a digit)"),
    ],
)
def test_a_family_that_cannot_name_a_file_is_refused(small_catalog: Path, family: str, message: str) -> None:
    """Before: a valid catalog with a 270-character family crashed the build with "File name too long"
    (llms/families/<family>.md)."""
    path = small_catalog / "models" / "llama3.1-8b.yaml"
    path.write_text(path.read_text().replace("family: Llama 3.1", f"family: {family!r}"))
    assert [e.format() for e in check_catalog(small_catalog)[1]] == [f"cat/models/llama3.1-8b.yaml:3:1: {message}"]


def test_the_longest_family_builds(small_catalog: Path, tmp_path: Path) -> None:
    from tests.site.sitebuild import build_site

    path = small_catalog / "models" / "llama3.1-8b.yaml"
    family = "Llama " + "3" * 74
    path.write_text(path.read_text().replace("family: Llama 3.1", f"family: '{family}'"))
    built = build_site(tmp_path, small_catalog)
    assert built.returncode == 0, built.output
    assert (built.site_dir / "llms" / "families" / f"llama-{'3' * 74}.md").is_file()


# -- hostile configs -----------------------------------------------------------------------------------------
def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_alias_bomb_in_a_config_is_one_line(tmp_path: Path) -> None:
    """Before: yaml.safe_load expanded 10^9 values (memory and minutes) before anything was checked."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)]
    lines += ["model_list:\n", "  - {model_name: m, litellm_params: {model: openai/m}}\n"]
    config = write_config(tmp_path, "".join(lines))
    started = time.monotonic()
    message = one_line_error(cli("import", "litellm", str(config), "--catalog", str(tmp_path / "cat")), "import")
    assert time.monotonic() - started < 60
    assert re.fullmatch(
        rf"{re.escape(str(config))}:\d+:\d+: <file>: anchors and aliases expand to more than 20000 values "
        r"\(hint: write the values out instead of nesting aliases\)",
        message,
    ), message
    assert not (tmp_path / "cat").exists()


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        (
            "{model_name: " + "a" * 5000 + ", litellm_params: {model: openai/gpt}}",
            "3:6: model_list[0].model_name",
            f"the alias `{'a' * 40}…` is 5000 characters long; the catalog takes at most 200",
        ),
        (
            "{model_name: ok, litellm_params: {model: openai/" + "b" * 5000 + "}}",
            "3:39: model_list[0].litellm_params.model",
            f"the model `{'b' * 40}…` is 5000 characters long; the catalog takes at most 200",
        ),
        (
            "{model_name: " + "c" * 90 + ", litellm_params: {model: openai/gpt}}",
            "3:6: model_list[0].model_name",
            f"the alias `{'c' * 40}…` would give the id `{'c' * 40}…` of 90 characters, longer than the 80 an id may "
            "have: an id is also its file's name",
        ),
    ],
)
def test_an_id_that_cannot_be_a_file_name_is_one_line(tmp_path: Path, entry: str, where: str, message: str) -> None:
    config = write_config(tmp_path, f"model_list:\n  # one entry\n  - {entry}\n")
    got = one_line_error(cli("import", "litellm", str(config), "--catalog", str(tmp_path / "cat")), "import")
    assert got == (
        f"{config}:{where}: {message}; nothing was written (hint: shorten it, or use letters, digits and `._:/-`; "
        "the catalog names a file after it)"
    )
    assert not (tmp_path / "cat").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[1, 2]\n",
            "1:1: <file>: the file holds a list, not a mapping (hint: write `field: value` lines at the top level)",
        ),
        (
            "model_list:\n  - !!python/object:os.system {}\n",
            "2:5: model_list[0]: unknown YAML tag `!!python/object:os.system`",
        ),
    ],
)
def test_other_hostile_configs_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path, text)
    got = one_line_error(cli("import", "litellm", str(config), "--catalog", str(tmp_path / "cat")), "import")
    assert got.startswith(f"{config}:{message}"), got


def test_a_config_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    config = write_config(tmp_path, "model_list: []\n" + "#" * (2 * 1024 * 1024) + "\n")
    got = one_line_error(cli("import", "litellm", str(config), "--catalog", str(tmp_path / "cat")), "import")
    assert got == (
        f"{config}: the file is 2.0 MiB; a config is read up to 1 MiB (hint: check that this is the proxy's "
        "config.yaml)"
    )
