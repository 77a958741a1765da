"""Reading probe evidence and turning it into one badge state per claim.

Probes write `evidence/<deployment>.json` and `evidence/history.jsonl` (see
`probes/evidence.py` for the writer). The site only reads them: a missing,
unreadable or half-written file means "never probed", never a broken build.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catalog.schema import Deployment

BadgeState = Literal["verified", "failing", "stale", "reported", "unverified"]


@dataclass(frozen=True)
class HistoryPoint:
    run_id: str
    date: str
    status: str
    reason: str | None = None
    ttft_p95_ms: float | None = None


@dataclass(frozen=True)
class ClaimState:
    """What the site says about one claim of one deployment."""

    claim: str
    state: BadgeState
    date: str | None = None
    """ISO date of the probe result, or of the reported figure when the source gives one."""
    reason: str | None = None
    """Why it fails, or the reported figure."""
    source: str | None = None
    """Source id, for reported evidence."""
    since: str | None = None
    """Date since which the claim has had its current probe status."""
    history: tuple[HistoryPoint, ...] = ()


@dataclass(frozen=True)
class DeploymentEvidence:
    """The latest probe run of one deployment, as written by the probes."""

    run_id: str
    finished_at: str
    records: dict[str, dict[str, Any]]
    latency: dict[str, Any] | None
    evals: list[dict[str, Any]]
    server: dict[str, Any]


@dataclass(frozen=True)
class Evidence:
    latest: dict[str, DeploymentEvidence] = field(default_factory=dict)
    history: dict[str, dict[str, list[HistoryPoint]]] = field(default_factory=dict)
    """deployment -> claim -> points, oldest first. Nested by deployment, so one card's history is
    found without scanning every other deployment's (that scan made the build quadratic)."""
    problems: list[str] = field(default_factory=list)
    """Evidence files that could not be read; shown to maintainers, never fatal."""


def load_evidence(directory: Path) -> Evidence:
    """Read every evidence file under `directory`; unreadable files are reported, not raised."""
    if not directory.is_dir():
        return Evidence()
    latest: dict[str, DeploymentEvidence] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records = {r["claim"]: r for r in data.get("records", [])}
            latest[data["deployment"]] = DeploymentEvidence(
                run_id=str(data["run_id"]),
                finished_at=str(data.get("finished_at") or data["run_id"]),
                records=records,
                latency=data.get("latency"),
                evals=list(data.get("evals") or []),
                server=dict(data.get("server") or {}),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: {exc}")
    history: dict[str, dict[str, list[HistoryPoint]]] = defaultdict(lambda: defaultdict(list))
    history_file = directory / "history.jsonl"
    if history_file.exists():
        for line in history_file.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                history[row["deployment"]][row["claim"]].append(
                    HistoryPoint(row["run_id"], row["date"], row["status"], row.get("reason"), row.get("ttft_p95_ms"))
                )
            except (ValueError, KeyError, TypeError):
                continue  # a run aborted mid-write leaves at most one partial last line
    for claims in history.values():
        for points in claims.values():
            points.sort(key=lambda p: (p.date, p.run_id))
    return Evidence(latest, {dep: dict(claims) for dep, claims in history.items()}, problems)


def claimed(deployment: Deployment) -> list[str]:
    """Every claim a deployment makes, in the probes' vocabulary, in display order."""
    claims = []
    if deployment.endpoint and deployment.endpoint.base_url:
        claims += ["health", "served-name"]
        if deployment.serving.max_model_len:
            claims.append("context-length")
    claims += [f"endpoint:{e.value}" for e in deployment.endpoints]
    # The probes name claims with hyphens (`capability:structured-output`); the enum uses underscores.
    claims += [f"capability:{c.value.replace('_', '-')}" for c in deployment.capabilities]
    if deployment.slo and any((deployment.slo.ttft_p95_ms, deployment.slo.itl_p95_ms, deployment.slo.e2e_p95_ms)):
        claims.append("latency")
    claims += sorted({r.claim for r in deployment.reported} - set(claims))
    return claims


def _day(timestamp: str) -> str:
    return timestamp[:10]


def claim_states(
    deployment_id: str,
    deployment: Deployment,
    evidence: Evidence,
    today: dt.date,
    *,
    history_length: int = 10,
) -> list[ClaimState]:
    """The badge state of every claim: probe evidence wins over reported figures."""
    run = evidence.latest.get(deployment_id)
    reported = {r.claim: r for r in deployment.reported}
    states = []
    claims = claimed(deployment)
    # Evals are not claimed in the catalog, but a probed eval that missed its gate is worth showing.
    claims += sorted(c for c in (run.records if run else {}) if c.startswith("eval:") and c not in claims)
    for claim in claims:
        points = tuple(evidence.history.get(deployment_id, {}).get(claim, [])[-history_length:])
        record = run.records.get(claim) if run else None
        if record is not None and record.get("status") in ("pass", "fail", "error"):
            date = str(record.get("date") or (run.finished_at if run else ""))
            since = _streak_start(points, record["status"]) or _day(date)
            if record["status"] == "pass":
                age = (today - dt.date.fromisoformat(_day(date))).days
                state: BadgeState = "stale" if age > deployment.stale_after_days else "verified"
                states.append(ClaimState(claim, state, _day(date), None, None, since, points))
            else:
                states.append(ClaimState(claim, "failing", _day(date), record.get("reason"), None, since, points))
        elif claim in reported:
            figure = reported[claim]
            states.append(
                ClaimState(
                    claim,
                    "reported",
                    figure.date.isoformat() if figure.date else None,
                    figure.summary,
                    figure.source.source,
                    None,
                    points,
                )
            )
        else:
            states.append(ClaimState(claim, "unverified", history=points))
    return states


def _streak_start(points: tuple[HistoryPoint, ...], status: str) -> str | None:
    """Date of the first run in the latest unbroken run of `status`."""
    start = None
    for point in reversed(points):
        if point.status != status:
            break
        start = _day(point.date)
    return start


@dataclass(frozen=True)
class RunPoint:
    """One probe run of one deployment, summarised for the card's history."""

    run_id: str
    date: str
    passed: int
    failed: int
    ttft_p95_ms: float | None


def run_history(deployment_id: str, evidence: Evidence, *, last: int = 10) -> list[RunPoint]:
    """The deployment's last `last` runs, oldest first, from history.jsonl."""
    runs: dict[str, list[HistoryPoint]] = defaultdict(list)
    for points in evidence.history.get(deployment_id, {}).values():
        for point in points:
            runs[point.run_id].append(point)
    summary = []
    for run_id, points in runs.items():
        ttft = next((p.ttft_p95_ms for p in points if p.ttft_p95_ms is not None), None)
        summary.append(
            RunPoint(
                run_id,
                _day(min(p.date for p in points)),
                sum(p.status == "pass" for p in points),
                sum(p.status in ("fail", "error") for p in points),
                ttft,
            )
        )
    summary.sort(key=lambda r: r.run_id)
    return summary[-last:]


def last_verified(deployment_id: str, evidence: Evidence) -> str | None:
    """Date of the latest run in which every probed claim passed, for sorting the catalog table."""
    clean = [r.date for r in run_history(deployment_id, evidence, last=1000) if r.passed and not r.failed]
    run = evidence.latest.get(deployment_id)
    if run is not None:
        probed = [r for r in run.records.values() if r.get("status") in ("pass", "fail", "error")]
        if probed and all(r["status"] == "pass" for r in probed):
            clean.append(_day(run.finished_at))
    return max(clean, default=None)
