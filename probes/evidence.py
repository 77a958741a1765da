"""Writing evidence: the probes' side of the contract in `catalog/evidence.py`.

The shapes are the contract's models; this module only adds how they reach the disk safely:

* `<deployment>.json` is written to a temporary file in the same folder, fsynced, then `os.replace`d,
  so a reader sees the old file or the new one, never a mix;
* `history.jsonl` gets complete lines in one write followed by fsync, so an aborted run leaves at most
  one unterminated last line, which the one history reader (`catalog.evidence.read_history`) skips;
* after each append the new lines are folded into their deployments' bounded summaries
  (`history/<deployment>.json`, catalog/history.py) and the fold point is moved on (`history/_folded.json`),
  each file replaced atomically, so the site never reads the whole history; a summary whose text would not
  change is left alone (no write, no diff);
* secrets are scrubbed from the text before it is written, by the probes' one scrubber (`probes/scrub.py`).

A deployment whose probing crashed keeps its previous JSON file; the crash is a history line with claim
`run` (`RUN_CRASHED`) and status `error`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from catalog.evidence import HISTORY_FILE, EvidenceFile, HistoryLine, dumps, history_text, read_history
from catalog.history import (
    FOLD_INDEX,
    SUMMARY_DIR,
    SummaryFile,
    archive_path,
    archives,
    index_at,
    load_history,
    read_index_file,
    summary_path,
    summary_text,
)
from probes.scrub import scrub


def utc_now() -> datetime:
    """Now, in UTC, to the second (evidence dates carry no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2026-11-23T01:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def evidence_path(evidence_dir: Path, deployment_id: str) -> Path:
    return evidence_dir / f"{deployment_id}.json"


def _replace(path: Path, text: str, *, durable: bool = True) -> None:
    """Write `text` to `path` atomically: readers see the old file or the new one, never a mix.

    Not `durable`: no fsync, for files derived from others (the history summaries), which a crash may leave
    empty; readers then name them and rebuild them from the raw lines.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would leave evidence that only the prober's user can read
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_evidence(evidence_dir: Path, evidence: EvidenceFile, secrets: Sequence[str] = ()) -> Path:
    """Replace `<deployment>.json` atomically."""
    path = evidence_path(evidence_dir, evidence.deployment)
    _replace(path, scrub(dumps(evidence), secrets))
    return path


def history_lines(evidence: EvidenceFile) -> list[HistoryLine]:
    """One history line per record of a run."""
    itl = evidence.latency.itl_ms if evidence.latency else None
    itl_p95 = itl.p95 if itl else None
    return [
        HistoryLine.from_record(evidence.run_id, evidence.deployment, record, itl_p95) for record in evidence.records
    ]


def append_history(
    evidence_dir: Path, lines: Sequence[HistoryLine], secrets: Sequence[str] = (), *, fold: bool = True
) -> None:
    """Append complete lines to history.jsonl in one write, then fsync; then, with `fold`, fold them into their
    deployment's summary. A run that appends many deployments can pass `fold=False` and call `fold_history`
    once at its end: one write per summary and one of the fold index instead of one per append, and no
    summary work between the probes. Lines left unfolded (a run killed before its end) lose nothing: readers
    fold whatever follows the fold point, and the next fold stores them."""
    if not lines:
        return
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_dir / HISTORY_FILE
    payload = scrub(history_text(list(lines)), secrets)
    with _history_lock(evidence_dir):
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
        if fold:
            update_summaries(evidence_dir)


def fold_history(evidence_dir: Path) -> list[Path]:
    """Fold what history.jsonl holds past the fold point into the summaries, under the writer's lock; the
    files it wrote. The end of a run whose appends passed `fold=False`; nothing at all where no history was
    ever written."""
    if not (evidence_dir / HISTORY_FILE).exists():
        return []
    with _history_lock(evidence_dir):
        return update_summaries(evidence_dir)


def update_summaries(evidence_dir: Path) -> list[Path]:
    """Fold what history.jsonl holds past the fold point into the summaries; the files it wrote.

    Called with history.jsonl held under the writer's lock (`append_history`), so two runs writing one
    evidence folder fold one after the other. Costs the new lines and the summaries they touch, except
    once after an evidence folder from before the summaries, when it folds the whole file.
    """
    # Lines dated after the prober's own today are left out of the summaries and named in the index.
    loaded = load_history(evidence_dir, utc_now().date(), every_summary=False)
    written = []
    for deployment in sorted(loaded.changed):
        path = summary_path(evidence_dir, deployment)
        text = summary_text(SummaryFile(deployment=deployment, history=loaded.summaries[deployment]))
        if _holds(path, text):
            continue  # a rebuild that found the same: no write, no diff
        _replace(path, text, durable=False)
        written.append(path)
    if loaded.index is not None:
        index = evidence_dir / SUMMARY_DIR / FOLD_INDEX
        text = summary_text(loaded.index)
        if not _holds(index, text):
            _replace(index, text, durable=False)
            written.append(index)
    return written


def _holds(path: Path, text: str) -> bool:
    """Whether `path` holds exactly `text` already."""
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


@contextlib.contextmanager
def _history_lock(evidence_dir: Path) -> Iterator[None]:
    """One writer of a folder's history at a time (parallel jobs, shards), so the summaries fold in order.

    The lock is on the folder, not on history.jsonl, because rotation replaces that file: a writer waiting on
    the old file's lock would append to a file no longer there.
    """
    evidence_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(evidence_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def rebuild_summaries(evidence_dir: Path) -> list[Path]:
    """Write every summary anew from every raw line (the archives and history.jsonl); the files written.

    For a folder from before the summaries, or after merging evidence by hand.
    """
    with _history_lock(evidence_dir):
        (evidence_dir / SUMMARY_DIR / FOLD_INDEX).unlink(missing_ok=True)
        for path in (evidence_dir / SUMMARY_DIR).glob("*.json"):
            path.unlink()
        return update_summaries(evidence_dir)


@dataclass(frozen=True)
class Rotated:
    archived: dict[str, int]
    """Archive file name -> lines moved into it."""
    removed: list[str]
    """Archives deleted as older than the retention."""
    unreadable: int
    """Lines that were not history lines (torn appends), dropped."""


def rotate_history(evidence_dir: Path, *, today: date, keep_months: int) -> Rotated:
    """Move the lines of months before `today`'s out of history.jsonl into monthly archives, and delete the
    archives older than `keep_months` months. The summaries are brought up to date first, so the site
    shows the same before and after."""
    with _history_lock(evidence_dir):
        update_summaries(evidence_dir)
        raw = evidence_dir / HISTORY_FILE
        read = read_history(raw)
        current = f"{today.year:04d}-{today.month:02d}"
        by_month: dict[str, list[HistoryLine]] = defaultdict(list)
        for line in read.lines:
            by_month[line.date.strftime("%Y-%m")].append(line)
        archived = {}
        for month, lines in sorted(by_month.items()):
            if month >= current:
                continue
            path = archive_path(evidence_dir, month)
            before = path.read_text(encoding="utf-8") if path.exists() else ""
            _replace(path, before + history_text(lines))
            archived[path.name] = len(lines)
        kept = [line for line in read.lines if line.date.strftime("%Y-%m") >= current]
        _replace(raw, history_text(kept))
        # Every kept line is folded already: the fold point is the end of the rewritten file.
        index_path = evidence_dir / SUMMARY_DIR / FOLD_INDEX
        found = read_index_file(index_path)
        _replace(index_path, summary_text(index_at(raw, raw.stat().st_size, found.problems if found else [])))
        oldest = _months_before(today, keep_months)
        removed = []
        for path in archives(evidence_dir):
            if path.stem < oldest:
                path.unlink()
                removed.append(path.name)
        return Rotated(archived, removed, read.damaged + len(read.problems))


def _months_before(today: date, months: int) -> str:
    """`YYYY-MM` of the month `months` months before `today`'s."""
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
