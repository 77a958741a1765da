"""The gateway config export: entries follow the catalog, and --check catches a stale file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from catalog import load_catalog
from catalog.cli import main
from catalog.evidence import Evidence, load_evidence
from catalog.litellm import render_configs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DAY = dt.date(2026, 11, 21)


def test_entries_for_aliased_active_deployments(small_catalog: Path) -> None:
    files = render_configs(load_catalog(small_catalog), Evidence(), DAY)
    assert sorted(files) == ["unified.yaml"]
    config = yaml.safe_load(files["unified.yaml"])
    assert config["model_list"] == [
        {
            "model_name": "coder-chat",
            "litellm_params": {
                "model": "hosted_vllm/qwen2.5-coder-7b-instruct",
                "api_base": "http://127.0.0.1:9/v1",
                "api_key": "os.environ/CODER_KEY",
                "input_cost_per_token": 5e-07,
                "output_cost_per_token": 1.5e-06,
            },
            "model_info": {"id": "coder-chat", "gateway": "unified"},
        },
        {
            "model_name": "coder-fim",
            "litellm_params": {"model": "hosted_vllm/qwen2.5-coder-1.5b", "api_base": "os.environ/CODER_FIM_API_BASE"},
            "model_info": {"id": "coder-fim", "gateway": "unified"},
        },
    ]


def test_check_fails_on_a_stale_file_and_names_the_fix(small_catalog: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = small_catalog.parent / "gw"
    assert main(["export", "litellm", "--catalog", str(small_catalog), "--output", str(out)]) == 0
    assert main(["export", "litellm", "--catalog", str(small_catalog), "--output", str(out), "--check"]) == 0
    path = small_catalog / "deployments/coder-chat.yaml"
    path.write_text(path.read_text().replace("output_usd_per_mtok: 1.5", "output_usd_per_mtok: 2.5"))
    capsys.readouterr()
    assert main(["export", "litellm", "--catalog", str(small_catalog), "--output", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert "gw/unified.yaml: stale LiteLLM config" in err
    assert "run `python -m catalog export litellm` to regenerate it" in err


def test_committed_gateway_configs_are_current() -> None:
    assert main(["export", "litellm", "--check"]) == 0


def test_secrets_are_references_never_values() -> None:
    for content in render_configs(load_catalog(), Evidence(), DAY).values():
        for entry in yaml.safe_load(content)["model_list"]:
            key = entry["litellm_params"].get("api_key")
            assert key is None or key.startswith("os.environ/")


def test_export_leaves_files_it_did_not_write(small_catalog: Path) -> None:
    out = small_catalog.parent / "gw"
    out.mkdir()
    (out / "hand-written.yaml").write_text("model_list: []\n")
    assert main(["export", "litellm", "--catalog", str(small_catalog), "--output", str(out)]) == 0
    assert (out / "hand-written.yaml").read_text() == "model_list: []\n"
    assert (out / "unified.yaml").exists()


def test_each_entry_says_what_the_evidence_proved(small_catalog: Path) -> None:
    files = render_configs(load_catalog(small_catalog), load_evidence(FIXTURES / "small-evidence"), DAY)
    comments = [line for line in files["unified.yaml"].splitlines() if line.startswith("# evidence on ")]
    assert comments == [
        "# evidence on 2026-11-21: failing: 4 of 9 claims verified;"
        " failing context-length, endpoint:completions, latency; last verified 2026-11-20",
        "# evidence on 2026-11-21: unverified: 0 of 1 claims verified; last verified never",
    ]
