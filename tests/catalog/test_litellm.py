"""The gateway config export: entries follow the catalog, and --check catches a stale file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from catalog import load_catalog
from catalog.cli import main as catalog_main
from catalog.evidence_folder import Evidence, load_evidence
from gateway.cli import main
from gateway.litellm_export import GUARD_SOURCE, gateway_variables, render_configs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
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
    assert main(["export", "--catalog", str(small_catalog), "--output", str(out)]) == 0
    assert main(["export", "--catalog", str(small_catalog), "--output", str(out), "--check"]) == 0
    path = small_catalog / "deployments/coder-chat.yaml"
    path.write_text(path.read_text().replace("output_usd_per_mtok: 1.5", "output_usd_per_mtok: 2.5"))
    capsys.readouterr()
    assert main(["export", "--catalog", str(small_catalog), "--output", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert "gw/unified.yaml: stale LiteLLM config" in err
    assert "run `python -m gateway export` to regenerate it" in err


def test_committed_gateway_configs_are_current() -> None:
    assert main(["export", "--check"]) == 0


def test_secrets_are_references_never_values() -> None:
    for content in render_configs(load_catalog(), Evidence(), DAY).values():
        for entry in yaml.safe_load(content)["model_list"]:
            key = entry["litellm_params"].get("api_key")
            assert key is None or key.startswith("os.environ/")


def test_export_leaves_files_it_did_not_write(small_catalog: Path) -> None:
    out = small_catalog.parent / "gw"
    out.mkdir()
    (out / "hand-written.yaml").write_text("model_list: []\n")
    assert main(["export", "--catalog", str(small_catalog), "--output", str(out)]) == 0
    assert (out / "hand-written.yaml").read_text() == "model_list: []\n"
    assert (out / "unified.yaml").exists()


def test_each_entry_says_what_the_evidence_proved(small_catalog: Path) -> None:
    files = render_configs(load_catalog(small_catalog), load_evidence(FIXTURES / "small-evidence"), DAY)
    comments = [line for line in files["unified.yaml"].splitlines() if line.startswith("# evidence on ")]
    assert comments == [
        "# evidence on 2026-11-21: serving failing: 4 of 8 claims verified;"
        " failing context-length, endpoint:completions, latency; quality unverified: 0 of 1 claims verified;"
        " last verified 2026-11-20",
        "# evidence on 2026-11-21: serving unverified: 0 of 1 claims verified; quality not evaluated;"
        " last verified never",
    ]


EVERY_STATE = FIXTURES / "every-state-evidence"


def test_every_config_loads_the_guard_and_lists_the_variables_it_needs(small_catalog: Path) -> None:
    text = render_configs(load_catalog(small_catalog), Evidence(), DAY)["unified.yaml"]
    config = yaml.safe_load(text)
    assert config["litellm_settings"] == {"callbacks": ["fail_closed.guard"]}
    assert config["callback_settings"] == {
        "fail_closed": {"required_env": ["LITELLM_MASTER_KEY", "CODER_FIM_API_BASE", "CODER_KEY"]}
    }
    header = text.split("litellm_settings:")[0]
    assert "#   LITELLM_MASTER_KEY  the proxy's admin key (LiteLLM 1.106 refuses to start without it)" in header
    assert "#   CODER_FIM_API_BASE  base URL of the server behind `coder-fim`" in header
    assert "#   CODER_KEY           `api_key` for `coder-chat`" in header


def test_each_entry_says_which_gateway_it_routes_through(small_catalog: Path) -> None:
    lines = render_configs(load_catalog(small_catalog), Evidence(), DAY)["unified.yaml"].splitlines()
    before_entries = [lines[i - 1] for i, line in enumerate(lines) if line.startswith("- model_name:")]
    assert before_entries == ["# routes through gateway `unified` (Unified LiteLLM gateway)"] * 2


def test_an_external_provider_routes_through_its_egress_in_the_bundled_catalog() -> None:
    text = render_configs(load_catalog(), Evidence(), DAY)["reference-litellm.yaml"]
    assert (
        "# routes through gateway `reference-litellm` (LiteLLM facade of the reference deployment),"
        " then through LiteLLM → agentgateway egress (external provider)\n- model_name: claude-haiku\n"
    ) in text
    assert "CLAUDE_HAIKU_API_BASE  base URL for `claude-haiku`: LiteLLM → agentgateway egress" in text


def test_verified_only_keeps_deployments_whose_endpoint_claims_are_all_verified(small_catalog: Path) -> None:
    catalog, evidence = load_catalog(small_catalog), load_evidence(EVERY_STATE)
    text = render_configs(catalog, evidence, DAY, verified_only=True)["unified.yaml"]
    config = yaml.safe_load(text)
    # coder-fim's only endpoint claim passed the day before; coder-chat's completions endpoint failed.
    assert [e["model_name"] for e in config["model_list"]] == ["coder-fim"]
    assert "# left out of this --verified-only export: `coder-chat` (coder-chat)\n" in text
    assert config["callback_settings"]["fail_closed"]["required_env"] == ["LITELLM_MASTER_KEY", "CODER_FIM_API_BASE"]
    assert "# --verified-only: only deployments whose endpoint claims were all verified on 2026-11-21." in text
    # Two months on, the pass is stale: nothing is verified, so nothing is exported.
    later = yaml.safe_load(
        render_configs(catalog, evidence, DAY + dt.timedelta(days=60), verified_only=True)["unified.yaml"]
    )
    assert later["model_list"] == []
    assert later["callback_settings"]["fail_closed"]["required_env"] == ["LITELLM_MASTER_KEY"]


def test_verified_only_from_the_command_line(small_catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 11, 21, tzinfo=dt.UTC).timestamp())))
    out = small_catalog.parent / "verified"
    command = ["export", "--catalog", str(small_catalog), "--output", str(out)]
    assert main([*command, "--evidence", str(EVERY_STATE), "--verified-only"]) == 0
    assert [e["model_name"] for e in yaml.safe_load((out / "unified.yaml").read_text())["model_list"]] == ["coder-fim"]
    with pytest.raises(SystemExit):  # a verified-only export depends on the day; there is nothing to check it against
        main([*command, "--check", "--verified-only"])


def test_export_puts_the_guard_beside_configs_written_elsewhere(small_catalog: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = small_catalog.parent / "gw"
    assert main(["export", "--catalog", str(small_catalog), "--output", str(out)]) == 0
    guard = out / "fail_closed.py"
    assert guard.read_bytes() == GUARD_SOURCE.read_bytes()
    guard.unlink()
    capsys.readouterr()
    assert main(["export", "--catalog", str(small_catalog), "--output", str(out), "--check"]) == 1
    assert "gw/fail_closed.py: missing or differs from" in capsys.readouterr().err


def test_gateway_variables_match_what_each_committed_config_lists() -> None:
    """`gateway_variables` is what a docs marker would show; it must agree with the files' own lists."""
    for name, variables in gateway_variables(load_catalog()).items():
        config = yaml.safe_load((REPO_GATEWAY / name).read_text(encoding="utf-8"))
        assert [v.name for v in variables] == config["callback_settings"]["fail_closed"]["required_env"], name


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["export", "litellm", "--check"], "`python -m gateway export`"),
        (["import", "litellm", "config.yaml", "--catalog", "x"], "`python -m onboarding import-litellm CONFIG`"),
        (["init", "my-catalog"], "`python -m onboarding init DIR`"),
    ],
)
def test_the_catalog_commands_that_moved_say_where(old: list[str], new: str, capsys) -> None:  # type: ignore[no-untyped-def]
    """The export and onboarding left the catalog package; the old commands name the new ones and fail."""
    assert catalog_main(old) == 2
    assert capsys.readouterr().err.startswith(f"python -m catalog {old[0]}: moved to {new}")
