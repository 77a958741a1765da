"""What `mkdocs serve` does differently from `mkdocs build`, so an edited YAML shows within a second or so.

Imported by the hook modules, not listed as a hook: MkDocs loads hook files afresh for every rebuild,
while this module (and the work it keeps between rebuilds) lives as long as the server.

- **Notified, not polled.** MkDocs watches the docs, mkdocs.yml and the catalog with a polling observer
  that lists every watched file twice a second: an edit waits 0.25 s on average before anything starts,
  and at 3000 models each poll stats 6000 files in a thread that competes with the build for the
  interpreter. `notified_watcher` moves the same watches to the platform's own file notifications
  (inotify on Linux), and keeps polling where those cannot be had.
- **Agent files after the pages.** The live-reload server lets the browser reload only when the build
  returns, so under `mkdocs serve` the agent files (llms.txt and friends, catalog.json, the per-deployment
  JSON and markdown copies), which no page shows, are written by a background thread right after the
  pages (`after_pages`). The next rebuild waits for that thread before MkDocs empties the site folder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("mkdocs.hooks.dev_server")

_background: threading.Thread | None = None
_background_error: BaseException | None = None


def notified_watcher(server: Any) -> Any:
    """Move the live-reload server's watches from polling to file notifications, when both are available.

    Uses two private attributes of MkDocs 1.6's LiveReloadServer (`_watched_paths`, the watch count per
    path); if they are not there (another MkDocs version), the server keeps polling and says so.
    """
    try:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        if not isinstance(server.observer, PollingObserver):
            return server
        notified = Observer()
        if isinstance(notified, PollingObserver):
            return server  # this platform has no notification API watchdog supports
        watched: dict[str, int] = dict(server._watched_paths)
        for path, count in watched.items():
            for _ in range(count):
                server.unwatch(path)
        server.observer = notified
        for path, count in watched.items():
            for _ in range(count):
                server.watch(path)
    except (ImportError, AttributeError, OSError) as exc:
        log.info("file changes are polled every 0.5 s (%s)", exc)
    return server


def after_pages(work: Callable[[], None]) -> None:
    """Run `work` in the background; `wait_for_background` (at the next rebuild) re-raises what it raised."""
    global _background

    def run() -> None:
        global _background_error
        try:
            work()
        except BaseException as exc:  # reported by the next rebuild, which the user is watching
            _background_error = exc

    wait_for_background()
    _background = threading.Thread(target=run, name="agent-files", daemon=True)
    _background.start()


def wait_for_background() -> None:
    """Wait for the previous rebuild's background work; log what went wrong in it (serve keeps running)."""
    global _background, _background_error
    if _background is not None:
        _background.join()
        _background = None
    if _background_error is not None:
        error, _background_error = _background_error, None
        log.error("writing the agent files after the last rebuild failed: %s", error)
