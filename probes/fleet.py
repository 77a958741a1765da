"""A fleet as the prober schedules it: which deployments share a server, and which shard probes which server.

Deployments behind one server are probed one at a time, because a latency check measures the server, and two
checks on one server measure each other (issue 22 saw every latency claim of 16 deployments on one server
fail at once). Deployments on different servers are probed in parallel, so a run lasts about as long as the
largest server's share of the fleet. A shard is a set of whole servers, so shards running side by side on
different CI jobs never load one server twice either.

Pure: no I/O. ``probes/runner.py`` runs the plan; ``probes/cli.py`` parses ``--server-is`` and ``--shard``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from probes.target import ProbeTarget

ServerIs = Literal["host-port", "host"]
SERVER_IS: tuple[ServerIs, ...] = ("host-port", "host")
"""What makes two deployments one server: the same host and port (one engine process: the default), or the
same host whatever the port (engines on one machine share its GPUs and CPUs)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def server_of(target: ProbeTarget, server_is: ServerIs = "host-port") -> str:
    """The server a deployment's requests load, as ``host:port`` (or ``host``), lower case."""
    parts = urlsplit(target.base_url)
    host = (parts.hostname or "").lower().rstrip(".")  # `gpu1.` is `gpu1`
    with contextlib.suppress(ValueError):  # one address, one spelling: `[0:0::1]` is `[::1]`
        host = ipaddress.ip_address(host).compressed
    if server_is == "host":
        return host
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    # An IPv6 literal keeps its brackets, so "::1:8000" never reads as a host named "::1:8000".
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"


@dataclass(frozen=True)
class ServerQueue:
    """The deployments of one server, in the order they are probed (the order they were given)."""

    server: str
    targets: tuple[ProbeTarget, ...]


def by_server(targets: Sequence[ProbeTarget], server_is: ServerIs = "host-port") -> list[ServerQueue]:
    """Group ``targets`` by server, servers in the order of their first deployment, deployments in given order."""
    queues: dict[str, list[ProbeTarget]] = {}
    for target in targets:
        queues.setdefault(server_of(target, server_is), []).append(target)
    return [ServerQueue(server, tuple(queue)) for server, queue in queues.items()]


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, as a CI matrix counts)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


_SHARD = re.compile(r"([0-9]{1,4})/([0-9]{1,4})")


def parse_shard(text: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; anything else raises ``ValueError`` with the form it wants."""
    match = _SHARD.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a shard: write K/N, e.g. 2/4 for the second of four")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count}: K must be between 1 and N")
    return Shard(index, count)


def assign_shards(queues: Sequence[ServerQueue], count: int) -> list[list[ServerQueue]]:
    """Split whole servers over ``count`` shards, the busiest server first onto the least loaded shard.

    Deterministic (ties go to the lower shard and the server named first), so every job of a CI matrix,
    reading the same catalog, computes the same split without talking to the others. The longest shard is at
    most the busiest server's share plus the average: the bound of greedy longest-first scheduling.
    """
    shards: list[list[ServerQueue]] = [[] for _ in range(count)]
    loads = [0] * count
    for queue in sorted(queues, key=lambda q: (-len(q.targets), q.server)):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        shards[lightest].append(queue)
        loads[lightest] += len(queue.targets)
    return shards


def shard_targets(targets: Sequence[ProbeTarget], shard: Shard, server_is: ServerIs = "host-port") -> list[ProbeTarget]:
    """The deployments shard ``shard`` probes, in the order they were given."""
    mine = {
        id(t)
        for queue in assign_shards(by_server(targets, server_is), shard.count)[shard.index - 1]
        for t in queue.targets
    }
    return [t for t in targets if id(t) in mine]
