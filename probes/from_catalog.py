"""Turning the validated catalog into probe targets: one per deployment with a base URL to call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from catalog import Catalog, load_catalog
from catalog.schema import Deployment
from catalog.types import BackendKind
from probes.target import SLO_KEYS, ProbeTarget


def target_for(
    deployment_id: str, deployment: Deployment, engine: BackendKind = BackendKind.vllm
) -> ProbeTarget | None:
    """The probe target of one deployment, or None when the catalog gives no URL to call. ``engine`` is the
    kind of its backend (`targets_in` reads it from the catalog)."""
    endpoint = deployment.endpoint
    if endpoint is None or not endpoint.base_url:
        return None
    slo = deployment.slo
    targets = {key: getattr(slo, key) for key in SLO_KEYS if slo and getattr(slo, key) is not None}
    fim = deployment.fim
    return ProbeTarget(
        deployment_id=deployment_id,
        base_url=endpoint.base_url.rstrip("/"),
        health_url=endpoint.health_url,
        served_name=deployment.served_name,
        api_key_env=endpoint.api_key_env,
        endpoints=frozenset(deployment.endpoints),
        # A claim without a probe (audio input) is kept: `plan` skips it, and the site shows it unverified.
        capabilities=frozenset(deployment.capabilities),
        served_context=deployment.serving.max_model_len,
        fim_tokens=(fim.prefix, fim.suffix, fim.middle) if fim else None,
        slo=targets,
        stale_after_days=deployment.stale_after_days,
        engine=engine,
    )


def targets_in(catalog: Catalog) -> list[ProbeTarget]:
    """Every active deployment with a base URL, in id order; disabled or planned ones are not expected to answer."""
    return [
        t
        for dep_id, dep in catalog.active_deployments().items()
        if (t := target_for(dep_id, dep, _kind(catalog, dep.backend))) is not None
    ]


def _kind(catalog: Catalog, backend_id: str) -> BackendKind:
    backend = catalog.backends.get(backend_id)
    # A validated catalog names only backends it has; the kind of a missing one is unknown, vLLM's rules stand.
    return backend.kind if backend is not None else BackendKind.vllm


def targets_from_catalog(catalog_dir: Path) -> Sequence[ProbeTarget]:
    """Load the catalog (raising its full error report when invalid) and return its probe targets."""
    return targets_in(load_catalog(catalog_dir))
