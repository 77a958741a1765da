"""HTTP access to one deployment, with every way of going wrong turned into a recorded reason.

Two exceptions carry a check's negative outcome: ``ClaimFailed`` (the server answered, but not as the
claim says: an HTTP error status, a body that is not JSON, a wrong shape, a body over the size cap) and
``Unreachable`` (no usable answer: refused, DNS, timeouts, a truncated response).

Every request is bounded: at most ``MAX_BODY_BYTES`` of a body are read (a larger one is a ``fail``,
and the rest is never read), and a whole request, first byte sent to last byte read, must finish
within ``Timeouts.request`` (so a server that drips a byte a second is cut off, not waited out). Once
the API's host times out or cannot be connected to, the client refuses further requests to it at once
(``Client.down``): one dead server costs one timeout, not one per check.

The API key is read from the environment when a request is built, and only for a request to the API's own
host, and only when ``PROBES_KEYS`` allows that key for that host (``catalog/outbound.py``); otherwise the
request is not sent and the check records the refusal. Redirects are never followed, so no answer can carry
the key to another host. The key is scrubbed from every body as soon as the body is read, before any check
looks at it, and again from every message before an excerpt is cut, so no cut can leave a piece of it behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

# The limits are shared with `python -m probes discover`; the names are re-exported here for the probes.
from catalog.outbound import MAX_BODY_BYTES as MAX_BODY_BYTES
from catalog.outbound import Timeouts as Timeouts
from catalog.outbound import allowed_key

# The one secret scrubber (probes/scrub.py), re-exported: the client applies it to every answer it reads.
from probes.scrub import REDACTED as REDACTED
from probes.scrub import scrub as scrub
from probes.scrub import scrub_bytes as scrub_bytes
from probes.target import ProbeTarget

_BODY_EXCERPT = 200


class ProbeOutcome(Exception):
    """Base of the two negative outcomes; ``reason`` is what the evidence records."""

    status: str = "fail"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClaimFailed(ProbeOutcome):
    status = "fail"


class Unreachable(ProbeOutcome):
    status = "error"

    def __init__(
        self, reason: str, *, connect_phase: bool = False, timed_out: bool = False, netloc: str | None = None
    ) -> None:
        super().__init__(reason)
        # True when the connection itself could not be made: every later request to the same host:port
        # (``netloc``) would fail the same way.
        self.connect_phase = connect_phase
        # True when the host stopped answering in time (read timeout, request deadline): later requests
        # to it would most likely wait out the same limits.
        self.timed_out = timed_out
        self.netloc = netloc


# -- paths ---------------------------------------------------------------------------------------------
@cache
def _machine_paths() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Absolute folders of this machine that could turn up in a message, longest first, with stand-ins."""
    named = [
        (Path(__file__).resolve().parents[1], "<repo>"),
        (Path(sys.prefix), "<python>"),
        (Path(sys.base_prefix), "<python>"),
        (Path(tempfile.gettempdir()), "<tmp>"),
        (Path.home(), "~"),
    ]
    pairs: dict[str, str] = {}
    for path, label in named:
        for form in (str(path), os.path.realpath(path)):
            if len(Path(form).parts) >= 2:  # never "/": it would match every path
                pairs.setdefault(form, label)
    ordered = sorted(pairs.items(), key=lambda item: -len(item[0]))
    # A folder counts only as a whole path component: /work/main matches /work/main/x, not /work/main2.
    return tuple((re.compile(rf"(?<![\w.-]){re.escape(form)}(?![\w.-])"), label) for form, label in ordered)


def redact_paths(text: str, extra: Mapping[str, str] | None = None) -> str:
    """``text`` with this machine's absolute folders (the repository, the interpreter, home, the temp
    folder, and ``extra`` such as the evidence folder) replaced by short stand-ins like ``<repo>``."""
    patterns = list(_machine_paths())
    for form, label in (extra or {}).items():
        if len(Path(form).parts) >= 2:
            patterns.insert(0, (re.compile(rf"(?<![\w.-]){re.escape(form)}(?![\w.-])"), label))
    for pattern, label in patterns:
        text = pattern.sub(label, text)
    return text


def _excerpt(text: str, secrets: Iterable[str] = ()) -> str:
    text = " ".join(scrub(text, secrets).split())
    return text if len(text) <= _BODY_EXCERPT else text[:_BODY_EXCERPT] + "…"


def error_message(body: bytes, secrets: Iterable[str] = ()) -> str:
    """The human part of an error body: OpenAI's ``error.message``, FastAPI's ``detail``, or an excerpt.

    Secrets are scrubbed before the excerpt is cut.
    """
    secrets = tuple(secrets)
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _excerpt(text, secrets) or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return _excerpt(err["message"], secrets)
        if isinstance(err, str):
            return _excerpt(err, secrets)
        for key in ("detail", "message"):
            if isinstance(data.get(key), str):
                return _excerpt(data[key], secrets)
    return _excerpt(text, secrets)


def _size(limit: int) -> str:
    return f"{limit} bytes ({limit / 1024 / 1024:g} MiB)" if limit >= 1024 * 1024 else f"{limit} bytes"


# -- transport errors ------------------------------------------------------------------------------------
_DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "name does not resolve",
    "getaddrinfo failed",
)


def _root_os_error(exc: BaseException) -> OSError | None:
    """The innermost OSError with an errno behind an httpx error (httpx says only "All connection
    attempts failed" for a refused connection)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    found: OSError | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            found = current
        current = current.__cause__ or current.__context__
    return found


def describe_transport_error(
    exc: BaseException, what: str, timeouts: Timeouts, netloc: str | None = None
) -> Unreachable:
    """Turn an httpx/asyncio failure into an ``Unreachable`` whose reason says what happened."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return _connect_failure(exc, what, timeouts, netloc)
    if isinstance(exc, TimeoutError):
        return Unreachable(
            f"{what}: no complete response within the {timeouts.request:g} s request deadline",
            timed_out=True,
            netloc=netloc,
        )
    if isinstance(exc, httpx.ReadTimeout):
        return Unreachable(f"{what}: read timeout, no data for {timeouts.read:g} s", timed_out=True, netloc=netloc)
    if isinstance(exc, httpx.TimeoutException):
        return Unreachable(f"{what}: {type(exc).__name__}", timed_out=True, netloc=netloc)
    if isinstance(exc, httpx.RemoteProtocolError):
        return Unreachable(f"{what}: response truncated, server closed the connection ({exc})", netloc=netloc)
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return Unreachable(f"{what}: connection lost ({exc or type(exc).__name__})", netloc=netloc)
    if isinstance(exc, httpx.TransportError):
        return Unreachable(f"{what}: {type(exc).__name__}: {exc}", netloc=netloc)
    raise exc


def _connect_failure(exc: BaseException, what: str, timeouts: Timeouts, netloc: str | None) -> Unreachable:
    if isinstance(exc, httpx.ConnectTimeout):
        reason = f"{what}: connect timeout after {timeouts.connect:g} s"
    else:
        root = _root_os_error(exc)
        detail = str(root or exc) or type(exc).__name__
        if isinstance(root, ConnectionRefusedError):
            reason = f"{what}: connection refused ({netloc})"
        elif any(marker in detail.lower() for marker in _DNS_MARKERS):
            reason = f"{what}: DNS lookup failed for {netloc} ({detail})"
        else:
            reason = f"{what}: cannot connect to {netloc} ({detail})"
    return Unreachable(reason, connect_phase=True, netloc=netloc)


# -- answers ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """A whole (capped, scrubbed) answer: what ``Client.request`` returns."""

    status_code: int
    content: bytes

    def json(self) -> Any:
        """The body as JSON; raises ``json.JSONDecodeError`` (or ``UnicodeDecodeError``) when it is not."""
        return json.loads(self.content)


@dataclass(frozen=True)
class SseEvent:
    """One ``data:`` line of a server-sent event stream, with when it arrived."""

    at: float
    data: str


@dataclass
class StreamResult:
    events: list[SseEvent]
    started: float
    finished: float
    done: bool
    """Whether the stream ended with ``data: [DONE]``."""
    problems: list[str]
    """Well-formedness problems (non-``data:`` lines, JSON that does not parse, data after [DONE])."""

    def chunks(self) -> list[tuple[float, dict[str, Any]]]:
        """The JSON chunks that parsed, with arrival times."""
        out = []
        for event in self.events:
            if event.data == "[DONE]":
                continue
            try:
                value = json.loads(event.data)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                out.append((event.at, value))
        return out


#: Seconds an idle connection is kept for the next request (below the usual 5 s of servers; see `Client`).
KEEPALIVE_S = 2.0


class Client:
    """One deployment's HTTP client; use as ``async with Client(target, timeouts) as client``."""

    def __init__(
        self,
        target: ProbeTarget,
        timeouts: Timeouts,
        *,
        max_connections: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.target = target
        self.timeouts = timeouts
        self.max_body = max_body
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            # An idle connection is dropped after KEEPALIVE_S, before the server's own keep-alive timeout (llama.cpp's
            # server and uvicorn close after 5 s): reusing one the server is closing at that moment fails the request
            # with "server disconnected without sending a response", a failure of the probe's, not of the server.
            limits=httpx.Limits(max_connections=max_connections, keepalive_expiry=KEEPALIVE_S),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )
        self._api_netloc = urlsplit(target.base_url).netloc
        self.server_version: str | None = None
        self.down: Unreachable | None = None
        """Set by the first request to the API's host that could not connect or timed out: later requests
        to that host are refused at once, and the runner records its remaining checks as not attempted."""

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    # -- secrets ---------------------------------------------------------------------------------
    def secrets(self) -> tuple[str, ...]:
        """The key this client may send (the only one a server could echo), for scrubbing."""
        key = self.target.api_key()
        return (key,) if key else ()

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets())

    def _headers(self, url: str, *, auth: bool = True) -> dict[str, str]:
        # identity: a compressed body would be inflated before the size cap could count it.
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        # Only the API's own host gets the key (a health URL elsewhere must not receive it), and only when
        # PROBES_KEYS allows that key for that host. A request that needs a key it may not have is not sent:
        # without it the server would refuse, and its refusal would read as a claim that does not hold.
        if auth and urlsplit(url).netloc == self._api_netloc and self.target.api_key_env:
            key, why = allowed_key(self.target.api_key_env, url)
            if key is None:
                refused = Unreachable(why or "no API key", connect_phase=True, netloc=self._api_netloc)
                self.down = self.down or refused
                raise refused
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def url(self, path: str) -> str:
        """``path`` under ``base_url`` (``/chat/completions``) or an absolute URL."""
        if path.startswith(("http://", "https://")):
            return path
        return self.target.base_url.rstrip("/") + "/" + path.lstrip("/")

    def _what(self, method: str, url: str) -> str:
        return f"{method} {urlsplit(url).path or '/'}"

    def _refuse_if_down(self, url: str) -> None:
        if self.down is not None and urlsplit(url).netloc == self._api_netloc:
            raise Unreachable(f"not attempted: {self.down.reason}", netloc=self._api_netloc)

    def _failure(self, exc: BaseException, what: str, url: str) -> Unreachable:
        netloc = urlsplit(url).netloc
        failure = describe_transport_error(exc, what, self.timeouts, netloc)
        if (failure.connect_phase or failure.timed_out) and netloc == self._api_netloc and self.down is None:
            self.down = failure
        return failure

    async def _read_body(self, response: httpx.Response, what: str, limit: int) -> bytes:
        """The body, or ``ClaimFailed`` as soon as it is known to be over ``limit`` bytes."""
        over = f"HTTP {response.status_code} from {what}: response body over {_size(limit)}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ClaimFailed(f"{over}: it declares {declared} bytes; none read")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise ClaimFailed(f"{over}; stopped reading there")
        return bytes(body)

    # -- requests --------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        auth: bool = True,
        max_body: int | None = None,
    ) -> Reply:
        """Send one request and read the whole body (at most ``max_body`` bytes) within the request deadline."""
        url = self.url(path)
        what = self._what(method, url)
        self._refuse_if_down(url)
        headers = self._headers(url, auth=auth)
        try:
            async with (
                asyncio.timeout(self.timeouts.request),
                self._http.stream(method, url, json=body, headers=headers) as response,
            ):
                content = await self._read_body(response, what, max_body or self.max_body)
        except (httpx.TransportError, TimeoutError) as exc:
            raise self._failure(exc, what, url) from None
        return Reply(response.status_code, scrub_bytes(content, self.secrets()))

    async def get(self, path: str, *, auth: bool = True) -> Reply:
        return await self.request("GET", path, auth=auth)

    async def json(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Request, insist on 2xx, and return the body as a JSON object."""
        url = self.url(path)
        what = self._what(method, url)
        response = await self.request(method, path, body)
        if response.status_code >= 400:
            raise ClaimFailed(
                f"HTTP {response.status_code} from {what}: {error_message(response.content, self.secrets())}"
            )
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = response.content.decode("utf-8", errors="replace")
            raise ClaimFailed(
                f"HTTP {response.status_code} from {what} but the body is not JSON: {_excerpt(text, self.secrets())!r}"
            ) from None
        if not isinstance(data, dict):
            raise ClaimFailed(f"{what} returned JSON {type(data).__name__}, expected an object")
        self._note_version(data)
        return data

    async def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.json("POST", path, body)

    async def _lines(self, response: httpx.Response, what: str, limit: int) -> AsyncIterator[tuple[float, str]]:
        """The stream's lines as they arrive, with arrival times; ``ClaimFailed`` past ``limit`` bytes in all."""
        secrets = self.secrets()
        pending = bytearray()
        total = 0
        async for chunk in response.aiter_bytes():
            now = time.perf_counter()
            total += len(chunk)
            if total > limit:
                raise ClaimFailed(
                    f"HTTP {response.status_code} from {what}: response body over {_size(limit)}; stopped reading there"
                )
            pending += chunk
            if b"\n" not in chunk and b"\r" not in chunk:
                continue  # the line goes on; splitting it again on every chunk would be quadratic
            lines = bytes(pending).splitlines(keepends=True)
            pending = bytearray(lines.pop() if not lines[-1].endswith((b"\n", b"\r")) else b"")
            for line in lines:
                yield now, scrub(line.rstrip(b"\r\n").decode("utf-8", errors="replace"), secrets)
        if pending:
            yield time.perf_counter(), scrub(pending.decode("utf-8", errors="replace"), secrets)

    async def stream(self, path: str, body: Mapping[str, Any]) -> StreamResult:
        """POST and read a server-sent event stream to its end, timing every ``data:`` line."""
        url = self.url(path)
        what = self._what("POST", url)
        self._refuse_if_down(url)
        headers = self._headers(url) | {"Accept": "text/event-stream"}
        events: list[SseEvent] = []
        problems: list[str] = []
        not_json: list[str] = []
        done = False
        started = time.perf_counter()
        try:
            async with (
                asyncio.timeout(self.timeouts.request),
                self._http.stream("POST", url, json=body, headers=headers) as response,
            ):
                if response.status_code >= 400:
                    content = scrub_bytes(await self._read_body(response, what, self.max_body), self.secrets())
                    raise ClaimFailed(
                        f"HTTP {response.status_code} from {what}: {error_message(content, self.secrets())}"
                    )
                async for now, line in self._lines(response, what, self.max_body):
                    if not line or line.startswith(":"):
                        continue
                    if line.startswith("data:"):
                        data = line[5:].strip()
                        if done:
                            problems.append("data after [DONE]")
                        events.append(SseEvent(now, data))
                        if data == "[DONE]":
                            done = True
                        elif not self._sse_json_ok(data):
                            not_json.append(data)
                    elif not line.startswith(("event:", "id:", "retry:")):
                        problems.append(f"not an SSE field: {_excerpt(line)!r}")
        except (httpx.TransportError, TimeoutError) as exc:
            raise self._failure(exc, what, url) from None
        if not_json:
            problems.insert(
                0, f"{len(not_json)} of {len(events)} data lines are not JSON, first: {_excerpt(not_json[0])[:80]!r}"
            )
        return StreamResult(events, started, time.perf_counter(), done, list(dict.fromkeys(problems)))

    def _sse_json_ok(self, data: str) -> bool:
        try:
            value = json.loads(data)
        except json.JSONDecodeError:
            return False
        if isinstance(value, dict):
            self._note_version(value)
        return True

    def _note_version(self, data: Mapping[str, Any]) -> None:
        fingerprint = data.get("system_fingerprint")
        if isinstance(fingerprint, str) and fingerprint and self.server_version is None:
            self.server_version = fingerprint
