"""One card per deployment: identity, hardware, serving, claims with evidence, examples, guidance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.clients import client_target
from catalog.litellm import model_entry, render_entry
from catalog.schema import Deployment, Model
from catalog.types import DeploymentStatus
from catalog.verdicts import summary_rule
from catalog.vram import estimate
from hooks.render.fleets import fleet_view
from hooks.render.format import NOT_STATED, gpu_text
from hooks.render.pages import page_href
from hooks.render.snippets import examples_for
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def _params(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value * 1000:g}M" if value < 1 else f"{value:g}B"


#: Card facts a catalog may leave out, as (key, label): the card lists those it leaves out in one line.
OPTIONAL_FACTS = (
    ("family", "Family"),
    ("architecture", "Architecture"),
    ("quantization", "Quantization"),
    ("native_context", "Native context"),
    ("licence", "Licence"),
    ("gated", "Gated"),
    ("gateway_alias", "Gateway alias"),
    ("gpu", "GPU"),
    ("base_url", "Base URL"),
    ("api_key", "API key"),
    ("served_context", "Served context"),
    ("engine_version", "Engine version"),
    ("tool_call_parser", "Tool-call parser"),
    ("reasoning_parser", "Reasoning parser"),
    ("speculative_decoding", "Speculative decoding"),
    ("container", "Container"),
    ("cost", "Cost"),
    ("slo", "SLO targets"),
)


def stated_facts(deployment: Deployment, model: Model) -> dict[str, bool]:
    """Which of OPTIONAL_FACTS the catalog states for this deployment (the card shows only those)."""
    endpoint, serving = deployment.endpoint, deployment.serving
    return {
        "family": bool(model.family),
        "architecture": model.architecture is not None,
        "quantization": model.quantization is not None,
        "native_context": bool(model.native_context),
        "licence": bool(model.license),
        "gated": model.gated is not None,
        "gateway_alias": bool(deployment.gateway_alias),
        "gpu": gpu_text(deployment.hardware) != NOT_STATED,
        "base_url": endpoint is not None and bool(endpoint.base_url or endpoint.path_prefix),
        "api_key": endpoint is not None and bool(endpoint.api_key_env),
        "served_context": bool(serving.max_model_len),
        "engine_version": bool(serving.engine_version),
        "tool_call_parser": bool(serving.tool_call_parser),
        "reasoning_parser": bool(serving.reasoning_parser),
        "speculative_decoding": bool(serving.speculative_decoding),
        "container": bool(serving.container),
        "cost": deployment.cost is not None,
        "slo": deployment.slo is not None,
    }


def dated_facts(ctx: SiteContext, deployment_id: str) -> dict[str, Any]:
    """Everything a card shows that depends on the build's date or on the probe history, as shown.

    The card reads `ctx.today` and the history only through this function, and its render-cache key
    (hooks/render_cache.py) covers what it returns: the verdict (claim states, their dates, the newest runs,
    availability counts) and whether the deployment is retired, not the date or the whole history. A card
    whose shown facts did not change is not rendered again on the next day or after a probe run that did
    not change them; anything new here that is not in the returned value would leave stale cards.
    """
    deployment = ctx.catalog.deployments[deployment_id]
    return {"verdict": ctx.verdicts[deployment_id], "retired": deployment.retired(ctx.today)}


def card_data(ctx: SiteContext, deployment_id: str, links: Links) -> dict[str, Any]:
    catalog = ctx.catalog
    deployment = catalog.deployments[deployment_id]
    model = catalog.models[deployment.model]
    backend = catalog.backends[deployment.backend]
    hub = catalog.hubs.get(model.hub.hub) if model.hub else None
    run = ctx.evidence.latest.get(deployment_id)
    dated = dated_facts(ctx, deployment_id)
    verdict = dated["verdict"]
    arch = model.architecture
    context = deployment.serving.max_model_len or model.native_context
    vram = estimate(model)
    gateway_entry = (
        render_entry(model_entry(catalog, deployment_id, deployment))
        if deployment.gateway_alias and deployment.status is DeploymentStatus.active
        else None
    )
    kind_terms = sorted(k for k, g in catalog.glossary.items() if g.model_kind is model.kind)
    stated = stated_facts(deployment, model)
    return {
        "stated": stated,
        "not_stated": [label for key, label in OPTIONAL_FACTS if not stated[key]],
        "id": deployment_id,
        # Several deployments can serve the same name (raw, KServe and CPU variants); the id tells them apart.
        "title": deployment.served_name
        if catalog.served_name_counts[deployment.served_name] == 1
        else f"{deployment.served_name} ({deployment_id})",
        "kind_anchor": f"#{kind_terms[0]}" if kind_terms else "",
        "gateway_entry": gateway_entry,
        "gateway": catalog.site.gateways.get(deployment.gateway) if deployment.gateway else None,
        "vram": vram,
        "vram_context": context,
        "vram_rows": [
            {"sequences": n, "kv": vram.kv_gib(context, n), "total": vram.total_gib(context, n)} for n in (1, 8, 32)
        ]
        if vram and context
        else [],
        "d": deployment,
        "model_id": deployment.model,
        "model": model,
        "backend": backend,
        "hub": hub,
        "hub_url": f"{hub.url.rstrip('/')}/{model.hub.repo_id}" if hub and model.hub else None,
        "total_params": _params(arch.total_params_b) if arch else None,
        "active_params": _params(arch.active_params_b) if arch else None,
        "verdict": verdict,
        "summary_rule": summary_rule(verdict.summary),
        "claims": verdict.claims,
        "target": client_target(catalog, deployment),
        "examples": examples_for(catalog, deployment),
        "latency": run.latency if run else None,
        "runs": verdict.runs,
        "evals": run.evals if run else [],
        "server": run.server if run else None,
        "run_date": run.finished_at.date() if run else None,
        "sources": {ref.source: catalog.sources[ref.source].title for ref in deployment.sources},
        "model_sources": {ref.source: catalog.sources[ref.source].title for ref in model.sources},
        # A source's caveat shows beside the facts taken from it: the deployment's sources at the top, the
        # model's in its own section (a model file may cite a guide the deployment never used).
        "caveats": sorted({c for ref in deployment.sources if (c := catalog.sources[ref.source].caveat)}),
        "model_caveats": sorted(
            {c for ref in model.sources if (c := catalog.sources[ref.source].caveat)}
            - {c for ref in deployment.sources if (c := catalog.sources[ref.source].caveat)}
        ),
        "inferred": {i.field: i for i in deployment.inferred},
        "model_inferred": {i.field: i for i in model.inferred},
        "retired": dated["retired"],
        "successor": catalog.deployments[deployment.successor] if deployment.successor else None,
        "successor_href": links.deployment(deployment.successor) if deployment.successor else None,
        "whose": fleet_view(ctx, links, deployment.fleet),
        "fleet_server": next(
            (s for s in catalog.fleets[deployment.fleet].servers if s.backend == deployment.backend), None
        ),
        "source_titles": {k: v.title for k, v in catalog.sources.items()},
        "source_file": _relative(ctx, catalog.source_file("deployments", deployment_id)),
        # Edit links for both files the card is built from (the theme's button covers only one).
        "edit_base": f"{site.repo_url.rstrip('/')}/{site.edit_uri.strip('/')}/"
        if (site := catalog.site).repo_url
        else None,
        "model_file": _relative(ctx, catalog.source_file("models", deployment.model)),
        "links": links,
        "catalog_href": links.page("catalog"),
        # None where the catalog has no such page (hooks/render/pages.py): the card then links nowhere.
        "compare_href": page_href(ctx, links, "compare"),
        "glossary_href": page_href(ctx, links, "glossary"),
        "badges_href": links.page("badges"),
    }


def _relative(ctx: SiteContext, path: Path) -> str:
    """The file's path from the repository root, or from the catalog folder's parent when the catalog lives
    elsewhere: never this machine's absolute path (the build must not depend on where it ran)."""
    for base in (ctx.repo_root, ctx.catalog.root.parent):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return f"{ctx.catalog.root.name}/{path.name}"


def render_deployment_card(ctx: SiteContext, deployment_id: str) -> str:
    links = Links(f"deployments/{deployment_id}/")
    return render("deployment_card.md.j2", **card_data(ctx, deployment_id, links))
