"""What a probe run is pointed at: one deployment's endpoint and the claims the catalog makes about it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from catalog.claims import Capability, ClaimFacts, EndpointKind, claims_made
from catalog.engines import Engine, engine, root_of
from catalog.outbound import KeyGrants, allowed_key
from catalog.types import BackendKind, is_file_stem

SLO_KEYS = ("ttft_p95_ms", "itl_p95_ms", "e2e_p95_ms")


@dataclass(frozen=True)
class ProbeTarget:
    """One deployment as the probes see it; built from the catalog by ``probes.from_catalog``."""

    deployment_id: str
    base_url: str
    """OpenAI-compatible base including ``/v1``, e.g. ``http://127.0.0.1:8123/v1``."""
    health_url: str | None
    """``None`` means ``scheme://host:port/health`` of ``base_url`` (see ``health_endpoint``)."""
    served_name: str
    """The model name the server lists in ``/v1/models``."""
    api_key_env: str | None
    """Name of the environment variable holding the API key; the key itself is read at request time, and
    sent only where ``PROBES_KEYS`` allows it (``catalog/outbound.py``)."""
    endpoints: frozenset[EndpointKind]
    """Endpoints the catalog claims (plain strings are accepted and turned into the enum)."""
    capabilities: frozenset[Capability]
    served_context: int | None
    fim_tokens: tuple[str, str, str] | None
    """(prefix, suffix, middle) control tokens, e.g. ``("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")``."""
    slo: Mapping[str, float]
    stale_after_days: int = 14
    engine: BackendKind = BackendKind.vllm
    """The backend's kind (`backends/<id>.yaml` `kind`): which engine adapter (`catalog/engines.py`) says where
    health, version, token counting and the served context are. vLLM when not given, as every target was
    before targets named their engine."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not is_file_stem(self.deployment_id):
            # It names the evidence files: a path here would write out of the evidence folder.
            problems.append("the id cannot name a file (letters, digits, `.`, `_` and `-`, a letter or digit first)")
        if str(self.engine) not in {k.value for k in BackendKind}:
            problems.append(f"unknown engine {str(self.engine)!r} (known: {[k.value for k in BackendKind]})")
        if unknown := sorted({str(e) for e in self.endpoints} - set(EndpointKind)):
            problems.append(f"unknown endpoints {unknown} (known: {[e.value for e in EndpointKind]})")
        if unknown := sorted({str(c) for c in self.capabilities} - set(Capability)):
            problems.append(f"unknown capabilities {unknown} (known: {[c.value for c in Capability]})")
        if unknown := sorted(set(self.slo) - set(SLO_KEYS)):
            problems.append(f"unknown SLO keys {unknown} (known: {list(SLO_KEYS)})")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"base_url {self.base_url!r} is not an http(s) URL")
        try:
            parts.port  # noqa: B018 - read for its check: a port out of 0-65535 raises
        except ValueError:
            problems.append(f"base_url {self.base_url!r} has a port outside 1-65535")
        if self.fim_tokens is not None and len(self.fim_tokens) != 3:
            problems.append("fim_tokens must be (prefix, suffix, middle)")
        if problems:
            raise ValueError(f"deployment {self.deployment_id!r}: " + "; ".join(problems))
        # A Mapping handed in by the caller could be mutated after the fact; freeze a copy.
        object.__setattr__(self, "slo", MappingProxyType(dict(self.slo)))
        object.__setattr__(self, "endpoints", frozenset(EndpointKind(e) for e in self.endpoints))
        object.__setattr__(self, "capabilities", frozenset(Capability(c) for c in self.capabilities))
        object.__setattr__(self, "engine", BackendKind(self.engine))

    @property
    def adapter(self) -> Engine:
        """What this target's engine answers where (`catalog/engines.py`)."""
        return engine(self.engine)

    @property
    def facts(self) -> ClaimFacts:
        """What this target states that decides its claims (catalog/claims.py), as the catalog's deployments do."""
        return ClaimFacts(
            reachable=True,
            endpoints=self.endpoints,
            capabilities=self.capabilities,
            served_context=self.served_context,
            has_slo=bool(self.slo),
        )

    @property
    def claims(self) -> list[str]:
        """The claims this target makes, by the same rule the site uses for the catalog's deployments."""
        return claims_made(self.facts)

    @property
    def health_endpoint(self) -> str | None:
        """``health_url``, or the engine's health route at its root (``/health``; Ollama's root itself); None
        when the engine has none (an external API), and the health check asks ``GET /v1/models`` instead."""
        if self.health_url is not None:
            return self.health_url
        route = self.adapter.health
        return None if route is None else self.server_root + route.path

    @property
    def server_root(self) -> str:
        """The engine's root: ``base_url`` without its ``/v1``, where vLLM serves ``/tokenize`` and
        ``/version`` and llama.cpp ``/props``."""
        return root_of(self.base_url, self.adapter)

    def key_refusal(self, url: str | None = None) -> str | None:
        """Why the API key may not go to ``url`` (default ``base_url``): ``PROBES_KEYS`` does not allow it for
        that host. None when it may, or when the target names no key. Raises ``KeyGrantsError``."""
        if self.api_key_env is None:
            return None
        return KeyGrants.from_environ().refusal(self.api_key_env, url or self.base_url)

    def api_key(self) -> str | None:
        """The API key, read from the environment now (never stored on the target); None when the target names
        none, when it is not set, or when ``PROBES_KEYS`` does not allow it for ``base_url``'s host."""
        if self.api_key_env is None:
            return None
        return allowed_key(self.api_key_env, self.base_url)[0]


class TargetFileError(Exception):
    """A ``--target-json`` file that cannot be turned into targets; the message names file and entry."""


_FIELDS = {
    "deployment_id",
    "base_url",
    "health_url",
    "served_name",
    "api_key_env",
    "endpoints",
    "capabilities",
    "served_context",
    "fim_tokens",
    "slo",
    "stale_after_days",
    "engine",
}
_REQUIRED = {"deployment_id", "base_url", "served_name"}


def target_from_dict(data: Mapping[str, Any]) -> ProbeTarget:
    """Build a target from JSON-shaped data (lists for sets and tuples); raises ValueError."""
    if unknown := sorted(set(data) - _FIELDS):
        raise ValueError(f"unknown keys {unknown}")
    if missing := sorted(_REQUIRED - set(data)):
        raise ValueError(f"missing keys {missing}")
    fim = data.get("fim_tokens")
    return ProbeTarget(
        deployment_id=str(data["deployment_id"]),
        base_url=str(data["base_url"]),
        health_url=data.get("health_url"),
        served_name=str(data["served_name"]),
        api_key_env=data.get("api_key_env"),
        endpoints=frozenset(data.get("endpoints", ())),
        capabilities=frozenset(data.get("capabilities", ())),
        served_context=data.get("served_context"),
        fim_tokens=(str(fim[0]), str(fim[1]), str(fim[2])) if fim else None,
        slo={str(k): float(v) for k, v in dict(data.get("slo", {})).items()},
        stale_after_days=int(data.get("stale_after_days", 14)),
        engine=BackendKind(str(data.get("engine", BackendKind.vllm.value))),
    )


def target_to_dict(target: ProbeTarget) -> dict[str, Any]:
    """The JSON shape ``target_from_dict`` reads, with sorted lists so output is deterministic."""
    return {
        "deployment_id": target.deployment_id,
        "base_url": target.base_url,
        "health_url": target.health_url,
        "served_name": target.served_name,
        "api_key_env": target.api_key_env,
        "endpoints": sorted(target.endpoints),
        "capabilities": sorted(target.capabilities),
        "served_context": target.served_context,
        "fim_tokens": list(target.fim_tokens) if target.fim_tokens else None,
        "slo": dict(target.slo),
        "stale_after_days": target.stale_after_days,
        "engine": target.engine.value,
    }


def load_target_json(path: Path) -> list[ProbeTarget]:
    """Read a JSON list of targets (``--target-json``); every problem is collected and reported at once."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetFileError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise TargetFileError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    if not isinstance(raw, list):
        raise TargetFileError(f"{path}: expected a JSON list of targets, got {type(raw).__name__}")
    targets: list[ProbeTarget] = []
    errors: list[str] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(f"{path}: [{index}]: expected an object")
            continue
        try:
            targets.append(target_from_dict(item))
        except (ValueError, TypeError, KeyError) as exc:
            name = item.get("deployment_id", "?")
            errors.append(f"{path}: [{index}] ({name}): {exc}")
    ids = [t.deployment_id for t in targets]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        errors.append(f"{path}: duplicate deployment_id {dupes}")
    if errors:
        raise TargetFileError("\n".join(errors))
    return targets


def dump_target_json(targets: Sequence[ProbeTarget], path: Path) -> None:
    """Write targets in the ``--target-json`` format."""
    path.write_text(json.dumps([target_to_dict(t) for t in targets], indent=2) + "\n", encoding="utf-8")
