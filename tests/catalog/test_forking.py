"""Work spread over forked processes comes back in order, or not at all (then the caller does it itself)."""

from __future__ import annotations

import os
import subprocess
import sys

#: Run in a fresh interpreter: forking a test runner that may hold other threads could copy a held lock.
SCRIPT = """
import os, threading, time
from catalog.forking import forked_map

def square(i):
    return i * i

def dies_at_three(i):
    if i == 3:
        os._exit(1)  # as a worker the kernel killed would
    return i

print(forked_map(square, 20, 2))
print(forked_map(dies_at_three, 8, 2))
print(forked_map(square, 20, 1))
stop = threading.Event()
helper = threading.Thread(target=stop.wait)
helper.start()
print(forked_map(square, 20, 2))
stop.set()
helper.join()
"""


def test_results_in_order_or_none_where_workers_cannot_run() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120, env=os.environ
    )
    in_order, died, one_worker, threaded = done.stdout.splitlines()
    assert in_order == str([i * i for i in range(20)])
    assert died == "None", "a dead worker breaks the pool: the caller must not wait for its result"
    assert one_worker == "None" and threaded == "None"
