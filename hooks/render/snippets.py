"""Copy-paste examples, in curl and in Python (the `openai` client), for each claimed endpoint.

Values come from the catalog and are restricted by the schema's patterns
(served names, URLs, env-var names), so they can be placed in shell and Python
strings without quoting tricks.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.catalog import Catalog
from catalog.claims import Capability, EndpointKind
from catalog.schema import Deployment
from hooks.render.templating import render_code

#: Endpoint -> template stem and the title shown above the tabs.
EXAMPLES: dict[str, str] = {
    "responses": "Responses API",
    "chat": "Chat completions",
    "completions": "Completions",
    "fim": "Fill in the middle (FIM)",
    "embeddings": "Embeddings",
    "tools": "Tool call",
}


@dataclass(frozen=True)
class Target:
    """Where a client sends requests for one deployment."""

    base_url: str
    model: str
    api_key_env: str | None
    """None when the catalog names no key: the examples then send none."""
    via_gateway: bool


@dataclass(frozen=True)
class Example:
    kind: str
    title: str
    curl: str
    python: str


def client_target(catalog: Catalog, deployment: Deployment) -> Target | None:
    """Direct endpoint when the catalog has one, else its gateway with the alias; None when neither is published."""
    endpoint = deployment.endpoint
    if endpoint is not None and endpoint.base_url:
        return Target(
            endpoint.base_url.rstrip("/"),
            deployment.served_name,
            endpoint.api_key_env,
            False,
        )
    gateway = catalog.site.gateways.get(deployment.gateway) if deployment.gateway else None
    if gateway is not None and gateway.base_url and deployment.gateway_alias:
        return Target(gateway.base_url.rstrip("/"), deployment.gateway_alias, gateway.api_key_env, True)
    return None


def examples_for(catalog: Catalog, deployment: Deployment) -> list[Example]:
    """One example per claimed endpoint, plus a tool call when tools are claimed."""
    target = client_target(catalog, deployment)
    if target is None:
        return []
    kinds = [e.value for e in EndpointKind if e in deployment.endpoints]
    if Capability.tools in deployment.capabilities:
        kinds.append("tools")
    fim = deployment.fim
    examples = []
    for kind in kinds:
        data = {"t": target, "fim": fim}
        examples.append(
            Example(
                kind=kind,
                title=EXAMPLES[kind],
                curl=render_code(f"snippets/{kind}.sh.j2", **data).rstrip() + "\n",
                python=render_code(f"snippets/{kind}.py.j2", **data).rstrip() + "\n",
            )
        )
    return examples
