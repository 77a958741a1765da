"""HTTP access to one deployment, with every way of going wrong turned into a recorded reason.

Two exceptions carry a check's negative outcome: ``ClaimFailed`` (the server answered, but not as the
claim says: an HTTP error status, a body that is not JSON, a wrong shape) and ``Unreachable`` (no usable
answer: refused, DNS, timeouts, a truncated response). The API key is read from the environment when a
request is built and scrubbed from every message these produce.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from probes.target import ProbeTarget

REDACTED = "[REDACTED]"
_MIN_SECRET_LEN = 4  # shorter "keys" would turn ordinary words in reasons into [REDACTED]
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

    def __init__(self, reason: str, *, connect_phase: bool = False, netloc: str | None = None) -> None:
        super().__init__(reason)
        # True when the connection itself could not be made: every later request to the same host:port
        # (``netloc``) would fail the same way.
        self.connect_phase = connect_phase
        self.netloc = netloc


@dataclass(frozen=True)
class Timeouts:
    """Per-request limits, in seconds."""

    connect: float = 5.0
    read: float = 30.0
    """Longest silence between two reads."""
    request: float = 120.0
    """Whole request, first byte sent to last byte read: catches a server that drips forever."""


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``."""
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_LEN:
            text = text.replace(secret, REDACTED)
    return text


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _BODY_EXCERPT else text[:_BODY_EXCERPT] + "…"


def error_message(body: bytes) -> str:
    """The human part of an error body: OpenAI's ``error.message``, FastAPI's ``detail``, or an excerpt."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _excerpt(text) or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return _excerpt(err["message"])
        if isinstance(err, str):
            return _excerpt(err)
        for key in ("detail", "message"):
            if isinstance(data.get(key), str):
                return _excerpt(data[key])
    return _excerpt(text)


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
        return Unreachable(f"{what}: no complete response within the {timeouts.request:g} s request deadline")
    if isinstance(exc, httpx.ReadTimeout):
        return Unreachable(f"{what}: read timeout, no data for {timeouts.read:g} s")
    if isinstance(exc, httpx.TimeoutException):
        return Unreachable(f"{what}: {type(exc).__name__}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return Unreachable(f"{what}: response truncated, server closed the connection ({exc})")
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return Unreachable(f"{what}: connection lost ({exc or type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return Unreachable(f"{what}: {type(exc).__name__}: {exc}")
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


class Client:
    """One deployment's HTTP client; use as ``async with Client(target, timeouts) as client``."""

    def __init__(
        self,
        target: ProbeTarget,
        timeouts: Timeouts,
        *,
        max_connections: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = target
        self.timeouts = timeouts
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            limits=httpx.Limits(max_connections=max_connections),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )
        self.server_version: str | None = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    # -- secrets ---------------------------------------------------------------------------------
    def secrets(self) -> tuple[str, ...]:
        key = self.target.api_key()
        return (key,) if key else ()

    def scrub(self, text: str) -> str:
        return scrub(text, self.secrets())

    def _headers(self, url: str, *, auth: bool = True) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        # Only the API's own host gets the key: a health URL elsewhere must not receive it.
        if auth and urlsplit(url).netloc == urlsplit(self.target.base_url).netloc:
            if self.target.api_key_env and not self.target.api_key():
                raise Unreachable(
                    f"environment variable {self.target.api_key_env} (the API key) is not set",
                    connect_phase=True,
                    netloc=urlsplit(url).netloc,
                )
            if key := self.target.api_key():
                headers["Authorization"] = f"Bearer {key}"
        return headers

    def url(self, path: str) -> str:
        """``path`` under ``base_url`` (``/chat/completions``) or an absolute URL."""
        if path.startswith(("http://", "https://")):
            return path
        return self.target.base_url.rstrip("/") + "/" + path.lstrip("/")

    def _what(self, method: str, url: str) -> str:
        return f"{method} {urlsplit(url).path or '/'}"

    # -- requests --------------------------------------------------------------------------------
    async def request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, *, auth: bool = True
    ) -> httpx.Response:
        """Send one request and read the whole body, within the request deadline."""
        url = self.url(path)
        what = self._what(method, url)
        headers = self._headers(url, auth=auth)
        try:
            async with asyncio.timeout(self.timeouts.request):
                response = await self._http.request(method, url, json=body, headers=headers)
        except (httpx.TransportError, TimeoutError) as exc:
            raise describe_transport_error(exc, what, self.timeouts, urlsplit(url).netloc) from None
        return response

    async def get(self, path: str, *, auth: bool = True) -> httpx.Response:
        return await self.request("GET", path, auth=auth)

    async def json(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Request, insist on 2xx, and return the body as a JSON object."""
        url = self.url(path)
        what = self._what(method, url)
        response = await self.request(method, path, body)
        if response.status_code >= 400:
            raise ClaimFailed(f"HTTP {response.status_code} from {what}: {error_message(response.content)}")
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ClaimFailed(
                f"HTTP {response.status_code} from {what} but the body is not JSON: "
                f"{_excerpt(response.content.decode('utf-8', errors='replace'))!r}"
            ) from None
        if not isinstance(data, dict):
            raise ClaimFailed(f"{what} returned JSON {type(data).__name__}, expected an object")
        self._note_version(data)
        return data

    async def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.json("POST", path, body)

    async def stream(self, path: str, body: Mapping[str, Any]) -> StreamResult:
        """POST and read a server-sent event stream to its end, timing every ``data:`` line."""
        url = self.url(path)
        what = self._what("POST", url)
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
                    await response.aread()
                    raise ClaimFailed(f"HTTP {response.status_code} from {what}: {error_message(response.content)}")
                async for line in response.aiter_lines():
                    now = time.perf_counter()
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
            raise describe_transport_error(exc, what, self.timeouts, urlsplit(url).netloc) from None
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
