"""Merge the evidence folders of shards (``python -m probes run --shard K/N``) back into one.

Every shard starts from the same commit, so each shard's ``history.jsonl`` is the folder's own file plus the
lines its run appended. The merge takes those new lines and the evidence files of the deployments they name,
refuses anything it cannot account for, and writes through the prober's own writers (``probes/evidence.py``),
so the summaries fold exactly as if one run had probed the whole fleet. A shard folder is input from another
job: it is read, checked and never trusted (no symbolic links, every line and file against the contract).
Nothing is written until every shard has been checked.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from catalog.evidence import (
    HISTORY_FILE,
    RUN_CRASHED,
    EvidenceError,
    EvidenceFile,
    HistoryLine,
    read_evidence_file,
    read_history,
)
from catalog.types import is_entity_id
from probes.evidence import append_history, evidence_path, fold_history, history_lines, write_evidence


class MergeError(Exception):
    """A shard that cannot be merged as it is; the message names the shard, the file and what to do."""


@dataclass
class ShardEvidence:
    """What one shard adds: its new history lines, and the evidence file of each deployment it probed."""

    folder: Path
    lines: list[HistoryLine] = field(default_factory=list)
    files: list[EvidenceFile] = field(default_factory=list)

    @property
    def deployments(self) -> list[str]:
        return sorted({line.deployment for line in self.lines})


#: What one shard may add: a run of a large fleet appends a few MB of history; an evidence file is a few KB.
MAX_NEW_HISTORY_BYTES = 256 * 1024 * 1024
MAX_EVIDENCE_BYTES = 16 * 1024 * 1024


def _plain_file(path: Path, shard: Path, limit: int) -> bool:
    """Whether ``path`` is there (False: missing); refuse a link (which could point anywhere on the merging
    machine), anything but a plain file, and a file over ``limit`` bytes."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise MergeError(f"{path}: is a symbolic link; a shard's evidence must be plain files (re-run shard {shard})")
    if not stat.S_ISREG(st.st_mode):
        raise MergeError(f"{path}: is not a plain file (re-run shard {shard})")
    if st.st_size > limit:
        raise MergeError(f"{path}: {st.st_size} bytes, more than the {limit} a shard may add (re-run shard {shard})")
    return True


def _base_history(evidence_dir: Path) -> bytes:
    path = evidence_dir / HISTORY_FILE
    return path.read_bytes() if _plain_file(path, evidence_dir, 1 << 62) else b""


def read_shard(folder: Path, base: bytes) -> ShardEvidence:
    """Check one shard folder against the merged folder's history ``base``; what it adds.

    A shard is one `python -m probes run`: its new lines are one run, new to ``base``, of valid deployment
    ids, and each deployment it probed has the evidence file that run wrote, holding exactly those lines
    (only a run that crashed or was not reached writes none: then its one line says so).
    """
    if not folder.is_dir():
        raise MergeError(f"{folder}: no such folder (pass the evidence folder each shard job wrote)")
    history = folder / HISTORY_FILE
    if not _plain_file(history, folder, len(base) + MAX_NEW_HISTORY_BYTES):
        if not base:  # a new catalog's empty shard (more shards than servers): nothing to add
            return ShardEvidence(folder)
        raise MergeError(f"{history}: missing; pass the evidence folder the shard job wrote, whole")
    with history.open("rb") as handle:
        prefix = handle.read(len(base))
    if prefix != base:
        raise MergeError(
            f"{history}: does not begin with the history it merges into; every shard must start from the commit "
            "being merged into (check out that commit, or re-run the shard)"
        )
    read = read_history(history, start=len(base))
    if read.damaged or read.problems:
        shown = "; ".join(read.problems[:3]) or f"{read.damaged} lines that are not JSON"
        raise MergeError(f"{history}: the lines this shard added are not all readable ({shown}); re-run the shard")
    if not read.lines:
        return ShardEvidence(folder)
    runs = {line.run_id for line in read.lines}
    if len(runs) != 1:
        raise MergeError(f"{history}: the shard added lines of {len(runs)} runs; a shard is one run (re-run it)")
    (run_id,) = runs
    if json.dumps(run_id).encode() in base:
        raise MergeError(f"{history}: run {run_id!r} is in the history already; a shard adds a new run only")
    by_deployment: dict[str, list[HistoryLine]] = {}
    for line in read.lines:
        if not is_entity_id(line.deployment):
            raise MergeError(
                f"{history}: deployment {line.deployment[:80]!r} is not a deployment id (lower-case letters, digits, "
                "`.`, `_` and `-`); re-run the shard"
            )
        by_deployment.setdefault(line.deployment, []).append(line)
    shard = ShardEvidence(folder, read.lines)
    for deployment, lines in sorted(by_deployment.items()):
        path = evidence_path(folder, deployment)
        crashed = [line.claim for line in lines] == [RUN_CRASHED]
        if not _plain_file(path, folder, MAX_EVIDENCE_BYTES):
            if crashed:
                continue  # probing crashed or was never reached: the line says so, the previous evidence stays
            raise MergeError(f"{path}: missing, but the shard's history has this run's results for {deployment!r}")
        try:
            evidence = read_evidence_file(path)
        except EvidenceError as exc:
            raise MergeError(f"{exc} (re-run the shard)") from None
        if crashed and evidence.run_id != run_id:
            continue  # the file the shard started with, kept because its run crashed
        if evidence.run_id != run_id or history_lines(evidence) != lines:
            raise MergeError(
                f"{path}: does not hold what the shard's history says run {run_id!r} found for {deployment!r}; "
                "re-run the shard"
            )
        shard.files.append(evidence)
    return shard


def merge_shards(evidence_dir: Path, folders: Sequence[Path]) -> list[ShardEvidence]:
    """Merge ``folders`` into ``evidence_dir``, in the order given; what each added.

    Raises ``MergeError`` before writing anything when a shard cannot be read, does not start from this
    folder's history, adds anything but one new run whose evidence files hold what its lines say, or probed
    a deployment (or ran a run) another shard did too.
    """
    base = _base_history(evidence_dir)
    shards = [read_shard(folder, base) for folder in folders]
    owner: dict[str, Path] = {}
    runs: dict[str, Path] = {}
    for shard in shards:
        for run_id in {line.run_id for line in shard.lines}:
            if run_id in runs:
                raise MergeError(f"run {run_id!r} is in two shards ({runs[run_id]} and {shard.folder}); pass each once")
            runs[run_id] = shard.folder
        for deployment in shard.deployments:
            if deployment in owner:
                raise MergeError(
                    f"deployment {deployment!r} was probed by two shards ({owner[deployment]} and {shard.folder}); "
                    "shards must split the fleet (run each with the same --shard N and --server-is)"
                )
            owner[deployment] = shard.folder
    for shard in shards:
        for evidence in shard.files:
            write_evidence(evidence_dir, evidence)
        append_history(evidence_dir, shard.lines, fold=False)
    fold_history(evidence_dir)
    return shards
