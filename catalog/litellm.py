"""The LiteLLM `model_list` generated from the catalog, so gateway routing never drifts from the docs.

One file per gateway in `site.yaml`: every active deployment with a gateway alias routed
through that gateway becomes one entry whose `model_name` is the alias (the names seeds 002
and 003 use, such as `qwen3-4b-local` or `coder-fim`). A deployment without an alias is
not routed by any gateway. Secrets stay in the environment: keys and unpublished base URLs
are written as LiteLLM's `os.environ/NAME` references.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from catalog.catalog import Catalog
from catalog.claims import EndpointKind
from catalog.evidence import Evidence
from catalog.schema import Deployment
from catalog.types import BackendKind, DeploymentStatus
from catalog.verdicts import judge

#: First words of every file the export writes; the export only ever replaces or removes such files.
GENERATED_HEADER = "# LiteLLM model_list for gateway"
#: First words of the comment above each entry that says what the probes proved about it. It changes with
#: every probe run and with the calendar (stale evidence), so `--check` looks past these lines.
EVIDENCE_COMMENT = "# evidence on "

#: LiteLLM provider prefix per backend kind, unless the backend names its own `litellm_provider`.
DEFAULT_PROVIDER = {
    BackendKind.vllm: "hosted_vllm",
    BackendKind.ollama: "ollama_chat",
    BackendKind.llama_cpp: "openai",
    BackendKind.tei: "openai",
    BackendKind.gateway: "openai",
}


def _env_name(alias: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", alias.upper()).strip("_") + "_API_BASE"


def model_entry(catalog: Catalog, deployment_id: str, deployment: Deployment) -> dict[str, Any]:
    """One `model_list` entry for a deployment."""
    backend = catalog.backends[deployment.backend]
    provider = backend.litellm_provider or DEFAULT_PROVIDER[backend.kind]
    name = deployment.gateway_alias or deployment.served_name
    endpoint = deployment.endpoint
    params: dict[str, Any] = {"model": f"{provider}/{deployment.served_name}"}
    if endpoint and endpoint.base_url:
        # LiteLLM's Ollama provider speaks Ollama's native API at the server root, not its /v1 facade.
        params["api_base"] = (
            endpoint.base_url.removesuffix("/v1") if provider.startswith("ollama") else endpoint.base_url
        )
    else:
        # No published URL: name the variable that must hold it. An external provider gets one too: its
        # traffic goes through the fleet's egress (e.g. agentgateway), never straight to the provider.
        params["api_base"] = f"os.environ/{_env_name(name)}"
    if endpoint and endpoint.api_key_env:
        params["api_key"] = f"os.environ/{endpoint.api_key_env}"
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
    chosen = [
        (k, d)
        for k, d in catalog.deployments.items()
        if d.status is DeploymentStatus.active and d.gateway_alias and d.gateway == gateway
    ]
    return sorted((model_entry(catalog, k, d) for k, d in chosen), key=lambda e: str(e["model_name"]))


def render_entry(entry: dict[str, Any]) -> str:
    return yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=120)


def render_configs(catalog: Catalog, evidence: Evidence, today: dt.date) -> dict[str, str]:
    """File name -> content: `<gateway-id>.yaml` per gateway, `no-gateway.yaml` for aliases without one.

    Each entry is preceded by the evidence summary the site shows for that deployment on `today`.
    """
    files = {}
    for gateway in [*sorted(catalog.site.gateways), None]:
        entries = model_list(catalog, gateway)
        if gateway is None and not entries:
            continue
        name = gateway or "no-gateway"
        parts = [
            f"{GENERATED_HEADER} `{name}`, generated from the catalog by\n"
            "# `python -m catalog export litellm`; do not edit by hand. `make lint` fails when it is stale.\n",
            "model_list:" + (" []\n" if not entries else "\n"),
        ]
        for entry in entries:
            dep_id = entry["model_info"]["id"]
            verdict = judge(dep_id, catalog.deployments[dep_id], evidence, today, history_length=0)
            parts.append(f"{EVIDENCE_COMMENT}{today.isoformat()}: {verdict.summary_line()}\n")
            parts.append(render_entry(entry))
        files[f"{name}.yaml"] = "".join(parts)
    return files


def without_evidence_comments(text: str) -> str:
    """The config with its evidence comments taken out: what `--check` compares."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith(EVIDENCE_COMMENT))
