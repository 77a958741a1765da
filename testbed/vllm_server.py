"""Start and stop real vLLM OpenAI-compatible servers (from ``.venv-vllm``) for the probe tests and the demo.

``launch_vllm`` serves the tiny generative model; ``launch_embedding_vllm`` serves an embedding model with
vLLM's pooling runner.

The server runs in its own session (process group), because vLLM forks an engine-core process: stopping
or killing the group ends all of it, and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from testbed.tiny_model import REPO_ROOT, VLLM_PYTHON

INSTALL_HINT = "run `make test` (or `bash tools/install-vllm.sh`) to create .venv-vllm"
#: A safety net only: `wait_ready` returns as soon as /health answers, and fails at once when the server exits.
#: A loaded 2-core machine took up to 370 s to start three servers; with other work beside it, longer.
STARTUP_TIMEOUT_S = 1200.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_vllm_venv() -> None:
    """Raise (never skip) when the vLLM venv is missing: CI installs it, so its absence is a failure."""
    if not VLLM_PYTHON.exists():
        raise RuntimeError(f"{VLLM_PYTHON} not found: {INSTALL_HINT}")


@dataclass
class VllmServer:
    model_dir: Path
    served_name: str
    port: int
    api_key: str | None
    max_model_len: int
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

    def wait_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> VllmServer:
        """Block until ``GET /health`` answers 200; raise with the log tail if it dies or takes too long."""
        if self.ready_after_s is not None:
            return self
        deadline = self.started_at + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"vLLM exited with {self.process.returncode} before it was ready; log {self.log_path}:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(httpx.HTTPError):  # no answer yet (or a slow one): ask again
                if httpx.get(f"{self.root_url}/health", timeout=10).status_code == 200:
                    self.ready_after_s = time.monotonic() - self.started_at
                    return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"vLLM was not healthy within {timeout_s:.0f} s; log {self.log_path}:\n" + self.log_tail())

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL the server and its engine: a crash, as a probe would see one."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM, then SIGKILL whatever is left of the group after ``timeout_s``."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout_s)
        # The engine core may outlive the API server process; the group id still reaches it.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def launch_vllm(
    model_dir: Path,
    *,
    log_path: Path,
    served_name: str = "tiny",
    api_key: str | None = None,
    max_model_len: int = 1024,
    port: int | None = None,
    log_stats: bool = False,
    extra_args: Sequence[str] = (),
) -> VllmServer:
    """Start the server (on ``port``, or a free one) and return at once; call ``wait_ready()`` before using it."""
    return _spawn(
        model_dir,
        log_path=log_path,
        served_name=served_name,
        api_key=api_key,
        max_model_len=max_model_len,
        port=port,
        args=[
            "--enable-auto-tool-choice",
            "--tool-call-parser",
            "hermes",
            # Random weights pick whitespace as happily as anything; without this a schema-constrained
            # answer can wander for hundreds of tokens of indentation before closing its braces.
            "--structured-outputs-config",
            '{"backend": "xgrammar", "disable_any_whitespace": true}',
            # Stats feed /metrics; off by default to keep test logs quiet, on where a benchmark reads them.
            *([] if log_stats else ["--disable-log-stats"]),
            *extra_args,
        ],
    )


#: How the embedding server runs: vLLM's pooling runner (it serves `/v1/embeddings`, and no chat or
#: completions), without torch.compile: on CPU the compile warm-up alone took 46-63 s at every start (its
#: cache did not load again), while eager mode serves the same vectors.
EMBEDDING_ARGS = ("--runner", "pooling", "--enforce-eager")


def launch_embedding_vllm(
    model_dir: Path,
    *,
    log_path: Path,
    served_name: str,
    max_model_len: int,
    api_key: str | None = None,
    port: int | None = None,
    extra_args: Sequence[str] = (),
) -> VllmServer:
    """Start an embedding server (the pooling runner) on ``model_dir``; call ``wait_ready()`` before using it."""
    return _spawn(
        model_dir,
        log_path=log_path,
        served_name=served_name,
        api_key=api_key,
        max_model_len=max_model_len,
        port=port,
        args=[*EMBEDDING_ARGS, "--disable-log-stats", *extra_args],
    )


def _spawn(
    model_dir: Path,
    *,
    log_path: Path,
    served_name: str,
    api_key: str | None,
    max_model_len: int,
    port: int | None,
    args: Sequence[str],
) -> VllmServer:
    require_vllm_venv()
    port = port or free_port()
    argv = [
        str(VLLM_PYTHON),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model_dir),
        "--served-model-name",
        served_name,
        "--dtype",
        "float32",
        "--max-model-len",
        str(max_model_len),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *args,
    ]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
    }
    if api_key is not None:
        # Passed through the environment, not argv, so it does not show in `ps`.
        env["VLLM_API_KEY"] = api_key
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return VllmServer(model_dir, served_name, port, api_key, max_model_len, log_path, process)
