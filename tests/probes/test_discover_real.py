"""`python -m probes discover` against real servers on loopback: the tiny vLLM and the tiny GGUF on llama.cpp.

Each discovery recognises its engine, proves what the server's answers show (health, the served name, every
endpoint that answers, streaming, the served context by request), writes a catalog that validates and evidence
with its history, prints the next command, and the site built from it shows the new card verified, with runs
in the last days.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog import check_catalog
from catalog.evidence import read_evidence_file, read_history
from testbed.llamacpp_server import LlamaCppServer
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY_ENV
from tests.site.sitebuild import REPO_ROOT, build_site


def discover_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "probes", "discover", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def discover_into(tmp_path: Path, base_url: str) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    catalog, evidence = tmp_path / "cat", tmp_path / "evidence"
    done = discover_cli(base_url, "--catalog", str(catalog), "--evidence", str(evidence), "--api-key-env", API_KEY_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"next: python -m probes run --catalog {catalog} --evidence {evidence}" in done.stdout
    return catalog, evidence, done


def card_of(tmp_path: Path, catalog: Path, evidence: Path, dep_id: str) -> str:
    # Built "today": discover dated its evidence now, which the fixed day of other test builds lies before.
    site = build_site(tmp_path, catalog, evidence, extra_env={"SOURCE_DATE_EPOCH": str(int(time.time()))})
    assert site.returncode == 0, site.output
    return (site.site_dir / f"deployments/{dep_id}/index.html").read_text()


@pytest.mark.vllm
def test_discover_on_real_vllm(vllm_server: VllmServer, tmp_path: Path) -> None:
    catalog, evidence, done = discover_into(tmp_path, vllm_server.base_url)
    assert "engine: vllm (recognised by GET /v1/models)" in done.stdout
    loaded, errors = check_catalog(catalog)
    assert errors == [] and loaded is not None
    (dep_id,) = loaded.deployments
    dep = loaded.deployments[dep_id]
    assert (dep.backend, loaded.backends[dep.backend].kind.value) == ("vllm", "vllm")
    assert dep.served_name == vllm_server.served_name
    assert dep.serving.max_model_len == 1024
    assert dep.endpoint is not None and dep.endpoint.base_url == vllm_server.base_url
    assert dep.endpoint.api_key_env == API_KEY_ENV
    assert {e.value for e in dep.endpoints} == {"chat", "completions", "responses"}
    assert [c.value for c in dep.capabilities] == ["streaming"]
    assert (dep.serving.engine_version or "").startswith("0.32"), dep.serving.engine_version

    proof = read_evidence_file(evidence / f"{dep_id}.json")
    assert {r.claim: r.status for r in proof.records} == {
        "served-name": "pass",
        "health": "pass",
        "endpoint:chat": "pass",
        "endpoint:completions": "pass",
        "endpoint:responses": "pass",
        "capability:streaming": "pass",
        "context-length": "pass",
    }
    context = next(r for r in proof.records if r.claim == "context-length")
    assert isinstance(context.value, dict)
    assert (context.value["accepted_prompt_tokens"], context.value["refused_prompt_tokens"]) == (1015, 1025)
    history = read_history(evidence / "history.jsonl")
    assert sorted(line.claim for line in history.lines) == sorted(r.claim for r in proof.records)

    again = discover_cli(vllm_server.base_url, "--catalog", str(catalog), "--api-key-env", API_KEY_ENV)
    assert again.returncode == 1 and "exist already" in again.stderr and "--force" in again.stderr

    card = card_of(tmp_path, catalog, evidence, dep_id)
    assert '<strong>Evidence:</strong> <span class="mc-badge mc-badge--verified"' in card, "verified, not partial"
    assert "no runs in the last" not in card


@pytest.mark.llamacpp
def test_discover_on_real_llamacpp(llamacpp_server: LlamaCppServer, tmp_path: Path) -> None:
    catalog, evidence, done = discover_into(tmp_path, llamacpp_server.base_url)
    assert "engine: llama-cpp (recognised by GET /v1/models)" in done.stdout
    loaded, errors = check_catalog(catalog)
    assert errors == [] and loaded is not None
    (dep_id,) = loaded.deployments
    dep = loaded.deployments[dep_id]
    assert (dep.backend, loaded.backends[dep.backend].kind.value) == ("llama-cpp", "llama-cpp")
    assert dep.served_name == llamacpp_server.served_name
    assert dep.serving.max_model_len == 512, "n_ctx from /props, not n_ctx_train"
    assert re.fullmatch(r"b\d+-[0-9a-f]+", dep.serving.engine_version or ""), dep.serving.engine_version
    assert {"chat", "completions"} <= {e.value for e in dep.endpoints}
    proof = read_evidence_file(evidence / f"{dep_id}.json")
    statuses = {r.claim: r.status for r in proof.records}
    for claim in ("served-name", "health", "endpoint:chat", "endpoint:completions", "context-length"):
        assert statuses[claim] == "pass", (claim, proof.records)
    context = next(r for r in proof.records if r.claim == "context-length")
    assert isinstance(context.value, dict)
    assert (context.value["accepted_prompt_tokens"], context.value["refused_prompt_tokens"]) == (503, 513)

    card = card_of(tmp_path, catalog, evidence, dep_id)
    assert "no runs in the last" not in card

    # llama.cpp answers /models at its root too; the catalog still gets the /v1 base clients use.
    root = llamacpp_server.root_url
    done = discover_cli(root, "--catalog", str(tmp_path / "other"), "--api-key-env", API_KEY_ENV)
    assert done.returncode == 1 and not (tmp_path / "other").exists()
    assert done.stderr == (
        f"python -m probes discover: GET {root}/models answered, but the llama.cpp server serves its OpenAI API "
        f"under /v1; nothing was written: add /v1: {root} has no /v1 at its end, try {root}/v1 (llama.cpp's server "
        "serves the OpenAI API under /v1: use http://HOST:PORT/v1)\n"
    )
