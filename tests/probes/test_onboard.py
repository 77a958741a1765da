"""Onboarding from what already runs: `import-litellm` on a real config gives a catalog that validates and
builds, and never overwrites files unless told to. (`discover` against real servers: tests/probes/
test_discover_real.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from catalog import check_catalog
from tests.site.sitebuild import REPO_ROOT, build_site


def _cli(package: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", package, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_import_litellm_turns_a_real_config_into_a_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    config = REPO_ROOT / "gateway" / "reference-litellm.yaml"
    done = _cli("onboarding", "import-litellm", str(config), "--catalog", str(catalog), "--fleet", "platform")
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

    again = _cli("onboarding", "import-litellm", str(config), "--catalog", str(catalog))
    assert again.returncode == 1 and "deployments/coder-chat.yaml" in again.stderr

    site = build_site(tmp_path, catalog)
    assert site.returncode == 0, site.output
    exported = json.loads((site.site_dir / "catalog.json").read_text())
    assert exported["deployments"]["coder-fim"]["gateway_alias"] == "coder-fim"


def test_import_refuses_a_file_without_model_list(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("general_settings: {}\n")
    done = _cli("onboarding", "import-litellm", str(bad), "--catalog", str(tmp_path / "cat"))
    assert done.returncode == 1 and "no `model_list` entries" in done.stderr
    assert not (tmp_path / "cat").exists(), "nothing written"


def test_discover_in_the_catalog_cli_names_where_it_moved() -> None:
    done = _cli("catalog", "discover", "http://127.0.0.1:9/v1", "--fleet", "x")
    assert done.returncode == 2
    assert "moved to `python -m probes discover URL`" in done.stderr
