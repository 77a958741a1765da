"""Run model-written Python inside a bubblewrap sandbox, or refuse to run it at all.

Code that a probed model writes is untrusted input. It runs under ``bwrap`` (Debian's
``bubblewrap``, installed by ``make sandbox-tools``) with:

* new user, PID, mount, network, IPC, UTS and cgroup namespaces (``--unshare-all --unshare-user``).
  The fresh PID namespace has its own ``/proc``, so no other process, the prober included, can be
  seen, let alone its ``/proc/<pid>/environ``. The network namespace holds only a loopback that
  nothing listens on. ``--disable-userns`` stops the code from making namespaces of its own;
* an empty environment: bwrap itself is started with ``env={}`` (its own ``/proc/1/environ`` is
  visible inside) and the code gets ``--clearenv`` plus ``LANG``. The interpreter runs ``-I -S -B``;
* a file system that is read-only everywhere: ``/usr`` (and the interpreter's prefix when it lies
  elsewhere) bound read-only, a new ``/proc`` and a minimal ``/dev``, ``/`` and ``/dev`` remounted
  read-only, and one private, size-capped tmpfs on ``/tmp`` as the working directory. Nothing of the
  host's ``/etc``, ``/root``, ``/home``, ``/tmp`` or the repository is visible. The program itself is
  copied in from an open file descriptor (``--ro-bind-data``), so no host path is shared;
* no capabilities (``--cap-drop ALL``), ``no_new_privs``, and a new session (no TIOCSTI);
* an unprivileged uid: when the prober runs as root the sandbox runs as ``nobody`` (65534). This is
  not optional: Linux never enforces ``RLIMIT_NPROC`` for uid 0, and a sandbox whose uid maps to
  root outside still counts as uid 0; a fork bomb under ``bwrap`` as root forked past the limit
  unhindered when this was tried;
* rlimits set by a small launcher inside the sandbox before it ``exec``\\ s the program: CPU seconds,
  address space, file size, open files, processes (counted per user namespace, so a limit set inside
  counts only the sandbox's own processes), no core dumps; plus a wall clock that kills bwrap, which
  takes the whole PID namespace down with it (``--die-with-parent``);
* captured output capped, so a program that prints forever cannot fill the prober's memory.

``run_tests`` scores model-written code against tests: it never runs the answer concatenated with the
tests, but a fixed runner program (``evals/tasks/code_runner.py``, whose docstring says what it defends
against and what it cannot) that runs the candidate in a process of its own and the tests in another. A
pass is an exit status 0 **and** the line ``tests-completed <nonce>`` in the output, with a random nonce
made for the run. The nonce, with the tests, goes in through a pipe: the prober writes it and closes the
write end before bwrap starts, and hands the read end through bwrap (``pass_fds``; bwrap keeps inherited
descriptors open, which was checked) to the runner, which reads it, closes it, and has already made itself
non-dumpable so that no other process of the sandbox's uid can read its memory (a child could, without
that, which was tried). The output is watched for that line as it streams, so a program that floods its
output cannot push the line out of the capped buffer, nor plant it.

The first call runs a self-test inside the sandbox (only ``lo``, a fresh ``/proc``, ``/`` and ``/usr``
read-only, not uid 0). When ``bwrap`` is missing, user namespaces are not allowed, or the self-test
fails, ``run_python`` refuses: it returns a result whose ``refused`` says why, and the code is never run
unconfined.

What was tried and not chosen:

* the previous layers (``unshare --net``, a socket-patching prelude, ``python -I -S``, rlimits): the
  code could read ``/proc/<parent>/environ`` and write anywhere the prober could;
* ``bwrap`` run as root: every namespace works, but the sandboxed code is then uid 0 outside, which
  the kernel exempts from ``RLIMIT_NPROC``: 40 forks under a limit of 10 all succeeded;
* ``bwrap --userns``/``--userns-block-fd`` with a uid map written by the prober, so that root sets up
  the mounts and the code runs as another uid: bwrap switches uid before it mounts, so either the
  code stays root outside or the mounts cannot reach a source under a ``0700`` ``/root``;
* ``--ro-bind-fd`` with a descriptor opened as root, to reach a private interpreter (pyenv under
  ``/root``) from the unprivileged uid: bwrap resolves the descriptor back to its path and fails with
  EACCES. So the sandbox uses the project's own interpreter when the sandbox uid can reach it, and
  otherwise the system ``python3`` (the eval programs use only the standard library);
* util-linux ``unshare`` with ``--map-users``: needs ``newuidmap`` (another package) and would leave the
  whole mount setup to be written by hand;
* cgroups for the process and memory caps: the hierarchy differs per machine (v1 here, v2 with
  systemd elsewhere) and needs delegation; rlimits behave the same everywhere;
* nsjail is not packaged in Debian 12; firejail is a setuid-root tool with a much larger surface.

Not done: a seccomp filter (bwrap takes compiled BPF; nothing in the venv compiles one). The
unprivileged uid, empty capability sets and ``no_new_privs`` are what stand behind the namespaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

BWRAP = "bwrap"
"""Looked up on ``PATH`` (``/usr/bin/bwrap`` from Debian's ``bubblewrap``)."""

SANDBOX_UID = 65534
"""``nobody``: the uid the sandbox runs as when the prober is root."""

SCRIPT = "/sandbox/candidate.py"
RUNNER = "/sandbox/runner.py"
"""Where ``run_tests`` puts the runner program; the candidate's code goes to ``SCRIPT``."""
OUTPUT_CAP = 64 * 1024
MARKER = "tests-completed"
"""The runner's last line, ``tests-completed <nonce>``: the tests ran to the end (as in code_runner.py)."""
INSTALL_HINT = "install it with `make sandbox-tools` (Debian package bubblewrap)"

# Runs inside the sandbox: the limits, then the candidate in a fresh interpreter.
LAUNCHER = """\
import os, resource, sys
cpu, memory, fsize, nofile, nproc = (int(x) for x in sys.argv[1:6])
for which, value in (
    (resource.RLIMIT_CPU, cpu),
    (resource.RLIMIT_AS, memory),
    (resource.RLIMIT_FSIZE, fsize),
    (resource.RLIMIT_NOFILE, nofile),
    (resource.RLIMIT_NPROC, nproc),
    (resource.RLIMIT_CORE, 0),
):
    resource.setrlimit(which, (value, value))
os.execv(sys.executable, [sys.executable, "-I", "-S", "-B", *sys.argv[6:]])
"""

# What the sandbox must look like from inside before any model-written code is run in it.
SELF_TEST = """\
import os, socket
assert [name for _, name in socket.if_nameindex()] == ["lo"], "more than a loopback: no network namespace"
assert max(int(p) for p in os.listdir("/proc") if p.isdigit()) < 10, "the host's processes are visible in /proc"
assert os.geteuid() != 0, "running as uid 0, which RLIMIT_NPROC does not bind"
assert set(os.environ) <= {"LANG", "PWD"}, sorted(os.environ)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(4, 0, 0, 0, 0) == 0 and libc.prctl(3, 0, 0, 0, 0) == 0, "prctl(PR_SET_DUMPABLE, 0) fails"
for folder in ("/", "/usr"):
    try:
        open(os.path.join(folder, ".sandbox-write-test"), "w").close()
    except OSError:
        continue
    raise AssertionError(folder + " is writable")
print("sandbox-ok")
"""


@dataclass(frozen=True)
class Limits:
    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 4
    open_files: int = 64
    processes: int = 16
    tmp_mb: int = 16


@dataclass(frozen=True)
class SandboxResult:
    ok: bool
    returncode: int | None
    timed_out: bool
    output_tail: str
    refused: str | None = None
    """Why the code was not run at all (no working sandbox on this machine); ``None`` when it ran."""


@dataclass(frozen=True)
class Availability:
    reason: str | None
    """``None`` when the sandbox works here, else why it does not."""
    bwrap: str = ""
    python: str = ""
    prefix: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is None


def _drops_to_nobody() -> bool:
    return os.geteuid() == 0


def _reachable(path: Path) -> bool:
    """Whether the sandbox's uid can execute ``path`` (bwrap resolves bind sources as that uid)."""
    if not _drops_to_nobody():
        return os.access(path, os.X_OK)
    try:
        if any(not p.stat().st_mode & stat.S_IXOTH for p in path.parents):
            return False
        return path.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH) == stat.S_IROTH | stat.S_IXOTH
    except OSError:
        return False


def _interpreter() -> Path | None:
    """The project's interpreter when the sandbox uid can reach it, else the system ``python3``."""
    candidates = [getattr(sys, "_base_executable", sys.executable), sys.executable, "/usr/bin/python3"]
    for candidate in candidates:
        path = Path(os.path.realpath(candidate))
        if path.is_file() and _reachable(path):
            return path
    return None


def _bwrap_argv(
    bwrap: str, python: str, prefix: str, limits: Limits, files: Sequence[tuple[int, str]], args: Sequence[str]
) -> list[str]:
    """bwrap's command line: ``files`` (descriptor, path inside) copied in read-only, then ``python args``."""
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"]
    argv += ["--cap-drop", "ALL", "--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            argv += ["--symlink", str(top.readlink()), str(top)]
        elif top.is_dir():
            argv += ["--ro-bind", str(top), str(top)]
    if prefix != "/usr" and not prefix.startswith("/usr/"):
        argv += ["--ro-bind", prefix, prefix]
    for fd, inside in files:
        argv += ["--ro-bind-data", str(fd), inside]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    argv += ["--clearenv", "--setenv", "LANG", "C.UTF-8", "--chdir", "/tmp", "--"]
    mb = 1024 * 1024
    numbers = (limits.cpu_s, limits.memory_mb * mb, limits.file_mb * mb, limits.open_files, limits.processes)
    return [*argv, python, "-I", "-S", "-B", "-c", LAUNCHER, *map(str, numbers), *args]


@dataclass(frozen=True)
class _Identity:
    """Popen's ``user``/``group``/``extra_groups``: root drops to ``nobody`` before bwrap starts."""

    user: int | None
    group: int | None
    extra_groups: list[int] | None


def _identity() -> _Identity:
    if _drops_to_nobody():
        return _Identity(SANDBOX_UID, SANDBOX_UID, [])
    return _Identity(None, None, None)


@contextlib.contextmanager
def _script_file(source: str) -> Iterator[int]:
    """A descriptor bwrap copies the program from; an unlinked file, so no host path is shared."""
    with tempfile.TemporaryFile(prefix="probe-sandbox-") as handle:
        handle.write(source.encode("utf-8"))
        handle.flush()
        handle.seek(0)
        yield handle.fileno()


@cache
def availability() -> Availability:
    """Whether the sandbox works on this machine, checked once by running the self-test in it."""
    bwrap = shutil.which(BWRAP) if "/" not in BWRAP else BWRAP
    if bwrap is None or not os.access(bwrap, os.X_OK):
        return Availability(f"bubblewrap (bwrap) is not installed; {INSTALL_HINT}")
    python = _interpreter()
    if python is None:
        return Availability("no Python interpreter that the sandbox's uid can read and execute")
    prefix = str(python.parent.parent)
    limits = Limits()
    ids = _identity()
    with _script_file(SELF_TEST) as script:
        argv = _bwrap_argv(bwrap, str(python), prefix, limits, [(script, SCRIPT)], [SCRIPT])
        try:
            done = subprocess.run(
                argv,
                env={},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=30,
                check=False,
                pass_fds=(script,),
                start_new_session=True,
                user=ids.user,
                group=ids.group,
                extra_groups=ids.extra_groups,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return Availability(f"bwrap could not be started: {exc}")
    said = (done.stdout + done.stderr).decode("utf-8", errors="replace").strip()
    if done.returncode != 0 or said != "sandbox-ok":
        last = said.splitlines()[-1] if said else f"exit status {done.returncode}"
        return Availability(f"the bubblewrap sandbox does not work here (user namespaces not allowed?): {last}")
    return Availability(None, bwrap, str(python), prefix)


class _LineWatch:
    """Whether one exact line went by in a stream, seen chunk by chunk in bounded memory (a line longer than
    the one looked for is skipped, not kept)."""

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.seen = False
        self._partial = b""
        self._too_long = False

    def feed(self, chunk: bytes) -> None:
        *complete, rest = chunk.split(b"\n")
        if complete:
            if not self._too_long and self._partial + complete[0] == self.line:
                self.seen = True
            if self.line in complete[1:]:  # compared in C: a flood of lines costs little
                self.seen = True
            self._partial, self._too_long = b"", False
        if self._too_long or len(self._partial) + len(rest) > len(self.line):
            self._partial, self._too_long = b"", True
        else:
            self._partial += rest


async def _collect(stream: asyncio.StreamReader, sink: bytearray, watch: _LineWatch | None) -> None:
    while chunk := await stream.read(65536):
        if watch is not None:
            watch.feed(chunk)
        sink += chunk
        if len(sink) > OUTPUT_CAP:
            del sink[:-OUTPUT_CAP]


async def run_python(source: str, limits: Limits | None = None) -> SandboxResult:
    """Run ``source`` as a script in the sandbox; ``ok`` when it exits 0 within the limits.

    Refuses (``refused`` set, ``ok`` false, nothing run) where the sandbox does not work. This says nothing
    about whether any tests in ``source`` ran: scoring code uses ``run_tests``.
    """
    limits = limits or Limits()
    status = await asyncio.to_thread(availability)
    if not status.ok:
        return _refused(status)
    with _script_file(source) as script:
        return await _run(status, limits, [(script, SCRIPT)], [SCRIPT], (), None)


def _sealed_pipe(data: bytes) -> int:
    """The read end of a pipe that holds ``data`` and whose write end is already closed."""
    read_end, write_end = os.pipe()
    try:
        if len(data) > 65536:  # a pipe holds 64 KiB unless asked for more
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, len(data))
        os.set_blocking(write_end, False)  # too much for the pipe: an error here, never a hang
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return read_end


async def run_tests(
    candidate: str, tests: str, entry_point: str, *, runner: str, limits: Limits | None = None
) -> SandboxResult:
    """Run ``tests`` against the function ``entry_point`` that ``candidate`` defines, through the runner
    program ``runner`` (the source of ``evals/tasks/code_runner.py``); ``ok`` only when the runner exited 0
    and wrote ``tests-completed <nonce>`` with this run's nonce, which only it was given.

    Refuses (``refused`` set, ``ok`` false, nothing run) where the sandbox does not work.
    """
    limits = limits or Limits()
    status = await asyncio.to_thread(availability)
    if not status.ok:
        return _refused(status)
    nonce = secrets.token_hex(32)
    secret = json.dumps({"nonce": nonce, "tests": tests, "entry_point": entry_point}).encode()
    marker = f"{MARKER} {nonce}".encode()
    read_end = _sealed_pipe(secret)
    try:
        with _script_file(runner) as program, _script_file(candidate) as code:
            files = [(program, RUNNER), (code, SCRIPT)]
            args = [RUNNER, "run", str(read_end), SCRIPT]
            result = await _run(status, limits, files, args, (read_end,), _LineWatch(marker))
    finally:
        with contextlib.suppress(OSError):
            os.close(read_end)  # the prober's copy; bwrap had its own
    # The nonce is spent; the line would only clutter the output.
    return replace(result, output_tail=result.output_tail.replace(f"\n{marker.decode()}\n", "\n"))


def _refused(status: Availability) -> SandboxResult:
    return SandboxResult(False, None, False, "", refused=f"code not run, no sandbox: {status.reason}")


async def _run(
    status: Availability,
    limits: Limits,
    files: Sequence[tuple[int, str]],
    args: Sequence[str],
    extra_fds: Sequence[int],
    watch: _LineWatch | None,
) -> SandboxResult:
    output = bytearray()
    timed_out = False
    ids = _identity()
    proc = await asyncio.create_subprocess_exec(
        *_bwrap_argv(status.bwrap, status.python, status.prefix, limits, files, args),
        env={},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        pass_fds=(*(fd for fd, _ in files), *extra_fds),
        user=ids.user,
        group=ids.group,
        extra_groups=ids.extra_groups,
    )
    assert proc.stdout is not None
    reader = asyncio.ensure_future(_collect(proc.stdout, output, watch))
    try:
        await asyncio.wait_for(proc.wait(), timeout=limits.wall_s)
    except TimeoutError:
        timed_out = True
        # bwrap leads its own session; killing it makes its PID 1 die (--die-with-parent), and
        # with it every process in the sandbox's PID namespace.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
    # Every writer is gone with the PID namespace, so the pipe is at its end; the bound only
    # guards against a kernel that disagrees.
    try:
        await asyncio.wait_for(reader, timeout=5)
    except TimeoutError:
        reader.cancel()
    tail = output.decode("utf-8", errors="replace")[-2000:]
    if timed_out:
        return SandboxResult(False, None, True, tail)
    completed = watch is None or watch.seen
    return SandboxResult(proc.returncode == 0 and completed, proc.returncode, False, tail)
