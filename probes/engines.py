"""The requests each engine's adapter calls for: token counts, the served context, the version.

What to ask and how to read the answer is `catalog/engines.py` (pure, shared with the site); this module only
sends those requests through the probes' bounded client and turns a missing or malformed answer into a
reason. Every answer is hostile: a wrong shape is "not reported", never trusted.
"""

from __future__ import annotations

from typing import Any

from catalog.engines import (
    CountKind,
    Engine,
    Route,
    count_request,
    count_response_limit,
    parse_count,
    served_context_from,
    version_from,
)
from probes.client import Client, ProbeOutcome, error_message
from probes.target import ProbeTarget


class NoCount(Exception):
    """The server cannot count tokens for us, so no prompt of a known length can be sent; says why."""


def _url(target: ProbeTarget, route: Route) -> str:
    return target.server_root + route.path


def label(adapter: Engine) -> str:
    """The served-context field's own name, as messages quote it: `max_model_len`, `n_ctx`."""
    return adapter.served_context_field.rsplit(".", 1)[-1]


async def count_tokens(client: Client, target: ProbeTarget, kind: CountKind, text: str, *, special: bool = True) -> int:
    """How many tokens the server makes of ``text`` as a prompt (or a user message); raises ``NoCount``.
    ``special=False``: without the BOS a request adds, where the engine can leave it out."""
    adapter = target.adapter
    request = count_request(adapter, kind, target.served_name, text, special=special)
    if request is None:
        what = "chat messages" if kind == "chat" else "a prompt"
        raise NoCount(f"{adapter.name} has no route that counts the tokens of {what}")
    route, body = request
    # The answer may list every token (a few bytes each), so a long prompt may need more than the cap.
    reply = await client.request(
        route.method, _url(target, route), body, max_body=client.max_body + count_response_limit(adapter, text)
    )
    if reply.status_code != 200:
        raise NoCount(f"{route} answered HTTP {reply.status_code} ({error_message(reply.content, client.secrets())})")
    try:
        data = reply.json()
    except ValueError:
        raise NoCount(f"{route} answered with a body that is not JSON") from None
    count = parse_count(adapter, data)
    if count is None:
        raise NoCount(f"{route} answered without a token count")
    return count


async def _get_json(client: Client, url: str) -> Any:
    """GET ``url`` and its JSON, or None for any answer that is not a 200 with JSON."""
    reply = await client.request("GET", url)
    if reply.status_code != 200:
        return None
    try:
        return reply.json()
    except ValueError:
        return None


async def served_context(client: Client, target: ProbeTarget, models: dict[str, Any] | None) -> int | None:
    """The context the engine reports serving the target's model with, or None when it reports none.

    ``models`` is the `GET /v1/models` answer already fetched, reused when that is the adapter's source.
    """
    adapter = target.adapter
    route = adapter.served_context
    if route is None:
        return None
    data = models if route.path == "/v1/models" and models is not None else await _get_json(client, _url(target, route))
    return served_context_from(adapter, data, target.served_name)


async def server_version(client: Client, target: ProbeTarget) -> str | None:
    """The engine's version from its version route, or None (no route, no answer, no usable version)."""
    route = target.adapter.version
    if route is None:
        return None
    try:
        data = await _get_json(client, _url(target, route))
    except ProbeOutcome:
        return None
    return version_from(target.adapter, data)
