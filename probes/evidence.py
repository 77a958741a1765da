"""Writing evidence: the probes' side of the contract in `catalog/evidence.py`.

The shapes are the contract's models; this module only adds how they reach the disk safely:

* `<deployment>.json` is written to a temporary file in the same folder, fsynced, then `os.replace`d,
  so a reader sees the old file or the new one, never a mix;
* `history.jsonl` gets complete lines in one write followed by fsync, so an aborted run leaves at most
  one unterminated last line, which the one history reader (`catalog.evidence.read_history`) skips;
* secrets are scrubbed from the text before it is written.

A deployment whose probing crashed keeps its previous JSON file; the crash is a history line with claim
`run` (`RUN_CRASHED`) and status `error`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from catalog.evidence import HISTORY_FILE, EvidenceFile, HistoryLine, dumps, history_text


def utc_now() -> datetime:
    """Now, in UTC, to the second (evidence dates carry no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2026-11-23T01:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def evidence_path(evidence_dir: Path, deployment_id: str) -> Path:
    return evidence_dir / f"{deployment_id}.json"


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret in `text`; short strings are left alone (they would match everywhere)."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
    return text


def write_evidence(evidence_dir: Path, evidence: EvidenceFile, secrets: Sequence[str] = ()) -> Path:
    """Replace `<deployment>.json` atomically: readers see the old file or the new one, never a mix."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_path(evidence_dir, evidence.deployment)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{evidence.deployment}.", suffix=".tmp", dir=evidence_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(scrub(dumps(evidence), secrets))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def history_lines(evidence: EvidenceFile) -> list[HistoryLine]:
    """One history line per record of a run."""
    return [HistoryLine.from_record(evidence.run_id, evidence.deployment, record) for record in evidence.records]


def append_history(evidence_dir: Path, lines: Sequence[HistoryLine], secrets: Sequence[str] = ()) -> None:
    """Append complete lines to history.jsonl in one write, then fsync."""
    if not lines:
        return
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_dir / HISTORY_FILE
    payload = scrub(history_text(list(lines)), secrets)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        # A run killed mid-write in the past may have left a line without its newline; start on a
        # fresh line so that damage stays confined to the one line readers already skip.
        size = os.fstat(fd).st_size
        if size:
            with path.open("rb") as reader:
                reader.seek(size - 1)
                if reader.read(1) != b"\n":
                    payload = "\n" + payload
        os.write(fd, payload.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
