"""Where a client sends requests for a deployment: one answer for the site's examples, llms.txt,
catalog.json and the MCP server alike."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.catalog import Catalog
from catalog.schema import Deployment


@dataclass(frozen=True)
class Target:
    """Where a client sends requests for one deployment."""

    base_url: str
    model: str
    api_key_env: str | None
    """None when the catalog names no key: the examples then send none."""
    via_gateway: bool
    inferred: str | None = None
    """Why the base URL is only inferred (no source states it); None when a source does."""


def client_target(catalog: Catalog, deployment: Deployment) -> Target | None:
    """Where to send requests: a stated URL before an inferred one, the direct endpoint before the gateway.

    None when neither the deployment nor its gateway publishes a URL.
    """
    endpoint = deployment.endpoint
    direct = None
    if endpoint is not None and endpoint.base_url:
        inferred = deployment.is_inferred("endpoint.base_url")
        direct = Target(
            endpoint.base_url.rstrip("/"),
            deployment.served_name,
            endpoint.api_key_env,
            False,
            inferred.reason if inferred else None,
        )
    gateway = catalog.site.gateways.get(deployment.gateway) if deployment.gateway else None
    via_gateway = None
    if gateway is not None and gateway.base_url and deployment.gateway_alias:
        via_gateway = Target(gateway.base_url.rstrip("/"), deployment.gateway_alias, gateway.api_key_env, True)
    if direct is not None and (direct.inferred is None or via_gateway is None):
        return direct
    return via_gateway
