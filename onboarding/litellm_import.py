"""`python -m onboarding import-litellm CONFIG`: a LiteLLM proxy config turned into catalog files, faithfully.

What LiteLLM routes, the catalog keeps:

* Entries that share a `model_name` are one alias routed to several deployments (a load-balanced or fallback
  group): one deployment per entry, each with `route: {group: true}`, all on the proxy's gateway.
* The proxy itself becomes the fleet's gateway (`site.yaml` `gateways:`), with the variable clients send as
  its key (`general_settings.master_key: os.environ/NAME`, else `LITELLM_MASTER_KEY`), so imported cards send
  clients through the proxy, never around it.
* Per-entry settings (rpm, tpm, timeouts, retries, api_version, order, weight, extra headers, a base URL or
  key read from a variable) become `route:` fields; gateway-wide ones (`router_settings`, the fallbacks of
  `litellm_settings`) become fields of the gateway. `python -m gateway export` writes both back.
* Each entry's backend follows what its server speaks (`provider_backend`): `hosted_vllm/` is vLLM,
  `ollama/` Ollama (whose OpenAI API is `<root>/v1`), `openai/` on a private host an OpenAI-compatible
  server, `openai/` on a public host and every hosted provider (`azure/`, `anthropic/`, `groq/`, ...) an
  external provider; `model_info.mode` says what it serves (embeddings, images, audio, rerank).

What it does not keep, it says: every key it leaves out is printed as `not carried: KEY (REASON)`. A literal
API key or master key is never written, only named; `os.environ/NAME` references stay variable names.

Nothing invalid is written: the whole resulting catalog (what the folder holds plus every new file) is
checked by the loader, schema and cross-entity rules, in a scratch copy; then every file is written at once
(each to a temporary file beside it, then renamed), or none.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import TypeAdapter, ValidationError

from catalog.loader import check_catalog
from catalog.providers import DEFAULT_PROVIDER, KEYLESS_PROVIDERS
from catalog.schema import ExtraHeader, RoutingStrategy, is_secret_header
from catalog.types import BackendKind, EnvVarName, strip_url_secrets
from gateway.litellm_export import ENV_REFERENCE, MASTER_KEY_ENV, is_private_host
from onboarding.onboard import (
    ID_MAX,
    Notes,
    OnboardError,
    Plan,
    _and,
    _id_problem,
    _model_guess,
    _name_problem,
    _read_config,
    _scaffold,
    _short_id,
    _stderr,
    _url_problem,
    shown,
    slug,
)

#: Where a LiteLLM proxy listens unless told otherwise; its config does not say.
DEFAULT_PROXY_URL = "http://localhost:4000/v1"

#: `litellm_params` keys the catalog keeps, and the `route:` field each becomes.
ROUTE_FIELDS = {
    "rpm": "rpm",
    "tpm": "tpm",
    "timeout": "timeout_s",
    "stream_timeout": "stream_timeout_s",
    "max_retries": "max_retries",
    "order": "order",
    "weight": "weight",
}
#: `litellm_params` keys read into other catalog fields (model, address, key, prices).
_READ_PARAMS = frozenset(
    {"model", "api_base", "base_url", "api_key", "api_version", "extra_headers", "custom_llm_provider"}
    | {"input_cost_per_token", "output_cost_per_token"}
)
COST_KEYS = ("input_cost_per_token", "output_cost_per_token")
#: `router_settings` key -> `RouterSettings` field.
ROUTER_FIELDS = {
    "routing_strategy": "routing_strategy",
    "num_retries": "num_retries",
    "timeout": "timeout_s",
    "allowed_fails": "allowed_fails",
    "cooldown_time": "cooldown_s",
    "retry_after": "retry_after_s",
    "enable_pre_call_checks": "enable_pre_call_checks",
}
#: `litellm_settings` keys that set the router's defaults, and the `router_settings` key each stands for.
LITELLM_ROUTING = {
    "num_retries": "num_retries",
    "request_timeout": "timeout",
    "allowed_fails": "allowed_fails",
    "cooldown_time": "cooldown_time",
}
FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")
#: `model_info.mode` -> (endpoints claimed, model kind, input and output modalities).
MODES: dict[str, tuple[list[str], str, list[str], list[str]]] = {
    "chat": (["chat"], "chat", ["text"], ["text"]),
    "completion": (["completions"], "base", ["text"], ["text"]),
    "responses": (["responses"], "chat", ["text"], ["text"]),
    "embedding": (["embeddings"], "embedding", ["text"], ["embedding"]),
    "image_generation": ([], "multimodal", ["text"], ["image"]),
    "audio_transcription": ([], "audio", ["audio"], ["text"]),
    "audio_speech": ([], "audio", ["text"], ["audio"]),
    "rerank": ([], "embedding", ["text"], ["text"]),
    "moderation": ([], "chat", ["text"], ["text"]),
}
#: Model names whose kind LiteLLM knows from its own price list when `model_info.mode` is absent: the mode
#: it would route them with. Only unambiguous families; anything else is read as chat.
NAMED_MODES = (
    (re.compile(r"(^|/)(dall-e|gpt-image|imagen|stable-diffusion|flux)", re.IGNORECASE), "image_generation"),
    (re.compile(r"(^|/)whisper", re.IGNORECASE), "audio_transcription"),
    (re.compile(r"(^|/)tts-", re.IGNORECASE), "audio_speech"),
    (re.compile(r"(^|/)text-embedding-|embed", re.IGNORECASE), "embedding"),
    (re.compile(r"rerank", re.IGNORECASE), "rerank"),
)


def guess_mode(model: str) -> str | None:
    """The mode a model's name says (`dall-e-3`: image generation), or None."""
    return next((mode for pattern, mode in NAMED_MODES if pattern.search(model)), None)


_PROVIDER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
_ENV = TypeAdapter(EnvVarName)


@dataclass(frozen=True)
class BackendChoice:
    """The backend file an entry's provider maps to."""

    id: str
    kind: BackendKind
    provider: str
    name: str
    description: str


def provider_backend(provider: str, api_base: str | None) -> BackendChoice:
    """What kind of server an entry reaches, from its provider prefix and where its `api_base` points."""
    private = api_base is not None and is_private_host(urlsplit(api_base).hostname or "")
    if provider in ("hosted_vllm", "vllm"):
        return BackendChoice(
            slug(provider), BackendKind.vllm, provider, "vLLM", "The vLLM inference server (LiteLLM `hosted_vllm/`)."
        )
    if provider in ("ollama", "ollama_chat"):
        return BackendChoice(
            slug(provider),
            BackendKind.ollama,
            provider,
            "Ollama",
            f"The Ollama model runner, reached through LiteLLM's `{provider}/` provider (Ollama's native API); "
            "its OpenAI-compatible API is under `/v1`.",
        )
    if provider == "openai" and private:
        return BackendChoice(
            "openai-compatible",
            BackendKind.openai_compatible,
            "openai",
            "OpenAI-compatible server",
            "A server of ours that speaks the OpenAI API; the config does not say which engine it is.",
        )
    return BackendChoice(
        f"provider-{slug(provider)}",
        BackendKind.gateway,
        provider,
        f"{provider} (external provider)",
        f"A hosted provider's API, reached through LiteLLM's `{provider}/` provider.",
    )


@dataclass
class _Import:
    config: Path
    fleet: str
    gateway: str
    source: str
    where: Any
    notes: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    """Key variable name -> the deployment it was made for (`""`: named by the config itself)."""

    def key_variable(self, dep_id: str) -> str:
        """The variable that holds the literal key of deployment `dep_id`: its id as a variable name
        (`gpt-4o` -> `GPT_4O_API_KEY`), with a short hash of the id when another deployment or the config took
        that name (`gpt.4o` -> `GPT_4O_1A2B3C_API_KEY`): two different keys never share a variable."""
        stem = _variable(dep_id, "")
        if not stem[:1].isalpha():
            stem = f"MODEL_{stem}".rstrip("_")  # `4o-mini`: a variable name starts with a letter
        name = f"{stem}_API_KEY"
        salt = 0
        while self.variables.setdefault(name, dep_id) != dep_id:
            salt += 1
            name = f"{stem}_{_digest(f'{dep_id}#{salt}' if salt > 1 else dep_id, 6).upper()}_API_KEY"
        return name

    def skip(self, path: tuple[str | int, ...], reason: str) -> None:
        self.notes.append(f"not carried: {_dotted(path)} ({reason})")


def _mapping(value: object) -> dict[str, Any]:
    """A section of the config, or an empty one when it is absent or not a mapping."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _env(value: object) -> str | None:
    """The variable of an `os.environ/NAME` value, when NAME is a variable name the catalog takes."""
    if not isinstance(value, str) or not value.startswith(ENV_REFERENCE):
        return None
    try:
        return str(_ENV.validate_python(value.removeprefix(ENV_REFERENCE)))
    except ValidationError:
        return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _variable(text: str, suffix: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") + suffix


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _referenced(value: object) -> set[str]:
    """Every variable an `os.environ/NAME` anywhere in the config names."""
    if isinstance(value, dict):
        return set().union(*(_referenced(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_referenced(v) for v in value)) if value else set()
    found = _env(value)
    return {found} if found is not None else set()


def _alias_id(run: _Import, alias: str, index: int) -> str:
    """The deployment id of an alias: its `slug`, or, when the alias holds characters an id cannot (`日本`,
    `Ωmega`), the slug of what is left and a short hash of the whole alias, so each such alias keeps an id of
    its own, the same on every import; said on stderr."""
    base = slug(alias)
    if alias.isascii():
        return base
    hashed = _digest(alias, 8)
    made = f"alias-{hashed}" if base == "unnamed" else f"{base[: ID_MAX - 13].rstrip('-._')}-{hashed}"
    run.notes.append(
        f"{run.where(('model_list', index, 'model_name'))}: the alias `{shown(alias)}` holds characters a file "
        f"name does not take; its deployment is named `{made}` (a hash of the alias, the same on every import)"
    )
    return made


def import_litellm(
    config: Path,
    catalog_dir: Path,
    *,
    fleet: str = "imported",
    gateway: str = "litellm",
    proxy_url: str | None = None,
    force: bool = False,
    notes: Notes = _stderr,
) -> list[Path]:
    """Write the catalog files for the LiteLLM config `config` into `catalog_dir`: all of them, or none."""
    data, where = _read_config(config)
    entries = data.get("model_list")
    if not isinstance(entries, list) or not entries:
        raise OnboardError(f"{config}: no `model_list` entries (hint: point at the proxy's config.yaml)")
    source = _short_id(f"config-{config.stem}")
    run = _Import(config, fleet, gateway, source, where)
    run.variables = dict.fromkeys(_referenced(data), "")
    plan = Plan(catalog_dir, clash_hint="give each entry a `model_name` that differs in more than case or punctuation")
    _scaffold(
        plan,
        fleet,
        source,
        {"title": f"LiteLLM config {config.name}", "kind": "config", "summary": f"The `model_list` of {config.name}."},
    )
    groups = _groups(run, entries)
    if not groups:
        raise OnboardError(
            f"{config}: no entry of `model_list` names a model the catalog can hold; nothing was written "
            "(hint: wildcard routes are not deployments; list each model as its own entry)"
        )
    aliases = set(groups)
    models: dict[str, str] = {}
    for alias, members in groups.items():
        base = _alias_id(run, alias, members[0][0])
        for number, (index, entry) in enumerate(members, start=1):
            dep_id = base if len(members) == 1 else f"{base[: ID_MAX - 4]}-{number}"
            _plan_entry(run, plan, models, alias, dep_id, index, entry, grouped=len(members) > 1)
    site_gateway = _gateway(run, data, aliases, proxy_url)
    replaced = _plan_site(run, plan, catalog_dir, gateway, site_gateway)
    plan.scaffold.pop(f"fleets/{fleet}.yaml", None)  # the scaffold's fleet, now with its gateway
    plan.entity(
        "fleets",
        fleet,
        {
            "name": fleet,
            "order": 1,
            "gateway": gateway,
            "summary": f"The servers behind the LiteLLM proxy of {config.name}.",
        },
        scaffold=True,
    )
    plan.check()
    plan.links()
    _refuse_stale(run, plan, catalog_dir)
    _refuse_clashes(plan, force=force, gateway=replaced)
    _validate_whole(plan, catalog_dir)
    written = plan.commit()
    for line in run.secrets + run.notes:
        notes(line)
    return written


def _groups(run: _Import, entries: list[Any]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Entries by alias, in the config's order; wildcard routes and entries without a model are left out."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, entry in enumerate(entries):
        at: tuple[str | int, ...] = ("model_list", index)
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if not isinstance(params, dict) or not isinstance(params.get("model"), str) or not entry.get("model_name"):
            raise OnboardError(f"{run.where(at)}: the entry needs `model_name` and `litellm_params.model`")
        name = entry["model_name"]
        if not isinstance(name, str | int | float) or isinstance(name, bool):
            raise OnboardError(f"{run.where((*at, 'model_name'))}: `model_name` is not text (hint: write the alias)")
        alias = str(name)
        if "*" in alias or "*" in params["model"]:
            run.skip(
                at,
                f"`{shown(alias)}` -> `{shown(params['model'])}` is a wildcard route: it sends any model name a "
                "client asks for to a provider, so it is no deployment of ours; list each model as its own entry",
            )
            continue
        groups.setdefault(alias, []).append((index, entry))
    return groups


def _model_id(models: dict[str, str], served: str) -> str:
    """The id of the model file for `served`: its last part, unless another name took it."""
    for candidate in (slug(served.split("/")[-1]), slug(served)):
        if models.setdefault(candidate, served) == served:
            return candidate
    number = 2
    while models.setdefault(f"{slug(served)[: ID_MAX - 4]}-{number}", served) != served:
        number += 1
    return f"{slug(served)[: ID_MAX - 4]}-{number}"


def _plan_entry(
    run: _Import,
    plan: Plan,
    models: dict[str, str],
    alias: str,
    dep_id: str,
    index: int,
    entry: dict[str, Any],
    *,
    grouped: bool,
) -> None:
    at: tuple[str | int, ...] = ("model_list", index)
    params: dict[str, Any] = entry["litellm_params"]
    model = params["model"]
    explicit = params.get("custom_llm_provider")
    if isinstance(explicit, str) and explicit:
        provider, served = explicit, model
    else:
        provider, _, served = model.partition("/")
        if not served:
            provider, served = "openai", provider
            run.notes.append(
                f"{run.where((*at, 'litellm_params', 'model'))}: `{shown(model)}` names no provider; read as "
                f"`openai/{shown(model)}` (LiteLLM guesses the provider from known model names; write the prefix)"
            )
    fix = "shorten it, or use letters, digits and `._:/-`; the catalog names a file after it"
    for problem, path in (
        (_name_problem(alias, "the alias"), "model_name"),
        (_id_problem(dep_id, alias, "the alias"), "model_name"),
        (_name_problem(served, "the model"), "litellm_params.model"),
        (_id_problem(slug(served.split("/")[-1]), served, "the model"), "litellm_params.model"),
    ):
        if problem:
            raise OnboardError(f"{run.where((*at, *path.split('.')))}: {problem}; nothing was written (hint: {fix})")
    if not _PROVIDER.match(provider):
        run.skip(at, f"the provider `{shown(provider)}` is not a LiteLLM provider name the catalog takes")
        return
    route: dict[str, Any] = {"group": True} if grouped else {}
    endpoint: dict[str, Any] = {}
    api_base = params.get("api_base", params.get("base_url"))
    base_key = "api_base" if "api_base" in params else "base_url"
    literal_base: str | None = None
    if isinstance(api_base, str) and api_base.startswith(("http://", "https://")):
        try:
            clean, stripped = strip_url_secrets(api_base)
        except ValueError:
            clean, stripped = api_base, []
        if stripped:
            run.secrets.append(
                f"{run.where((*at, 'litellm_params', base_key))}: removed {_and(stripped)} from the URL; "
                "no credential is written to the catalog (hint: keep the key in an environment variable: "
                "`api_key: os.environ/NAME` in the config becomes `api_key_env: NAME` in the catalog)"
            )
        if bad_url := _url_problem(clean):
            what, hint = bad_url
            raise OnboardError(f"{run.where((*at, 'litellm_params', base_key))}: {what} (hint: {hint})")
        literal_base = clean.rstrip("/")
    elif (variable := _env(api_base)) is not None:
        route["api_base_env"] = variable
    elif api_base is not None:
        run.skip((*at, "litellm_params", base_key), "not an http(s) URL or an `os.environ/NAME` reference")
    backend = provider_backend(provider, literal_base)
    if literal_base is not None:
        # Ollama's OpenAI-compatible API, which the catalog's cards call, lives under /v1 of the root LiteLLM uses.
        ollama = backend.kind is BackendKind.ollama and not literal_base.endswith("/v1")
        endpoint["base_url"] = literal_base + "/v1" if ollama else literal_base
    _key(run, at, params, provider, dep_id, route, endpoint)
    _carry_params(run, at, params, route)
    info = _mapping(entry.get("model_info"))
    mode = info.get("mode") if isinstance(info.get("mode"), str) else None
    guessed = mode is None and guess_mode(served) is not None
    mode = mode or guess_mode(served) or "chat"
    if mode not in MODES:
        run.skip((*at, "model_info", "mode"), f"`{shown(str(mode))}` is no mode the catalog knows; read as chat")
        mode = "chat"
    if mode not in ("chat", "embedding"):
        route["mode"] = mode
    for key in info:
        if key not in ("mode", "id", *COST_KEYS):
            run.skip((*at, "model_info", key), "no catalog field holds it")
    for key in entry:
        if key not in ("model_name", "litellm_params", "model_info"):
            run.skip((*at, key), "no catalog field holds it")
    endpoints, kind, inputs, outputs = MODES[mode]
    model_id = _model_id(models, served)
    guess = _model_guess(served, embeddings=False, source=run.source, why="from `model_info.mode` of the config")
    guess.update({"kind": kind, "input_modalities": inputs, "output_modalities": outputs})
    plan.entity(
        "models",
        model_id,
        guess,
        origin=f"`{shown(served)}`",
        label=f"model_list[{index}]",
        at=run.where((*at, "litellm_params", "model")),
    )
    plan.entity(
        "backends",
        backend.id,
        {
            "name": backend.name,
            "kind": backend.kind.value,
            "description": backend.description,
            **({} if DEFAULT_PROVIDER[backend.kind] == backend.provider else {"litellm_provider": backend.provider}),
        },
        scaffold=True,
    )
    deployment: dict[str, Any] = {
        "fleet": run.fleet,
        "model": model_id,
        "backend": backend.id,
        "served_name": served,
        "gateway_alias": alias,
        "gateway": run.gateway,
        "route": route or None,
        "status": "active",
        "endpoint": endpoint or None,
        "endpoints": endpoints,
        "summary": f"Imported from {run.config.name}: `{shown(alias)}`"
        + (" (one member of a group the proxy balances)" if grouped else "")
        + ".",
        "inferred": [
            {
                "field": "endpoints" if endpoints else "route.mode",
                "reason": f"the config names no mode; `{shown(served)}` is a model of this kind by its name"
                if guessed
                else "a LiteLLM entry routes chat unless `model_info.mode` says otherwise",
                "source": {"source": run.source},
            }
        ]
        if endpoints or guessed
        else [],
        "sources": [{"source": run.source}],
    }
    # LiteLLM takes prices in `litellm_params` or in `model_info`; the first wins.
    prices = {**{k: info[k] for k in COST_KEYS if k in info}, **{k: params[k] for k in COST_KEYS if k in params}}
    cost = {
        k: round(number * 1e6, 6)
        for k, f in (("input_usd_per_mtok", "input_cost_per_token"), ("output_usd_per_mtok", "output_cost_per_token"))
        if f in prices and (number := _number(prices[f])) is not None and number >= 0
    }
    if cost:
        deployment["cost"] = {**cost, "basis": "stated"}
    plan.entity(
        "deployments",
        dep_id,
        {k: v for k, v in deployment.items() if v not in (None, [])},
        origin=f"`{shown(alias)}`",
        label=f"model_list[{index}]",
        at=run.where((*at, "model_name")),
    )


def _key(
    run: _Import,
    at: tuple[str | int, ...],
    params: dict[str, Any],
    provider: str,
    owner: str,
    route: dict[str, Any],
    endpoint: dict[str, Any],
) -> None:
    """The entry's key as a variable name: its own `os.environ/NAME`, never a literal."""
    api_key = params.get("api_key")
    path = (*at, "litellm_params", "api_key")
    if (variable := _env(api_key)) is not None:
        # The key of the server itself when the catalog knows its address (cards show it), else the gateway's.
        (endpoint if "base_url" in endpoint else route)["api_key_env"] = variable
        return
    needs_key = provider not in KEYLESS_PROVIDERS
    if api_key is not None:
        if needs_key:
            route["api_key_env"] = run.key_variable(owner)
            run.secrets.append(
                f"{run.where(path)}: a literal key, not written; the catalog names the variable "
                f"{route['api_key_env']} instead: set it to the key"
            )
        else:
            run.secrets.append(f"{run.where(path)}: a literal key, not written (LiteLLM's `{provider}` sends none)")
    elif needs_key:
        # LiteLLM reads the provider's own variable then (OPENAI_API_KEY, ...); the catalog names it.
        route["api_key_env"] = _variable(provider, "_API_KEY")


def _carry_params(run: _Import, at: tuple[str | int, ...], params: dict[str, Any], route: dict[str, Any]) -> None:
    for key, value in params.items():
        path = (*at, "litellm_params", key)
        if key in ROUTE_FIELDS:
            number = _number(value)
            if number is None or (number <= 0 and key != "max_retries"):
                run.skip(path, f"`{shown(str(value))}` is not a positive number")
            elif ROUTE_FIELDS[key] in ("timeout_s", "stream_timeout_s", "weight"):
                route[ROUTE_FIELDS[key]] = number
            elif number.is_integer():
                route[ROUTE_FIELDS[key]] = int(number)
            else:
                run.skip(path, f"`{shown(str(value))}` is not a whole number")
        elif key == "api_version":
            if (variable := _env(value)) is not None:
                run.skip(path, f"read from {variable}; the catalog keeps an API version as text")
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                route["api_version"] = str(value)
            else:
                run.skip(path, "not a version the catalog takes")
        elif key == "extra_headers":
            _headers(run, path, value, route)
        elif key not in _READ_PARAMS:
            shown_value = "" if _env(value) is None else f"; it reads {_env(value)}"
            run.skip(path, f"no catalog field holds it{shown_value}")


def _headers(run: _Import, path: tuple[str | int, ...], value: object, route: dict[str, Any]) -> None:
    if not isinstance(value, Mapping):
        run.skip(path, "not a mapping of header names to values")
        return
    headers = []
    for name, raw in value.items():
        variable = _env(raw)
        header: dict[str, Any] = {"name": str(name)}
        if variable is not None:
            header["env"] = variable
        elif is_secret_header(str(name), str(raw)):
            # Never the value: only harmless headers (`PUBLIC_HEADERS`) with a value that is no key are kept.
            run.skip(
                (*path, str(name)),
                "a literal credential is never written; set it in a variable and reference it as os.environ/NAME",
            )
            continue
        else:
            header["value"] = str(raw)
        try:
            ExtraHeader.model_validate(header)
        except ValidationError:
            run.skip((*path, str(name)), "not a header name and one-line value the catalog takes")
            continue
        headers.append(header)
    if headers:
        route["extra_headers"] = headers


def _gateway(run: _Import, data: dict[str, Any], aliases: set[str], proxy_url: str | None) -> dict[str, Any]:
    """The proxy as the fleet's gateway: address, client key, routing and fallbacks."""
    gateway: dict[str, Any] = {
        "name": f"LiteLLM proxy of {run.config.name}",
        "base_url": proxy_url or DEFAULT_PROXY_URL,
        "description": f"The LiteLLM proxy configured by `{run.config.name}`; clients send its aliases as `model`.",
    }
    if proxy_url is None:
        # Said on the gateway's page rather than printed: the config cannot say where its proxy listens.
        gateway["description"] += (
            f" Its address is not in the config: {DEFAULT_PROXY_URL} is LiteLLM's default port (re-import with "
            "`--proxy-url` when clients reach it elsewhere)."
        )
    general = _mapping(data.get("general_settings"))
    master = general.get("master_key")
    master_env = _env(master)
    if master_env is not None:
        if master_env != MASTER_KEY_ENV:
            gateway["master_key_env"] = master_env
    elif master is not None:
        run.secrets.append(
            f"{run.where(('general_settings', 'master_key'))}: a literal master key, not written; the gateway's "
            f"key is read from {MASTER_KEY_ENV} instead: set it"
        )
    # Without a database the master key is the only key the proxy takes, so clients send it.
    gateway["api_key_env"] = master_env or MASTER_KEY_ENV
    for key in general:
        if key != "master_key":
            run.skip(("general_settings", key), "gateway administration (database, auth, UI) the catalog does not hold")
    router = _mapping(data.get("router_settings"))
    litellm_settings = _mapping(data.get("litellm_settings"))
    fallbacks: dict[str, list[dict[str, Any]]] = {}
    for section, values in (("litellm_settings", litellm_settings), ("router_settings", router)):
        for key in FALLBACK_KEYS:
            if key in values:
                # Both places reach LiteLLM's router; `router_settings` wins, as it does in LiteLLM.
                fallbacks[key] = _fallbacks(run, (section, key), values[key], aliases)
    settings: dict[str, Any] = {}
    routing = {**{k: v for k, v in litellm_settings.items() if k in LITELLM_ROUTING}, **router}
    for key, value in routing.items():
        section = "router_settings" if key in router else "litellm_settings"
        path = (section, key)
        if key in FALLBACK_KEYS:
            continue
        key = LITELLM_ROUTING.get(key, key) if section == "litellm_settings" else key
        if key not in ROUTER_FIELDS:
            run.skip(path, "no catalog field holds it")
        elif key == "routing_strategy":
            if value in {s.value for s in RoutingStrategy}:
                settings["routing_strategy"] = value
            else:
                run.skip(path, f"`{shown(str(value))}` is no routing strategy the catalog knows")
        elif key == "enable_pre_call_checks":
            if isinstance(value, bool):
                settings[key] = value
            else:
                run.skip(path, "not true or false")
        elif (number := _number(value)) is None or number < 0:
            run.skip(path, f"`{shown(str(value))}` is not a number of 0 or more")
        elif ROUTER_FIELDS[key] in ("num_retries", "allowed_fails"):
            settings[ROUTER_FIELDS[key]] = int(number)
        else:
            settings[ROUTER_FIELDS[key]] = number
    if settings:
        gateway["router"] = settings
    gateway.update({key: found for key, found in fallbacks.items() if found})
    for key in litellm_settings:
        if key not in FALLBACK_KEYS and key not in LITELLM_ROUTING:
            run.skip(
                ("litellm_settings", key), "proxy behaviour (callbacks, caching, logging) the catalog does not hold"
            )
    for key in data:
        if key == "environment_variables":
            run.skip((key,), "values the proxy sets itself, perhaps secrets; the catalog names variables, never values")
        elif key not in ("model_list", "general_settings", "router_settings", "litellm_settings"):
            run.skip((key,), "no catalog field holds it")
    return gateway


def _fallbacks(run: _Import, path: tuple[str | int, ...], value: object, aliases: set[str]) -> list[dict[str, Any]]:
    found = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict) or len(item) != 1:
            run.skip((*path, index), "not `{alias: [aliases]}`")
            continue
        ((alias, targets),) = item.items()
        targets = targets if isinstance(targets, list) else [targets]
        known = [str(t) for t in targets if str(t) in aliases]
        if str(alias) not in aliases or not known:
            run.skip((*path, index), f"`{shown(str(alias))}` or its fallbacks are no alias of the imported entries")
            continue
        if len(known) < len(targets):
            run.skip((*path, index), "some fallbacks are no alias of the imported entries; the others are kept")
        found.append({"alias": str(alias), "to": known})
    if not isinstance(value, list):
        run.skip(path, "not a list")
    return found


def _plan_site(run: _Import, plan: Plan, root: Path, gateway_id: str, gateway: dict[str, Any]) -> str | None:
    """site.yaml with the proxy under `gateways:`: a new one, or the folder's own with the gateway added; the
    gateway's id when the folder's site.yaml has it already (replaced only with --force).

    The folder's own site.yaml is edited as text (the gateway's lines added under `gateways:`, or a `gateways:`
    section appended), so its comments and layout stay; only where that cannot be done (a flow-style
    `gateways: {...}`) is it rewritten, and then the import says that its comments are not kept."""
    site_path = root / "site.yaml"
    if not site_path.is_file():
        plan.entity(
            None,
            "site.yaml",
            {
                "title": "Model catalog",
                "tagline": "Our served models, with what was proven.",
                "gateways": {gateway_id: gateway},
            },
        )
        return None
    try:
        original = site_path.read_text(encoding="utf-8")
        site = yaml.safe_load(original) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OnboardError(f"{site_path}: cannot read it to add the gateway: {exc}") from None
    gateways = site.setdefault("gateways", {}) if isinstance(site, dict) else None
    if not isinstance(gateways, dict):
        raise OnboardError(f"{site_path}: `gateways:` is not a mapping; nothing was written")
    existed = gateway_id in gateways
    gateways[gateway_id] = gateway
    plan.files.pop("site.yaml", None)
    plan.scaffold.pop("site.yaml", None)
    plan.entity(None, "site.yaml", site)
    edited = _site_text(original, gateway_id, gateway)
    try:
        same = edited is not None and yaml.safe_load(edited) == site
    except yaml.YAMLError:
        same = False
    if edited is not None and same:
        plan.files["site.yaml"] = edited
    else:
        run.notes.append(f"{site_path}: rewritten to add the gateway `{gateway_id}`; its comments are not kept")
    return gateway_id if existed else None


def _site_text(text: str, gateway_id: str, gateway: dict[str, Any]) -> str | None:
    """`text` (a site.yaml) with the gateway `gateway_id` added or replaced under `gateways:`, every other line
    as it was; None when its `gateways:` is not a block mapping this can edit."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    body = yaml.safe_dump({gateway_id: gateway}, sort_keys=False, allow_unicode=True, width=100)
    heads = [i for i, line in enumerate(lines) if re.match(r"gateways\s*:\s*(#.*)?$", line.rstrip("\n"))]
    if not heads:
        if any(re.match(r"gateways\s*:", line) for line in lines):
            return None  # `gateways: {...}` in flow style
        return "".join(lines) + "gateways:\n" + "".join("  " + line for line in body.splitlines(keepends=True))

    def ends(start: int, indent: int) -> int:
        """The first line after `start` that is indented `indent` or less (blank lines and comments skipped)."""
        end = start + 1
        while end < len(lines):
            line = lines[end]
            stripped = line.strip()
            if stripped and not stripped.startswith("#") and len(line) - len(line.lstrip(" ")) <= indent:
                break
            end += 1
        # Blank lines and comments at the parent's indent before the next key belong to that key.
        while end > start + 1 and (
            not lines[end - 1].strip()
            or (
                lines[end - 1].lstrip().startswith("#") and len(lines[end - 1]) - len(lines[end - 1].lstrip()) <= indent
            )
        ):
            end -= 1
        return end

    head = heads[0]
    block_end = ends(head, 0)
    children = [i for i in range(head + 1, block_end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    indent = len(lines[children[0]]) - len(lines[children[0]].lstrip(" ")) if children else 2
    if indent == 0:
        return None
    entry = "".join(" " * indent + line for line in body.splitlines(keepends=True))
    for i in children:
        key = re.match(r"['\"]?([^'\":#]+)['\"]?\s*:", lines[i][indent:])
        if len(lines[i]) - len(lines[i].lstrip(" ")) == indent and key and key.group(1).strip() == gateway_id:
            return "".join(lines[:i]) + entry + "".join(lines[ends(i, indent) :])
    return "".join(lines[:block_end]) + entry + "".join(lines[block_end:])


#: The scratch copy `_validate_whole` checks, in the system's temporary folder; removed when the check ends,
#: and, when a kill left one, by the next import once it is an hour old.
SCRATCH_PREFIX = "catalog-import-"
_SCRATCH_STALE_S = 3600.0


def _remove_stale_scratch() -> None:
    now = time.time()
    for stale in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        try:
            if stale.is_dir() and not stale.is_symlink() and now - stale.stat().st_mtime > _SCRATCH_STALE_S:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            continue


def _validate_whole(plan: Plan, root: Path) -> None:
    """Check the catalog the import would leave (the folder's files with the new ones on top), by the loader."""
    plan.links()  # before the copy: nothing is written through a link, in the scratch copy or the catalog
    _remove_stale_scratch()
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as scratch:
        target = Path(scratch) / "catalog"
        try:
            if root.is_dir():
                # Links are copied as links (never followed out), and none is on the way to a new file (above).
                shutil.copytree(root, target, symlinks=True, ignore=shutil.ignore_patterns(".*", "__pycache__"))
            for relative, text in {**plan.scaffold, **plan.files}.items():
                path = target / relative
                if relative in plan.scaffold and path.exists():
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                path.write_text(text, encoding="utf-8")
        except OSError as exc:
            where = str(exc.filename or "").replace(str(target), str(root))
            raise OnboardError(
                f"{where or root}: the new files cannot be laid over this folder ({exc.strerror or exc}); "
                "nothing was written"
            ) from None
        _, errors = check_catalog(target)
        if errors:
            shown_root = str(target)
            lines = [e.format().replace(shown_root, str(root)) for e in errors]
            raise OnboardError("the imported catalog would not validate, so nothing was written:\n" + "\n".join(lines))


def _refuse_stale(run: _Import, plan: Plan, root: Path) -> None:
    """Refuse a re-import that would leave deployments an earlier import of this config wrote (same source,
    fleet and gateway) and the config no longer lists: the export would still route to them."""
    stale = []
    for path in sorted((root / "deployments").glob("*.yaml")) if (root / "deployments").is_dir() else []:
        relative = f"deployments/{path.name}"
        if relative in plan.files or path.is_symlink():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if (
            isinstance(data, dict)
            and data.get("fleet") == run.fleet
            and data.get("gateway") == run.gateway
            and {"source": run.source} in (data.get("sources") or [])
        ):
            stale.append(relative)
    if stale:
        raise OnboardError(
            f"{root}: an earlier import of {run.config.name} wrote {_and(stale)}, which the config no longer lists; "
            "the export would still route to them, so nothing was written (hint: delete them, then import again)"
        )


def _refuse_clashes(plan: Plan, *, force: bool, gateway: str | None) -> None:
    clashes = [p for p in plan.files if p != "site.yaml" and (plan.root / p).exists()]
    if gateway is not None:
        clashes.append(f"site.yaml (its gateway `{gateway}`)")
    if clashes and not force:
        raise OnboardError(
            "these files exist already: " + ", ".join(sorted(clashes)) + " (hint: pass --force to overwrite them)"
        )
