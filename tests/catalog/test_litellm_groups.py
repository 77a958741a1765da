"""An alias shared by several deployments of one gateway is a group: the rules take it only when every member
says so, and the export writes one entry per member under the same `model_name` (LiteLLM balances them), with
each member's route settings and the gateway's routing and fallbacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from catalog import check_catalog
from catalog.evidence_folder import Evidence
from gateway.litellm_export import render_configs

GROUP_MEMBER = """# yaml-language-server: $schema=../schemas/deployments.json
fleet: team
model: qwen2.5-coder-7b-instruct-awq
backend: vllm
served_name: Qwen/Qwen2.5-Coder-7B-Instruct
gateway_alias: coder-chat
gateway: unified
route:
  group: true
  rpm: 60
  timeout_s: 30
  order: 2
  extra_headers:
    - {name: X-Tenant, value: team-a}
    - {name: Authorization, env: SECOND_KEY}
status: active
endpoint: {base_url: "http://10.0.0.7:8000/v1"}
endpoints: [chat]
summary: A second server for the same alias.
"""


def _errors(root: Path) -> list[str]:
    return [e.format() for e in check_catalog(root)[1]]


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _export(root: Path) -> dict[str, Any]:
    catalog, errors = check_catalog(root)
    assert catalog is not None, errors
    files = render_configs(catalog, Evidence(), dt.date(2026, 1, 1))
    loaded = yaml.safe_load(files["unified.yaml"])
    assert isinstance(loaded, dict)
    return loaded


def test_a_second_member_without_the_group_mark_is_refused(small_catalog: Path) -> None:
    (small_catalog / "deployments" / "coder-chat-2.yaml").write_text(
        GROUP_MEMBER.replace("  group: true\n", ""), encoding="utf-8"
    )
    assert any(
        "gateway alias `coder-chat` is already used by deployment `coder-chat`" in e for e in _errors(small_catalog)
    )


def test_a_group_on_two_gateways_is_refused(small_catalog: Path) -> None:
    _edit(small_catalog, "deployments/coder-chat.yaml", "gateway: unified", "gateway: unified\nroute: {group: true}")
    member = GROUP_MEMBER.replace("gateway: unified", "gateway: other")
    (small_catalog / "deployments" / "coder-chat-2.yaml").write_text(member, encoding="utf-8")
    _edit(small_catalog, "site.yaml", "gateways:\n", "gateways:\n  other: {name: Other}\n")
    found = _errors(small_catalog)
    assert any("all deployments that share an alias belong to one gateway" in e for e in found), found


def test_a_group_exports_one_entry_per_member_with_its_route(small_catalog: Path) -> None:
    _edit(small_catalog, "deployments/coder-chat.yaml", "gateway: unified", "gateway: unified\nroute: {group: true}")
    (small_catalog / "deployments" / "coder-chat-2.yaml").write_text(GROUP_MEMBER, encoding="utf-8")
    _edit(
        small_catalog,
        "site.yaml",
        "    name: Unified LiteLLM gateway\n",
        "    name: Unified LiteLLM gateway\n    router: {routing_strategy: least-busy, num_retries: 2}\n"
        "    fallbacks: [{alias: coder-chat, to: [coder-fim]}]\n",
    )
    assert _errors(small_catalog) == []
    config = _export(small_catalog)
    members = [e for e in config["model_list"] if e["model_name"] == "coder-chat"]
    assert len(members) == 2
    bases = {m["litellm_params"]["api_base"] for m in members}
    assert bases == {"http://127.0.0.1:9/v1", "http://10.0.0.7:8000/v1"}, "each member keeps its own server"
    (second,) = [m["litellm_params"] for m in members if m["litellm_params"]["api_base"].startswith("http://10.")]
    assert (second["rpm"], second["timeout"], second["order"]) == (60, 30.0, 2)
    assert second["extra_headers"] == {"X-Tenant": "team-a", "Authorization": "os.environ/SECOND_KEY"}
    assert "SECOND_KEY" in config["callback_settings"]["fail_closed"]["required_env"], "a header's variable is required"
    assert config["router_settings"] == {
        "routing_strategy": "least-busy",
        "num_retries": 2,
        "fallbacks": [{"coder-chat": ["coder-fim"]}],
    }


def test_a_fallback_to_an_alias_the_gateway_does_not_route_is_refused(small_catalog: Path) -> None:
    _edit(
        small_catalog,
        "site.yaml",
        "    name: Unified LiteLLM gateway\n",
        "    name: Unified LiteLLM gateway\n    fallbacks: [{alias: coder-chat, to: [coder-fim2]}]\n",
    )
    found = _errors(small_catalog)
    assert len(found) == 1 and "fallback alias `coder-fim2` is not routed by gateway `unified`" in found[0], found
    assert "did you mean `coder-fim`" in found[0] or "coder-fim" in found[0]


def test_a_literal_credential_header_is_refused(small_catalog: Path) -> None:
    member = GROUP_MEMBER.replace("{name: Authorization, env: SECOND_KEY}", "{name: Authorization, value: sk-123}")
    (small_catalog / "deployments" / "coder-chat-2.yaml").write_text(member, encoding="utf-8")
    found = _errors(small_catalog)
    assert any("carries a credential, so its value is never written" in e for e in found), found


def test_an_entry_whose_provider_sends_a_key_must_name_it(small_catalog: Path) -> None:
    _edit(small_catalog, "backends/vllm.yaml", "kind: vllm", "kind: vllm\nlitellm_provider: openai")
    found = _errors(small_catalog)
    assert any("LiteLLM's `openai` provider, which sends an API key" in e for e in found), found


def test_the_bundled_export_lists_every_key_its_entries_need() -> None:
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "gateway" / "reference-litellm.yaml").read_text())
    required = set(config["callback_settings"]["fail_closed"]["required_env"])
    entries = {e["model_name"]: e["litellm_params"] for e in config["model_list"]}
    assert entries["claude-haiku"]["model"].startswith("openai/"), "the egress answers in OpenAI's format"
    for name, params in entries.items():
        if not params["model"].startswith(("hosted_vllm/", "ollama")):
            key = params.get("api_key", "")
            assert key.startswith("os.environ/"), name
            assert key.removeprefix("os.environ/") in required, name
