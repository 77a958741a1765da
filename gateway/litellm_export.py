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
from catalog.claims import EndpointKind, claim_name
from catalog.display import summary_line
from catalog.evidence_folder import Evidence
from catalog.providers import gateway_key_env, provider_of
from catalog.schema import Deployment, Fallback, Gateway, GatewayRoute
from catalog.types import BackendKind, DeploymentStatus
from catalog.verdicts import ClaimState, DeploymentVerdict
from catalog.view import JudgedView

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
GUARD_SOURCE = Path(__file__).resolve().parent / GUARD_FILE
#: The proxy's admin key. LiteLLM 1.106 refuses to start without it; the guard requires it too.
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
ENV_REFERENCE = "os.environ/"
ENDPOINT_CLAIMS = frozenset(claim_name(kind) for kind in EndpointKind)

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
    """The variable that holds a deployment's base URL: the one its `route` names, else `<ALIAS>_API_BASE`, one
    per alias in a config file; a member of a group gets one of its own (`<DEPLOYMENT-ID>_API_BASE`), so that
    each member can point at its own server.

    Aliases unique in the catalog can still spell one variable (`qwen-local`, `qwen.local`, `Qwen_Local`), or
    a key variable's name; each such alias then gets a suffix from its own hash, so that no setting meant for
    one alias routes another (the guard refuses two aliases that read one variable).
    """
    if deployment.route is not None and deployment.route.api_base_env:
        return deployment.route.api_base_env
    cached = _VARIABLES.get(id(catalog))
    if cached is None or cached[0]() is not catalog:
        _VARIABLES.clear()
        cached = (weakref.ref(catalog), _all_api_base_variables(catalog))
        _VARIABLES[id(catalog)] = cached
    alias = deployment.gateway_alias or deployment.served_name
    dep_id = next((k for k, d in catalog.deployments.items() if d is deployment), "")
    # An inactive or unaliased deployment is in no config file; a card that shows its entry gets the plain name.
    return cached[1].get((deployment.gateway, dep_id)) or _env_name(alias)


def _variable_key(catalog: Catalog, gateway: str | None, dep_id: str, deployment: Deployment) -> str:
    """What a deployment's own variable is named after: its alias, or its id when it shares the alias."""
    alias = deployment.gateway_alias or deployment.served_name
    shared = sum(1 for _, d in _routed(catalog, gateway) if (d.gateway_alias or d.served_name) == alias) > 1
    return dep_id if shared else alias


def _all_api_base_variables(catalog: Catalog) -> dict[tuple[str | None, str], str]:
    names: dict[tuple[str | None, str], str] = {}
    gateways = {d.gateway for d in catalog.deployments.values()}
    for gateway in sorted(gateways, key=lambda g: g or ""):
        routed = [
            (dep_id, _variable_key(catalog, gateway, dep_id, d))
            for dep_id, d in _routed(catalog, gateway)
            if not (d.route and d.route.api_base_env)
        ]
        keys = {key for _, d in _routed(catalog, gateway) if (key := gateway_key_env(d))}
        carried = {d.route.api_base_env for _, d in _routed(catalog, gateway) if d.route and d.route.api_base_env}
        taken = {MASTER_KEY_ENV, *keys, *carried}
        spelled = Counter(_env_name(key) for _, key in routed)
        for dep_id, key in routed:
            plain = _env_name(key)
            if spelled[plain] > 1 or plain in taken:
                plain = _env_name(f"{key}-{hashlib.sha256(key.encode()).hexdigest()[:6]}")
            names[(gateway, dep_id)] = plain
        if len({names[(gateway, dep_id)] for dep_id, _ in routed}) != len(routed):  # two 24-bit hashes agreed
            raise ValueError(f"gateway `{gateway}`: two aliases would read one api_base variable; rename one")
    return names


def model_entry(catalog: Catalog, deployment_id: str, deployment: Deployment) -> dict[str, Any]:
    """One `model_list` entry for a deployment."""
    backend = catalog.backends[deployment.backend]
    provider = provider_of(backend)
    name = deployment.gateway_alias or deployment.served_name
    endpoint = deployment.endpoint
    route = deployment.route
    params: dict[str, Any] = {"model": f"{provider}/{deployment.served_name}"}
    if route is not None and route.api_base_env:
        params["api_base"] = f"{ENV_REFERENCE}{route.api_base_env}"
    elif endpoint and endpoint.base_url and is_private_host(urlsplit(endpoint.base_url).hostname or ""):
        # LiteLLM's Ollama provider speaks Ollama's native API at the server root, not its /v1 facade.
        params["api_base"] = (
            endpoint.base_url.removesuffix("/v1") if provider.startswith("ollama") else endpoint.base_url
        )
    else:
        # No published URL, or a public one (the guard takes only a private address as a literal): name the
        # variable that must hold it. An external provider gets one too: its traffic goes through the fleet's
        # egress (e.g. agentgateway), never straight to the provider.
        params["api_base"] = f"{ENV_REFERENCE}{api_base_variable(catalog, deployment)}"
    if key := gateway_key_env(deployment):
        params["api_key"] = f"{ENV_REFERENCE}{key}"
    if route is not None:
        params.update(_route_params(route))
    cost = deployment.cost
    if cost and cost.input_usd_per_mtok is not None:
        params["input_cost_per_token"] = round(cost.input_usd_per_mtok / 1e6, 12)
    if cost and cost.output_usd_per_mtok is not None:
        params["output_cost_per_token"] = round(cost.output_usd_per_mtok / 1e6, 12)
    info: dict[str, Any] = {"id": deployment_id}
    if deployment.gateway:
        info["gateway"] = deployment.gateway
    if route is not None and route.mode:
        info["mode"] = route.mode
    elif EndpointKind.embeddings in deployment.endpoints:
        info["mode"] = "embedding"
    return {"model_name": name, "litellm_params": params, "model_info": info}


#: `GatewayRoute` field -> LiteLLM `litellm_params` key, for the fields written as they are.
ROUTE_PARAMS = {
    "api_version": "api_version",
    "rpm": "rpm",
    "tpm": "tpm",
    "timeout_s": "timeout",
    "stream_timeout_s": "stream_timeout",
    "max_retries": "max_retries",
    "order": "order",
    "weight": "weight",
}


def _route_params(route: GatewayRoute) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: getattr(route, field) for field, key in ROUTE_PARAMS.items() if getattr(route, field) is not None
    }
    if route.extra_headers:
        params["extra_headers"] = {h.name: f"{ENV_REFERENCE}{h.env}" if h.env else h.value for h in route.extra_headers}
    return params


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
    """`litellm_params` key -> variable name, for every `os.environ/NAME` value of one entry (a header's key is
    `extra_headers.NAME`)."""
    params = entry["litellm_params"]
    values = [*params.items(), *((f"extra_headers.{k}", v) for k, v in (params.get("extra_headers") or {}).items())]
    return {
        key: value.removeprefix(ENV_REFERENCE)
        for key, value in values
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


def master_key_env(catalog: Catalog, gateway: str | None) -> str:
    """The variable with a config's admin key: its gateway's `master_key_env`, else LiteLLM's own name."""
    found = catalog.site.gateways.get(gateway) if gateway else None
    return (found.master_key_env if found else None) or MASTER_KEY_ENV


def required_variables(catalog: Catalog, entries: list[dict[str, Any]], gateway: str | None = None) -> list[Variable]:
    """Every variable a config with `entries` needs, the master key first, then by name."""
    found: dict[str, Variable] = {}
    for entry in entries:
        for key, name in env_references(entry).items():
            found.setdefault(name, Variable(name, _purpose(catalog, entry, key)))
    master_name = master_key_env(catalog, gateway)
    master = Variable(master_name, "the proxy's admin key (LiteLLM 1.106 refuses to start without it)")
    return [master, *(found[name] for name in sorted(found) if name != master_name)]


def gateway_variables(catalog: Catalog) -> dict[str, list[Variable]]:
    """Config file name -> the variables it needs, for every file the full export writes (for a docs page)."""
    return {
        f"{gateway or 'no-gateway'}.yaml": required_variables(catalog, entries, gateway)
        for gateway in [*sorted(catalog.site.gateways), None]
        if (entries := model_list(catalog, gateway)) or gateway is not None
    }


def _fallbacks(fallbacks: list[Fallback]) -> list[dict[str, list[str]]]:
    return [{f.alias: list(f.to)} for f in fallbacks]


#: `RouterSettings` field -> LiteLLM `router_settings` key.
ROUTER_SETTINGS = {
    "routing_strategy": "routing_strategy",
    "num_retries": "num_retries",
    "timeout_s": "timeout",
    "allowed_fails": "allowed_fails",
    "cooldown_s": "cooldown_time",
    "retry_after_s": "retry_after",
    "enable_pre_call_checks": "enable_pre_call_checks",
}


def gateway_settings(catalog: Catalog, gateway: str | None, variables: list[Variable]) -> dict[str, Any]:
    """The config's settings besides `model_list`: the guard, and the gateway's routing, fallbacks and key."""
    found: Gateway | None = catalog.site.gateways.get(gateway) if gateway else None
    litellm_settings: dict[str, Any] = {"callbacks": [GUARD_CALLBACK]}
    settings: dict[str, Any] = {"litellm_settings": litellm_settings}
    if found is not None:
        router: dict[str, Any] = {}
        if found.router is not None:
            router = {
                key: str(value) if field == "routing_strategy" else value
                for field, key in ROUTER_SETTINGS.items()
                if (value := getattr(found.router, field)) is not None
            }
        for field in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
            if getattr(found, field):
                router[field] = _fallbacks(getattr(found, field))
        if router:
            settings["router_settings"] = router
        if found.master_key_env and found.master_key_env != MASTER_KEY_ENV:
            settings["general_settings"] = {"master_key": f"{ENV_REFERENCE}{found.master_key_env}"}
    settings["callback_settings"] = {GUARD_SETTINGS: {"required_env": [v.name for v in variables]}}
    return settings


def endpoints_verified(verdict: DeploymentVerdict) -> bool:
    """Every endpoint claim (`endpoint:*`) is verified, and there is at least one."""
    endpoints = [c for c in verdict.claims if c.claim in ENDPOINT_CLAIMS]
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
        "# `python -m gateway export`; do not edit by hand. `make lint` fails when it is stale.",
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
    # The comments need no probe history beyond the verdict itself (history_length 0).
    judged = JudgedView(catalog, evidence, today, history_length=0)
    for gateway in [*sorted(catalog.site.gateways), None]:
        candidates = model_list(catalog, gateway)
        if gateway is None and not candidates:
            continue
        name = gateway or "no-gateway"
        body: list[str] = []
        entries = []
        for entry in candidates:
            dep_id = entry["model_info"]["id"]
            verdict = judged.verdict(dep_id)
            summary = f"{EVIDENCE_COMMENT}{today.isoformat()}: {summary_line(verdict)}\n"
            if verified_only and not endpoints_verified(verdict):
                body.append(f"{summary}# left out of this --verified-only export: `{entry['model_name']}` ({dep_id})\n")
                continue
            entries.append(entry)
            body.extend([summary, _route_comment(catalog, entry), render_entry(entry)])
        variables = required_variables(catalog, entries, gateway)
        settings = gateway_settings(catalog, gateway, variables)
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
