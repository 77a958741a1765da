"""Start the MCP server over Streamable HTTP (`python -m mcp_server --http`) for the tests and the agent-questions
benchmark, as a remote agent would reach it: on a free port of 127.0.0.1, in its own session (process group), so
stopping the group ends all of it and nothing else.

The server is run as a command, never imported: the testbed knows nothing of the product (tests/test_layers.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from testbed.tiny_model import REPO_ROOT
from testbed.vllm_server import free_port

#: A safety net only: the wait ends as soon as the port accepts a connection, and at once when the server exits.
STARTUP_TIMEOUT_S = 60.0


@contextlib.contextmanager
def serving_mcp_http(
    catalog: Path,
    evidence: Path,
    *,
    log: Path,
    epoch: str | None,
    site: Path | None = None,
    host: str | None = "127.0.0.1",
    timeout_s: float = STARTUP_TIMEOUT_S,
) -> Iterator[str]:
    """`python -m mcp_server --http` on a free port until the block ends; its URL (`http://127.0.0.1:PORT/mcp`).

    `epoch` is the `SOURCE_DATE_EPOCH` it judges on; None runs it on the real clock ("today" is the day of each
    call). `site` is the built site it offers (None: a folder beside `log` that does not exist, so it offers none).
    `host` None leaves `--host` to the server's default. Its stdout and stderr go to `log`, which a failure to
    start quotes."""
    port = free_port()
    command = [sys.executable, "-m", "mcp_server", "--http", "--port", str(port)]
    if host is not None:
        command += ["--host", host]
    site = site if site is not None else log.parent / "no-site"
    command += ["--catalog", str(catalog), "--evidence", str(evidence), "--site", str(site)]
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        _wait_for_port(process, port, log, timeout_s)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        _stop(process)


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the MCP server exited with {process.returncode}; log {log}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"no MCP server on 127.0.0.1:{port} after {timeout_s:.0f} s; log {log}:\n" + log.read_text()
                ) from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM the group, then SIGKILL whatever is left of it after `timeout_s`."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
