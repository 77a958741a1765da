"""The fail-closed guard's rules, without a proxy: LiteLLM is replaced by the two names the guard uses.

The real proxy runs it in `test_proxy.py`; these cases cover what one start there cannot (blank values,
a base URL that is not one, a config without the list) in milliseconds.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

GUARD = Path(__file__).resolve().parents[2] / "gateway" / "fail_closed.py"


def load_guard(monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any], env: dict[str, str]) -> types.ModuleType:
    """Import gateway/fail_closed.py as the proxy does, with `callback_settings` and an environment."""
    litellm = types.ModuleType("litellm")
    litellm.callback_settings = settings  # type: ignore[attr-defined]
    custom_logger = types.ModuleType("litellm.integrations.custom_logger")
    custom_logger.CustomLogger = type("CustomLogger", (), {})  # type: ignore[attr-defined]
    for name, module in {
        "litellm": litellm,
        "litellm.integrations": types.ModuleType("litellm.integrations"),
        "litellm.integrations.custom_logger": custom_logger,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    for name in ("LITELLM_MASTER_KEY", "QWEN_LOCAL_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("fail_closed", GUARD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def settings(*names: str) -> dict[str, Any]:
    return {"fail_closed": {"required_env": list(names)}}


GOOD = {"LITELLM_MASTER_KEY": "sk-x", "QWEN_LOCAL_API_BASE": "http://10.0.0.5:8000/v1"}


@pytest.mark.parametrize(
    ("config", "env", "refusal"),
    [
        (
            settings("LITELLM_MASTER_KEY", "QWEN_LOCAL_API_BASE"),
            {"LITELLM_MASTER_KEY": "sk-x"},
            "QWEN_LOCAL_API_BASE is unset or empty",
        ),
        (
            settings("LITELLM_MASTER_KEY", "QWEN_LOCAL_API_BASE"),
            {**GOOD, "QWEN_LOCAL_API_BASE": "  "},
            "QWEN_LOCAL_API_BASE is unset or empty",
        ),
        (
            settings("LITELLM_MASTER_KEY", "QWEN_LOCAL_API_BASE"),
            {**GOOD, "QWEN_LOCAL_API_BASE": "10.0.0.5:8000/v1"},
            "QWEN_LOCAL_API_BASE is not an http(s) URL",
        ),
        (settings("LITELLM_MASTER_KEY"), {}, "LITELLM_MASTER_KEY is unset or empty"),
        ({}, GOOD, "callback_settings.fail_closed.required_env is missing"),
        ({"fail_closed": {"required_env": []}}, GOOD, "callback_settings.fail_closed.required_env is missing"),
    ],
)
def test_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: dict[str, Any],
    env: dict[str, str],
    refusal: str,
) -> None:
    with pytest.raises(RuntimeError, match="the proxy refuses to start") as raised:
        load_guard(monkeypatch, config, env)
    assert refusal in str(raised.value)
    assert capsys.readouterr().err.startswith(f"fail_closed: the proxy refuses to start: {refusal}")


def test_starts_when_everything_is_set_and_refuses_a_model_without_api_base(monkeypatch: pytest.MonkeyPatch) -> None:
    guard = load_guard(monkeypatch, settings("LITELLM_MASTER_KEY", "QWEN_LOCAL_API_BASE"), GOOD).guard
    routed = {"model_name": "qwen-local", "litellm_params": {"api_base": "http://10.0.0.5:8000/v1"}}
    assert asyncio.run(guard.async_pre_call_check(routed, None)) is None
    for params in ({}, {"api_base": None}, {"api_base": ""}):
        with pytest.raises(RuntimeError, match="'by-hand' has no api_base"):
            asyncio.run(guard.async_pre_call_check({"model_name": "by-hand", "litellm_params": params}, None))
