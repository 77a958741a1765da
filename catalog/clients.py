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
    """None when the catalog names no key: for a direct endpoint no source says it wants one (none says it takes
    none either); through a gateway the key is needed but its variable is not known (`key_text`)."""
    via_gateway: bool
    inferred: str | None = None
    """Why the base URL is only inferred (no source states it); None when a source does."""


def client_target(catalog: Catalog, deployment: Deployment) -> Target | None:
    """Where to send requests: the gateway when the deployment is routed through one that publishes its URL,
    else the deployment's own endpoint.

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
    # A fleet that routes a deployment through its gateway means clients to go through it (keys, limits,
    # fallbacks live there); the direct address stays on the card as the server's, for probes and maintainers.
    if via_gateway is not None:
        return via_gateway
    return direct


def routed_through_gateway(deployment: Deployment) -> bool:
    """The fleet routes it through its gateway under an alias, whether or not the gateway's URL is published."""
    return bool(deployment.gateway and deployment.gateway_alias)


def client_model(deployment: Deployment) -> str:
    """The model name a client sends: the gateway alias where the fleet routes the deployment through its
    gateway, else the served name."""
    return (
        (deployment.gateway_alias or deployment.served_name)
        if routed_through_gateway(deployment)
        else deployment.served_name
    )


def key_unknown(target: Target) -> bool:
    """The client goes through a gateway whose key variable the catalog does not name (`api_key_env`).

    A gateway always wants a key (LiteLLM's proxy refuses a request without its master key or a virtual
    key), so such an example must not say the catalog names no key: it says the variable is not known.
    """
    return target.via_gateway and not target.api_key_env


def key_text(target: Target) -> str:
    """Which key a client sends, as cards, llms.txt, the llms files and catalog.json say it."""
    if target.api_key_env:
        return f"key ${target.api_key_env}"
    if key_unknown(target):
        return "a gateway key, in a variable the catalog does not name"
    # No source says a direct endpoint takes no key; the catalog only names none.
    return NO_KEY_NAMED


#: What a client is told about the key of a direct endpoint whose catalog entry names none.
NO_KEY_NAMED = "no key named in the catalog"


def client_json(target: Target | None) -> dict[str, object] | None:
    """Where to send requests, as catalog.json and the MCP server give it to agents (one shape for both)."""
    if target is None:
        return None
    return {
        "base_url": target.base_url,
        "model": target.model,
        "api_key_env": target.api_key_env,
        # What the card says about the key, so an agent never reads a missing gateway key as "none".
        "api_key": key_text(target),
        "via_gateway": target.via_gateway,
        "base_url_inferred": target.inferred,
    }
