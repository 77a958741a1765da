"""The eval sandbox runs good code, and gives hostile code nothing: no secrets, no writes, no network.

Each hostile test first shows, where it can, that the same attack works *outside* the sandbox (so the
test would catch a sandbox that stopped working), then that inside it the attacker gets nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import probes.sandbox as sandbox
from probes.evals import bundled_suites, score_code, score_json
from probes.sandbox import Limits, availability, run_python

# Needs bubblewrap (make sandbox-tools); the two refusal tests stand in for a missing or broken one.
pytestmark = pytest.mark.sandbox

#: For programs that end at once. The wall clock is only a safety net: on a busy machine starting bwrap and
#: Python alone can take seconds. The CPU limit (CPU seconds, which load does not stretch) they never near.
FAST = Limits(wall_s=60, cpu_s=2, memory_mb=256)
#: What starting the sandbox and ending a program may add to a wall-clock limit on a busy machine. The tests
#: that time a limit give the program far longer than this to run unstopped (for ever, or an hour), so a run
#: that ends within `wall_s + SLACK_S` still shows that the limit, and nothing else, ended it.
SLACK_S = 30
REPO = Path(__file__).resolve().parents[2]
SECRET_ENV = "PROBES_SANDBOX_TEST_SECRET"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """A recognizable secret in this (the prober's) process environment."""
    value = f"sk-sandbox-secret-{secrets.token_hex(12)}"
    monkeypatch.setenv(SECRET_ENV, value)
    return value


def run_unconfined(code: str) -> subprocess.CompletedProcess[str]:
    """The control: the same program run as a plain child of the prober."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)


async def test_the_sandbox_works_on_this_machine() -> None:
    # `make test` installs bubblewrap first; a machine without it must fail here, not skip.
    status = availability()
    assert status.ok, status.reason
    result = await run_python("print('hello from the sandbox')\n", FAST)
    assert result.ok and result.refused is None and "hello from the sandbox" in result.output_tail


async def test_passing_and_failing_programs() -> None:
    ok = await run_python("def add(a, b):\n    return a + b\n\nassert add(2, 3) == 5\nprint('fine')\n", FAST)
    assert ok.ok and ok.returncode == 0 and "fine" in ok.output_tail
    bad = await run_python("assert 1 + 1 == 3, 'arithmetic'\n", FAST)
    assert not bad.ok and "AssertionError: arithmetic" in bad.output_tail


async def test_infinite_loop_is_stopped() -> None:
    started = time.monotonic()
    result = await run_python("while True:\n    pass\n", Limits(wall_s=3, cpu_s=1, memory_mb=256))
    # Either the CPU rlimit (SIGXCPU) or the wall clock ends it; both are failures. Unstopped it runs for ever.
    assert not result.ok
    assert time.monotonic() - started < 3 + SLACK_S


async def test_sleeping_forever_is_killed_at_the_wall_clock() -> None:
    started = time.monotonic()
    result = await run_python("import time\ntime.sleep(3600)\n", Limits(wall_s=1, cpu_s=5, memory_mb=256))
    assert result.timed_out and not result.ok and result.returncode is None
    assert time.monotonic() - started < 1 + SLACK_S, "the program sleeps an hour: only the wall clock ends it"


async def test_ten_gigabytes_cannot_be_allocated() -> None:
    result = await run_python("x = bytearray(10 * 1024 ** 3)\nprint('allocated')\n", FAST)
    assert not result.ok and not result.timed_out
    assert "MemoryError" in result.output_tail and "allocated" not in result.output_tail


async def test_the_environment_is_empty(secret: str) -> None:
    code = "import os\nprint(sorted(os.environ.items()))\n"
    assert secret in run_unconfined(code).stdout  # a plain child inherits it
    result = await run_python(code, FAST)
    assert result.ok, result.output_tail
    assert secret not in result.output_tail and SECRET_ENV not in result.output_tail


@pytest.fixture
def prober_like(secret: str) -> Iterator[int]:
    """A process started with the secret in its environment, as the prober is with its API keys.

    (Setting a variable later, as ``secret`` does, does not change this process's own
    ``/proc/self/environ``; a process *started* with it shows it there.)
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time\ntime.sleep(60)\n"],
        env={**os.environ},
        stdin=subprocess.DEVNULL,
    )
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def steal_environ_code(pids: list[int], loot: Path) -> str:
    return f"""
import os
found = []
pids = {pids!r} + [int(p) for p in os.listdir("/proc") if p.isdigit()]
for pid in pids:
    try:
        with open(f"/proc/{{pid}}/environ", "rb") as handle:
            found.append(handle.read().decode(errors="replace"))
    except OSError as exc:
        print("no", pid, type(exc).__name__)
print("STOLEN", found)
try:
    with open({str(loot)!r}, "w") as handle:
        handle.write(repr(found))
    print("wrote the loot")
except OSError as exc:
    print("could not write the loot:", type(exc).__name__)
"""


async def test_proc_environ_of_other_processes_is_out_of_reach(secret: str, prober_like: int, tmp_path: Path) -> None:
    pids = [prober_like, os.getpid(), os.getppid()]
    control_loot = tmp_path / "control-loot.txt"
    control = run_unconfined(steal_environ_code(pids, control_loot))
    assert secret in control.stdout, "the control should read the secret from /proc/<pid>/environ"
    assert control_loot.exists()

    loot = tmp_path / "loot.txt"
    result = await run_python(steal_environ_code(pids, loot), FAST)
    assert "STOLEN" in result.output_tail, result.output_tail  # it did run
    assert secret not in result.output_tail and SECRET_ENV not in result.output_tail
    assert not loot.exists()
    assert "wrote the loot" not in result.output_tail


def write_everywhere_code(targets: list[Path]) -> str:
    return f"""
import os
for path in {[str(t) for t in targets]!r}:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("pwned")
        print("wrote", path)
    except OSError as exc:
        print("blocked", path, type(exc).__name__)
"""


async def test_nothing_outside_the_private_tmp_can_be_written(tmp_path: Path) -> None:
    token = secrets.token_hex(6)
    control_target = tmp_path / "control" / "pwned"
    run_unconfined(write_everywhere_code([control_target]))
    assert control_target.exists()

    host_targets = [
        tmp_path / f"pwned-{token}",
        tmp_path / "deeper" / f"pwned-{token}",
        REPO / f"pwned-{token}",
        REPO / "probes" / f"pwned-{token}.py",
        Path("/tmp") / f"pwned-{token}",  # the sandbox's /tmp is its own; the host's stays clean
    ]
    inside_only = [Path(f"/pwned-{token}"), Path(f"/usr/pwned-{token}"), Path(f"/dev/shm/pwned-{token}")]
    result = await run_python(write_everywhere_code(host_targets + inside_only), FAST)
    assert result.ok, result.output_tail
    for target in host_targets:
        assert not target.exists(), target
    # Paths under /tmp (tmp_path, and the repo when it is checked out there) land in the sandbox's
    # private tmpfs and vanish with it; everywhere else the write itself fails.
    for target in host_targets + inside_only:
        if not target.is_relative_to("/tmp"):
            assert f"blocked {target}" in result.output_tail, result.output_tail


async def test_the_private_tmp_works_and_is_not_shared_between_runs() -> None:
    token = secrets.token_hex(6)
    first = await run_python(f"open('/tmp/{token}', 'w').write('x')\nprint(open('/tmp/{token}').read())\n", FAST)
    assert first.ok and first.output_tail.strip() == "x", first.output_tail
    second = await run_python(f"import os\nassert not os.path.exists('/tmp/{token}')\n", FAST)
    assert second.ok, second.output_tail


@dataclass
class Listener:
    port: int
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A real local listener the sandboxed code will try to reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.1)
    found = Listener(server.getsockname()[1])
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            found.hits.append(str(peer))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    done.set()
    thread.join(5)
    server.close()


def _connect(listener: Listener) -> str:
    """Connect to the listener from here; return the connection's address once the listener has accepted it."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=60) as conn:
        mine = str(conn.getsockname())
    deadline = time.monotonic() + 60  # a safety net: the accept loop takes it within 0.1 s when it can run
    while mine not in listener.hits:
        assert time.monotonic() < deadline, f"the listener never accepted {mine}: {listener.hits}"
        time.sleep(0.02)
    return mine


async def test_network_is_unreachable(listener: Listener) -> None:
    # Control: the listener does see a plain connection.
    control = _connect(listener)
    assert listener.hits == [control]

    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listener.port}), timeout=2)\nprint('connected')\n"
    result = await run_python(code, FAST)
    assert not result.ok and "connected" not in result.output_tail
    # The C module underneath: there is no socket patching any more, only an empty network namespace.
    raw = (
        "import importlib\n_s = importlib.import_module('_socket')\n"
        f"s = _s.socket(2, 1)\ns.settimeout(2)\ns.connect(('127.0.0.1', {listener.port}))\nprint('connected')\n"
    )
    raw_result = await run_python(raw, FAST)
    assert not raw_result.ok and "connected" not in raw_result.output_tail
    # Anything of the sandbox's that did get through sits in the listener's queue before this last connection,
    # and the listener accepts in order: once it has this one, it has seen everything (no pause needed).
    last = _connect(listener)
    assert listener.hits == [control, last], f"sandboxed code reached the listener: {listener.hits}"


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


async def test_fork_bomb_is_bounded_and_killed() -> None:
    marker = f"fork-bomb-{secrets.token_hex(6)}"
    # Long enough that the bomb gets to print how many forks it got even on a busy machine.
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=256, processes=8)
    code = f"""
import os, sys
n = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", "while True: pass", {marker!r}])
    n += 1
print("forked", n, flush=True)
while True:  # a real bomb keeps trying
    try:
        os.fork()
    except OSError:
        pass
"""
    started = time.monotonic()
    result = await run_python(code, limits)
    elapsed = time.monotonic() - started
    assert result.timed_out and not result.ok
    assert elapsed < limits.wall_s + SLACK_S, "a real bomb keeps trying for ever: only the wall clock ends it"
    forked = [line for line in result.output_tail.splitlines() if line.startswith("forked ")]
    assert forked, result.output_tail
    assert 0 < int(forked[0].split()[1]) < limits.processes
    # Nothing of it outlives the run, and the machine still works. Killed processes leave /proc once the kernel
    # has reaped them, which on a busy machine takes a moment; a survivor spins for ever (the wait is a net).
    deadline = time.monotonic() + 60
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []
    assert subprocess.run(["true"], check=False).returncode == 0
    assert (await run_python("print('still fine')\n", FAST)).ok


@pytest.fixture
def no_cached_availability(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    availability.cache_clear()
    yield monkeypatch
    availability.cache_clear()


async def test_refuses_without_bubblewrap(no_cached_availability: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_cached_availability.setattr(sandbox, "BWRAP", str(tmp_path / "no-such-bwrap"))
    ran = tmp_path / "ran"
    result = await run_python(f"open({str(ran)!r}, 'w').write('unconfined')\n", FAST)
    assert not result.ok and result.returncode is None
    assert result.refused is not None and "bubblewrap (bwrap) is not installed" in result.refused
    assert not ran.exists()


async def test_refuses_where_the_sandbox_cannot_start(
    no_cached_availability: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Stands in for a kernel without user namespaces: bwrap exits non-zero before running anything.
    # It lives where the sandbox's unprivileged uid can execute it (pytest's tmp_path is root-only).
    with tempfile.TemporaryDirectory(prefix="fake-bwrap-") as folder:
        Path(folder).chmod(0o755)
        fake = Path(folder) / "bwrap"
        fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
        fake.chmod(0o755)
        no_cached_availability.setattr(sandbox, "BWRAP", str(fake))
        ran = tmp_path / "ran"
        result = await run_python(f"open({str(ran)!r}, 'w').write('unconfined')\n", FAST)
    assert not result.ok
    assert result.refused is not None and "does not work here" in result.refused, result.refused
    assert "No permissions to creating new namespace" in result.refused
    assert not ran.exists()


async def test_every_bundled_item_can_be_passed() -> None:
    """A gate is only meaningful if each item is passable: reference answers must score."""
    suites = {s.task: s for s in bundled_suites()}
    for item in suites["code-small"].code_items():
        # Scored as lm-eval's hook scores it: the runner must run every test of the item to the end.
        completion = await score_code(item, item.reference, chat=False, limits=FAST)
        assert completion.ok, (item.id, completion.output_tail)
        fenced = f"Sure:\n```python\n{item.prompt}{item.reference}```\n"
        assert (await score_code(item, fenced, chat=True, limits=FAST)).ok, item.id
        # And the tests bite: an empty body fails.
        assert not (await score_code(item, "    pass\n", chat=False, limits=FAST)).ok, item.id
    for json_item in suites["json-format"].json_items():
        assert set(json_item.equals) == set(json_item.keys), json_item.id
        assert score_json(json_item, json.dumps(json_item.equals)), json_item.id
