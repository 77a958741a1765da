"""Copy-paste examples, in curl and in Python (the `openai` client), for each claimed endpoint.

Values come from the catalog and are restricted by the schema's patterns
(served names, URLs, env-var names), so they can be placed in shell and Python
strings without quoting tricks.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.catalog import Catalog
from catalog.claims import Capability, EndpointKind
from catalog.clients import Target, client_target
from catalog.schema import Deployment, Fleet, RequestExample
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
class Example:
    kind: str
    title: str
    curl: str
    python: str
    note: str | None = None
    """Catalog prose shown beside the code (never inside it)."""


def request_example(target: Target, example: RequestExample) -> Example:
    """A request a guide shows, rendered for curl and Python with every value quoted for its language."""
    if example.endpoint == "chat":
        messages = [{"role": "system", "content": example.system}] if example.system else []
        messages.append({"role": "user", "content": example.prompt})
        body: dict[str, object] = {"model": target.model, "messages": messages}
        path = "chat/completions"
    else:
        content = [{"type": "input_text", "text": example.prompt}]
        body = {"model": target.model, "input": [{"role": "user", "content": content}]}
        path = "responses"
    if example.temperature is not None:
        body["temperature"] = example.temperature
    data = {"t": target, "ex": example, "body": body, "path": path}
    return Example(
        kind=f"guide-{example.endpoint}",
        title=example.title,
        curl=render_code("snippets/request.sh.j2", **data).rstrip() + "\n",
        python=render_code("snippets/request.py.j2", **data).rstrip() + "\n",
        note=example.note,
    )


def gateway_example(catalog: Catalog, fleet: Fleet) -> str | None:
    """Python that calls several of a fleet's deployments through its gateway; None without a published gateway."""
    gateway = catalog.site.gateways.get(fleet.gateway) if fleet.gateway else None
    example = fleet.gateway_example
    if example is None or gateway is None or gateway.base_url is None:
        return None
    items = []
    for index, dep_id in enumerate(example.deployments):
        dep = catalog.deployments[dep_id]
        items.append(
            {
                "var": f"model_{index + 1}",
                "alias": dep.gateway_alias or dep.served_name,
                "prompt": "Say hello in one short sentence.",
            }
        )
    # Catalog prose (the example's note) stays out of the code: the page shows it as text beside it.
    return render_code("snippets/gateway.py.j2", gateway=gateway, items=items).rstrip() + "\n"


def examples_for(catalog: Catalog, deployment: Deployment) -> list[Example]:
    """`examples_to` the deployment's client target, for callers without a judged view (the gateway test)."""
    return examples_to(client_target(catalog, deployment), deployment)


def examples_to(target: Target | None, deployment: Deployment) -> list[Example]:
    """One example per claimed endpoint, plus a tool call when tools are claimed, sent to `target` (the card
    passes its record's client target, catalog/view.py); none when nothing publishes a URL."""
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
    examples += [request_example(target, example) for example in deployment.examples]
    return examples
