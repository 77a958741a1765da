"""A small HTTP proxy that sits in front of the real vLLM server and breaks its answers on purpose.

Faults are chosen per request path (``proxy.faults = {"/v1/chat/completions": Fault("truncate")}``);
unlisted paths pass through untouched. Each fault acts on the *real* response from upstream:

* ``pass``: relay as is.
* ``status``: send the upstream request, then answer ``code`` (default 503) with an error body instead.
* ``malformed-json``: relay the real body with its second half replaced by garbage (length kept honest).
* ``truncate``: relay the headers and the first ``after_bytes`` of the body, then drop the connection.
* ``drip``: relay the real response ``chunk`` bytes every ``interval`` seconds.
* ``rewrite``: relay the real response with ``old`` replaced by ``new`` (same length, so chunk sizes
  and content-length stay right), e.g. to corrupt one SSE event or hide ``data: [DONE]``.
* ``hang``: read the request and never answer.
* ``echo-auth``: answer 500 with the request's Authorization header in the message, as a careless
  server might; the probes must keep that key out of everything they record. ``pad`` characters of
  filler come first, to put the key where an excerpt of the message is cut.

Hostile answers made up by the proxy, without asking upstream (so they work with no server behind):

* ``huge``: answer 200 with a body of ``size`` bytes (2 GiB by default), sent as fast as the client
  reads, declared in ``content-length`` or (``declare_length=False``) chunked without one.
  ``proxy.sent[path]`` counts the body bytes the client took before it hung up.
* ``trickle``: answer 200 one byte every ``interval`` seconds, status line and headers included, for
  ever: each byte comes sooner than a read timeout, so only a deadline on the whole request ends it.

``proxy.default`` is the fault for every path ``faults`` does not name (``pass`` unless set), so one
line makes a whole server hang.

The proxy runs its own event loop in a daemon thread, so synchronous tests, async tests and probe CLI
subprocesses can all use it. ``proxy.log`` lists ``(path, fault kind)`` per request, so a test can show
that the fault it meant to inject was actually hit.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "pass", "status", "malformed-json", "truncate", "drip", "hang", "echo-auth", "rewrite", "huge", "trickle"
]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind = "pass"
    code: int = 503
    after_bytes: int = 120
    chunk: int = 8
    interval: float = 0.2
    old: bytes = b""
    new: bytes = b""
    pad: int = 0
    size: int = 2 * 1024**3
    declare_length: bool = True


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    rest = body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


def _response(code: int, reason: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {code} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1", *, delay_s: float = 0.0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay_s = delay_s
        self.faults: dict[str, Fault] = {}
        self.default = Fault()
        self.log: list[tuple[str, str]] = []
        self.sent: dict[str, int] = {}
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(60):  # a safety net: the thread is listening within milliseconds when it can run
            raise RuntimeError("fault proxy did not start")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    # -- one connection ----------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        request_line, headers = _headers(head)
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        path = request_line.split(" ")[1].split("?")[0]
        fault = self.faults.get(path, self.default)
        self.log.append((path, fault.kind))
        if self.delay_s:
            # A fixed wait per request stands in for a remote server's network and queueing time.
            await asyncio.sleep(self.delay_s)

        if fault.kind == "hang":
            await asyncio.sleep(3600)
            return
        if fault.kind == "huge":
            await self._huge(fault, path, writer)
            return
        if fault.kind == "trickle":
            await self._trickle(fault, writer)
            return
        if fault.kind == "echo-auth":
            message = f"invalid credentials: {'x' * fault.pad}{headers.get('authorization', '(none)')} was refused"
            payload = json.dumps({"error": {"message": message, "code": 500}}).encode()
            writer.write(_response(500, "Internal Server Error", payload))
            await writer.drain()
            return

        # Everything else starts from the real upstream answer. "connection: close" lets us read the
        # response to EOF without parsing its framing.
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        kept = [line for line in head.split(b"\r\n")[1:] if line and not line.lower().startswith(b"connection:")]
        up_writer.write(b"\r\n".join([head.split(b"\r\n")[0], *kept, b"connection: close", b"", b""]) + body)
        await up_writer.drain()
        try:
            await self._relay(fault, up_reader, writer)
        finally:
            up_writer.close()

    async def _huge(self, fault: Fault, path: str, writer: asyncio.StreamWriter) -> None:
        framing = f"content-length: {fault.size}" if fault.declare_length else "transfer-encoding: chunked"
        writer.write(f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{framing}\r\n\r\n".encode())
        block = b'{"data": [' + b" " * (65536 - 10)
        self.sent[path] = 0
        while self.sent[path] < fault.size:
            piece = block[: fault.size - self.sent[path]]
            writer.write(piece if fault.declare_length else b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()  # raises once the client hangs up
            self.sent[path] += len(piece)
        if not fault.declare_length:
            writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _trickle(self, fault: Fault, writer: asyncio.StreamWriter) -> None:
        answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{"
        for index in itertools.count():
            writer.write(answer[index : index + 1] or b" ")
            await writer.drain()
            await asyncio.sleep(fault.interval)

    async def _relay(self, fault: Fault, up: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if fault.kind in ("pass", "rewrite"):
            if len(fault.old) != len(fault.new):
                raise ValueError("rewrite needs old and new of the same length")
            while data := await up.read(65536):
                writer.write(data.replace(fault.old, fault.new) if fault.kind == "rewrite" else data)
                await writer.drain()
            return
        if fault.kind in ("truncate", "drip"):
            up_head = await _read_head(up)
            writer.write(up_head)
            sent = 0
            while data := await up.read(fault.chunk if fault.kind == "drip" else 65536):
                if fault.kind == "truncate":
                    room = fault.after_bytes - sent
                    writer.write(data[:room])
                    sent += min(len(data), room)
                    if sent >= fault.after_bytes:
                        await writer.drain()
                        # Abort (RST), so the client sees a dropped connection, not a clean close.
                        writer.transport.abort()
                        return
                else:
                    writer.write(data)
                    await writer.drain()
                    await asyncio.sleep(fault.interval)
            await writer.drain()
            return
        up_head = await _read_head(up)
        up_body = await up.read()
        if fault.kind == "status":
            payload = json.dumps({"error": {"message": "injected upstream failure", "code": fault.code}}).encode()
            writer.write(_response(fault.code, "Injected Failure", payload))
        elif fault.kind == "malformed-json":
            _, up_headers = _headers(up_head)
            if "chunked" in up_headers.get("transfer-encoding", ""):
                up_body = _dechunk(up_body)
            broken = up_body[: len(up_body) // 2] + b"\x00}{not json"
            writer.write(_response(200, "OK", broken))
        await writer.drain()
