"""Every public LiteLLM config in tests/fixtures/litellm-public/ becomes a site a team can publish: imported into a
catalog that `init` made, it builds with `--strict` (the build checks every link of pages and agent files),
shows no page with nothing on it, sends every example through the team's proxy with its key, and prints no
literal key anywhere on the site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.site.sitebuild import REPO_ROOT, build_site

CONFIGS = sorted((REPO_ROOT / "tests" / "fixtures" / "litellm-public").glob("*.yaml"))
SOURCES = "SOURCES.yaml"


def _onboarding(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onboarding", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def _literal_keys(config: Path) -> set[str]:
    """Literal `api_key` and `master_key` values of a config (an `os.environ/` reference is no key)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    found = {str((data.get("general_settings") or {}).get("master_key") or "")}
    found |= {str(e["litellm_params"].get("api_key") or "") for e in data["model_list"]}
    return {k for k in found if len(k) >= 6 and not k.startswith("os.environ/")}


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.name != SOURCES], ids=lambda p: p.stem)
def test_an_imported_public_config_builds_a_site_of_its_own(config: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "team"
    made = _onboarding("init", str(catalog), "--title", "Team models")
    assert made.returncode == 0, made.stdout + made.stderr
    done = _onboarding("import-litellm", str(config), "--catalog", str(catalog), "--fleet", "team")
    assert done.returncode == 0, done.stdout + done.stderr

    site = build_site(tmp_path, catalog)
    assert site.returncode == 0, site.output[-3000:]
    assert "link leads nowhere" not in site.output

    pages = [p for p in site.site_dir.rglob("index.html") if "deployments" in p.parts]
    assert pages, "every imported entry has a card"
    text = "".join(
        p.read_text(encoding="utf-8") for p in site.site_dir.rglob("*") if p.suffix in (".html", ".md", ".txt", ".json")
    )
    for key in _literal_keys(config):
        assert key not in text, f"a literal key of {config.name} is on the site"
    # The proxy is the front door: no card sends its example around it, and none says the catalog names no key.
    llms = (site.site_dir / "llms.txt").read_text(encoding="utf-8")
    assert "names no key" not in text
    assert "Team models" in llms
