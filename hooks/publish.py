"""Publishing a build only when it succeeded: MkDocs writes into a staging folder beside `site/`, and the
staging folder replaces `site/` only after the whole build (strict-mode warnings included) passed.

MkDocs empties `site_dir` before it renders anything, so a build that fails halfway (an evidence file it
cannot read, a strict-mode warning) would otherwise leave no site at all. With staging, a failed build
leaves the previous site byte for byte as it was.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass
class StagedBuild:
    target: Path
    """Where the site is published, e.g. `site/`."""
    failed: bool = False

    @property
    def staging(self) -> Path:
        """A sibling of the target, so the final swap is a rename on one file system."""
        return self.target.with_name(f".{self.target.name}.building")

    @property
    def previous(self) -> Path:
        return self.target.with_name(f".{self.target.name}.previous")

    def start(self) -> Path:
        """Clear leftovers of an interrupted build and return the folder MkDocs should write to."""
        for leftover in (self.staging, self.previous):
            if leftover.exists():
                shutil.rmtree(leftover)
        self.staging.mkdir(parents=True)
        return self.staging

    def finish(self) -> None:
        """Swap the staging folder in when the build passed; otherwise drop it and keep the old site."""
        if self.failed or not self.staging.is_dir():
            shutil.rmtree(self.staging, ignore_errors=True)
            return
        if self.target.exists():
            self.target.rename(self.previous)
        self.staging.rename(self.target)
        shutil.rmtree(self.previous, ignore_errors=True)
