"""The fixed program that scores one code item inside the sandbox: a pass means the item's tests ran to the end.

``probes/sandbox.py`` (``run_tests``) starts it in the bubblewrap sandbox as::

    python -I -S -B runner.py run SECRET_FD CANDIDATE

and never runs the model's answer concatenated with the tests. Two processes take part, and the model's code
only ever runs in the second:

* the **runner** (``run``), which holds the secret and runs the tests. Before anything else it makes itself
  non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``), so no other process of the sandbox's uid can read its memory
  (``/proc/<pid>/mem``, ``process_vm_readv``, ptrace) or open its descriptors (``/proc/<pid>/fd``); without
  this a child in the sandbox could read the parent's memory, which was tried. Then it reads, from the
  descriptor ``SECRET_FD`` that it inherited, a JSON object with the per-run random ``nonce``, the item's
  ``tests`` and its ``entry_point``, and closes that descriptor: the prober wrote it into a pipe and closed
  the write end before the sandbox started, so once read, nothing is left to read. The tests are never in
  a file the model's code could open (a candidate that reads the tests could answer them from a table);
* the **worker** (``serve``), a fresh interpreter the runner starts afterwards (``exec``: none of the
  runner's memory, and ``close_fds``: none of its descriptors). It executes the candidate's code in its own
  namespace and then only answers calls: one JSON line with the arguments in, one with the return value out,
  over two pipes of its own.

The runner executes the tests in a fresh namespace that holds only the entry point, which is a proxy: each
call sends its arguments to the worker and returns what came back, rebuilt by the runner itself from a strict
encoding of plain data of exact builtin types (``None``, ``bool``, ``int``, ``float``, ``str`` and ``list``,
``tuple``, ``dict``, ``set``, ``frozenset`` of those, recursively). So the values the tests compare are the
runner's own objects: an object whose ``__eq__`` always says True, a subclass of ``int`` with a lying
``__eq__``, anything with a ``__del__`` cannot reach the tests; they fail the item as "not plain data". An
exception the candidate raises is raised in the tests as the nearest builtin ``Exception`` class (so a test
may expect a ``ValueError``); a ``SystemExit`` or other ``BaseException``, a ``StopIteration`` (which would end
a test's ``map`` or ``zip`` loop early and quietly), a worker that exits at any time before the tests are done
(even while a process it forked keeps its pipe open) or breaks the protocol, or a value that is not plain data
fails the item, even where a test caught what was raised. The
candidate can overwrite ``len``, ``AssertionError``, ``print`` or anything else in its own interpreter: the
tests run in the runner's, which no model code ever touched (so no snapshot of ``builtins`` has to be
restored). ``-I`` keeps ``/tmp`` (where the worker may write) off the runner's import path, and the runner
refuses to run when ``assert`` is compiled out.

Only after the last test finished does the runner kill the worker and every other process in the sandbox (bwrap's
init would otherwise wait for a forked survivor, and let it write on), then write one line,
``tests-completed <nonce>``, to its standard output, and exit 0. The prober counts a pass only when the
exit status is 0 **and** that exact line is in the output (``probes/sandbox.py``). The worker shares that
output (so its prints show in the result) but has no way to learn the nonce: exiting early (``os._exit``,
``sys.exit``, ``atexit``, a ``__del__``, a fork that prints later), closing or flooding its output or
printing a guessed line all end without the line, and the runner exits 1 when anything went wrong.

What this cannot defend against, and why that is acceptable:

* a kernel hole that lets a process of the same unprivileged uid read a non-dumpable process's memory, or a
  weakness of the sandbox itself (``probes/sandbox.py`` lists its layers). That is the sandbox's job;
* a candidate that computes the right answers by reading the tests from somewhere they are not: the model
  sees only the prompt, the tests travel through the runner's closed pipe, and the worker cannot read the
  runner's memory. A model that learned the public items by heart (or special-cases the inputs) would still
  pass: that is contamination of the data set, which no runner can tell from a correct function;
* a candidate that kills or stops the runner (signals are allowed between processes of one uid): that only
  makes the item fail or time out;
* tests that need more than calling the entry point with plain data and comparing what it returns (passing a
  callback, checking that an argument was mutated in place, identity): they do not run here. An item written
  that way fails with its own ``reference`` too, which the tests of the bundled items check.

Standard library only; it runs under the sandbox's interpreter (``-I -S -B``), whatever its version.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

MARKER = "tests-completed"
"""The line ``<MARKER> <nonce>`` that says the tests ran to the end."""
REPLY_CAP = 4 * 1024 * 1024
"""The longest reply line the runner reads from the worker (a longer one fails the item)."""
SECRET_CAP = 16 * 1024 * 1024
PR_SET_DUMPABLE, PR_GET_DUMPABLE = 4, 3
EXIT_FAILED, EXIT_UNUSABLE = 1, 2

_HEX = re.compile(r"-?0x[0-9a-f]+\Z")
_FLOAT = re.compile(r"-?(?:inf|nan|[0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)\Z")
_CONTAINERS: dict[type, str] = {list: "l", tuple: "t", set: "s", frozenset: "fs"}
_BUILDERS: dict[str, Any] = {"l": list, "t": tuple, "s": set, "fs": frozenset}


class NotPlainData(TypeError):
    """A value that is not plain data of exact builtin types."""


class ProtocolError(Exception):
    """The worker sent something that is not a well-formed answer."""


# -- plain data on the wire ----------------------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """``value`` as JSON-ready tagged data; ``NotPlainData`` for anything but exact builtin types (no subclasses)."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return ["i", hex(value)]  # hex: no limit on the number of digits, unlike str(int)
    if kind is float:
        return ["f", repr(value)]
    if kind in _CONTAINERS:
        return [_CONTAINERS[kind], [encode(item) for item in value]]
    if kind is dict:
        return ["d", [[encode(k), encode(v)] for k, v in value.items()]]
    raise NotPlainData(f"{kind.__module__}.{kind.__qualname__} is not plain data")


def decode(data: Any) -> Any:
    """The value ``encode`` described, built from scratch of exact builtin types; ``ProtocolError`` otherwise."""
    if data is None or data is True or data is False or type(data) is str:
        return data
    if type(data) is not list or len(data) != 2 or type(data[0]) is not str:
        raise ProtocolError(f"not an encoded value: {type(data).__name__}")
    tag, body = data
    if tag == "i" and type(body) is str and _HEX.match(body):
        return int(body, 16)
    if tag == "f" and type(body) is str and _FLOAT.match(body):
        return float(body)
    if type(body) is list and tag in _BUILDERS:
        return _BUILDERS[tag](decode(item) for item in body)
    if type(body) is list and tag == "d":
        pairs = []
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("a dict entry is not a pair")
            pairs.append((decode(pair[0]), decode(pair[1])))
        return dict(pairs)
    raise ProtocolError(f"not an encoded value: tag {tag!r}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _line(message: list[Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def _parse(line: bytes) -> list[Any]:
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if type(message) is not list or not message or type(message[0]) is not str:
        raise ProtocolError("not a message")
    return message


# -- the worker: the candidate's own interpreter ---------------------------------------------------------------------
def _show(exc: BaseException) -> None:
    """Where the candidate failed, briefly, for whoever reads the output (which it may have closed)."""
    with contextlib.suppress(Exception):
        traceback.print_exception(type(exc), exc, exc.__traceback__, limit=-2)


def serve(requests_fd: int, replies_fd: int, entry_point: str, candidate_path: str) -> int:
    """Execute the candidate, then answer calls of its entry point until the runner closes the pipe."""
    requests = os.fdopen(requests_fd, "rb")
    source = Path(candidate_path).read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(source, "candidate.py", "exec"), namespace)
        function = namespace[entry_point]
        if not callable(function):
            raise TypeError(f"{entry_point} is not a function")
    except BaseException as exc:
        _show(exc)
        _write_all(replies_fd, _line(["load-failed", f"{type(exc).__name__}: {exc}"]))
        return EXIT_FAILED
    _write_all(replies_fd, _line(["ready"]))
    while request := requests.readline():
        seq, args, kwargs = json.loads(request)
        try:
            value = function(*decode(args), **decode(kwargs))
        except BaseException as exc:
            _show(exc)
            names = [cls.__name__ for cls in type(exc).__mro__]
            _write_all(replies_fd, _line(["raised", seq, names, str(exc)[:500]]))
            if not isinstance(exc, Exception):
                return EXIT_FAILED
            continue
        try:
            reply = _line(["return", seq, encode(value)])
        except (NotPlainData, RecursionError, ValueError) as exc:
            reply = _line(["not-plain", seq, str(exc)[:500]])
        _write_all(replies_fd, reply)
    return 0


# -- the runner: the secret and the tests ----------------------------------------------------------------------------
_FLOW = (StopIteration, StopAsyncIteration)
"""Exceptions that end a loop instead of failing it: raised in a test's ``map`` or ``zip``, they would end its
checks early and quietly, so the candidate raising one aborts the run."""


class Aborted(BaseException):
    """The candidate did something no test may catch (an exit, a broken worker, a value that is not plain data)."""


class _Worker:
    """The candidate's interpreter, seen from the runner: the entry point as a proxy."""

    def __init__(self, argv: list[str]) -> None:
        requests_r, self._requests = os.pipe()
        self._replies, replies_w = os.pipe()
        self.process = subprocess.Popen(
            [*argv, str(requests_r), str(replies_w)],
            stdin=subprocess.DEVNULL,
            pass_fds=(requests_r, replies_w),
            close_fds=True,
            start_new_session=True,  # its own process group, so that the runner can end all of it
        )
        os.close(requests_r)
        os.close(replies_w)
        self._buffer = bytearray()
        self.seq = 0
        self.failure: str | None = None

    def fail(self, why: str) -> Aborted:
        self.failure = self.failure or why
        return Aborted(why)

    def receive(self) -> list[Any]:
        """The worker's next reply line. The worker itself must be alive: a process it forked may hold the pipe
        open (so no end of file comes), but an exit of the worker's is an exit of the candidate's."""
        end = self._buffer.find(b"\n")
        while end < 0:
            if len(self._buffer) > REPLY_CAP:
                raise self.fail(f"the candidate's process broke off: a reply longer than {REPLY_CAP} bytes")
            readable, _, _ = select.select([self._replies], [], [], 0.05)
            if self.process.poll() is not None:
                raise self.fail(f"the candidate's process ended (status {self.process.returncode})")
            if readable:
                chunk = os.read(self._replies, 65536)
                if not chunk:
                    raise self.fail("the candidate's process broke off: the worker ended")
                found = chunk.find(b"\n")
                end = -1 if found < 0 else len(self._buffer) + found
                self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        try:
            return _parse(line)
        except ProtocolError as exc:
            raise self.fail(f"the candidate's process broke off: {exc}") from None

    def ready(self) -> None:
        message = self.receive()
        if message != ["ready"]:
            raise self.fail(f"the candidate could not be loaded: {str(message[1:])[:300]}")

    def call(self, *args: Any, **kwargs: Any) -> Any:
        if self.failure:
            raise Aborted(self.failure)
        self.seq += 1
        request = _line([self.seq, encode(list(args)), encode(kwargs)])
        try:
            _write_all(self._requests, request)
        except OSError as exc:
            raise self.fail(f"the candidate's process is gone: {exc}") from None
        message = self.receive()
        if len(message) < 2 or message[1] != self.seq:
            raise self.fail("the candidate's process answered out of turn")
        kind = message[0]
        if kind == "return" and len(message) == 3:
            try:
                return decode(message[2])
            except (ProtocolError, TypeError, ValueError, RecursionError, MemoryError) as exc:
                raise self.fail(f"the candidate returned something that is not plain data ({exc})") from None
        if kind == "not-plain" and len(message) == 3:
            raise self.fail(f"the candidate returned something that is not plain data: {str(message[2])[:300]}")
        if kind == "raised" and len(message) == 4 and type(message[2]) is list:
            raise _as_exception(self, message[2], message[3])
        raise self.fail(f"the candidate's process sent {str(kind)[:40]!r}")

    def end(self) -> None:
        """Stop the worker and everything it started, also what left its process group (``setsid``). A worker
        that ended before this, whenever that was, fails the item."""
        if self.process.poll() is not None:
            self.fail(f"the candidate's process ended (status {self.process.returncode})")
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        _end_the_rest()


def _end_the_rest() -> None:
    """SIGKILL every other process in the sandbox's PID namespace: ``kill(-1)`` reaches each process this uid may
    signal except the namespace's init (bwrap, pid 1) and the caller. bwrap's init waits for every process, not
    only for the runner, so a survivor would keep the sandbox (and its output) open until the wall clock; once
    they are gone nothing but the runner can write to the output. Repeated until nothing is left to signal (a
    process may fork while the first signals go out); the prober's wall clock stays the net."""
    for _ in range(200):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        except OSError:
            pass
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:  # this runner's own dead children, so they stop counting
                pass
        time.sleep(0.005)


def _as_exception(worker: _Worker, names: list[Any], message: Any) -> BaseException:
    """What the candidate raised, as the nearest builtin ``Exception`` class; an exit or the like aborts the run."""
    text = str(message)[:500]
    for name in names:
        cls = getattr(builtins, name, None) if type(name) is str else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            if not issubclass(cls, Exception) or issubclass(cls, _FLOW):
                return worker.fail(f"the candidate raised {name}")
            try:
                return cls(text)
            except Exception:  # a builtin class that wants other arguments (UnicodeDecodeError)
                continue
    return worker.fail("the candidate raised something that is not an exception")


def _non_dumpable() -> None:
    """No other process of this uid may read this one's memory or descriptors from now on."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 or libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _read_secret(fd: int) -> dict[str, Any]:
    chunks, size = [], 0
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > SECRET_CAP:
                raise ValueError("the secret is too long")
    finally:
        os.close(fd)
    secret = json.loads(b"".join(chunks))
    if not (isinstance(secret, dict) and {"nonce", "tests", "entry_point"} <= set(secret)):
        raise ValueError("the secret lacks the nonce, the tests or the entry point")
    return secret


def run(secret_fd: int, candidate_path: str) -> int:
    """Run the item's tests against the candidate; on success write the marker line and exit 0."""
    try:
        _non_dumpable()  # first: from here on the worker, once started, cannot read what follows
        secret = _read_secret(secret_fd)
        if not __debug__:
            raise RuntimeError("assert statements are compiled out (-O): the tests would not test")
    except Exception as exc:
        print(f"test runner unusable: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    nonce, tests, entry_point = str(secret["nonce"]), str(secret["tests"]), str(secret["entry_point"])
    del secret
    me = str(Path(__file__).resolve())
    worker = _Worker([sys.executable, "-I", "-S", "-B", me, "serve", entry_point, candidate_path])
    namespace: dict[str, Any] = {"__name__": "__tests__", "__builtins__": builtins, entry_point: worker.call}
    try:
        worker.ready()
        exec(compile(tests, "tests", "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        worker.end()
        return EXIT_FAILED
    worker.end()
    if worker.failure:  # something the tests caught, but no test may pass over
        print(f"failed: {worker.failure}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(sys.stdout.fileno(), f"\n{MARKER} {nonce}\n".encode())  # under PIPE_BUF: one piece, never interleaved
    os._exit(0)


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"] and len(argv) == 3:
        return run(int(argv[1]), argv[2])
    if argv[:1] == ["serve"] and len(argv) == 5:
        return serve(int(argv[3]), int(argv[4]), argv[1], argv[2])
    print("usage: runner.py run SECRET_FD CANDIDATE | serve ENTRY_POINT CANDIDATE REQUESTS_FD REPLIES_FD")
    return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
