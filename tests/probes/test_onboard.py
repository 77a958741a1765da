"""Onboarding from what already runs: `discover` against the real tiny vLLM, `import litellm` on a real
config. Both give a catalog that validates and builds, and neither overwrites files unless told to."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog import check_catalog
from catalog.evidence import read_evidence_file
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY_ENV
from tests.site.sitebuild import REPO_ROOT, build_site


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "catalog", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.vllm
def test_discover_writes_a_catalog_that_validates_builds_and_records_proof(
    vllm_server: VllmServer, tmp_path: Path
) -> None:
    catalog, evidence = tmp_path / "cat", tmp_path / "evidence"
    args = ["discover", vllm_server.base_url, "--catalog", str(catalog), "--evidence", str(evidence)]
    done = _cli(*args, "--api-key-env", API_KEY_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: the catalog" in done.stdout

    loaded, errors = check_catalog(catalog)
    assert errors == [] and loaded is not None
    (dep_id,) = loaded.deployments
    dep = loaded.deployments[dep_id]
    assert dep.served_name == vllm_server.served_name
    assert dep.serving.max_model_len == vllm_server.max_model_len == 1024
    assert dep.endpoint is not None and dep.endpoint.base_url == vllm_server.base_url
    assert dep.endpoint.api_key_env == API_KEY_ENV
    assert {e.value for e in dep.endpoints} == {"chat", "completions", "responses"}, "the generative server"
    assert (dep.serving.engine_version or "").startswith("0.32"), dep.serving.engine_version
    model = loaded.models[dep.model]
    assert {i.field for i in model.inferred} == {"kind"}, "guesses are marked, not stated"
    assert model.vendor == "not stated", "a local weights folder names no vendor (and stays off the page)"

    proof = read_evidence_file(evidence / f"{dep_id}.json")
    assert {r.claim: r.status for r in proof.records} == {
        "served-name": "pass",
        "endpoint:chat": "pass",
        "endpoint:completions": "pass",
        "endpoint:responses": "pass",
    }

    again = _cli(*args, "--api-key-env", API_KEY_ENV)
    assert again.returncode == 1 and "exist already" in again.stderr and "--force" in again.stderr
    assert _cli(*args, "--api-key-env", API_KEY_ENV, "--force").returncode == 0

    # Built "today": discover dated its evidence now, which the fixed day of other test builds lies before.
    site = build_site(tmp_path, catalog, evidence, extra_env={"SOURCE_DATE_EPOCH": str(int(time.time()))})
    assert site.returncode == 0, site.output
    card = (site.site_dir / f"deployments/{dep_id}/index.html").read_text()
    assert 'mc-badge--verified">verified</span>' in card


def test_import_litellm_turns_a_real_config_into_a_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    config = REPO_ROOT / "gateway" / "reference-litellm.yaml"
    done = _cli("import", "litellm", str(config), "--catalog", str(catalog), "--fleet", "platform")
    assert done.returncode == 0, done.stdout + done.stderr
    loaded, errors = check_catalog(catalog)
    assert errors == [] and loaded is not None
    entries = {d.gateway_alias: d for d in loaded.deployments.values()}
    assert set(entries) == {"claude-haiku", "coder-agent", "coder-chat", "coder-fim", "embeddings", "qwen-local"}
    assert [e.value for e in entries["embeddings"].endpoints] == ["embeddings"]
    assert entries["coder-chat"].cost is not None and entries["coder-chat"].cost.output_usd_per_mtok == 1.5
    assert entries["coder-chat"].is_inferred("endpoints") is not None
    qwen = loaded.models[entries["qwen-local"].model]
    assert (qwen.vendor, {i.field for i in qwen.inferred}) == ("Qwen", {"kind", "vendor"})
    assert {d.fleet for d in loaded.deployments.values()} == {"platform"}

    again = _cli("import", "litellm", str(config), "--catalog", str(catalog))
    assert again.returncode == 1 and "deployments/coder-chat.yaml" in again.stderr

    site = build_site(tmp_path, catalog)
    assert site.returncode == 0, site.output
    exported = json.loads((site.site_dir / "catalog.json").read_text())
    assert exported["deployments"]["coder-fim"]["gateway_alias"] == "coder-fim"


def test_import_refuses_a_file_without_model_list(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("general_settings: {}\n")
    done = _cli("import", "litellm", str(bad), "--catalog", str(tmp_path / "cat"))
    assert done.returncode == 1 and "no `model_list` entries" in done.stderr
    assert not (tmp_path / "cat").exists(), "nothing written"
