"""The exported gateway config in a real LiteLLM proxy: it fails closed, at start-up, per request and per health check.

A missing variable, an entry added by hand without an api_base, a wildcard entry and two aliases that read
one api_base variable each stop the proxy before it listens. With every variable set it serves; `GET /health`
(on demand) and the `background_health_checks` loop check every model, and only on loopback; a model added
after start-up without an api_base reads unhealthy and is refused per request (LiteLLM in process, where
LiteLLM without the guard shows what it would do); and a provider pass-through request is refused.

Everything runs inside a fresh network namespace with nothing but loopback (`unshare -rn`), so nothing
here can reach the outside even by mistake; `strace` on each LiteLLM process shows it did not even try (see
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

from gateway.cli import main as gateway_main
from testbed.tiny_model import REPO_ROOT, ensure_tiny_model

LITELLM = REPO_ROOT / ".cache" / "venv-litellm" / "bin" / "litellm"
INSTALL_HINT = "run `make test` (or `make gateway-env`) to install the LiteLLM proxy and strace"
GATEWAY = "reference-litellm"
ALIAS = "qwen-local"
# A safety net: the driver returns as soon as everything has started and answered. It gets 60 s less; vLLM
# alone took up to 290 s on a loaded 2-core machine, and six LiteLLM proxies start under strace beside it.
DRIVER_TIMEOUT_S = 1200
NO_API_BASE = (
    "model_list[{n}] 'by-hand' has no api_base, so LiteLLM would send its requests and health checks to the"
    " provider's public default: add `api_base: os.environ/BY_HAND_API_BASE` and set BY_HAND_API_BASE"
)
WILDCARD = (
    "model_list[{n}] '*' is a wildcard (model_name '*', model 'openai/*'): it routes model names nobody listed, to"
    " whatever provider the caller names, and its health check picks models of its own: list each model as its"
    " own entry"
)
SHARED_VARIABLE = (
    "model_list[{i}] 'qwen-local' and model_list[{n}] 'qwen-local-copy' read api_base from the same variable"
    " QWEN_LOCAL_API_BASE, so one setting routes both aliases to one server: give each alias its own"
    " (os.environ/QWEN_LOCAL_API_BASE, os.environ/QWEN_LOCAL_COPY_API_BASE)"
)


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
    assert gateway_main(["export", "--output", str(out)]) == 0
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
    refused = report["refused"]["missing_variable"]
    assert refused["exit"] not in (None, 0), f"the proxy kept running without {report['missing']}: {refused}"
    assert not refused["answered"]
    assert refused["guard_line"] == (
        f"fail_closed: the proxy refuses to start: {report['missing']} is unset or empty"
    ), refused
    assert report["outside"]["missing_variable"] == []


@pytest.mark.vllm
@pytest.mark.gateway
@pytest.mark.parametrize(
    ("edit", "message"),
    [("no_api_base", NO_API_BASE), ("wildcard", WILDCARD), ("shared_variable", SHARED_VARIABLE)],
)
def test_an_entry_added_by_hand_stops_the_proxy_before_it_listens(
    report: dict[str, Any], edit: str, message: str
) -> None:
    """The exported config with one entry appended (index n), every variable set: the guard names the entry."""
    refused = report["refused"][edit]
    assert refused["exit"] not in (None, 0), f"the proxy started with the {edit} entry: {refused}"
    assert not refused["answered"]
    expected = message.format(n=report["entries"], i=report["alias_index"])
    assert refused["guard_line"] == f"fail_closed: the proxy refuses to start: {expected}", refused
    assert report["outside"][edit] == []


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
def test_health_on_demand_checks_every_model_on_loopback_only(report: dict[str, Any]) -> None:
    """`GET /health` health-checks each entry now: the alias through vLLM, the others at a closed loopback port."""
    health = report["requests"]["health"]
    assert health["status"] == 200, health
    assert health["healthy"] == [ALIAS], health
    assert sorted(health["unhealthy"]) == sorted(i for i in report["model_ids"] if i != ALIAS), health
    # They failed where their variables point (127.0.0.1:9), not at the guard: it let every entry through.
    assert not any("fail_closed" in error for error in health["unhealthy"].values()), health
    # The alias's check reached vLLM through the recorder: LiteLLM's probe, a short chat request.
    [(path, probe)] = report["requests"]["health_relayed"]
    assert path == "/v1/chat/completions" and probe["model"] == "Qwen/Qwen2.5-0.5B-Instruct", probe
    # /health/readiness calls no model (litellm/proxy/health_endpoints/_health_endpoints.py: health_readiness).
    assert report["requests"]["readiness"] == {"status": 200, "body": {"status": "healthy", "db": "Not connected"}}
    assert report["outside"]["served"] == []


@pytest.mark.vllm
@pytest.mark.gateway
def test_background_health_checks_stay_on_loopback(report: dict[str, Any]) -> None:
    """`background_health_checks: true` every second: the loop ran (twice for the alias once vLLM was up), and
    its cached answer, which `GET /health` returns, has the alias healthy; nothing left loopback meanwhile."""
    background = report["background"]
    assert background["checks_since_vllm_up"] >= 2, background
    health = background["health"]
    assert health["healthy"] == [ALIAS], health
    assert sorted(health["unhealthy"]) == sorted(i for i in report["model_ids"] if i != ALIAS), health
    assert report["outside"]["background"] == []


@pytest.mark.vllm
@pytest.mark.gateway
def test_a_model_added_after_start_without_api_base_is_unhealthy_and_refused(report: dict[str, Any]) -> None:
    """LiteLLM in process: its own `perform_health_check` and `Router`, with the guard its config loader imported."""
    guarded = report["probes"]["probe_guarded"]
    assert guarded["guarded"] and guarded["healthy"] == 0, guarded
    assert guarded["unhealthy"] == [
        "fail_closed: model 'hosted_vllm/Qwen/Qwen2.5-0.5B-Instruct' has no api_base, so LiteLLM would send it to"
        " the provider's public default; health check refused"
    ]
    assert guarded["request"] == (
        "GatewayRefused: fail_closed: model 'added-after-start' has no api_base, so LiteLLM would send it to the"
        " provider's public default; refused"
    )
    assert report["outside"]["probe_guarded"] == []
    # Without the guard, the same LiteLLM goes for api.openai.com on both paths: the door the guard closes,
    # and proof that the strace check sees it when it happens.
    unguarded = report["probes"]["probe_unguarded"]
    assert not unguarded["guarded"] and unguarded["healthy"] == 0, unguarded
    assert "api.openai.com" in unguarded["unhealthy"][0] and "api.openai.com" in unguarded["request"], unguarded
    assert report["outside"]["probe_unguarded"], "LiteLLM without the guard made no outside attempt"


@pytest.mark.vllm
@pytest.mark.gateway
def test_a_provider_pass_through_request_is_refused(report: dict[str, Any]) -> None:
    """`/anthropic/...` forwards to api.anthropic.com with the caller's own key, past every model_list entry."""
    passed = report["requests"]["pass_through"]
    assert passed["status"] >= 400, passed
    assert "fail_closed: provider pass-through routes go to the provider's public API" in passed["body"], passed
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
    assert gateway_main(["export", "--output", str(tmp_path)]) == 0
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
