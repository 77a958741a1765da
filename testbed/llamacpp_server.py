"""Start and stop a real llama.cpp server (the native `llama-server`) for the probe tests.

The binary is built by `tools/install-llamacpp.sh` (`make llamacpp-env`) from the llama-cpp-python sdist that
locks/llamacpp.txt pins, and serves the tests' tiny Llama as a GGUF (`testbed/tiny_gguf.py`). It runs with
`--metrics` (Prometheus counters under `/metrics`), a small context (`-c`) and an `--alias`, so the served name
is what a catalog would list rather than the file's path. The API key goes through the environment
(`LLAMA_API_KEY`), never argv, so it does not show in `ps`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from testbed.tiny_gguf import INSTALL_HINT, LLAMA_SERVER, require_llamacpp
from testbed.vllm_server import free_port

#: A safety net: the tiny model loads in about a second; a busy 2-core machine is slower.
STARTUP_TIMEOUT_S = 300.0
#: The served context the tests' llama.cpp deployment claims.
LLAMACPP_CONTEXT = 512

__all__ = ["INSTALL_HINT", "LLAMACPP_CONTEXT", "LlamaCppServer", "launch_llamacpp", "require_llamacpp"]


@dataclass
class LlamaCppServer:
    model: Path
    served_name: str
    port: int
    api_key: str | None
    context: int
    log_path: Path
    process: subprocess.Popen[bytes]
    started_at: float = field(default_factory=time.monotonic)
    ready_after_s: float | None = None

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> LlamaCppServer:
        """Block until ``GET /health`` answers 200 (503 while the model loads); raise with the log tail if the
        server exits or takes too long."""
        if self.ready_after_s is not None:
            return self
        deadline = self.started_at + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama-server exited with {self.process.returncode} before it was ready; log {self.log_path}:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.root_url}/health", timeout=10).status_code == 200:
                    self.ready_after_s = time.monotonic() - self.started_at
                    return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"llama-server was not healthy within {timeout_s:.0f} s; log {self.log_path}:\n" + self.log_tail()
        )

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL the process group after ``timeout_s``."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout_s)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def launch_llamacpp(
    model: Path,
    *,
    log_path: Path,
    served_name: str = "tiny-gguf",
    api_key: str | None = None,
    context: int = LLAMACPP_CONTEXT,
    port: int | None = None,
    threads: int = 2,
) -> LlamaCppServer:
    """Start the server (on ``port``, or a free one) and return at once; call ``wait_ready()`` before using it."""
    require_llamacpp()
    port = port or free_port()
    argv = [
        str(LLAMA_SERVER),
        "-m",
        str(model),
        "--alias",
        served_name,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "-c",
        str(context),
        "--metrics",
        "--threads",
        str(threads),
    ]
    env = {**os.environ}
    env.pop("LLAMA_API_KEY", None)
    if api_key is not None:
        env["LLAMA_API_KEY"] = api_key
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return LlamaCppServer(model, served_name, port, api_key, context, log_path, process)
