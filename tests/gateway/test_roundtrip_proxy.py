"""The exported reference gateway in the real LiteLLM proxy: a proxy that starts answers every entry, and one
that lacks a credential an entry needs does not start.

Every variable the export lists is set: each `*_API_BASE` to a small OpenAI-compatible stub on 127.0.0.1 (the
backend here is not under test; the proxy config is), each key variable to a value of its own, and the master
key. Through the proxy, each entry is called the way a client would (chat, or embeddings for an embedding
entry) with the key clients send (`site.yaml` `gateways.reference-litellm.api_key_env`), and must answer 200;
the stub records that each request arrived with the key variable its entry names. Then, for each key
variable, a proxy with only that one unset must exit before it listens.

It runs inside a fresh network namespace with nothing but loopback (`unshare -rn`), as `test_proxy.py` does,
so LiteLLM can reach nothing outside even by mistake. This module is also the driver that runs in there
(`python -m tests.gateway.test_roundtrip_proxy`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LITELLM = REPO_ROOT / ".cache" / "venv-litellm" / "bin" / "litellm"
GATEWAY = "reference-litellm"
MASTER = "sk-roundtrip-master"
DRIVER_TIMEOUT_S = 600
PUBLIC = REPO_ROOT / "tests" / "fixtures" / "litellm-public"
#: Public configs whose every entry is a server of the team's own (private addresses): the guard lets their
#: export start, so the real proxy's routing table can be compared with the original config.
LOCAL_PUBLIC = (
    "Aldoubt--Lab-LLM-Gateway--config-litellm.yaml",
    "GabrielFranciscoSM--scalable_ollama_farm--litellm-config.yaml",
    "Mak5ens--llmops-gateway--config-litellm.yaml",
    "TheMrDJek--observable-vllm-stack--config-litellm.yaml",
)


# ----------------------------------------------------------------------------------------- inside the namespace


class Stub:
    """An OpenAI-compatible backend on loopback that answers chat and embeddings and keeps what it was sent."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                auth = self.headers.get("authorization") or self.headers.get("x-api-key") or ""
                stub.seen.append({"path": self.path, "model": body.get("model"), "auth": auth})
                model = body.get("model", "")
                usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
                if self.path.endswith("/embeddings"):
                    data = {"object": "embedding", "index": 0, "embedding": [0.25, 0.5]}
                    reply = {"object": "list", "data": [data], "model": model, "usage": usage}
                else:
                    message = {"role": "assistant", "content": "ok"}
                    choice = {"index": 0, "message": message, "finish_reason": "stop"}
                    reply = {"id": "stub", "object": "chat.completion", "created": 0, "model": model}
                    reply |= {"choices": [choice], "usage": usage}
                content = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
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


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _proxy(
    litellm: Path, config: Path, env: dict[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _ready(process: subprocess.Popen[bytes], url: str, deadline: float) -> bool:
    """True once the proxy answers; False when it exited (or the deadline passed) first."""
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                return True
        time.sleep(0.5)
    return False


def drive(config: Path, litellm: Path, work: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    exported = yaml.safe_load(config.read_text(encoding="utf-8"))
    required: list[str] = exported["callback_settings"]["fail_closed"]["required_env"]
    stub = Stub()
    values = {
        name: stub.base_url if name.endswith("_API_BASE") else (MASTER if name == "LITELLM_MASTER_KEY" else f"k-{name}")
        for name in required
    }
    base_env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_BASE"))}
    keys = [name for name in required if name != "LITELLM_MASTER_KEY" and not name.endswith("_API_BASE")]
    report: dict[str, Any] = {"required": required, "answers": {}, "refused": {}}
    with contextlib.ExitStack() as stack:
        served, url = stack.enter_context(_proxy(litellm, config, base_env | values, work / "served.log"))
        missing = {
            name: stack.enter_context(
                _proxy(litellm, config, base_env | {k: v for k, v in values.items() if k != name}, work / f"{name}.log")
            )
            for name in keys
        }
        report["served_started"] = _ready(served, url, deadline)
        for entry in exported["model_list"]:
            alias = entry["model_name"]
            embedding = entry.get("model_info", {}).get("mode") == "embedding"
            path, body = (
                ("/v1/embeddings", {"model": alias, "input": "hi"})
                if embedding
                else ("/v1/chat/completions", {"model": alias, "messages": [{"role": "user", "content": "hi"}]})
            )
            before = len(stub.seen)
            try:
                reply = httpx.post(
                    f"{url}{path}", json=body, headers={"authorization": f"Bearer {MASTER}"}, timeout=120
                )
                status, text = reply.status_code, reply.text[:300]
            except httpx.HTTPError as exc:
                status, text = 0, str(exc)
            key = str(entry["litellm_params"].get("api_key", "")).removeprefix("os.environ/")
            arrived = stub.seen[before:]
            report["answers"][alias] = {
                "status": status,
                "text": text,
                "reached_backend": bool(arrived),
                "sent_its_key": bool(key) and any(values[key] in seen["auth"] for seen in arrived),
                "needs_key": bool(key),
            }
        for name, (process, proxy_url) in missing.items():
            answered = _ready(process, proxy_url, deadline)
            log = (work / f"{name}.log").read_text(encoding="utf-8", errors="replace")
            report["refused"][name] = {
                "exit": process.poll(),
                "answered": answered,
                "guard_said": f"{name} is unset or empty" in log,
            }
    return report


def loaded_routes(config: Path, litellm: Path, work: Path, timeout: float) -> dict[str, Any]:
    """What a proxy started with `config` (every variable set) holds in its routing table (`GET /model/info`)."""
    deadline = time.monotonic() + timeout
    exported = yaml.safe_load(config.read_text(encoding="utf-8"))
    required: list[str] = exported["callback_settings"]["fail_closed"]["required_env"]
    values = {
        name: "http://127.0.0.1:9/v1"
        if name.endswith("_API_BASE")
        else (MASTER if name == "LITELLM_MASTER_KEY" else f"k-{name}")
        for name in required
    }
    base_env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_BASE"))}
    with _proxy(litellm, config, base_env | values, work / f"{config.stem}.log") as (process, url):
        if not _ready(process, url, deadline):
            return {"started": False, "log": (work / f"{config.stem}.log").read_text(errors="replace")[-3000:]}
        info = httpx.get(f"{url}/v1/model/info", headers={"authorization": f"Bearer {MASTER}"}, timeout=60).json()
    members = [
        {
            "model_name": item["model_name"],
            "model": item["litellm_params"].get("model"),
            "api_base": item["litellm_params"].get("api_base"),
            "id": (item.get("model_info") or {}).get("id"),
        }
        for item in info["data"]
    ]
    return {"started": True, "members": members}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--litellm", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--imported", type=Path, nargs="*", default=[], help="exported configs of imported catalogs")
    args = parser.parse_args(argv)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)
    result = drive(args.config, args.litellm, args.work, args.timeout)
    result["imported"] = {
        str(path): loaded_routes(path, args.litellm, args.work, args.timeout) for path in args.imported
    }
    print(json.dumps(result))
    return 0


# ----------------------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = [tool for tool in ("unshare",) if shutil.which(tool) is None]
    if not LITELLM.exists():
        missing.append(str(LITELLM))
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `make gateway-env`", pytrace=False)
    from gateway.cli import main as gateway_main
    from onboarding.litellm_import import import_litellm

    out = tmp_path_factory.mktemp("gateway")
    assert gateway_main(["export", "--output", str(out)]) == 0
    imported = []
    for name in LOCAL_PUBLIC:
        catalog, target = tmp_path_factory.mktemp("cat"), tmp_path_factory.mktemp("imported")
        import_litellm(PUBLIC / name, catalog / "cat", notes=lambda _: None)
        assert gateway_main(["export", "--catalog", str(catalog / "cat"), "--output", str(target)]) == 0
        (exported,) = target.glob("*.yaml")
        imported.append(exported.rename(target / f"{name.removesuffix('.yaml')}.yaml"))
    work = tmp_path_factory.mktemp("netns")
    command = [
        *("unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"),
        sys.executable,
        "-m",
        "tests.gateway.test_roundtrip_proxy",
        *("--config", str(out / f"{GATEWAY}.yaml"), "--litellm", str(LITELLM), "--work", str(work)),
        *("--timeout", str(DRIVER_TIMEOUT_S - 60)),
        *("--imported", *map(str, imported)),
    ]
    result_sources = {str(path): name for path, name in zip(imported, LOCAL_PUBLIC, strict=True)}
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S)
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(work.glob("*.log")))
    if done.returncode != 0:
        pytest.fail(f"the namespace driver failed ({done.returncode}):\n{done.stderr[-6000:]}\n{logs}", pytrace=False)
    result: dict[str, Any] = json.loads(done.stdout)
    result["logs"] = logs
    result["sources"] = result_sources
    return result


@pytest.mark.gateway
def test_a_proxy_with_every_variable_set_answers_every_entry(report: dict[str, Any]) -> None:
    assert report["served_started"], report["logs"]
    answers = report["answers"]
    assert answers, "the export has entries"
    failed = {alias: a for alias, a in answers.items() if a["status"] != 200 or not a["reached_backend"]}
    assert failed == {}, report["logs"]
    unkeyed = {alias for alias, a in answers.items() if a["needs_key"] and not a["sent_its_key"]}
    assert unkeyed == set(), "each entry's key variable reaches its backend"


@pytest.mark.gateway
def test_a_proxy_without_a_credential_an_entry_needs_does_not_start(report: dict[str, Any]) -> None:
    refused = report["refused"]
    assert {"CLAUDE_HAIKU_API_KEY", "EMBEDDINGS_API_KEY"} <= set(refused), "the export lists both keys"
    for name, outcome in refused.items():
        assert outcome["exit"] not in (None, 0) and not outcome["answered"], (name, outcome)
        assert outcome["guard_said"], (name, outcome)


@pytest.mark.gateway
def test_the_real_proxy_loads_an_imported_public_config_with_every_member_of_every_alias(
    report: dict[str, Any],
) -> None:
    """The original's members, as LiteLLM's own routing table lists them after import and export."""
    assert set(report["imported"]) == set(report["sources"])
    for path, loaded in report["imported"].items():
        assert loaded["started"], loaded.get("log")
        original = yaml.safe_load((PUBLIC / report["sources"][path]).read_text(encoding="utf-8"))
        expected = sorted(
            (str(e["model_name"]), e["litellm_params"]["model"], e["litellm_params"]["api_base"].rstrip("/"))
            for e in original["model_list"]
        )
        got = sorted((m["model_name"], m["model"], (m["api_base"] or "").rstrip("/")) for m in loaded["members"])
        assert got == expected, path
        assert len({m["id"] for m in loaded["members"]}) == len(loaded["members"]), "no member hides another"


if __name__ == "__main__":
    sys.exit(main())
