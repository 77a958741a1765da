"""`python -m onboarding import-litellm` on public configs written by others (tests/fixtures/litellm-public),
then `python -m gateway export`: every `model_name` routes to the same members, nothing invalid or secret is
written, nothing is dropped silently.

The round trip compares what LiteLLM routes on, per alias, as a multiset of members: provider/model, api_base,
the carried per-entry settings (rpm, tpm, timeouts, retries, api_version, order, weight, extra headers,
prices, mode), and gateway-wide routing (router settings, the three kinds of fallbacks). Where the export
changes an address on purpose it is said below: a provider's public default (no api_base) or a public literal
becomes a variable the guard requires (fail-closed: traffic goes through the fleet's egress, never straight out),
and a member's key is always read from a variable (a literal key is never written).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog import check_catalog
from catalog.types import BackendKind
from gateway.litellm_export import is_private_host
from onboarding.litellm_import import guess_mode, import_litellm, provider_backend
from onboarding.onboard import OnboardError
from tests.site.sitebuild import REPO_ROOT, build_site

PUBLIC = REPO_ROOT / "tests" / "fixtures" / "litellm-public"
CONFIGS = sorted(p for p in PUBLIC.glob("*.yaml") if p.name != "SOURCES.yaml")
ROUTE_KEYS = ("rpm", "tpm", "timeout", "stream_timeout", "max_retries", "order", "weight")
ROUTER_KEYS = ("routing_strategy", "num_retries", "timeout", "allowed_fails", "cooldown_time", "retry_after")
LITELLM_ROUTING = {"num_retries": "num_retries", "request_timeout": "timeout", "allowed_fails": "allowed_fails"}
LITELLM_ROUTING["cooldown_time"] = "cooldown_time"
FALLBACKS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


def _cli(package: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", package, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _is_env(value: object) -> bool:
    return isinstance(value, str) and value.startswith("os.environ/")


def _wildcard(entry: dict[str, Any]) -> bool:
    return "*" in str(entry["model_name"]) or "*" in str(entry["litellm_params"]["model"])


def _member(params: dict[str, Any], info: dict[str, Any], *, exported: bool) -> tuple[Any, ...]:
    """What LiteLLM routes one entry on. `exported`: read the export (else the original, as it is meant)."""
    model = str(params["model"])
    if params.get("custom_llm_provider"):
        model = f"{params['custom_llm_provider']}/{model}"
    elif "/" not in model:
        model = f"openai/{model}"  # the import reads a bare name as openai/ and says so
    base = params.get("api_base", params.get("base_url"))
    if isinstance(base, str) and not _is_env(base):
        base = base.rstrip("/")
        if not is_private_host(base.split("://", 1)[-1].split("/")[0].split(":")[0]):
            base = "public"
    if base is None or (exported and _is_env(base) and base.endswith("_API_BASE") and base not in _ORIGINAL_BASES):
        base = "public"  # the provider's default or a public literal: a variable the guard requires, on export
    route = tuple((k, float(params[k])) for k in ROUTE_KEYS if k in params)
    version = str(params["api_version"]) if "api_version" in params else None
    headers = tuple(sorted((str(k), str(v)) for k, v in (params.get("extra_headers") or {}).items()))
    prices = {**{k: info[k] for k in ("input_cost_per_token", "output_cost_per_token") if k in info}, **params}
    cost = tuple(round(float(prices[k]), 9) for k in ("input_cost_per_token", "output_cost_per_token") if k in prices)
    # Without `model_info.mode` LiteLLM knows a model's kind from its name; the import writes the same mode.
    mode = info.get("mode") or (None if exported else guess_mode(model))
    mode = None if mode == "chat" else mode
    return (model, base, route, version, headers, cost, mode)


_ORIGINAL_BASES: set[str] = set()


def _routes(config: dict[str, Any], *, exported: bool) -> dict[str, Counter[tuple[Any, ...]]]:
    routes: dict[str, Counter[tuple[Any, ...]]] = {}
    for entry in config["model_list"]:
        if _wildcard(entry):
            continue
        info = entry.get("model_info") or {}
        member = _member(entry["litellm_params"], info, exported=exported)
        routes.setdefault(str(entry["model_name"]), Counter())[member] += 1
    return routes


def _gateway_routing(config: dict[str, Any], aliases: set[str]) -> dict[str, Any]:
    router = config.get("router_settings") or {}
    settings = config.get("litellm_settings") or {}
    found: dict[str, Any] = {
        k: float(v) if k != "routing_strategy" else v for k, v in router.items() if k in ROUTER_KEYS
    }
    for key, router_key in LITELLM_ROUTING.items():
        if key in settings and router_key not in found:
            found[router_key] = float(settings[key])
    for key in FALLBACKS:
        chains = router.get(key, settings.get(key)) or []
        kept = [
            (alias, tuple(t for t in targets if t in aliases))
            for item in chains
            for alias, targets in item.items()
            if alias in aliases and any(t in aliases for t in targets)
        ]
        if kept:
            found[key] = kept
    return found


def _literal_secrets(config: dict[str, Any]) -> set[str]:
    """Every literal key of the config: entry keys, the master key, credential headers, the secret values
    of its `environment_variables` section."""
    found = {str((config.get("general_settings") or {}).get("master_key") or "")}
    found |= {
        str(v)
        for k, v in (config.get("environment_variables") or {}).items()
        if any(word in k.upper() for word in ("KEY", "PASSWORD", "SECRET", "TOKEN"))
    }
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        found.add(str(params.get("api_key") or ""))
        found |= {str(v) for k, v in (params.get("extra_headers") or {}).items() if "auth" in k.lower()}
    return {s for s in found if s and not _is_env(s) and len(s) >= 6}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name.removesuffix(".yaml"))
def test_a_public_config_imports_exports_and_routes_every_alias_to_the_same_members(
    config: Path, tmp_path: Path
) -> None:
    catalog, out = tmp_path / "cat", tmp_path / "gateway"
    done = _cli("onboarding", "import-litellm", str(config), "--catalog", str(catalog), "--fleet", "team")
    assert done.returncode == 0, done.stdout + done.stderr
    loaded, errors = check_catalog(catalog)
    assert errors == [] and loaded is not None

    original = _load(config)
    wildcards = [i for i, e in enumerate(original["model_list"]) if _wildcard(e)]
    for index in wildcards:
        assert f"not carried: model_list[{index}] (" in done.stderr and "wildcard route" in done.stderr

    exported_run = _cli(
        "gateway", "export", "--catalog", str(catalog), "--output", str(out), "--evidence", "/nonexistent"
    )
    assert exported_run.returncode == 0, exported_run.stdout + exported_run.stderr
    (written,) = list(out.glob("*.yaml"))
    exported = _load(written)

    _ORIGINAL_BASES.clear()
    _ORIGINAL_BASES.update(
        str(e["litellm_params"].get("api_base"))
        for e in original["model_list"]
        if _is_env(e["litellm_params"].get("api_base"))
    )
    assert _routes(exported, exported=True) == _routes(original, exported=False)
    aliases = set(_routes(original, exported=False))
    assert _gateway_routing(exported, aliases) == _gateway_routing(original, aliases)

    # The proxy is the fleet's gateway; every deployment routes through it; clients send its key.
    (gateway_id,) = loaded.site.gateways
    gateway = loaded.site.gateways[gateway_id]
    assert {d.gateway for d in loaded.deployments.values()} == {gateway_id}
    master = (original.get("general_settings") or {}).get("master_key")
    expected_key = master.removeprefix("os.environ/") if _is_env(master) else "LITELLM_MASTER_KEY"
    assert gateway.api_key_env == expected_key

    # No literal key reaches a written file; the import names each one it left out.
    texts = "".join(p.read_text(encoding="utf-8") for p in [*catalog.rglob("*.yaml"), written])
    for secret in _literal_secrets(original):
        assert secret not in texts
        assert secret not in done.stderr, "a message names a key, never its value"


def test_litellms_own_config_keeps_its_groups_and_says_what_it_leaves_out(tmp_path: Path) -> None:
    config = PUBLIC / "BerriAI--litellm--proxy_server_config.yaml"
    lines: list[str] = []
    import_litellm(config, tmp_path / "cat", notes=lines.append)
    loaded, errors = check_catalog(tmp_path / "cat")
    assert errors == [] and loaded is not None
    members = Counter(d.gateway_alias for d in loaded.deployments.values())
    entries = Counter(str(e["model_name"]) for e in _load(config)["model_list"] if not _wildcard(e))
    assert members == entries, "one deployment per entry, none lost"
    assert members["fake-openai-endpoint-3"] == 2
    group = [d for d in loaded.deployments.values() if d.gateway_alias == "fake-openai-endpoint-3"]
    assert all(d.route is not None and d.route.group for d in group)
    said = "\n".join(lines)
    assert "not carried: litellm_settings.success_callback (" in said
    assert "not carried: general_settings.pass_through_endpoints (" in said
    assert "general_settings.master_key: a literal master key, not written" in said
    # An image model is no chat deployment.
    (dalle,) = [d for d in loaded.deployments.values() if d.gateway_alias == "dall-e-2"]
    assert dalle.endpoints == [] and dalle.route is not None and dalle.route.mode == "image_generation"
    # Azure keeps its API version.
    azure = [d for d in loaded.deployments.values() if loaded.backends[d.backend].litellm_provider == "azure"]
    assert azure and all(d.route is not None and d.route.api_version for d in azure)


@pytest.mark.parametrize(
    ("provider", "api_base", "kind"),
    [
        ("hosted_vllm", "http://vllm:8000/v1", BackendKind.vllm),
        ("ollama", "http://ollama:11434", BackendKind.ollama),
        ("ollama_chat", "http://127.0.0.1:11434", BackendKind.ollama),
        ("openai", "http://10.0.0.5:8080/v1", BackendKind.openai_compatible),
        ("openai", "https://api.example.com/v1", BackendKind.gateway),
        ("openai", None, BackendKind.gateway),
        ("azure", "https://x.openai.azure.com", BackendKind.gateway),
        ("groq", None, BackendKind.gateway),
    ],
)
def test_the_backend_follows_what_the_entrys_server_speaks(
    provider: str, api_base: str | None, kind: BackendKind
) -> None:
    assert provider_backend(provider, api_base).kind is kind


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_name_a_llamacpp_server_serves_is_kept_and_built_and_the_proxy_is_the_gateway(tmp_path: Path) -> None:
    name = "Qwen3.5-4B-UD-Q4_K_XL [Thinking · General]"
    config = _write(
        tmp_path,
        "general_settings:\n  master_key: os.environ/PROXY_KEY\n"
        "model_list:\n"
        f"  - model_name: '{name}'\n    litellm_params:\n      model: 'openai/{name}'\n"
        "      api_base: http://127.0.0.1:8080/v1\n      api_key: os.environ/LLAMA_KEY\n"
        "  - model_name: local-llama\n    litellm_params:\n      model: ollama/llama3.1:8b\n"
        "      api_base: http://ollama:11434\n",
    )
    catalog = tmp_path / "cat"
    import_litellm(config, catalog, proxy_url="http://127.0.0.1:4000/v1", notes=lambda _: None)
    loaded, errors = check_catalog(catalog)
    assert errors == [] and loaded is not None
    (llama_cpp,) = [d for d in loaded.deployments.values() if d.served_name == name]
    assert llama_cpp.gateway_alias == name
    assert loaded.backends[llama_cpp.backend].kind is BackendKind.openai_compatible
    (ollama,) = [d for d in loaded.deployments.values() if d.served_name == "llama3.1:8b"]
    assert ollama.endpoint is not None and ollama.endpoint.base_url == "http://ollama:11434/v1", "Ollama's OpenAI API"
    gateway = loaded.site.gateways["litellm"]
    assert (gateway.base_url, gateway.api_key_env) == ("http://127.0.0.1:4000/v1", "PROXY_KEY")

    site = build_site(tmp_path, catalog)
    assert site.returncode == 0, site.output
    pages = "".join(p.read_text(encoding="utf-8") for p in site.site_dir.rglob("deployments/*/index.html"))
    assert "Qwen3.5-4B-UD-Q4_K_XL [Thinking · General]" in pages
    assert {d.gateway for d in loaded.deployments.values()} == {"litellm"}, "every card names the proxy"


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("{model_name: 'a`b', litellm_params: {model: openai/gpt}}", "holds a backtick"),
        ('{model_name: ok, litellm_params: {model: "openai/x\\u202ey"}}', "U\\+202E"),
    ],
)
def test_a_name_the_catalog_refuses_writes_nothing(tmp_path: Path, entry: str, said: str) -> None:
    config = _write(tmp_path, f"model_list:\n  - {entry}\n")
    with pytest.raises(OnboardError, match=said):
        import_litellm(config, tmp_path / "cat", notes=lambda _: None)
    assert not (tmp_path / "cat").exists()


def test_a_catalog_the_rules_refuse_is_not_written_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    """The fleet exists already, fronted by another gateway: the loader's cross-entity rules refuse the whole."""
    catalog = tmp_path / "cat"
    first = _write(
        tmp_path,
        "model_list:\n  - {model_name: shared, litellm_params: {model: hosted_vllm/model-a, api_base: http://a:8000/v1}}\n",
    )
    import_litellm(first, catalog, notes=lambda _: None)
    before = {p: p.read_bytes() for p in catalog.rglob("*") if p.is_file()}
    second = tmp_path / "other.yaml"
    second.write_text(
        "model_list:\n  - {model_name: other, litellm_params: {model: hosted_vllm/model-b, api_base: http://b:8000/v1}}\n",
        encoding="utf-8",
    )
    with pytest.raises(OnboardError) as refused:
        import_litellm(second, catalog, gateway="second", notes=lambda _: None)
    assert "would not validate, so nothing was written" in str(refused.value)
    assert "is not the gateway of fleet `imported`" in str(refused.value)
    assert str(catalog) in str(refused.value) and "catalog-import-" not in str(refused.value), "paths of the target"
    assert {p: p.read_bytes() for p in catalog.rglob("*") if p.is_file()} == before


def test_an_imported_catalog_holds_the_schemas_its_files_and_hints_name(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        "model_list:\n  - {model_name: mm, litellm_params: {model: hosted_vllm/mm, api_base: http://v:8000/v1}}\n",
    )
    import_litellm(config, tmp_path / "cat", notes=lambda _: None)
    for path in (tmp_path / "cat").rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        schema = first.split("$schema=", 1)[1]
        assert (path.parent / schema).resolve().is_file(), f"{path}: {schema}"


def test_when_the_disk_refuses_one_file_no_file_is_written(tmp_path: Path) -> None:
    """`deployments` is a file, not a folder: the import stops before it writes anything, and leaves nothing."""
    catalog = tmp_path / "cat"
    catalog.mkdir()
    (catalog / "deployments").write_text("in the way\n", encoding="utf-8")
    config = _write(
        tmp_path,
        "model_list:\n  - {model_name: mm, litellm_params: {model: hosted_vllm/mm, api_base: http://v:8000/v1}}\n",
    )
    with pytest.raises(OnboardError, match="nothing was written"):
        import_litellm(config, catalog, notes=lambda _: None)
    assert sorted(p.relative_to(catalog).as_posix() for p in catalog.rglob("*") if p.is_file()) == ["deployments"]
