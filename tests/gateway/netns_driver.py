"""The gateway test's half that runs inside a network namespace with nothing but loopback.

`test_proxy.py` starts this module under `unshare -rn --pid --fork --kill-child --mount-proc`, so every
process here (the tiny vLLM server, six real LiteLLM proxies, LiteLLM in process, the requests) can reach
127.0.0.1 and nothing else, and all of them die with this one. It prints one JSON report on stdout; the test
asserts on it.

What it runs, all at once because each start is mostly waiting:

* the tiny vLLM server, serving the name the exported entry for `--alias` asks for;
* proxies that must exit before they listen: "missing_variable", the exported config as written with every
  variable it needs set except the `api_base` variable of `--alias`; and three copies of it with every
  variable set and one entry added by hand: "no_api_base" (an entry without an api_base), "wildcard"
  (`model_name: "*"`), "shared_variable" (a second alias reading `--alias`'s api_base variable);
* proxy "served": the exported config with every variable set, the one for `--alias` pointing at a recorder
  in front of vLLM (so the test sees what LiteLLM sends), the others at a closed loopback port. It answers
  requests, `GET /health` (which health-checks every model on demand), `/health/readiness`, and a provider
  pass-through request that carries the caller's own provider key;
* proxy "background": the same with `general_settings.background_health_checks` on, every second; it runs
  until its loop has health-checked `--alias` twice through its own recorder after vLLM is up;
* LiteLLM in process (`health_probe.py`), with the guard ("probe_guarded", loaded by LiteLLM's own config
  loader) and without ("probe_unguarded"): a health check of, and a request for, a model added without an
  api_base after start-up, which the start-up check never saw.

Every LiteLLM process runs under `strace`, and the report lists every connection each one attempted to an
address outside loopback, and any name lookup through a local resolver daemon: there must be none, not even
a DNS lookup, except from "probe_unguarded", which shows what the guard prevents (and that the check sees it).
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
# strace prints IPv4 and IPv6 peers in these two forms.
PEER = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
#: A name lookup through a local daemon (nscd, systemd-resolved) is a lookup too, though its socket is local.
RESOLVER_SOCKET = re.compile(r'sun_path="[^"]*(nscd|resolve)[^"]*"')
#: Seconds between background health checks: short, so that two cycles pass soon after vLLM is up.
HEALTH_CHECK_INTERVAL_S = 1
#: A provider pass-through request that carries the caller's own provider key, so LiteLLM has a credential.
PASS_THROUGH = ("/anthropic/v1/messages", {"x-api-key": "sk-ant-the-callers-own"})


def loopback_up() -> list[str]:
    """Bring `lo` up (a new namespace starts with it down) and return the interfaces there are."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))
    return [name for _, name in socket.if_nameindex()]


def outside_peers(strace_log: Path) -> list[str]:
    """Every connect/send in the strace log whose peer is not a loopback address, and every connection to a
    local resolver daemon."""
    found = []
    text = strace_log.read_text(encoding="utf-8", errors="replace") if strace_log.exists() else ""
    for line in text.splitlines():
        peers = [v4 or v6 for v4, v6 in PEER.findall(line)]
        if any(not (p.startswith("127.") or p in ("::1", "0.0.0.0", "::")) for p in peers) or RESOLVER_SOCKET.search(
            line
        ):
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
                try:
                    reply = httpx.post(f"{upstream}{upstream_path}", content=body, headers=headers, timeout=120)
                    status, kind, content = reply.status_code, reply.headers.get("content-type"), reply.content
                except httpx.HTTPError as exc:  # vLLM not up yet: a background health check may come first
                    status, kind, content = 502, "text/plain", str(exc).encode()
                self.send_response(status)
                self.send_header("content-type", kind or "application/json")
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@contextlib.contextmanager
def traced_process(command: list[str], env: dict[str, str], work: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A command under strace, in its own process group, killed (with strace) on the way out; its stdout and
    stderr go to `<name>.log`, its strace to `<name>.strace`."""
    with (work / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(
            traced(command, work / f"{name}.strace"),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextlib.contextmanager
def proxy(litellm: Path, config: Path, port: int, env: dict[str, str], work: Path, name: str) -> Iterator[Proxy]:
    """A real LiteLLM proxy under strace."""
    command = [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    with traced_process(command, env, work, name) as process:
        yield Proxy(name, process, port, work)


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


def hand_edited(config: dict[str, Any], entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Copies of the exported config with one entry added by hand, each of which the guard must refuse."""
    model, api_base = entry["litellm_params"]["model"], entry["litellm_params"]["api_base"]
    added = {
        "no_api_base": {"model_name": "by-hand", "litellm_params": {"model": model}},
        "wildcard": {"model_name": "*", "litellm_params": {"model": "openai/*", "api_base": CLOSED_BASE}},
        "shared_variable": {
            "model_name": f"{entry['model_name']}-copy",
            "litellm_params": {"model": model, "api_base": api_base},
        },
    }
    return {name: config | {"model_list": [*config["model_list"], extra]} for name, extra in added.items()}


def write_config(beside: Path, name: str, config: dict[str, Any]) -> Path:
    """A config in the exported config's folder, where the guard is."""
    path = beside.with_name(f"{name}-{beside.name}")
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


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
    index, entry = next((i, e) for i, e in enumerate(config["model_list"]) if e["model_name"] == args.alias)
    served_name = entry["litellm_params"]["model"].partition("/")[2]
    missing = entry["litellm_params"]["api_base"].removeprefix("os.environ/")
    report |= {"missing": missing, "alias_index": index, "entries": len(config["model_list"])}
    report["model_ids"] = [e["model_info"]["id"] for e in config["model_list"]]

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

    refusing = {"missing_variable": args.config} | {
        name: write_config(args.config, name, edited) for name, edited in hand_edited(config, entry).items()
    }
    background = config | {
        "general_settings": {"background_health_checks": True, "health_check_interval": HEALTH_CHECK_INTERVAL_S}
    }
    background_path = write_config(args.config, "background", background)

    vllm = launch_vllm(
        args.model_dir,
        log_path=args.work / "vllm.log",
        served_name=served_name,
        # No torch.compile warm-up: it is most of vLLM's start-up on CPU, and this test times nothing.
        extra_args=["--enforce-eager"],
    )
    recorder, background_recorder = Recorder(vllm.base_url), Recorder(vllm.base_url)
    refused_env = {"missing_variable": {k: v for k, v in env.items() if k != missing}}
    python = str(args.litellm.with_name("python"))
    probe = [python, str(Path(__file__).with_name("health_probe.py")), "--model", entry["litellm_params"]["model"]]
    try:
        with contextlib.ExitStack() as stack:
            # "missing_variable": every variable set but that one; the hand edits: every variable set.
            refused = {
                name: stack.enter_context(
                    proxy(args.litellm, path, free_port(), refused_env.get(name, env), args.work, name)
                )
                for name, path in refusing.items()
            }
            served = stack.enter_context(
                proxy(args.litellm, args.config, free_port(), env | {missing: recorder.base_url}, args.work, "served")
            )
            in_background = stack.enter_context(
                proxy(
                    args.litellm,
                    background_path,
                    free_port(),
                    env | {missing: background_recorder.base_url},
                    args.work,
                    "background",
                )
            )
            probes = {
                "probe_guarded": stack.enter_context(
                    traced_process([*probe, "--config", str(args.config)], env, args.work, "probe_guarded")
                ),
                "probe_unguarded": stack.enter_context(traced_process(probe, env, args.work, "probe_unguarded")),
            }
            report["refused"] = {name: refusal(handle, deadline) for name, handle in refused.items()}
            report["probes"] = {
                name: probe_result(process, args.work / f"{name}.log", deadline) for name, process in probes.items()
            }
            report["served_ready_s"] = round(served.wait_ready(deadline), 1)
            report["background_ready_s"] = round(in_background.wait_ready(deadline), 1)
            vllm.wait_ready(timeout_s=max(deadline - vllm.started_at, 1))
            report["vllm_ready_s"] = round(vllm.ready_after_s or 0, 1)
            key = env["LITELLM_MASTER_KEY"]
            report["requests"] = requests(served, key, args.alias, served_name, recorder, vllm.base_url)
            report["background"] = background_health(in_background, key, args.alias, background_recorder, deadline)
            report["served_exit"] = served.process.poll()
        names = [*refusing, "served", "background", "probe_guarded", "probe_unguarded"]
        report["outside"] = {name: outside_peers(args.work / f"{name}.strace") for name in names}
    finally:
        vllm.stop()
        recorder.server.shutdown()
        background_recorder.server.shutdown()
    report["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=1))
    return 0


def refusal(handle: Proxy, deadline: float) -> dict[str, Any]:
    """How a proxy that must not start ended: its exit code, when, whether it ever answered, and the guard's line."""
    code, seconds, answered = handle.wait_exit(deadline)
    lines = handle.log().splitlines()
    return {
        "exit": code,
        "seconds": round(seconds, 1),
        "answered": answered,
        "guard_line": next((line for line in lines if line.startswith("fail_closed:")), None),
    }


def probe_result(process: subprocess.Popen[bytes], log: Path, deadline: float) -> dict[str, Any]:
    """The JSON line `health_probe.py` printed last (LiteLLM prints its own lines before it)."""
    process.wait(timeout=max(deadline - time.monotonic(), 1))
    text = log.read_text(encoding="utf-8", errors="replace")
    line = next((ln for ln in reversed(text.splitlines()) if ln.startswith("{")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"{log.stem} exited with {process.returncode}:\n{text[-3000:]}")
    result: dict[str, Any] = json.loads(line)
    return result


def health_summary(response: httpx.Response) -> dict[str, Any]:
    """`GET /health`: its status, the ids of the healthy deployments, and each unhealthy one's error."""
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    return {
        "status": response.status_code,
        "healthy": sorted(str(e.get("model_id")) for e in body.get("healthy_endpoints", [])),
        "unhealthy": {
            str(e.get("model_id")): str(e.get("error", ""))[:600] for e in body.get("unhealthy_endpoints", [])
        },
    }


def background_health(proxy: Proxy, key: str, alias: str, recorder: Recorder, deadline: float) -> dict[str, Any]:
    """Wait until the background loop has checked `alias` twice since vLLM is up, and its cached answer has it
    healthy; then the cached answer, and how many health checks reached the recorder."""
    before = len(recorder.bodies)
    headers = {"Authorization": f"Bearer {key}"}
    while time.monotonic() < deadline:
        health = health_summary(httpx.get(f"{proxy.url}/health", headers=headers, timeout=60))
        if len(recorder.bodies) >= before + 2 and alias in health["healthy"]:
            return {
                "health": health,
                "checks_relayed": len(recorder.bodies),
                "checks_since_vllm_up": len(recorder.bodies) - before,
            }
        time.sleep(0.5)
    raise RuntimeError(f"the background loop did not check {alias} twice in time:\n{proxy.log()[-3000:]}")


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
    with httpx.Client(base_url=served.url, headers=headers, timeout=120) as client:
        # On demand: the proxy health-checks every deployment now (no background loop in this config).
        relayed = len(recorder.bodies)
        out["health"] = health_summary(client.get("/health"))
        out["health_relayed"] = recorder.bodies[relayed:]
        readiness = client.get("/health/readiness")
        out["readiness"] = {"status": readiness.status_code, "body": readiness.json()}
        path, own_key = PASS_THROUGH
        message = {"model": "claude-haiku-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
        passed = client.post(path, json=message, headers=own_key)
        out["pass_through"] = {"path": path, "status": passed.status_code, "body": passed.text[:2000]}
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
