"""What `mkdocs serve` does differently from `mkdocs build`, so an edited YAML shows within a second or so.

The MkDocs plugin (hooks/plugin.py) makes one `DevServer` when the command is `serve`; it lives as long as
the server, and holds what is kept between rebuilds.

- **Notified, not polled.** MkDocs watches the docs, mkdocs.yml and the catalog with a polling observer
  that lists every watched file twice a second: an edit waits 0.25 s on average before anything starts,
  and at 3000 models each poll stats 6000 files in a thread that competes with the build for the
  interpreter. `watch_with_notifications` (hooks/speed/patches.py) moves the same watches to the platform's own file notifications
  (inotify on Linux), and keeps polling elsewhere.
- **Agent files after the pages.** The live-reload server lets the browser reload only when the build
  returns, so under `mkdocs serve` the agent files (llms.txt and friends, catalog.json, the per-deployment
  JSON and markdown copies), which no page shows, are written by a background thread right after the
  pages (`after_pages`). The next rebuild waits for that thread before it starts.
- **Less to redo.** An installed theme's file list (Material: about 10,000 files, icons included) is listed
  once, not on every rebuild (`list_installed_theme_templates_once` in hooks/speed/patches.py), and what survives the first build (the
  theme, the caches) is frozen out of the garbage collector's way (`gc.freeze`), which otherwise scans it
  again and again during every rebuild.
- **Only changed files written.** MkDocs empties the site folder and writes every page and asset again on
  each rebuild (at 300 models, 25 MB). `SiteSync` keeps the folder, writes a file only when its bytes
  differ from what this server last wrote there, and removes what a rebuild no longer writes (a deleted
  deployment's page). Files MkDocs writes by other means (the gzipped sitemap) are simply overwritten.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hooks.speed.patches import list_installed_theme_templates_once, route_site_writes

log = logging.getLogger("mkdocs.hooks.speed.dev_server")

#: How long the agent files wait after a rebuild, so the reloading browser is served first.
_READER_FIRST_S = 0.3


class SiteSync:
    """Write into the served site folder only what changed since the last rebuild (see the module docstring)."""

    def __init__(self) -> None:
        self._written: dict[str, bytes] = {}
        """Every file this server wrote through `write`/`copy`, with the digest of what it wrote."""
        self._this_build: set[str] = set()
        self._lock = threading.Lock()
        self.skipped = 0

    def begin(self, directory: str) -> None:
        """Where MkDocs would empty the site `directory`: start recording what this rebuild writes instead."""
        with self._lock:
            self._this_build = set()
            self.skipped = 0

    def write(self, content: bytes, output_path: str) -> None:
        digest = hashlib.blake2b(content, digest_size=16).digest()
        if self._unchanged(output_path, digest):
            return
        target = Path(output_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Replaced, not rewritten in place: the server may be sending the old file to a browser right now
        # (the agent files are written while readers use the site), and must send all of one or the other.
        partial = target.with_name(f".{target.name}.{threading.get_ident()}.partial")
        partial.write_bytes(content)
        partial.replace(target)
        with self._lock:
            self._written[output_path] = digest

    def copy(self, source_path: str, output_path: str) -> None:
        source, target = Path(source_path), Path(output_path)
        if target.is_dir():
            target = target / source.name
        stat = source.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}".encode()
        if self._unchanged(str(target), stamp):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{threading.get_ident()}.partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
        with self._lock:
            self._written[str(target)] = stamp

    def _unchanged(self, output_path: str, digest: bytes) -> bool:
        """Record `output_path` as written by this rebuild; True when the file there already holds `digest`."""
        with self._lock:
            self._this_build.add(output_path)
            if self._written.get(output_path) == digest and Path(output_path).is_file():
                self.skipped += 1
                return True
        return False

    def finish(self) -> None:
        """Remove the files an earlier rebuild wrote and this one did not."""
        with self._lock:
            gone = [path for path in self._written if path not in self._this_build]
            for path in gone:
                del self._written[path]
        for path in gone:
            Path(path).unlink(missing_ok=True)


class DevServer:
    """What one `mkdocs serve` keeps from one rebuild to the next: the folder it serves, kept in step
    (`SiteSync`), and the background work of the last rebuild."""

    def __init__(self) -> None:
        self.sync = SiteSync()
        self._background: threading.Thread | None = None
        self._background_error: BaseException | None = None
        self._frozen = False

    def start(self) -> None:
        """Called once, when `mkdocs serve` starts (never by `mkdocs build`)."""
        route_site_writes(self.sync)
        list_installed_theme_templates_once()

    def after_pages(self, work: Callable[[], None]) -> None:
        """Run `work` in the background; `wait_for_background` (at the next rebuild) logs what it raised."""

        def run() -> None:
            # First let the server answer the browser's reload: a thread holding the interpreter slows it down.
            time.sleep(_READER_FIRST_S)
            try:
                work()
            except BaseException as exc:  # reported by the next rebuild, which the user is watching
                self._background_error = exc
            if not self._frozen:
                # Once, after the first build: a second or so before anyone edits anything.
                gc.collect()
                gc.freeze()
                self._frozen = True

        self.wait_for_background()
        self._background = threading.Thread(target=run, name="agent-files", daemon=True)
        self._background.start()

    def wait_for_background(self) -> None:
        """Wait for the previous rebuild's background work; log what went wrong in it (serve keeps running)."""
        if self._background is not None:
            self._background.join()
            self._background = None
        if self._background_error is not None:
            error, self._background_error = self._background_error, None
            log.error("writing the agent files after the last rebuild failed: %s", error)

    def write_text(self, path: os.PathLike[str] | str, text: str) -> None:
        """Write a file of the served site, only if its bytes changed."""
        self.sync.write(text.encode("utf-8"), os.fspath(path))

    def finish_rebuild(self) -> None:
        self.sync.finish()
