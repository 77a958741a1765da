"""Onboarding from what already runs: catalog files written from a live server or an existing LiteLLM config.

`discover` asks an OpenAI-compatible server what it serves (`/v1/models`, `/version`) and which endpoints
answer a minimal request, then writes a deployment and a model per served name, and an evidence file with
what the requests proved. `import_litellm` turns a LiteLLM `model_list` into deployments.

What a server or a config does not say is left out where the schema allows, and marked `inferred:` with the
reason where the schema needs a value (a model's kind and vendor guessed from its name). Both refuse to
overwrite a file unless told to, and write nothing at all when any file would be overwritten.
A folder without a catalog gets the few files a catalog needs (site.yaml, the fleet, the source, backends),
so the result validates and builds at once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from catalog.claims import EndpointKind
from catalog.collections import schema_ref
from catalog.evidence import ClaimRecord, EvidenceFile, ServerInfo, dumps

_ID_CHARS = re.compile(r"[^a-z0-9._-]+")


def slug(text: str) -> str:
    """A catalog id from any name: lower case, other characters as `-`, no leading or trailing punctuation."""
    return _ID_CHARS.sub("-", text.lower()).strip("-._") or "unnamed"


class OnboardError(Exception):
    """Nothing was written; the message says why and what to do."""


@dataclass
class Plan:
    """The files to write, relative to the catalog root, checked for clashes before anything is written."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)
    """path -> text; written only if the file does not exist yet, or with `force`."""
    scaffold: dict[str, str] = field(default_factory=dict)
    """Files a catalog needs; written only when missing, never overwritten."""

    def entity(self, folder: str | None, name: str, data: Mapping[str, Any], *, scaffold: bool = False) -> None:
        text = f"# yaml-language-server: $schema={schema_ref(folder)}\n" + yaml.safe_dump(
            dict(data), sort_keys=False, allow_unicode=True, width=100
        )
        path = f"{folder}/{name}.yaml" if folder else name
        (self.scaffold if scaffold else self.files)[path] = text

    def write(self, *, force: bool) -> list[Path]:
        clashes = [p for p in self.files if (self.root / p).exists()]
        if clashes and not force:
            raise OnboardError(
                "these files exist already: " + ", ".join(sorted(clashes)) + " (hint: pass --force to overwrite them)"
            )
        written = []
        for relative, text in sorted({**self.scaffold, **self.files}.items()):
            path = self.root / relative
            if relative in self.scaffold and path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written


def _scaffold(plan: Plan, fleet: str, source: str, source_data: Mapping[str, Any]) -> None:
    """The files without which the catalog would not validate: site, fleet and source."""
    plan.entity(
        None,
        "site.yaml",
        {"title": "Model catalog", "tagline": "Our served models, with what was proven."},
        scaffold=True,
    )
    plan.entity(
        "fleets",
        fleet,
        {"name": fleet, "order": 1, "summary": "Servers onboarded from what already runs."},
        scaffold=True,
    )
    plan.entity("sources", source, source_data, scaffold=True)


_BACKENDS: dict[str, dict[str, Any]] = {
    "vllm": {"name": "vLLM", "kind": "vllm", "description": "The vLLM inference server."},
    "ollama": {"name": "Ollama", "kind": "ollama", "description": "The Ollama model runner."},
    "openai-compatible": {
        "name": "OpenAI-compatible server",
        "kind": "llama-cpp",
        "description": "A server that speaks the OpenAI API; the config does not say which engine it is.",
    },
    "external": {"name": "External provider", "kind": "gateway", "description": "A provider's own API."},
}


def _model_guess(name: str, *, embeddings: bool, source: str, why: str) -> dict[str, Any]:
    """A model entry for weights known only by name: kind and vendor are guesses, and marked as such."""
    vendor = name.split("/", 1)[0] if "/" in name and not name.startswith("/") else "not stated"
    return {
        "name": name.split("/")[-1],
        "family": name.split("/")[-1],
        "vendor": vendor,
        "kind": "embedding" if embeddings else "chat",
        "input_modalities": ["text"],
        "output_modalities": ["embedding" if embeddings else "text"],
        "description": f"Weights known only by their name, {name}: check the kind and vendor.",
        "inferred": [
            {"field": "kind", "reason": why, "source": {"source": source}},
            *(
                [{"field": "vendor", "reason": "the part of the name before `/`", "source": {"source": source}}]
                if vendor != "not stated"
                else []
            ),
        ],
        "sources": [{"source": source}],
    }


# ----------------------------------------------------------------------------------------------- discover


@dataclass(frozen=True)
class Served:
    name: str
    root: str | None
    max_model_len: int | None
    endpoints: tuple[EndpointKind, ...]
    records: tuple[ClaimRecord, ...]


_TRIES: dict[EndpointKind, tuple[str, dict[str, Any]]] = {
    EndpointKind.chat: ("/chat/completions", {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}),
    EndpointKind.completions: ("/completions", {"prompt": "Hi", "max_tokens": 1}),
    EndpointKind.responses: ("/responses", {"input": "Hi", "max_output_tokens": 16}),
    EndpointKind.embeddings: ("/embeddings", {"input": "Hi"}),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def ask_server(base_url: str, api_key: str | None = None, timeout: float = 30.0) -> tuple[list[Served], str | None]:
    """What the server at `base_url` (with `/v1`) serves, which endpoints answer, and its version."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    base = base_url.rstrip("/")
    root = base.removesuffix("/v1")
    with httpx.Client(timeout=timeout, headers=headers) as client:
        try:
            listed = client.get(f"{base}/models")
            listed.raise_for_status()
            data = listed.json().get("data")
        except (httpx.HTTPError, ValueError) as exc:
            raise OnboardError(f"{base}/models did not answer with a model list: {exc}") from None
        version = None
        try:
            answer = client.get(f"{root}/version")
            if answer.status_code == 200:
                version = str(answer.json().get("version"))
        except (httpx.HTTPError, ValueError):
            version = None
        served = []
        for entry in data if isinstance(data, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                continue
            name = entry["id"]
            answered, records = [], []
            listed_at = _now()
            records.append(ClaimRecord(claim="served-name", status="pass", date=listed_at))
            for kind, (path, body) in _TRIES.items():
                started = time.perf_counter()
                try:
                    status = client.post(f"{base}{path}", json={"model": name, **body}).status_code
                except httpx.HTTPError:
                    status = None
                if status == 200:
                    answered.append(kind)
                    records.append(
                        ClaimRecord(
                            claim=f"endpoint:{kind.value}",
                            status="pass",
                            date=_now(),
                            duration_ms=round((time.perf_counter() - started) * 1000, 1),
                        )
                    )
            max_len = entry.get("max_model_len")
            served.append(
                Served(
                    name,
                    entry.get("root") if isinstance(entry.get("root"), str) else None,
                    max_len if isinstance(max_len, int) else None,
                    tuple(answered),
                    tuple(records),
                )
            )
    if not served:
        raise OnboardError(f"{base}/models lists no models")
    return served, version


def discover(
    base_url: str,
    catalog_dir: Path,
    *,
    fleet: str = "discovered",
    evidence_dir: Path | None = None,
    api_key_env: str | None = None,
    force: bool = False,
) -> list[Path]:
    """Write a deployment and a model per served name of the server at `base_url`, and its evidence."""
    served, version = ask_server(base_url, os.environ.get(api_key_env) if api_key_env else None)
    host = urlsplit(base_url).netloc
    source = slug(f"server-{host}")
    today = _now()
    plan = Plan(catalog_dir)
    _scaffold(
        plan,
        fleet,
        source,
        {
            "title": f"The server at {base_url}",
            "kind": "server",
            "summary": f"What the server at {base_url} reported about itself on {today.date().isoformat()}.",
            "retrieved": today.date().isoformat(),
        },
    )
    plan.entity("backends", "vllm", _BACKENDS["vllm"], scaffold=True)
    evidence: list[EvidenceFile] = []
    for item in served:
        dep_id = slug(item.name)
        # A hub id says which weights; a local folder path says nothing a reader can use (and is this machine's).
        weights = item.root if item.root and not item.root.startswith(("/", ".")) else item.name
        embeddings_only = item.endpoints == (EndpointKind.embeddings,)
        plan.entity(
            "models",
            slug(weights.split("/")[-1]),
            _model_guess(
                weights,
                embeddings=embeddings_only,
                source=source,
                why="guessed from which endpoints answered" if item.endpoints else "no endpoint answered",
            ),
        )
        deployment: dict[str, Any] = {
            "fleet": fleet,
            "model": slug(weights.split("/")[-1]),
            "backend": "vllm",
            "served_name": item.name,
            "status": "active",
            "endpoint": {"base_url": base_url.rstrip("/"), **({"api_key_env": api_key_env} if api_key_env else {})},
            "serving": {
                k: v for k, v in (("max_model_len", item.max_model_len), ("engine_version", version)) if v is not None
            },
            "endpoints": [e.value for e in item.endpoints],
            "summary": f"Found on {host}: {', '.join(e.value for e in item.endpoints) or 'no endpoint answered'}.",
            "sources": [{"source": source}],
        }
        plan.entity("deployments", dep_id, {k: v for k, v in deployment.items() if v not in ({}, None)})
        evidence.append(
            EvidenceFile(
                deployment=dep_id,
                run_id=f"discover-{today.strftime('%Y%m%dT%H%M%SZ')}",
                started_at=today,
                finished_at=_now(),
                server=ServerInfo(version=version, max_model_len=item.max_model_len),
                records=list(item.records),
            )
        )
    written = plan.write(force=force)
    if evidence_dir is not None:
        for record in evidence:
            written.append(_write_evidence(evidence_dir, record))
    return written


def _write_evidence(evidence_dir: Path, evidence: EvidenceFile) -> Path:
    """Atomically, like the probes: a reader sees the old file or the new one."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_dir / f"{evidence.deployment}.json"
    fd, tmp = tempfile.mkstemp(dir=evidence_dir, prefix=f".{evidence.deployment}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(dumps(evidence))
    Path(tmp).replace(path)
    return path


# ------------------------------------------------------------------------------------------ import litellm

#: LiteLLM provider prefix -> backend file the imported deployment uses.
_PROVIDER_BACKEND = {
    "hosted_vllm": "vllm",
    "vllm": "vllm",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "openai": "openai-compatible",
}


def import_litellm(config: Path, catalog_dir: Path, *, fleet: str = "imported", force: bool = False) -> list[Path]:
    """One deployment (and model) per `model_list` entry of a LiteLLM config."""
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OnboardError(f"{config}: cannot read a LiteLLM config: {exc}") from None
    entries = data.get("model_list") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise OnboardError(f"{config}: no `model_list` entries (hint: point at the proxy's config.yaml)")
    source = slug(f"config-{config.stem}")
    plan = Plan(catalog_dir)
    _scaffold(
        plan,
        fleet,
        source,
        {"title": f"LiteLLM config {config.name}", "kind": "config", "summary": f"The `model_list` of {config.name}."},
    )
    for index, entry in enumerate(entries):
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if not isinstance(params, dict) or not isinstance(params.get("model"), str) or not entry.get("model_name"):
            raise OnboardError(f"{config}: model_list[{index}] needs `model_name` and `litellm_params.model`")
        alias = str(entry["model_name"])
        provider, _, served = params["model"].partition("/")
        if not served:
            provider, served = "openai", provider
        backend = _PROVIDER_BACKEND.get(provider, "external")
        plan.entity("backends", backend, _BACKENDS[backend], scaffold=True)
        info = entry.get("model_info") if isinstance(entry.get("model_info"), dict) else {}
        embeddings = info.get("mode") == "embedding"
        model_id = slug(served.split("/")[-1])
        plan.entity(
            "models",
            model_id,
            _model_guess(served, embeddings=embeddings, source=source, why="from `model_info.mode` of the config"),
        )
        endpoint: dict[str, Any] = {}
        api_base = params.get("api_base")
        if isinstance(api_base, str) and api_base.startswith(("http://", "https://")):
            endpoint["base_url"] = api_base.rstrip("/")
        api_key = params.get("api_key")
        if isinstance(api_key, str) and api_key.startswith("os.environ/"):
            endpoint["api_key_env"] = api_key.removeprefix("os.environ/")
        deployment: dict[str, Any] = {
            "fleet": fleet,
            "model": model_id,
            "backend": backend,
            "served_name": served,
            "gateway_alias": alias,
            "status": "active",
            "endpoint": endpoint if "base_url" in endpoint else None,
            "endpoints": ["embeddings"] if embeddings else ["chat"],
            "summary": f"Imported from {config.name} (alias `{alias}`).",
            "inferred": [
                {
                    "field": "endpoints",
                    "reason": "a LiteLLM entry routes chat unless `model_info.mode` says embedding",
                    "source": {"source": source},
                }
            ],
            "sources": [{"source": source}],
        }
        cost = {
            k: round(float(params[f]) * 1e6, 6)
            for k, f in (
                ("input_usd_per_mtok", "input_cost_per_token"),
                ("output_usd_per_mtok", "output_cost_per_token"),
            )
            if isinstance(params.get(f), int | float)
        }
        if cost:
            deployment["cost"] = {**cost, "basis": "stated"}
        plan.entity("deployments", slug(alias), {k: v for k, v in deployment.items() if v is not None})
    return plan.write(force=force)
