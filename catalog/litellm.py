"""The LiteLLM `model_list` generated from the catalog, so gateway routing never drifts from the docs.

One file per gateway in `site.yaml`: every active deployment with a gateway alias routed
through that gateway becomes one entry whose `model_name` is the alias (the names seeds 002
and 003 use, such as `qwen3-4b-local` or `coder-fim`). A deployment without an alias is
not routed by any gateway. Secrets stay in the environment: keys and unpublished base URLs
are written as LiteLLM's `os.environ/NAME` references.

The configs fail closed. LiteLLM resolves an unset `os.environ/NAME` to nothing, and an entry without
an `api_base` goes to its provider's public default (a `hosted_vllm/` entry to api.openai.com), for requests
and for its own health checks alike, so each file loads the guard `fail_closed.py` shipped beside it
(`litellm_settings.callbacks`). The guard stops the proxy at start-up while any variable the file lists
under `callback_settings.fail_closed.required_env` (or an entry reads) is unset or empty, or while an entry
added by hand would leave the network (no `api_base`, a wildcard, a public literal, two aliases reading one
variable); it refuses per request, and per health check, any model that has no `api_base`.

So that the guard can tell a hand edit from the export, the export keeps to what the guard accepts: every
entry has an `api_base`; a literal one only where the catalog publishes a loopback or private address
(`is_private_host`, the guard's rule), any other address in a variable; and each alias has a variable of
its own (`api_base_variable`), even when two aliases spell the same name in different ways.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from catalog.catalog import Catalog
from catalog.claims import EndpointKind
from catalog.evidence import Evidence
from catalog.schema import Deployment
from catalog.types import BackendKind, DeploymentStatus
from catalog.verdicts import ClaimState, DeploymentVerdict, judge

#: First words of every file the export writes; the export only ever replaces or removes such files.
GENERATED_HEADER = "# LiteLLM model_list for gateway"
#: First words of the comment above each entry that says what the probes proved about it. It changes with
#: every probe run and with the calendar (stale evidence), so `--check` looks past these lines.
EVIDENCE_COMMENT = "# evidence on "

#: The guard every config loads: a LiteLLM custom callback, kept in `gateway/` beside the configs, because
#: LiteLLM imports a callback module from the config file's folder.
GUARD_FILE = "fail_closed.py"
GUARD_CALLBACK = "fail_closed.guard"
#: Key under `callback_settings` where the guard finds the variables it checks.
GUARD_SETTINGS = "fail_closed"
#: The guard's source: the copy in this repository's `gateway/`, which the export copies beside configs
#: written anywhere else.
GUARD_SOURCE = Path(__file__).resolve().parent.parent / "gateway" / GUARD_FILE
#: The proxy's admin key. LiteLLM 1.106 refuses to start without it; the guard requires it too.
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
ENV_REFERENCE = "os.environ/"
ENDPOINT_CLAIM_PREFIX = "endpoint:"

#: LiteLLM provider prefix per backend kind, unless the backend names its own `litellm_provider`.
DEFAULT_PROVIDER = {
    BackendKind.vllm: "hosted_vllm",
    BackendKind.ollama: "ollama_chat",
    BackendKind.llama_cpp: "openai",
    BackendKind.tei: "openai",
    BackendKind.sglang: "openai",
    BackendKind.openai_compatible: "openai",
    BackendKind.gateway: "openai",
}


#: Names that never resolve in public DNS; the guard's `PRIVATE_SUFFIXES` (tests/gateway checks they agree).
PRIVATE_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")


def _env_name(alias: str) -> str:
    """The guard's `env_name`: the variable it suggests for an alias (tests/gateway checks they agree)."""
    return re.sub(r"[^A-Z0-9]+", "_", alias.upper()).strip("_") + "_API_BASE"


def is_private_host(host: str) -> bool:
    """The guard's rule for a literal `api_base`: loopback, a private IP, a single label or a private suffix."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(PRIVATE_SUFFIXES)
    return address.is_loopback or address.is_private


def _routed(catalog: Catalog, gateway: str | None) -> list[tuple[str, Deployment]]:
    """The active, aliased deployments routed through `gateway` (None: through none): one config file's."""
    return [
        (k, d)
        for k, d in catalog.deployments.items()
        if d.status is DeploymentStatus.active and d.gateway_alias and d.gateway == gateway
    ]


#: id(catalog) -> (the catalog, (gateway, alias) -> variable): computed once per catalog, not once per card.
_VARIABLES: dict[int, tuple[weakref.ref[Catalog], dict[tuple[str | None, str], str]]] = {}


def api_base_variable(catalog: Catalog, deployment: Deployment) -> str:
    """The variable that holds a deployment's base URL: `<ALIAS>_API_BASE`, one per alias in a config file.

    Aliases unique in the catalog can still spell one variable (`qwen-local`, `qwen.local`, `Qwen_Local`), or
    a key variable's name; each such alias then gets a suffix from its own hash, so that no setting meant for
    one alias routes another (the guard refuses two aliases that read one variable).
    """
    cached = _VARIABLES.get(id(catalog))
    if cached is None or cached[0]() is not catalog:
        _VARIABLES.clear()
        cached = (weakref.ref(catalog), _all_api_base_variables(catalog))
        _VARIABLES[id(catalog)] = cached
    alias = deployment.gateway_alias or deployment.served_name
    # An inactive or unaliased deployment is in no config file; a card that shows its entry gets the plain name.
    return cached[1].get((deployment.gateway, alias)) or _env_name(alias)


def _all_api_base_variables(catalog: Catalog) -> dict[tuple[str | None, str], str]:
    names: dict[tuple[str | None, str], str] = {}
    gateways = {d.gateway for d in catalog.deployments.values()}
    for gateway in sorted(gateways, key=lambda g: g or ""):
        aliases = [d.gateway_alias or d.served_name for _, d in _routed(catalog, gateway)]
        keys = {d.endpoint.api_key_env for _, d in _routed(catalog, gateway) if d.endpoint and d.endpoint.api_key_env}
        taken = {MASTER_KEY_ENV, *keys}
        spelled = Counter(_env_name(alias) for alias in aliases)
        for alias in aliases:
            plain = _env_name(alias)
            if spelled[plain] > 1 or plain in taken:
                plain = _env_name(f"{alias}-{hashlib.sha256(alias.encode()).hexdigest()[:6]}")
            names[(gateway, alias)] = plain
        if len({names[(gateway, alias)] for alias in aliases}) != len(aliases):  # two 24-bit hashes agreed
            raise ValueError(f"gateway `{gateway}`: two aliases would read one api_base variable; rename one")
    return names


def model_entry(catalog: Catalog, deployment_id: str, deployment: Deployment) -> dict[str, Any]:
    """One `model_list` entry for a deployment."""
    backend = catalog.backends[deployment.backend]
    provider = backend.litellm_provider or DEFAULT_PROVIDER[backend.kind]
    name = deployment.gateway_alias or deployment.served_name
    endpoint = deployment.endpoint
    params: dict[str, Any] = {"model": f"{provider}/{deployment.served_name}"}
    if endpoint and endpoint.base_url and is_private_host(urlsplit(endpoint.base_url).hostname or ""):
        # LiteLLM's Ollama provider speaks Ollama's native API at the server root, not its /v1 facade.
        params["api_base"] = (
            endpoint.base_url.removesuffix("/v1") if provider.startswith("ollama") else endpoint.base_url
        )
    else:
        # No published URL, or a public one (the guard takes only a private address as a literal): name the
        # variable that must hold it. An external provider gets one too: its traffic goes through the fleet's
        # egress (e.g. agentgateway), never straight to the provider.
        params["api_base"] = f"{ENV_REFERENCE}{api_base_variable(catalog, deployment)}"
    if endpoint and endpoint.api_key_env:
        params["api_key"] = f"{ENV_REFERENCE}{endpoint.api_key_env}"
    cost = deployment.cost
    if cost and cost.input_usd_per_mtok is not None:
        params["input_cost_per_token"] = round(cost.input_usd_per_mtok / 1e6, 12)
    if cost and cost.output_usd_per_mtok is not None:
        params["output_cost_per_token"] = round(cost.output_usd_per_mtok / 1e6, 12)
    info: dict[str, Any] = {"id": deployment_id}
    if deployment.gateway:
        info["gateway"] = deployment.gateway
    if EndpointKind.embeddings in deployment.endpoints:
        info["mode"] = "embedding"
    return {"model_name": name, "litellm_params": params, "model_info": info}


def model_list(catalog: Catalog, gateway: str | None) -> list[dict[str, Any]]:
    """Entries for the active, aliased deployments routed through `gateway` (None: through none)."""
    return sorted(
        (model_entry(catalog, k, d) for k, d in _routed(catalog, gateway)), key=lambda e: str(e["model_name"])
    )


def render_entry(entry: dict[str, Any]) -> str:
    return yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=120)


@dataclass(frozen=True)
class Variable:
    """An environment variable a gateway config reads, and what it must hold."""

    name: str
    purpose: str


def env_references(entry: dict[str, Any]) -> dict[str, str]:
    """`litellm_params` key -> variable name, for every `os.environ/NAME` value of one entry."""
    return {
        key: value.removeprefix(ENV_REFERENCE)
        for key, value in entry["litellm_params"].items()
        if isinstance(value, str) and value.startswith(ENV_REFERENCE)
    }


def _purpose(catalog: Catalog, entry: dict[str, Any], key: str) -> str:
    alias = entry["model_name"]
    if key != "api_base":
        return f"`{key}` for `{alias}`"
    deployment = catalog.deployments[entry["model_info"]["id"]]
    backend = catalog.backends[deployment.backend]
    if backend.kind is BackendKind.gateway:
        return f"base URL for `{alias}`: {backend.name}, never the provider's public API"
    published = deployment.endpoint.base_url if deployment.endpoint else None
    return f"base URL of the server behind `{alias}`" + (f" (published: {published})" if published else "")


def required_variables(catalog: Catalog, entries: list[dict[str, Any]]) -> list[Variable]:
    """Every variable a config with `entries` needs, the master key first, then by name."""
    found: dict[str, Variable] = {}
    for entry in entries:
        for key, name in env_references(entry).items():
            found.setdefault(name, Variable(name, _purpose(catalog, entry, key)))
    master = Variable(MASTER_KEY_ENV, "the proxy's admin key (LiteLLM 1.106 refuses to start without it)")
    return [master, *(found[name] for name in sorted(found) if name != MASTER_KEY_ENV)]


def gateway_variables(catalog: Catalog) -> dict[str, list[Variable]]:
    """Config file name -> the variables it needs, for every file the full export writes (for a docs page)."""
    return {
        f"{gateway or 'no-gateway'}.yaml": required_variables(catalog, entries)
        for gateway in [*sorted(catalog.site.gateways), None]
        if (entries := model_list(catalog, gateway)) or gateway is not None
    }


def endpoints_verified(verdict: DeploymentVerdict) -> bool:
    """Every endpoint claim (`endpoint:*`) is verified, and there is at least one."""
    endpoints = [c for c in verdict.claims if c.claim.startswith(ENDPOINT_CLAIM_PREFIX)]
    return bool(endpoints) and all(c.state is ClaimState.verified for c in endpoints)


def _route_comment(catalog: Catalog, entry: dict[str, Any]) -> str:
    """Which named gateway the entry routes through, and the egress after it for an external provider."""
    gateway = entry["model_info"].get("gateway")
    if gateway is None:
        return ""
    line = f"# routes through gateway `{gateway}` ({catalog.site.gateways[gateway].name})"
    backend = catalog.backends[catalog.deployments[entry["model_info"]["id"]].backend]
    if backend.kind is BackendKind.gateway:
        line += f", then through {backend.name}"
    return line + "\n"


def _header(name: str, variables: list[Variable], verified_only: bool, today: dt.date) -> str:
    width = max(len(v.name) for v in variables)
    lines = [
        f"{GENERATED_HEADER} `{name}`, generated from the catalog by",
        "# `python -m catalog export litellm`; do not edit by hand. `make lint` fails when it is stale.",
        *(
            [f"# --verified-only: only deployments whose endpoint claims were all verified on {today.isoformat()}."]
            if verified_only
            else []
        ),
        "#",
        f"# It fails closed: {GUARD_FILE}, beside this file, stops the proxy at start-up while a variable below is",
        "# unset or empty, or while an entry added by hand has no api_base, is a wildcard, names a public host or",
        "# reads another alias's api_base variable; it refuses any request or health check for a model without an",
        "# api_base, so no entry can fall back to a provider's public API. Give each alias its own variable. How to",
        "# start it: the Gateway page of the site (docs/gateway.md).",
        "#",
        "# Variables the proxy needs:",
        *(f"#   {v.name.ljust(width)}  {v.purpose}" for v in variables),
    ]
    return "\n".join(lines) + "\n"


def render_configs(
    catalog: Catalog, evidence: Evidence, today: dt.date, *, verified_only: bool = False
) -> dict[str, str]:
    """File name -> content: `<gateway-id>.yaml` per gateway, `no-gateway.yaml` for aliases without one.

    Each entry is preceded by the evidence summary the site shows for that deployment on `today`, and by
    the gateway it routes through. With `verified_only`, a deployment whose endpoint claims are not all
    verified on `today` is left out, with a comment that says so.
    """
    files = {}
    for gateway in [*sorted(catalog.site.gateways), None]:
        candidates = model_list(catalog, gateway)
        if gateway is None and not candidates:
            continue
        name = gateway or "no-gateway"
        body: list[str] = []
        entries = []
        for entry in candidates:
            dep_id = entry["model_info"]["id"]
            verdict = judge(dep_id, catalog.deployments[dep_id], evidence, today, history_length=0)
            summary = f"{EVIDENCE_COMMENT}{today.isoformat()}: {verdict.summary_line()}\n"
            if verified_only and not endpoints_verified(verdict):
                body.append(f"{summary}# left out of this --verified-only export: `{entry['model_name']}` ({dep_id})\n")
                continue
            entries.append(entry)
            body.extend([summary, _route_comment(catalog, entry), render_entry(entry)])
        variables = required_variables(catalog, entries)
        settings = {
            "litellm_settings": {"callbacks": [GUARD_CALLBACK]},
            "callback_settings": {GUARD_SETTINGS: {"required_env": [v.name for v in variables]}},
        }
        files[f"{name}.yaml"] = "".join(
            [
                _header(name, variables, verified_only, today),
                yaml.safe_dump(settings, sort_keys=False, width=120),
                "model_list:" + (" []\n" if not entries else "\n"),
                *body,
            ]
        )
    return files


def without_evidence_comments(text: str) -> str:
    """The config with its evidence comments taken out: what `--check` compares."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(EVIDENCE_COMMENT))
