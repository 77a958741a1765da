"""Run model-written Python in a child process that cannot do much harm.

Layers, each covering what the previous one misses:

* ``unshare --net`` (when the kernel lets this user make a network namespace): the child has only a
  loopback that nothing listens on;
* a guard prelude that replaces ``socket.socket`` and name resolution before the candidate code runs,
  for machines where ``unshare`` is not allowed;
* ``python -I -S``: no environment variables, user site or ``site`` hooks are read;
* an empty environment and a fresh temporary working directory;
* rlimits on CPU seconds, address space, file size, open files and core dumps, plus a wall-clock
  timeout that kills the child's whole process group.

This is containment for a tiny eval suite on a trusted CI machine, not a security boundary against a
hostile model.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GUARD = """\
import socket, sys, runpy

def _blocked(*args, **kwargs):
    raise OSError("network access is disabled in the eval sandbox")

class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _blocked()

socket.socket = _NoSocket
for _name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "socketpair"):
    setattr(socket, _name, _blocked)
try:
    import _socket
    _socket.socket = _NoSocket
    _socket.getaddrinfo = _blocked
except ImportError:
    pass
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@dataclass(frozen=True)
class Limits:
    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 4
    open_files: int = 64


@dataclass(frozen=True)
class SandboxResult:
    ok: bool
    returncode: int | None
    timed_out: bool
    output_tail: str


@cache
def network_namespace_available() -> bool:
    """Whether ``unshare --net`` works here (root or unprivileged user namespaces)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        return subprocess.run([unshare, "--net", "true"], capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _apply_limits(limits: Limits) -> None:
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def command(script: Path, guard: Path) -> list[str]:
    """The argv that runs ``script`` under the guard (and in a fresh network namespace when possible)."""
    argv = [sys.executable, "-I", "-S", "-B", str(guard), str(script)]
    if network_namespace_available():
        argv = [shutil.which("unshare") or "unshare", "--net", *argv]
    return argv


async def run_python(source: str, limits: Limits | None = None) -> SandboxResult:
    """Run ``source`` as a script; ``ok`` when it exits 0 within the limits."""
    limits = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="probe-sandbox-") as tmp:
        workdir = Path(tmp)
        script = workdir / "candidate.py"
        guard = workdir / "_guard.py"
        script.write_text(source, encoding="utf-8")
        guard.write_text(GUARD, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *command(script, guard),
            cwd=workdir,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: _apply_limits(limits),
        )
        try:
            output, _ = await asyncio.wait_for(proc.communicate(), timeout=limits.wall_s)
        except TimeoutError:
            # The candidate may have forked; its session is ours alone, so end the whole group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            return SandboxResult(False, None, True, "")
        tail = output.decode("utf-8", errors="replace")[-2000:]
        return SandboxResult(proc.returncode == 0, proc.returncode, False, tail)
