"""The gateway test's half that runs inside a network namespace with nothing but loopback.

`test_proxy.py` starts this module under `unshare -rn --pid --fork --kill-child --mount-proc`, so every
process here (the tiny vLLM server, two real LiteLLM proxies, the requests) can reach 127.0.0.1 and
nothing else, and all of them die with this one. It prints one JSON report on stdout; the test asserts on it.

What it runs, all at once because each start is mostly waiting:

* the tiny vLLM server, serving the name the exported entry for `--alias` asks for;
* proxy "refused": the exported config as written, with every variable it needs set except the
  `api_base` variable of `--alias`. It must exit before it listens.
* proxy "served": the same config with every variable set, the one for `--alias` pointing at a recorder
  in front of vLLM (so the test sees what LiteLLM sends), the others at a closed loopback port; plus one
  entry appended without an `api_base`, as someone might add by hand, which the guard must refuse per request.

Both proxies run under `strace`, and the report lists every connection either one attempted to an
address outside loopback: there must be none, not even a DNS lookup.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from testbed.vllm_server import free_port, launch_vllm

#: An address nothing listens on inside the namespace: a request sent there fails at once, locally.
CLOSED_BASE = "http://127.0.0.1:9/v1"
#: The card's tool-call example (hooks/templates/snippets/tools.*.j2): a strict tool and a named tool_choice.
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "Berlin", "Tokyo"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TOOL_REQUEST = {
    "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
    "tools": [WEATHER_TOOL],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "max_tokens": 256,
}
UNROUTED = "unrouted-by-hand"
# strace prints IPv4 and IPv6 peers in these two forms.
PEER = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def loopback_up() -> list[str]:
    """Bring `lo` up (a new namespace starts with it down) and return the interfaces there are."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))
    return [name for _, name in socket.if_nameindex()]


def outside_peers(strace_log: Path) -> list[str]:
    """Every connect/send in the strace log whose peer is not a loopback address."""
    found = []
    text = strace_log.read_text(encoding="utf-8", errors="replace") if strace_log.exists() else ""
    for line in text.splitlines():
        for v4, v6 in PEER.findall(line):
            peer = v4 or v6
            if not (peer.startswith("127.") or peer in ("::1", "0.0.0.0", "::")):
                found.append(line.strip())
    return found


def traced(command: list[str], log: Path) -> list[str]:
    return ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(log), *command]


class Recorder:
    """A loopback HTTP relay in front of vLLM that keeps each JSON request body it relays."""

    def __init__(self, upstream: str) -> None:
        self.bodies: list[tuple[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with contextlib.suppress(ValueError):
                    recorder.bodies.append((self.path, json.loads(body)))
                headers = {"content-type": self.headers.get("content-type") or "application/json"}
                upstream_path = self.path.removeprefix("/v1")
                reply = httpx.post(f"{upstream}{upstream_path}", content=body, headers=headers, timeout=120)
                self.send_response(reply.status_code)
                self.send_header("content-type", reply.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@contextlib.contextmanager
def proxy(litellm: Path, config: Path, port: int, env: dict[str, str], work: Path, name: str) -> Iterator[Proxy]:
    """A real LiteLLM proxy under strace, in its own process group, killed (with strace) on the way out."""
    command = [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    with (work / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            traced(command, work / f"{name}.strace"),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    handle = Proxy(name, process, port, work)
    try:
        yield handle
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


class Proxy:
    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, work: Path) -> None:
        self.name, self.process, self.port, self.work = name, process, port, work
        self.started = time.monotonic()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return (self.work / f"{self.name}.log").read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, deadline: float) -> float:
        """Seconds until `/health/liveliness` answered; raise if the proxy exits or the deadline passes."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"proxy {self.name} exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200:
                    return time.monotonic() - self.started
            time.sleep(0.5)
        raise RuntimeError(f"proxy {self.name} did not answer in time:\n{self.log()[-3000:]}")

    def wait_exit(self, deadline: float) -> tuple[int | None, float, bool]:
        """Exit code (None if still running at the deadline), seconds, and whether it ever answered."""
        answered = False
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                answered = answered or httpx.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200
            time.sleep(0.5)
        return self.process.poll(), time.monotonic() - self.started, answered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True, help="an exported gateway config (guard beside it)")
    parser.add_argument("--alias", required=True, help="the entry the tiny vLLM server answers for")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--litellm", type=Path, required=True, help="the litellm console script")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for everything to start")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + args.timeout
    report: dict[str, Any] = {"interfaces": loopback_up()}

    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    required: list[str] = config["callback_settings"]["fail_closed"]["required_env"]
    entry = next(e for e in config["model_list"] if e["model_name"] == args.alias)
    served_name = entry["litellm_params"]["model"].partition("/")[2]
    missing = entry["litellm_params"]["api_base"].removeprefix("os.environ/")
    report["missing"] = missing

    # The strace check must see an outside attempt when there is one: a DNS lookup from inside is one.
    probe_log = args.work / "selfcheck.strace"
    lookup = "import socket\ntry:\n    socket.getaddrinfo('api.openai.com', 443)\nexcept OSError:\n    pass"
    subprocess.run(traced([sys.executable, "-c", lookup], probe_log), check=True, timeout=60)
    report["selfcheck_outside"] = outside_peers(probe_log)

    # Only what the test sets: no provider variable from the caller's shell can fill a gap.
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_MASTER_KEY": f"sk-gateway-test-{os.urandom(8).hex()}"}
    env |= {name: CLOSED_BASE if name.endswith("_API_BASE") else "unused" for name in required if name not in env}

    served_config = dict(config)
    served_config["model_list"] = [
        *config["model_list"],
        {"model_name": UNROUTED, "litellm_params": {"model": entry["litellm_params"]["model"]}},
    ]
    served_path = args.config.with_name("served-" + args.config.name)
    served_path.write_text(yaml.safe_dump(served_config, sort_keys=False), encoding="utf-8")

    vllm = launch_vllm(
        args.model_dir,
        log_path=args.work / "vllm.log",
        served_name=served_name,
        # No torch.compile warm-up: it is most of vLLM's start-up on CPU, and this test times nothing.
        extra_args=["--enforce-eager"],
    )
    recorder = Recorder(vllm.base_url)
    refused_env = {k: v for k, v in env.items() if k != missing}
    served_env = env | {missing: recorder.base_url}
    try:
        with (
            proxy(args.litellm, args.config, free_port(), refused_env, args.work, "refused") as refused,
            proxy(args.litellm, served_path, free_port(), served_env, args.work, "served") as served,
        ):
            code, seconds, answered = refused.wait_exit(deadline)
            report["refused"] = {
                "exit": code,
                "seconds": round(seconds, 1),
                "answered": answered,
                "guard_line": next((ln for ln in refused.log().splitlines() if ln.startswith("fail_closed:")), None),
            }
            report["served_ready_s"] = round(served.wait_ready(deadline), 1)
            vllm.wait_ready(timeout_s=max(deadline - vllm.started_at, 1))
            report["vllm_ready_s"] = round(vllm.ready_after_s or 0, 1)
            key = env["LITELLM_MASTER_KEY"]
            report["requests"] = requests(served, key, args.alias, served_name, recorder, vllm.base_url)
            report["served_exit"] = served.process.poll()
        report["outside"] = {name: outside_peers(args.work / f"{name}.strace") for name in ("refused", "served")}
    finally:
        vllm.stop()
        recorder.server.shutdown()
    report["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=1))
    return 0


def requests(served: Proxy, key: str, alias: str, served_name: str, recorder: Recorder, direct: str) -> dict[str, Any]:
    """What the served proxy answered, and what it sent on to vLLM."""
    headers = {"Authorization": f"Bearer {key}"}
    out: dict[str, Any] = {}
    with httpx.Client(base_url=f"{served.url}/v1", headers=headers, timeout=120) as client:
        chat = client.post(
            "/chat/completions",
            json={"model": alias, "messages": [{"role": "user", "content": "Say hello"}], "max_tokens": 8},
        )
        out["chat"] = {"status": chat.status_code, "body": chat.json()}
        out["chat_relayed"] = recorder.bodies[-1] if recorder.bodies else None
        tools = client.post("/chat/completions", json={"model": alias, **TOOL_REQUEST})
        out["tools"] = {"status": tools.status_code, "body": tools.json()}
        out["tools_relayed"] = recorder.bodies[-1][1].get("tools") if recorder.bodies else None
        unrouted = client.post(
            "/chat/completions", json={"model": UNROUTED, "messages": [{"role": "user", "content": "hi"}]}
        )
        out["unrouted"] = {"status": unrouted.status_code, "body": unrouted.text[:2000]}
    # The same example straight to vLLM, where `strict` arrives.
    direct_tools = httpx.post(f"{direct}/chat/completions", json={"model": served_name, **TOOL_REQUEST}, timeout=120)
    out["tools_direct"] = {"status": direct_tools.status_code, "body": direct_tools.json()}
    out["tool_arguments"] = {
        way: _arguments(out[key]["body"]) for way, key in (("proxy", "tools"), ("direct", "tools_direct"))
    }
    return out


def _arguments(body: dict[str, Any]) -> str | None:
    """The first tool call's arguments as the server wrote them, or None when there is none."""
    with contextlib.suppress(KeyError, IndexError, TypeError):
        return str(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    return None


if __name__ == "__main__":
    sys.exit(main())
