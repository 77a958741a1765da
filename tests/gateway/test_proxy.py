"""The exported gateway config in a real LiteLLM proxy: a missing variable fails closed, a set one serves.

Everything runs inside a fresh network namespace with nothing but loopback (`unshare -rn`), so nothing
here can reach the outside even by mistake; `strace` on each proxy shows it did not even try (see
`netns_driver.py`). Like the probe tests, it fails, naming the command to run, when a tool is missing:
`make test` installs all of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.cli import main as catalog_main
from testbed.tiny_model import REPO_ROOT, ensure_tiny_model

LITELLM = REPO_ROOT / ".cache" / "venv-litellm" / "bin" / "litellm"
INSTALL_HINT = "run `make test` (or `make gateway-env`) to install the LiteLLM proxy and strace"
GATEWAY = "reference-litellm"
ALIAS = "qwen-local"
# A safety net: the driver returns as soon as everything has started and answered. It gets 60 s less; vLLM
# alone took up to 290 s on a loaded 2-core machine, and LiteLLM starts under strace beside it.
DRIVER_TIMEOUT_S = 1200


def _require_tools() -> None:
    missing = [tool for tool in ("unshare", "strace") if shutil.which(tool) is None]
    if not LITELLM.exists():
        missing.append(str(LITELLM))
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: {INSTALL_HINT}", pytrace=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Export the gateway configs, then run the whole scenario once inside its own network namespace."""
    _require_tools()
    try:
        model_dir = ensure_tiny_model()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    out = tmp_path_factory.mktemp("gateway")
    assert catalog_main(["export", "litellm", "--output", str(out)]) == 0
    work = tmp_path_factory.mktemp("netns")
    command = [
        # A user namespace (root inside, nobody outside) with its own network, and its own PID space whose
        # first process is the driver: when the driver dies, the kernel ends every process it started.
        *("unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"),
        sys.executable,
        "-m",
        "tests.gateway.netns_driver",
        *("--config", str(out / f"{GATEWAY}.yaml"), "--alias", ALIAS, "--model-dir", str(model_dir)),
        *("--litellm", str(LITELLM), "--work", str(work), "--timeout", str(DRIVER_TIMEOUT_S - 60)),
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S)
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(work.glob("*.log")))
    if done.returncode != 0:
        pytest.fail(f"the namespace driver failed ({done.returncode}):\n{done.stderr[-6000:]}\n{logs}", pytrace=False)
    result: dict[str, Any] = json.loads(done.stdout)
    result["test_wall_s"] = round(time.monotonic() - started, 1)
    summary = {k: v for k, v in result.items() if k != "requests"} | {"tools": result["requests"]["tool_arguments"]}
    print(json.dumps(summary, indent=1))  # timings and the tool-call arguments, for -s
    return result


@pytest.mark.vllm
@pytest.mark.gateway
def test_only_loopback_exists_and_the_outside_check_can_see_an_attempt(report: dict[str, Any]) -> None:
    assert report["interfaces"] == ["lo"]
    # A DNS lookup for api.openai.com from inside shows as an attempt to the resolver: the check is not blind.
    assert report["selfcheck_outside"], "strace did not show a DNS lookup; the outside check would see nothing"


@pytest.mark.vllm
@pytest.mark.gateway
def test_a_missing_variable_stops_the_proxy_before_it_listens(report: dict[str, Any]) -> None:
    refused = report["refused"]
    assert refused["exit"] not in (None, 0), f"the proxy kept running without {report['missing']}: {refused}"
    assert not refused["answered"]
    assert refused["guard_line"] == (
        f"fail_closed: the proxy refuses to start: {report['missing']} is unset or empty"
    ), refused
    assert report["outside"]["refused"] == []


@pytest.mark.vllm
@pytest.mark.gateway
def test_with_every_variable_set_a_request_reaches_the_real_vllm(report: dict[str, Any]) -> None:
    chat = report["requests"]["chat"]
    assert chat["status"] == 200, chat
    assert chat["body"]["system_fingerprint"].startswith("vllm-"), chat
    assert chat["body"]["choices"][0]["message"]["content"]
    path, body = report["requests"]["chat_relayed"]
    assert path == "/v1/chat/completions"
    assert body["model"] == "Qwen/Qwen2.5-0.5B-Instruct", "the served name from the exported entry"
    assert report["outside"]["served"] == []


@pytest.mark.vllm
@pytest.mark.gateway
def test_a_model_without_api_base_is_refused_per_request(report: dict[str, Any]) -> None:
    unrouted = report["requests"]["unrouted"]
    assert unrouted["status"] >= 400
    assert "fail_closed" in unrouted["body"] and "has no api_base" in unrouted["body"], unrouted
    # LiteLLM would have sent it to api.openai.com; the guard refused it before any lookup.
    assert report["outside"]["served"] == []


@pytest.mark.vllm
@pytest.mark.gateway
def test_litellm_drops_strict_from_tools_which_the_card_says(report: dict[str, Any]) -> None:
    """What the card's "Gateway entry" note states: through the proxy, vLLM never sees `strict`."""
    sent = report["requests"]["tools_relayed"]
    assert sent and sent[0]["function"]["name"] == "get_weather", sent
    assert "strict" not in sent[0]["function"], "LiteLLM now keeps `strict`: drop the note in deployment_card.md.j2"
    assert "additionalProperties" not in sent[0]["function"]["parameters"]
    assert report["requests"]["tools"]["status"] == 200
    # Straight to vLLM, strict holds: the arguments parse and match the schema.
    direct = report["requests"]["tools_direct"]["body"]
    arguments = json.loads(direct["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert arguments["city"] in ("Paris", "Berlin", "Tokyo"), direct


def test_exported_configs_name_every_variable_they_read(tmp_path: Path) -> None:
    """Fast half: the guard's list is every `os.environ/` reference plus the master key (no proxy needed)."""
    assert catalog_main(["export", "litellm", "--output", str(tmp_path)]) == 0
    assert (tmp_path / "fail_closed.py").read_bytes() == (REPO_ROOT / "gateway" / "fail_closed.py").read_bytes()
    for path in sorted(tmp_path.glob("*.yaml")):
        config = yaml.safe_load(path.read_text())
        assert config["litellm_settings"]["callbacks"] == ["fail_closed.guard"]
        required = config["callback_settings"]["fail_closed"]["required_env"]
        referenced = {
            value.removeprefix("os.environ/")
            for entry in config["model_list"]
            for value in entry["litellm_params"].values()
            if isinstance(value, str) and value.startswith("os.environ/")
        }
        assert set(required) == referenced | {"LITELLM_MASTER_KEY"}, path.name
        header = path.read_text().split("litellm_settings:")[0]
        assert all(f"#   {name} " in header for name in required), path.name
