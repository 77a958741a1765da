"""Merge the evidence folders of shards (``python -m probes run --shard K/N``) back into one.

Every shard starts from the same commit, so each shard's ``history.jsonl`` is the folder's own file plus the
lines its run appended. The merge takes those new lines and the evidence files of the deployments they name,
refuses anything it cannot account for, and writes through the prober's own writers (``probes/evidence.py``),
so the summaries fold exactly as if one run had probed the whole fleet. A shard folder is input from another
job: it is read, checked and never trusted (no symbolic links, every line and file against the contract).
Nothing is written until every shard has been checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from catalog.evidence import HISTORY_FILE, EvidenceError, EvidenceFile, HistoryLine, read_evidence_file, read_history
from probes.evidence import append_history, evidence_path, write_evidence


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


def _regular(path: Path, shard: Path) -> bool:
    """Whether ``path`` is a plain file; a link (which could point anywhere on the merging machine) is refused."""
    if path.is_symlink():
        raise MergeError(f"{path}: is a symbolic link; a shard's evidence must be plain files (re-run shard {shard})")
    return path.is_file()


def _base_history(evidence_dir: Path) -> bytes:
    path = evidence_dir / HISTORY_FILE
    return path.read_bytes() if _regular(path, evidence_dir) else b""


def read_shard(folder: Path, base: bytes) -> ShardEvidence:
    """Check one shard folder against the merged folder's history ``base``; what it adds."""
    if not folder.is_dir():
        raise MergeError(f"{folder}: no such folder (pass the evidence folder each shard job wrote)")
    history = folder / HISTORY_FILE
    if not _regular(history, folder):
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
    shard = ShardEvidence(folder, read.lines)
    runs: dict[str, set[str]] = {}
    for line in read.lines:
        runs.setdefault(line.deployment, set()).add(line.run_id)
    for deployment, run_ids in sorted(runs.items()):
        path = evidence_path(folder, deployment)
        if not _regular(path, folder):
            continue  # probing crashed: the history says so, the previous evidence stays
        try:
            evidence = read_evidence_file(path)
        except EvidenceError as exc:
            raise MergeError(f"{exc} (re-run the shard)") from None
        if evidence.run_id in run_ids:  # else the file is the one the shard started with
            shard.files.append(evidence)
    return shard


def merge_shards(evidence_dir: Path, folders: Sequence[Path]) -> list[ShardEvidence]:
    """Merge ``folders`` into ``evidence_dir``, in the order given; what each added.

    Raises ``MergeError`` before writing anything when a shard cannot be read, does not start from this
    folder's history, or probed a deployment another shard probed too.
    """
    base = _base_history(evidence_dir)
    shards = [read_shard(folder, base) for folder in folders]
    owner: dict[str, Path] = {}
    for shard in shards:
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
        append_history(evidence_dir, shard.lines)
    return shards
