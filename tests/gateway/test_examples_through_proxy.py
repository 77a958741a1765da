"""Every gateway-routed card's examples, run as a reader would paste them, through the real LiteLLM proxy.

The bundled catalog's gateway configs are exported (`python -m gateway export`) and started in a
real proxy inside a network namespace with nothing but loopback (`unshare`, as tests/gateway/test_proxy.py
does), every `*_API_BASE` variable pointing at a loopback server that answers in the OpenAI and Ollama
formats. Then each card example for a deployment whose client goes through a gateway (its curl and its
Python, exactly as the card renders them) runs against the proxy, with the gateway's key variable set as a
reader would set it. Each must answer (curl's `--fail-with-body` and the `openai` client both fail on any
status but 2xx), and the loopback server must have seen the deployment's request. The same curl without
the key must be refused: the proxy really checks the key the examples send.

This file is also the driver that runs inside the namespace (`python -m tests.gateway.test_examples_through_proxy`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from catalog import load_catalog
from catalog.clients import client_target
from gateway.cli import main as gateway_main
from hooks.render.snippets import examples_for

REPO_ROOT = Path(__file__).resolve().parents[2]
LITELLM = REPO_ROOT / ".cache" / "venv-litellm" / "bin" / "litellm"
INSTALL_HINT = "run `make test` (or `make gateway-env`) to install the LiteLLM proxy"
#: A safety net for a busy 2-core machine: a proxy starts in 10 to 60 s; the examples take seconds.
DRIVER_TIMEOUT_S = 600
#: What the loopback server answers with, so the test can tell its answer reached the reader.
REPLY = "Hello from the loopback server."


# --------------------------------------------------------------------------- the test (outside the namespace)


def _cases() -> list[dict[str, Any]]:
    """Each gateway-routed deployment's examples as the card renders them, with its gateway and key variable."""
    catalog = load_catalog()
    cases = []
    for dep_id, deployment in sorted(catalog.deployments.items()):
        target = client_target(catalog, deployment)
        if target is None or not target.via_gateway:
            continue
        for example in examples_for(catalog, deployment):
            cases.append(
                {
                    "deployment": dep_id,
                    "gateway": deployment.gateway,
                    "base_url": target.base_url,
                    "key_env": target.api_key_env,
                    "model": target.model,
                    "example": example.kind,
                    "curl": example.curl,
                    "python": example.python,
                }
            )
    return cases


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = [tool for tool in ("unshare", "curl", "bash") if shutil.which(tool) is None]
    if not LITELLM.exists():
        missing.append(str(LITELLM))
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: {INSTALL_HINT}", pytrace=False)
    cases = _cases()
    assert cases, "no card example goes through a gateway: nothing to test (has the catalog changed?)"
    out = tmp_path_factory.mktemp("gateway")
    assert gateway_main(["export", "--output", str(out)]) == 0
    work = tmp_path_factory.mktemp("examples")
    (work / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    command = [
        *("unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"),
        *(sys.executable, "-m", "tests.gateway.test_examples_through_proxy"),
        *("--configs", str(out), "--cases", str(work / "cases.json"), "--work", str(work)),
        *("--litellm", str(LITELLM), "--timeout", str(DRIVER_TIMEOUT_S - 60)),
    ]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S)
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(work.glob("*.log")))
    if done.returncode != 0:
        pytest.fail(f"the namespace driver failed ({done.returncode}):\n{done.stderr[-6000:]}\n{logs}", pytrace=False)
    result: dict[str, Any] = json.loads(done.stdout)
    result["cases"] = cases
    return result


@pytest.mark.gateway
def test_every_gateway_example_sends_the_gateway_key_and_answers(report: dict[str, Any]) -> None:
    failed = [
        f"{run['deployment']} {run['example']} ({run['language']}): exit {run['exit']}\n{run['output'][-1500:]}"
        for run in report["runs"]
        if run["exit"] != 0 or (REPLY not in run["output"] and run["example"] in ("chat", "tools"))
    ]
    assert not failed, "\n\n".join(failed)
    # Every case ran in both languages, and each deployment's request reached the server behind the proxy.
    assert len(report["runs"]) == 2 * len(report["cases"])
    served = {body.get("model") for _path, body in report["upstream"]}
    for case in report["cases"]:
        assert case["key_env"], f"{case['deployment']}: the card names no key variable for its gateway"
        assert any(case["model"] in str(name) or str(name) in case["model"] for name in served if name), (
            case,
            served,
        )


@pytest.mark.gateway
def test_without_the_key_the_proxy_refuses_the_same_example(report: dict[str, Any]) -> None:
    """The examples answer because they send the key, not because the proxy lets anyone in."""
    assert report["keyless"], "no keyless run"
    for run in report["keyless"]:
        assert run["exit"] != 0, f"{run['deployment']}: the proxy answered a request without its key"
    # LiteLLM answers a request without a key with 401 or, for an empty `Bearer `, 500: either way, nothing
    # may reach the model server.
    assert report["upstream_after_keyless"] == len(report["upstream"]), "a request without the key was forwarded"


# --------------------------------------------------------------------------- the driver (inside the namespace)


class Upstream:
    """A loopback server in place of every model server: OpenAI's chat, completions and embeddings, and
    Ollama's /api/chat and /api/embed (LiteLLM's `ollama_chat` provider speaks Ollama's own API)."""

    def __init__(self, bodies: list[tuple[str, Any]], port: int = 0) -> None:
        self.bodies = bodies
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "any", "object": "model"}]})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                upstream.bodies.append((self.path, body))
                self._send(_answer(self.path, body))

            def _send(self, payload: dict[str, Any]) -> None:
                content = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


def _answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    model = body.get("model", "any")
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    if path.endswith("/api/chat"):
        return {
            "model": model,
            "created_at": "2026-11-22T00:00:00Z",
            "message": {"role": "assistant", "content": REPLY},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 1,
            "eval_count": 1,
        }
    if path.endswith("/api/embed"):
        return {"model": model, "embeddings": [[0.1, 0.2, 0.3]]}
    if path.endswith("/embeddings"):
        return {
            "object": "list",
            "model": model,
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
            "usage": usage,
        }
    if path.endswith("/chat/completions"):
        message: dict[str, Any] = {"role": "assistant", "content": REPLY}
        if body.get("tools"):
            call = {"id": "call-1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            message = {"role": "assistant", "content": REPLY, "tool_calls": [call]}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return {"id": "c-1", "object": "chat.completion", "created": 0, "model": model, "choices": [choice]} | {
            "usage": usage
        }
    choice = {"index": 0, "text": REPLY, "finish_reason": "stop", "logprobs": None}
    return {"id": "t-1", "object": "text_completion", "created": 0, "model": model, "choices": [choice], "usage": usage}


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    import httpx

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the proxy exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"the proxy did not answer in time:\n{log.read_text(errors='replace')[-3000:]}")


def _run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def driver(argv: list[str] | None = None) -> int:
    from tests.gateway.netns_driver import loopback_up

    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", type=Path, required=True)
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--litellm", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    loopback_up()
    cases: list[dict[str, Any]] = json.loads(args.cases.read_text(encoding="utf-8"))
    bodies: list[tuple[str, Any]] = []
    upstream = Upstream(bodies)
    # An entry whose server's loopback URL the guides publish keeps it as a literal api_base (no variable):
    # a loopback server listens there too, as that server would.
    literal_ports = {
        urlsplit(base).port or 80
        for config in sorted(args.configs.glob("*.yaml"))
        for entry in yaml.safe_load(config.read_text(encoding="utf-8")).get("model_list") or []
        if isinstance(base := entry["litellm_params"].get("api_base"), str)
        and urlsplit(base).hostname in ("localhost", "127.0.0.1")
    }
    upstreams = [upstream, *(Upstream(bodies, port) for port in sorted(literal_ports))]
    master_key = f"sk-examples-test-{os.urandom(8).hex()}"
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    python = str(args.litellm.with_name("python"))  # the proxy's venv has the `openai` client the examples use
    report: dict[str, Any] = {"runs": [], "keyless": []}
    processes = []
    try:
        by_gateway: dict[str, list[dict[str, Any]]] = {}
        for case in cases:
            by_gateway.setdefault(case["gateway"], []).append(case)
        proxies: dict[str, str] = {}
        for gateway, gateway_cases in sorted(by_gateway.items()):
            config = args.configs / f"{gateway}.yaml"
            required = yaml.safe_load(config.read_text(encoding="utf-8"))["callback_settings"]["fail_closed"][
                "required_env"
            ]
            # Every variable the export's header lists: base URLs at the loopback server, keys to anything.
            env = keep | {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_MASTER_KEY": master_key}
            env |= {
                n: upstream.base_url if n.endswith("_API_BASE") else "sk-upstream" for n in required if n not in env
            }
            # The proxy listens where the card sends readers: the gateway's published loopback address.
            where = urlsplit(gateway_cases[0]["base_url"])
            assert where.hostname in ("localhost", "127.0.0.1"), f"{gateway}: not a loopback URL, cannot listen there"
            port = where.port or 80
            log = args.work / f"proxy-{gateway}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(args.litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=args.work,
                    start_new_session=True,
                )
            processes.append(process)
            proxies[gateway] = f"http://127.0.0.1:{port}"
        for gateway, url in proxies.items():
            _wait_ready(url, processes[list(proxies).index(gateway)], args.work / f"proxy-{gateway}.log", deadline)
        for index, case in enumerate(cases):
            # A reader who set the gateway's key variable, and nothing else.
            env = keep | ({case["key_env"]: master_key} if case["key_env"] else {})
            script = args.work / f"example-{index}.py"
            script.write_text(case["python"], encoding="utf-8")
            for language, command in (("curl", ["bash", "-c", case["curl"]]), ("python", [python, str(script)])):
                code, output = _run(command, env, args.work)
                report["runs"].append(
                    {**{k: case[k] for k in ("deployment", "example")}, "language": language, "exit": code}
                    | {"output": output}
                )
        report["upstream"] = list(bodies)
        for case in cases:
            code, output = _run(["bash", "-c", case["curl"]], keep, args.work)
            report["keyless"].append({"deployment": case["deployment"], "exit": code, "output": output})
        report["upstream_after_keyless"] = len(bodies)
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait(timeout=30)
        for server in upstreams:
            server.server.shutdown()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(driver())
