"""An evidence folder as the site, the MCP server and the gateway export read it: every deployment's latest
run (`<deployment>.json`) and its history, summarised (catalog/history.py), with what could not be read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from catalog.evidence import (
    CLOCK_SKEW,
    EvidenceError,
    EvidenceFile,
    evidence_today,
    future_problem,
    read_evidence_file,
)
from catalog.history import DeploymentHistory, history_digest, load_history


@dataclass(frozen=True)
class Evidence:
    """Everything in an evidence folder, arranged for lookups by deployment."""

    latest: dict[str, EvidenceFile] = field(default_factory=dict)
    history: dict[str, DeploymentHistory] = field(default_factory=dict)
    """deployment -> its probe history, summarised at a size that does not grow with time (catalog/history.py)."""
    problems: list[str] = field(default_factory=list)
    """Files or lines that could not be read; the build names them, the deployment shows as never probed."""
    history_digests: dict[str, str] = field(default_factory=dict, compare=False)
    """deployment -> sha256 of its summary file as read, where `history` holds exactly that file's summary."""

    def history_key(self, deployment: str) -> str:
        """A short text that changes when, and only when, the deployment's history summary does: the key a
        render cache needs, at the cost of a lookup (a `repr` of a summary costs about 1 ms)."""
        if (found := self.history_digests.get(deployment)) is not None:
            return found
        history = self.history.get(deployment)
        return "no history" if history is None else history_digest(deployment, history)


def load_evidence(directory: Path, today: dt.date | None = None) -> Evidence:
    """Read every evidence file under `directory`; unreadable ones become problems, never exceptions.

    Files and history lines dated after `today` (default `evidence_today()`, plus `CLOCK_SKEW`) are problems
    too, and are left out. The history comes from its bounded summaries (catalog/history.py), so this costs
    the same on the first day of probing and after years of it.
    """
    if not directory.is_dir():
        return Evidence()
    today = evidence_today() if today is None else today
    latest: dict[str, EvidenceFile] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.json")):
        try:
            found = read_evidence_file(path)
        except EvidenceError as exc:
            problems.append(str(exc))
            continue
        latest_moment = max([found.started_at, found.finished_at, *(record.date for record in found.records)])
        if latest_moment.date() > today + CLOCK_SKEW:
            problems.append(future_problem(str(path), latest_moment, today))
            continue
        latest[path.stem] = found
    history = load_history(directory, today)
    return Evidence(latest, history.summaries, problems + history.problems, history.digests)
