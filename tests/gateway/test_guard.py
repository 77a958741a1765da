"""The fail-closed guard's rules, without a proxy: LiteLLM is replaced by the few names the guard uses.

The real proxy runs it in `test_proxy.py` (a missing variable, three hand edits, `/health` on demand and in
the background); these cases cover every rule, one at a time, with its exact message, in milliseconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import shutil
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog import load_catalog
from catalog.evidence_folder import Evidence
from catalog.providers import DEFAULT_PROVIDER
from gateway.litellm_export import PRIVATE_SUFFIXES, _env_name, is_private_host, render_configs
from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / "gateway" / "fail_closed.py"
MASTER = "LITELLM_MASTER_KEY"
QWEN = "QWEN_LOCAL_API_BASE"
REQUIRED = [MASTER, QWEN]
GOOD_ENV = {MASTER: "sk-x", QWEN: "http://10.0.0.5:8000/v1"}
QWEN_ENTRY = {
    "model_name": "qwen-local",
    "litellm_params": {"model": "hosted_vllm/qwen", "api_base": f"os.environ/{QWEN}"},
}


class HealthCheck:
    """Stands in for `litellm.ahealth_check`: records what it was asked to probe."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, model_params: dict[str, Any], mode: str | None = None, **_: object) -> dict[str, Any]:
        self.calls.append(model_params)
        return {}


def load_guard(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    env: dict[str, str],
    required: object = REQUIRED,
    model_list: list[dict[str, Any]] | None = None,
    *,
    loaded: int | None = None,
    config_file: bool = True,
) -> types.ModuleType:
    """Import gateway/fail_closed.py as the proxy does: `callback_settings` set, the config file it loaded
    written, and LiteLLM's state holding `loaded` entries (default: as many as the file lists)."""
    entries = [QWEN_ENTRY] if model_list is None else model_list
    settings = {} if required is None else {"fail_closed": {"required_env": required}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"callback_settings": settings, "model_list": entries}), encoding="utf-8")
    litellm = types.ModuleType("litellm")
    litellm.callback_settings = settings  # type: ignore[attr-defined]
    litellm.ahealth_check = HealthCheck()  # type: ignore[attr-defined]
    custom_logger = types.ModuleType("litellm.integrations.custom_logger")
    custom_logger.CustomLogger = type("CustomLogger", (), {})  # type: ignore[attr-defined]
    proxy_server = types.ModuleType("litellm.proxy.proxy_server")
    proxy_server.user_config_file_path = str(path) if config_file else None  # type: ignore[attr-defined]
    state = {"model_list": [{}] * (len(entries) if loaded is None else loaded)}
    proxy_server.proxy_config = types.SimpleNamespace(get_config_state=lambda: state)  # type: ignore[attr-defined]
    proxy = types.ModuleType("litellm.proxy")
    proxy.proxy_server = proxy_server  # type: ignore[attr-defined]
    for name, module in {
        "litellm": litellm,
        "litellm.integrations": types.ModuleType("litellm.integrations"),
        "litellm.integrations.custom_logger": custom_logger,
        "litellm.proxy": proxy,
        "litellm.proxy.proxy_server": proxy_server,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    for name in {*GOOD_ENV, *env}:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("fail_closed", GUARD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> types.ModuleType:
    """The guard module, started with a config that passes: its functions, to call with other configs."""
    return load_guard(monkeypatch, tmp_path, GOOD_ENV)


def entry(name: str, **params: object) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": "hosted_vllm/m", **params}}


LOCAL = "http://127.0.0.1:8000/v1"
NO_API_BASE = (
    "model_list[1] 'by-hand' has no api_base, so LiteLLM would send its requests and health checks to the"
    " provider's public default: add `api_base: os.environ/BY_HAND_API_BASE` and set BY_HAND_API_BASE"
)
WILDCARD = (
    "it routes model names nobody listed, to whatever provider the caller names, and its health check picks"
    " models of its own: list each model as its own entry"
)
PROVIDERS = "anthropic, hosted_vllm, ollama, ollama_chat, openai"

#: (what the config adds to QWEN_ENTRY, extra environment, the whole message the guard gives)
START_RULES: list[tuple[str, list[dict[str, Any]], dict[str, str], str]] = [
    ("no api_base", [entry("by-hand")], {}, NO_API_BASE),
    ("blank api_base", [entry("by-hand", api_base=" ")], {}, NO_API_BASE),
    (
        "an api_base variable no list names, unset",
        [entry("by-hand", api_base="os.environ/BY_HAND_API_BASE")],
        {},
        "BY_HAND_API_BASE is unset or empty (read by model_list[1] 'by-hand')",
    ),
    (
        "a key variable, unset (LiteLLM would fall back to the provider's own variable)",
        [entry("by-hand", api_base=LOCAL, api_key="os.environ/OPENAI_API_KEY")],
        {},
        "OPENAI_API_KEY is unset or empty (read by model_list[1] 'by-hand')",
    ),
    (
        "an api_base variable that is not a URL, whatever its name",
        [entry("by-hand", api_base="os.environ/BY_HAND_URL")],
        {"BY_HAND_URL": "10.0.0.5:8000/v1"},
        "BY_HAND_URL is not an http(s) URL (read by model_list[1] 'by-hand')",
    ),
    (
        "a wildcard model_name",
        [entry("*", api_base=LOCAL)],
        {},
        f"model_list[1] '*' is a wildcard (model_name '*'): {WILDCARD}",
    ),
    (
        "a wildcard model",
        [{"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": LOCAL}}],
        {},
        f"model_list[1] 'openai/*' is a wildcard (model_name 'openai/*', model 'openai/*'): {WILDCARD}",
    ),
    (
        "a provider that does not hold to api_base",
        [{"model_name": "claude", "litellm_params": {"model": "bedrock/anthropic.claude-v2", "api_base": LOCAL}}],
        {},
        "model_list[1] 'claude' uses provider 'bedrock', which the guard cannot hold to api_base: write model as"
        f" <provider>/<model> with one of {PROVIDERS}",
    ),
    (
        "a provider set apart from the model",
        [entry("gem", api_base=LOCAL, custom_llm_provider="vertex_ai")],
        {},
        "model_list[1] 'gem' uses provider 'vertex_ai', which the guard cannot hold to api_base: write model as"
        f" <provider>/<model> with one of {PROVIDERS}",
    ),
    (
        "no provider at all (LiteLLM would guess one from the name)",
        [{"model_name": "gpt", "litellm_params": {"model": "gpt-4o", "api_base": LOCAL}}],
        {},
        "model_list[1] 'gpt' names no provider (model 'gpt-4o'), which the guard cannot hold to api_base: write"
        f" model as <provider>/<model> with one of {PROVIDERS}",
    ),
    (
        "a provider's public API written into the file",
        [entry("by-hand", api_base="https://user:secret@api.openai.com/v1")],
        {},
        "model_list[1] 'by-hand' has api_base https://api.openai.com, which is not a loopback or private address"
        " (the export writes only those): point it at one, or write `api_base: os.environ/BY_HAND_API_BASE` and"
        " set BY_HAND_API_BASE",
    ),
    (
        "any other public host written into the file",
        [entry("by-hand", api_base="http://llm.example.com:8000/v1")],
        {},
        "model_list[1] 'by-hand' has api_base http://llm.example.com:8000, which is not a loopback or private"
        " address (the export writes only those): point it at one, or write `api_base: os.environ/BY_HAND_API_BASE`"
        " and set BY_HAND_API_BASE",
    ),
    (
        "a public IP address written into the file",
        [entry("by-hand", api_base="http://8.8.8.8/v1")],
        {},
        "model_list[1] 'by-hand' has api_base http://8.8.8.8, which is not a loopback or private address (the"
        " export writes only those): point it at one, or write `api_base: os.environ/BY_HAND_API_BASE` and set"
        " BY_HAND_API_BASE",
    ),
    (
        "a literal that is not a URL",
        [entry("by-hand", api_base="localhost:8000")],
        {},
        "model_list[1] 'by-hand' has api_base 'localhost:8000', which is not an http(s) URL",
    ),
    (
        "two aliases that read one api_base variable",
        [entry("qwen-local-2", api_base=f"os.environ/{QWEN}")],
        {},
        f"model_list[0] 'qwen-local' and model_list[1] 'qwen-local-2' read api_base from the same variable {QWEN},"
        " so one setting routes both aliases to one server: give each alias its own"
        " (os.environ/QWEN_LOCAL_API_BASE, os.environ/QWEN_LOCAL_2_API_BASE)",
    ),
    (
        "a health-check model of another provider",
        [{**entry("by-hand", api_base=LOCAL), "model_info": {"health_check_model": "gemini/gemini-pro"}}],
        {},
        "model_list[1] 'by-hand' uses provider 'gemini', which the guard cannot hold to api_base: write"
        f" model_info.health_check_model as <provider>/<model> with one of {PROVIDERS}",
    ),
    (
        "a wildcard health-check model",
        [{**entry("by-hand", api_base=LOCAL), "model_info": {"health_check_model": "openai/*"}}],
        {},
        f"model_list[1] 'by-hand' is a wildcard (model_info.health_check_model 'openai/*'): {WILDCARD}",
    ),
    (
        "health-check parameters that move the probe",
        [{**entry("by-hand", api_base=LOCAL), "model_info": {"health_check_params": {"api_base": None}}}],
        {},
        "model_list[1] 'by-hand' sets model_info.health_check_params.api_base, which would send its health check"
        " elsewhere than its api_base: remove it",
    ),
    (
        "an entry whose callers may pick api_base",
        [entry("by-hand", api_base=LOCAL, configurable_clientside_auth_params=["api_base"])],
        {},
        "model_list[1] 'by-hand' sets configurable_clientside_auth_params, which lets a caller pick api_base:"
        " remove it",
    ),
]


@pytest.mark.parametrize(
    ("added", "env", "refusal"), [case[1:] for case in START_RULES], ids=[case[0] for case in START_RULES]
)
def test_each_rule_refuses_to_start_with_its_message(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    added: list[dict[str, Any]],
    env: dict[str, str],
    refusal: str,
) -> None:
    with pytest.raises(RuntimeError) as raised:
        load_guard(monkeypatch, tmp_path, GOOD_ENV | env, model_list=[QWEN_ENTRY, *added])
    # One problem, one message: the whole refusal is this line, which is also what the log shows first.
    assert str(raised.value) == f"fail_closed: the proxy refuses to start: {refusal}"
    assert capsys.readouterr().err == f"fail_closed: the proxy refuses to start: {refusal}\n"


@pytest.mark.parametrize(
    ("required", "env", "model_list", "refusal"),
    [
        (REQUIRED, {MASTER: "sk-x"}, None, f"{QWEN} is unset or empty"),
        (REQUIRED, GOOD_ENV | {QWEN: "  "}, None, f"{QWEN} is unset or empty"),
        (REQUIRED, GOOD_ENV | {QWEN: "10.0.0.5:8000/v1"}, None, f"{QWEN} is not an http(s) URL"),
        # A `*_API_BASE` variable the list names is checked even when no entry reads it.
        ([MASTER, QWEN], GOOD_ENV | {QWEN: "qwen:8000"}, [], f"{QWEN} is not an http(s) URL"),
        (
            REQUIRED,
            GOOD_ENV | {QWEN: "https://api.anthropic.com"},
            None,
            f"{QWEN} points at https://api.anthropic.com, a provider's public API (read by model_list[0]"
            " 'qwen-local'): it must hold the address of your own server or egress",
        ),
        ([MASTER], {}, [], f"{MASTER} is unset or empty"),
        (None, GOOD_ENV, None, "callback_settings.fail_closed.required_env is missing"),
        ([], GOOD_ENV, None, "callback_settings.fail_closed.required_env is missing"),
    ],
)
def test_variables_refuse_to_start(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    required: object,
    env: dict[str, str],
    model_list: list[dict[str, Any]] | None,
    refusal: str,
) -> None:
    with pytest.raises(RuntimeError, match="the proxy refuses to start") as raised:
        load_guard(monkeypatch, tmp_path, env, required, model_list)
    assert str(raised.value).startswith(f"fail_closed: the proxy refuses to start: {refusal}")


def test_every_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hand_edits = [entry("by-hand"), entry("*", api_base=LOCAL), entry("qwen-2", api_base=f"os.environ/{QWEN}")]
    with pytest.raises(RuntimeError) as raised:
        load_guard(monkeypatch, tmp_path, {MASTER: "sk-x"}, model_list=[QWEN_ENTRY, *hand_edits])
    found = str(raised.value).removeprefix("fail_closed: the proxy refuses to start: ").split("; ")
    assert found[0] == f"{QWEN} is unset or empty"
    assert found[1].startswith("model_list[1] 'by-hand' has no api_base")
    assert found[2].startswith("model_list[2] '*' is a wildcard")
    assert found[3].startswith("model_list[0] 'qwen-local' and model_list[3] 'qwen-2' read api_base")
    assert len(found) == 4


def test_settings_that_let_callers_pick_a_destination_refuse_to_start(guard: types.ModuleType) -> None:
    config = {"model_list": [QWEN_ENTRY], "general_settings": {"allow_client_side_credentials": True}}
    assert guard.problems(REQUIRED, GOOD_ENV, config, 1) == [
        "general_settings.allow_client_side_credentials lets a caller pick api_base: remove it"
    ]


def test_entries_litellm_loaded_from_elsewhere_refuse_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as raised:
        load_guard(monkeypatch, tmp_path, GOOD_ENV, loaded=3)
    assert str(raised.value) == (
        "fail_closed: the proxy refuses to start: LiteLLM loaded 3 model_list entries but the config file lists 1"
        " (an include: or a config bucket added some), and the guard checks only what the file lists: put every"
        " entry in it"
    )


def test_a_proxy_without_a_config_file_refuses_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as raised:
        load_guard(monkeypatch, tmp_path, GOOD_ENV, config_file=False)
    assert str(raised.value).startswith(
        "fail_closed: the proxy refuses to start: the guard cannot read the config file the proxy loaded"
    )


@pytest.mark.parametrize(
    "api_base",
    [
        "http://localhost:8001/v1",
        "http://127.0.0.1:9/v1",
        "http://[::1]:8000/v1",
        "http://10.1.2.3:8000/v1",
        "https://192.168.0.7/v1",
        "http://172.20.0.2:8000",
        "http://vllm:8000/v1",
        "http://qwen.internal:8000/v1",
        "http://vllm.default.svc.cluster.local:8000/v1",
        "http://box.home.arpa:11434",
        "http://api.localhost/v1",
    ],
)
def test_a_loopback_or_private_literal_starts(guard: types.ModuleType, api_base: str) -> None:
    config = {"model_list": [QWEN_ENTRY, entry("by-hand", api_base=api_base)]}
    assert guard.problems(REQUIRED, GOOD_ENV, config, 2) == []


def test_one_alias_may_spread_over_two_entries(guard: types.ModuleType) -> None:
    """Load balancing: two entries with one model_name may read one variable; it is still one alias."""
    config = {"model_list": [QWEN_ENTRY, QWEN_ENTRY]}
    assert guard.problems(REQUIRED, GOOD_ENV, config, 2) == []


def test_a_variable_may_hold_any_address_but_a_providers_public_api(guard: types.ModuleType) -> None:
    """The guard cannot tell a private name from a public one without a lookup of its own; it refuses what it knows."""
    for value in ("https://egress.corp.example.com/v1", "http://203.0.113.7:8000/v1", "https://llm.example.net"):
        assert guard.problems(REQUIRED, GOOD_ENV | {QWEN: value}, {"model_list": [QWEN_ENTRY]}, 1) == []
    for value in ("https://api.openai.com/v1", "https://eu.api.openai.com", "https://API.ANTHROPIC.COM."):
        assert guard.problems(REQUIRED, GOOD_ENV | {QWEN: value}, {"model_list": [QWEN_ENTRY]}, 1) != []


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_request_for_a_model_without_api_base_is_refused(guard: types.ModuleType) -> None:
    check = guard.guard.async_pre_call_check
    assert (
        run(check({"model_name": "qwen-local", "litellm_params": {"model": "hosted_vllm/q", "api_base": LOCAL}}, None))
        is None
    )
    for params in ({"model": "hosted_vllm/q"}, {"model": "hosted_vllm/q", "api_base": None}, {"api_base": ""}):
        with pytest.raises(RuntimeError, match="'by-hand' has no api_base") as raised:
            run(check({"model_name": "by-hand", "litellm_params": params}, None))
        assert str(raised.value).startswith("fail_closed: model 'by-hand' has no api_base")
    refused = {
        "https://api.openai.com/v1": "fail_closed: model 'x' has api_base https://api.openai.com, a provider's public API; refused",
        "localhost:8000": "fail_closed: model 'x' has an api_base that is not an http(s) URL; refused",
    }
    for api_base, message in refused.items():
        with pytest.raises(RuntimeError) as raised:
            run(check({"model_name": "x", "litellm_params": {"model": "hosted_vllm/q", "api_base": api_base}}, None))
        assert str(raised.value) == message
    with pytest.raises(RuntimeError, match="is a wildcard"):
        run(check({"model_name": "x", "litellm_params": {"model": "openai/*", "api_base": LOCAL}}, None))
    with pytest.raises(RuntimeError, match="uses provider 'bedrock'"):
        run(check({"model_name": "x", "litellm_params": {"model": "bedrock/claude", "api_base": LOCAL}}, None))


def test_a_health_check_of_a_model_without_api_base_is_unhealthy_and_never_made(guard: types.ModuleType) -> None:
    """`/health`, the background loop and `/health/test_connection` all call `litellm.ahealth_check`."""
    import litellm  # the stand-in load_guard put in sys.modules

    wrapped = litellm.ahealth_check
    original: HealthCheck = wrapped.__wrapped__
    assert isinstance(original, HealthCheck)
    result = run(wrapped({"model": "hosted_vllm/q", "messages": []}, mode="chat", prompt="hi"))
    assert result["error"] == (
        "fail_closed: model 'hosted_vllm/q' has no api_base, so LiteLLM would send it to the provider's public"
        " default; health check refused"
    )
    assert isinstance(result["exception"], RuntimeError)
    assert original.calls == []
    # The keyword form, as `/health/test_connection` calls it; and a model with its api_base goes through.
    assert "error" in run(wrapped(model_params={"model": "openai/*", "api_base": LOCAL}, mode="chat"))
    assert run(wrapped(model_params={"model": "hosted_vllm/q", "api_base": LOCAL}, mode="chat")) == {}
    assert original.calls == [{"model": "hosted_vllm/q", "api_base": LOCAL}]


def test_a_second_import_wraps_the_health_check_once(monkeypatch: pytest.MonkeyPatch, guard: types.ModuleType) -> None:
    import litellm

    first = litellm.ahealth_check
    spec = importlib.util.spec_from_file_location("fail_closed", GUARD)
    assert spec and spec.loader
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert litellm.ahealth_check is not first
    assert litellm.ahealth_check.__wrapped__ is first.__wrapped__


def test_provider_pass_through_routes_are_refused(guard: types.ModuleType) -> None:
    hook: Callable[..., Any] = guard.guard.async_pre_call_hook
    with pytest.raises(RuntimeError, match="pass-through routes go to the provider's public API"):
        run(hook(user_api_key_dict=None, cache=None, data={}, call_type="pass_through_endpoint"))
    assert run(hook(user_api_key_dict=None, cache=None, data={"model": "qwen-local"}, call_type="acompletion")) is None


# The export and the guard: what one writes, the other accepts.


def test_the_export_and_the_guard_share_their_rules(guard: types.ModuleType) -> None:
    assert guard.PRIVATE_SUFFIXES == PRIVATE_SUFFIXES
    for alias in ("qwen-local", "llama3.1:8b", "Qwen/Qwen2.5-0.5B", "coder.fim", "a--b"):
        assert guard.env_name(alias) == _env_name(alias)
    hosts = ["localhost", "127.0.0.1", "::1", "10.0.0.1", "vllm", "x.internal", "x.example.com", "8.8.8.8", "fe80::1"]
    assert [guard.is_private_host(h) for h in hosts] == [is_private_host(h) for h in hosts]
    bundled = {b.litellm_provider for b in load_catalog().backends.values() if b.litellm_provider}
    assert {*DEFAULT_PROVIDER.values(), *bundled} <= guard.PROVIDERS


def _start_problems(guard: types.ModuleType, text: str) -> list[str]:
    """What the guard says about an exported config, every variable it needs set to a private address."""
    config = yaml.safe_load(text)
    required = config["callback_settings"]["fail_closed"]["required_env"]
    env = {name: "http://10.0.0.9:8000/v1" if name.endswith("_API_BASE") else "set" for name in required}
    return list(guard.problems(required, env, config, len(config["model_list"])))


def test_every_committed_config_starts(guard: types.ModuleType) -> None:
    for path in sorted((REPO / "gateway").glob("*.yaml")):
        assert _start_problems(guard, path.read_text(encoding="utf-8")) == [], path.name


def test_the_export_gives_every_alias_its_own_variable(
    guard: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`coder-fim` and `coder.fim` spell one variable; a public published URL goes to a variable too."""
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    fim = catalog / "deployments" / "coder-fim.yaml"
    (catalog / "deployments" / "coder-fim-dot.yaml").write_text(
        fim.read_text().replace("gateway_alias: coder-fim", "gateway_alias: coder.fim")
    )
    chat = catalog / "deployments" / "coder-chat.yaml"
    chat.write_text(chat.read_text().replace("http://127.0.0.1:9/v1", "https://llm.example.com/v1"))
    monkeypatch.chdir(tmp_path)
    text = render_configs(load_catalog(Path("cat")), Evidence(), dt.date(2026, 11, 21))["unified.yaml"]
    bases = {e["model_name"]: e["litellm_params"]["api_base"] for e in yaml.safe_load(text)["model_list"]}
    assert bases == {
        "coder-chat": "os.environ/CODER_CHAT_API_BASE",
        "coder-fim": "os.environ/CODER_FIM_899A60_API_BASE",
        "coder.fim": "os.environ/CODER_FIM_FD9ECF_API_BASE",
    }
    listed = text.split("# Variables the proxy needs:\n")[1].split("litellm_settings:")[0]
    header = dict(line.split(maxsplit=2)[1:] for line in listed.splitlines())
    assert (
        header["CODER_CHAT_API_BASE"]
        == "base URL of the server behind `coder-chat` (published: https://llm.example.com/v1)"
    )
    assert _start_problems(guard, text) == []
