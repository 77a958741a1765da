"""Pure work spread over forked processes: the one way the loader and the build use the second core.

fork, so a worker starts with everything its parent loaded (catalog, configuration, files) without sending it;
only the results travel back, pickled. The work must be pure: what a worker changes is lost with it. Where
that cannot be done safely, the caller does the work itself, in order, and nothing differs but the time:

- in a process with other threads (`mkdocs serve`'s server, a test runner's helpers): a fork copies a lock
  another thread may hold, and the child can hang on it;
- when the pool breaks (a worker killed, by the kernel's OOM killer say): `concurrent.futures` says so, where
  `multiprocessing.Pool` would wait forever for the lost result.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Result = TypeVar("Result")
Job = TypeVar("Job")

#: Most processes any caller gets by default, however many cores there are.
DEFAULT_MAX_WORKERS = 8


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a CI runner or `taskset` may narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    """Whether this process may fork workers: not while other threads run."""
    return threading.active_count() == 1


def forked_map(
    function: Callable[[int], Result],
    count: int,
    workers: int,
    initializer: Callable[[], None] | None = None,
) -> list[Result] | None:
    """`[function(i) for i in range(count)]` on `workers` forked processes, in that order; None when it cannot
    be done that way (one worker, other threads, no process could start, a worker died): then the caller does
    the work itself."""
    return forked_map_with(function, lambda job, index: job(index), count, workers, initializer)


def forked_map_with(
    job: Job,
    function: Callable[[Job, int], Result],
    count: int,
    workers: int,
    initializer: Callable[[], None] | None = None,
) -> list[Result] | None:
    """`[function(job, i) for i in range(count)]` on `workers` forked processes, in that order; None when it
    cannot be done that way (as `forked_map`).

    `job` and `function` reach each worker by fork, as everything else the parent holds: neither is pickled,
    and the caller keeps no module-level slot for them (only a worker's own copy of this module holds them).
    Only each index goes to a worker and each result comes back, pickled."""
    if workers < 2 or count < 1 or not can_fork():
        return None
    chunk = max(1, min(32, count // (workers * 8)))
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(job, function, initializer)
        ) as pool:
            return list(pool.map(_run_task, range(count), chunksize=chunk))
    except (BrokenProcessPool, OSError):
        return None


#: In a worker of `forked_map_with` only: its job and function, set once when the worker starts.
_worker_task: tuple[Any, Callable[[Any, int], Any]] | None = None


def _start_worker(job: Any, function: Callable[[Any, int], Any], initializer: Callable[[], None] | None) -> None:
    global _worker_task
    _worker_task = (job, function)
    if initializer is not None:
        initializer()


def _run_task(index: int) -> Any:
    assert _worker_task is not None, "a task runs in a worker that _start_worker set up"
    job, function = _worker_task
    return function(job, index)
