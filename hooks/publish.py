"""Publishing a build only when it succeeded, and one build at a time per output folder.

MkDocs writes into a staging folder beside `site/`, and the staging folder replaces `site/` only after the
whole build (strict-mode warnings included) passed. MkDocs empties `site_dir` before it renders anything, so
a build that fails halfway (an evidence file it cannot read, a strict-mode warning) would otherwise leave no
site at all. With staging, a failed build leaves the previous site byte for byte as it was.

Two builds into the same folder at once (two terminals, a CI job beside `make build`) would share the
staging folder and publish a mix of both, or nothing. A build therefore holds an exclusive lock on
`.site.lock` beside the target from the moment it starts writing until its site is in place; a second build
says who holds it and waits, and gives up with a message after `wait_s`. The kernel releases the lock when a
process ends, however it ends, so a crashed build never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

log = logging.getLogger("mkdocs.hooks.publish")


class BuildLocked(RuntimeError):
    """Another build kept the output folder for longer than this one would wait."""


@dataclass
class StagedBuild:
    target: Path
    """Where the site is published, e.g. `site/`."""
    failed: bool = False
    wait_s: float = 600.0
    """How long to wait for another build of the same folder before giving up."""
    _lock: IO[str] | None = field(default=None, repr=False)

    @property
    def staging(self) -> Path:
        """A sibling of the target, so the final swap is a rename on one file system."""
        return self.target.with_name(f".{self.target.name}.building")

    @property
    def previous(self) -> Path:
        return self.target.with_name(f".{self.target.name}.previous")

    @property
    def lock_file(self) -> Path:
        return self.target.with_name(f".{self.target.name}.lock")

    def start(self) -> Path:
        """Take the folder's lock, clear leftovers of an interrupted build, return the folder to write to."""
        self._acquire()
        for leftover in (self.staging, self.previous):
            if leftover.exists():
                shutil.rmtree(leftover)
        self.staging.mkdir(parents=True)
        return self.staging

    def finish(self) -> None:
        """Swap the staging folder in when the build passed; otherwise drop it and keep the old site."""
        try:
            if self.failed or not self.staging.is_dir():
                shutil.rmtree(self.staging, ignore_errors=True)
                return
            if self.target.exists():
                self.target.rename(self.previous)
            self.staging.rename(self.target)
            shutil.rmtree(self.previous, ignore_errors=True)
        finally:
            self._release()

    def _acquire(self) -> None:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = self.lock_file.open("a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait_s
        told = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(lock)
                if time.monotonic() >= deadline:
                    lock.close()
                    raise BuildLocked(
                        f"another build ({holder}) has been writing {self.target} for more than {self.wait_s:.0f} s; "
                        f"let it finish, or stop it (the lock in {self.lock_file} goes with its process)"
                    ) from None
                if not told:
                    log.info("another build (%s) is writing %s; waiting for it to finish", holder, self.target)
                    told = True
                time.sleep(0.2)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def _release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.truncate(0)
            self._lock.close()  # closing the file releases the lock
            self._lock = None


def _holder(lock: IO[str]) -> str:
    """Who holds the lock, as its holder wrote it ("pid 1234"), for the waiting message."""
    lock.seek(0)
    return lock.read(64).strip() or "a process that has not said who it is"
