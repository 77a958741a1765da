"""What this project's tools send to servers, and how much of the answers they read: shared by the probes
(`python -m probes run`) and onboarding (`python -m probes discover`).

**API keys go only where the operator allowed them.** The catalog names the environment variable that holds
a deployment's key (`endpoint.api_key_env`), but the catalog does not decide where a key may be sent: one
YAML file in a pull request could otherwise name any variable of the machine that runs the probes (say
`AWS_SECRET_ACCESS_KEY`) and point it at its own server. So the operator lists, outside the catalog, which
variable may go to which hosts, in the environment variable `PROBES_KEYS`:

    PROBES_KEYS="VLLM_API_KEY=10.0.0.5:8000,10.0.0.6:8000 OPENAI_API_KEY=api.openai.com:443"

- Entries are separated by spaces, line breaks or `;`. Each is `NAME=HOST[:PORT][,HOST[:PORT]...]`: the
  variable, then every host it belongs to. A name given twice gets the hosts of both entries.
- `HOST:PORT` allows that port only; a `HOST` without a port allows every port of that host. A URL without a
  port has its scheme's (80 for http, 443 for https).
- Hosts are compared as the URL writes them, case-insensitively and without a DNS lookup: `localhost` and
  `127.0.0.1` are two different hosts. IPv6 addresses are written in brackets, `[::1]:8000`.
- There are no wildcards (`*`, `*.example.com`): every host is named.
- Unset or empty, no key is sent anywhere.

A deployment whose key is not allowed for its host gets no key: the probes record the checks that need it
as `error`, with the refusal as the reason (which names the variable, the host and the entry that would
allow it, but not what `PROBES_KEYS` holds), and `discover` stops before sending anything. Whether the variable is set is not looked at
before the allow-list says yes, so a catalog cannot learn which variables the machine holds.

**Every request is bounded**, by the same limits for the probes and `discover`: `Timeouts` (to connect,
between two reads, and for a whole request, so a server that drips a byte a second is cut off) and
`MAX_BODY_BYTES` for one answer's body.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

#: The environment variable that lists which API key may go to which hosts.
KEYS_ENV = "PROBES_KEYS"

#: The most bytes of one response body read. Real answers are far smaller: a chat answer of a few hundred
#: tokens is a few KB, `/v1/models` of a gateway listing hundreds of models some 100 KB, one embedding of 8192
#: floats about 200 KB, and `/tokenize` of a 128k-token prompt (its token ids) about 1 MB. 16 MiB is ten times
#: the largest of those, and still bounds what a hostile or broken server can make the reader hold (one body
#: per connection in flight). A probe that legitimately asks for more (the context check's `/tokenize` of a
#: very long prompt) passes its own limit.
MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Per-request limits, in seconds."""

    connect: float = 5.0
    read: float = 30.0
    """Longest silence between two reads."""
    request: float = 120.0
    """Whole request, first byte sent to last byte read: catches a server that drips forever. Long
    enough for the context check's longest prompt to be read and answered by a busy server."""


# -- the key allow-list ---------------------------------------------------------------------------------
_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_HOST = re.compile(
    r"^(?:(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>[0-9]{1,5}))?$"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SYNTAX = "NAME=HOST[:PORT][,HOST[:PORT]...], entries separated by spaces"


class KeyGrantsError(ValueError):
    """`PROBES_KEYS` cannot be read; the message says which entry and why (never quoting a value that
    might be a key pasted by mistake)."""


@dataclass(frozen=True)
class HostPort:
    """One host a key may go to; `port=None` allows every port of it."""

    host: str
    """Lower case; an IPv6 address without its brackets."""
    port: int | None

    def matches(self, host: str, port: int) -> bool:
        return self.host == host and self.port in (None, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def _where(url: str) -> HostPort | None:
    """The host and port a request to `url` goes to (the scheme's port when the URL names none)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    port = port if port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())
    return HostPort(parts.hostname.lower(), port)


@dataclass(frozen=True)
class KeyGrants:
    """Which API key (by variable name) may be sent to which hosts: `PROBES_KEYS`, read with `from_environ`."""

    grants: Mapping[str, tuple[HostPort, ...]]

    @classmethod
    def parse(cls, text: str) -> KeyGrants:
        """Read the `PROBES_KEYS` syntax; raises `KeyGrantsError`."""
        grants: dict[str, list[HostPort]] = {}
        for number, entry in enumerate(re.split(r"[\s;]+", text.strip()), start=1):
            if not entry:
                continue
            where = f"{KEYS_ENV}: entry {number}"
            name, equals, hosts = entry.partition("=")
            if not equals or not _NAME.match(name):
                raise KeyGrantsError(
                    f"{where} does not start with the name of an environment variable and `=` "
                    f"(hint: write {_SYNTAX}, e.g. {KEYS_ENV}=VLLM_API_KEY=10.0.0.5:8000)"
                )
            where = f"{where} ({name})"
            if not hosts:
                raise KeyGrantsError(f"{where} names no host (hint: write {name}=HOST[:PORT][,HOST[:PORT]...])")
            for index, host in enumerate(hosts.split(","), start=1):
                grants.setdefault(name, []).append(_grant(host, f"{where}, host {index}", name))
        return cls({name: tuple(dict.fromkeys(hosts)) for name, hosts in grants.items()})

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> KeyGrants:
        """`PROBES_KEYS` of the environment (unset or empty: no key goes anywhere); raises `KeyGrantsError`."""
        return cls.parse((os.environ if environ is None else environ).get(KEYS_ENV, ""))

    def hosts(self, name: str) -> tuple[HostPort, ...]:
        return self.grants.get(name, ())

    def refusal(self, name: str, url: str) -> str | None:
        """None when the key in `name` may go to `url`'s host; else why not, and the entry that would allow it.

        The message names the variable and the host the catalog gave, never the hosts `PROBES_KEYS` lists (the
        reason is published with the evidence, and the list is the operator's, not the catalog's)."""
        target = _where(url)
        if (
            target is not None
            and target.port is not None
            and any(g.matches(target.host, target.port) for g in self.hosts(name))
        ):
            return None
        shown = str(target) if target is not None else "(none)"
        return (
            f"key {name} is not allowed for host {shown}, so it was not sent "
            f"(hint: to send it there, add {name}={shown} to {KEYS_ENV} where the probes run, not in the catalog)"
        )


def _grant(text: str, where: str, name: str) -> HostPort:
    if "*" in text:
        raise KeyGrantsError(
            f"{where} is a wildcard, which {KEYS_ENV} does not allow (hint: name every host the key belongs to, "
            f"e.g. {name}=10.0.0.5:8000,10.0.0.6:8000)"
        )
    if "://" in text:
        raise KeyGrantsError(f"{where} is a URL (hint: write only HOST[:PORT], e.g. {name}=10.0.0.5:8000)")
    found = _HOST.match(text)
    port = int(found["port"]) if found and found["port"] else None
    if found is None or (port is not None and not 1 <= port <= 65535):
        raise KeyGrantsError(
            f"{where} is not HOST[:PORT] (hint: a host name or address, then optionally `:` and a port from 1 "
            f"to 65535, e.g. {name}=10.0.0.5:8000 or {name}=[::1]:8000)"
        )
    return HostPort((found["name"] or found["ipv6"]).lower(), port)


def allowed_key(name: str, url: str, environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """`(key, None)` when `PROBES_KEYS` allows the key in `name` for `url`'s host and it is set; `(None, why)`
    otherwise. The variable is read only once the allow-list says yes. Raises `KeyGrantsError`."""
    env = os.environ if environ is None else environ
    refusal = KeyGrants.from_environ(env).refusal(name, url)
    if refusal is not None:
        return None, refusal
    key = env.get(name)
    if not key:
        return None, f"environment variable {name} (the API key) is not set"
    return key, None
