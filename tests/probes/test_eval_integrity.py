"""Evals cannot be fooled: a code item passes only when its tests ran to the end, and every score names the
exact task files that produced it.

The attacks run in the real bubblewrap sandbox through the scoring path lm-eval's hook uses
(``probes.evals.score_code``: ``tasks/code_runner.py`` under ``probes.sandbox.run_tests``). Where an attack
fooled the old scoring (the answer and the tests concatenated into one script, a pass being exit status 0),
the test shows that first, so it would catch a return to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import shutil
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import probes.evals as evals
from catalog.evidence import EvalResult
from probes import sandbox
from probes.checks import CheckResult, Context
from probes.client import Client, Timeouts
from probes.evals import (
    HARNESS_PYTHON_ENV,
    PINS_FILE,
    CodeItem,
    Suite,
    bundled_suites,
    code_program,
    load_suite,
    manifest_sha256,
    run_suite,
    score_code,
    stage_task,
)
from probes.evals.pins import TASK_PINS
from probes.evals.tasks import utils as task_utils
from probes.sandbox import Limits, run_python, run_tests
from testbed.vllm_server import free_port
from tests.probes.conftest import target_for

#: The wall clock is only a safety net (starting bwrap and two interpreters can take seconds on a busy
#: machine); the CPU limit, which load does not stretch, the programs never near unless they spin.
FAST = Limits(wall_s=90, cpu_s=5, memory_mb=256)
SUITES = {s.task: s for s in bundled_suites()}
CODE = SUITES["code-small"]
ADD = next(item for item in CODE.code_items() if item.id == "add")  # tests: add(2, 3) == 5, add(-4, 4) == 0
RUNNER = task_utils.RUNNER_FILE.read_text(encoding="utf-8")
TASKS_DIR = Path(evals.TASKS_DIR)


def fenced(code: str) -> str:
    return f"Here you go:\n```python\n{code}```\n"


async def naive_ok(item: CodeItem, answer: str) -> bool:
    """The old scoring: the answer and the tests as one script, a pass being exit status 0."""
    return (await run_python(code_program(item, answer, chat=True), FAST)).ok


# -- what must still pass ----------------------------------------------------------------------------------------
@pytest.mark.sandbox
async def test_every_reference_passes_and_an_empty_body_fails_through_the_runner() -> None:
    for item in CODE.code_items():
        completion = await score_code(item, item.reference, chat=False, limits=FAST)
        assert completion.ok and completion.returncode == 0, (item.id, completion.output_tail)
        assert sandbox.MARKER not in completion.output_tail, "the spent nonce line is not kept in the output"
        chat = await score_code(item, fenced(item.prompt + item.reference), chat=True, limits=FAST)
        assert chat.ok, (item.id, chat.output_tail)
        empty = await score_code(item, "    pass\n", chat=False, limits=FAST)
        assert not empty.ok and empty.returncode == 1, (item.id, empty.output_tail)


@pytest.mark.sandbox
async def test_plain_data_of_every_kind_and_expected_exceptions_pass() -> None:
    candidate = """\
class Invalid(ValueError):
    pass

def shape(kind):
    if kind == "bad":
        raise Invalid("no such kind")
    if kind == "int":
        return int("not a number")
    print("shape of", kind)  # output of its own is fine
    return {
        "a": (1, 2.5, None, True),
        "b": [frozenset({1, 2}), "x", b"bytes are not plain data".decode()],
        3: [-(2 ** 100), float("inf"), {"nested": {(1, "k"): set()}}],
        (1, "k"): {1, 2, 3},
    }
"""
    tests = """\
value = shape("all")
assert value == {
    "a": (1, 2.5, None, True),
    "b": [frozenset({1, 2}), "x", "bytes are not plain data"],
    3: [-(2 ** 100), float("inf"), {"nested": {(1, "k"): set()}}],
    (1, "k"): {1, 2, 3},
}
assert type(value["a"]) is tuple and type(value["b"][0]) is frozenset and type(value[(1, "k")]) is set
assert value["a"][3] is True and type(value[3][0]) is int and value[3][0] == -(2 ** 100)
for kind, expected in (("bad", ValueError), ("int", ValueError)):
    try:
        shape(kind)
    except expected as exc:
        assert "no such kind" in str(exc) or "invalid literal" in str(exc), exc
    else:
        raise AssertionError(f"shape({kind!r}) raised nothing")
"""
    result = await run_tests(candidate, tests, "shape", runner=RUNNER, limits=FAST)
    assert result.ok, result.output_tail


@pytest.mark.sandbox
async def test_a_right_answer_still_passes_whatever_it_does_to_its_own_output() -> None:
    closes = (
        "import os\nclosed = []\ndef add(a, b):\n    if not closed:\n        os.close(1)\n        os.close(2)\n"
        "        closed.append(True)\n    return a + b\n"
    )
    assert (await score_code(ADD, fenced(closes), chat=True, limits=FAST)).ok
    chatty = (
        "def add(a, b):\n"
        "    for i in range(20000):\n"
        "        print('tests-completed', '%064x' % i)\n"  # guessed lines are harmless, not a pass
        "    return a + b\n"
    )
    result = await score_code(ADD, fenced(chatty), chat=True, limits=FAST)
    assert result.ok, result.output_tail


# -- attacks on the scoring: each one fooled the old scoring, none passes now --------------------------------------
ATTACKS = {
    "os._exit(0) in the body (the issue)": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "os._exit(0) at import": "import os\nos._exit(0)\n",
    "sys.exit(0)": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "raise SystemExit": "def add(a, b):\n    raise SystemExit\n",
    "raise SystemExit(0) at import": "raise SystemExit(0)\n",
    "an object equal to everything": (
        "class Same:\n    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n\ndef add(a, b):\n    return Same()\n"
    ),
    "a subclass of int with a lying __eq__": (
        "class Int(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n\n"
        "def add(a, b):\n    return Int(0)\n"
    ),
    "sys.excepthook exits 0": "import os, sys\nsys.excepthook = lambda *args: os._exit(0)\n\ndef add(a, b):\n    return 0\n",
    "sys.stdout and sys.stderr replaced": (
        "import io, os, sys\nsys.stdout = io.StringIO()\nsys.stderr = io.StringIO()\n"
        "sys.excepthook = lambda *args: os._exit(0)\n\ndef add(a, b):\n    return 0\n"
    ),
    "an atexit handler exits 0": "import atexit, os\natexit.register(os._exit, 0)\n\ndef add(a, b):\n    return 0\n",
    "a __del__ that exits at shutdown": (
        "import os\nclass Bye:\n    def __del__(self):\n        os._exit(0)\nkeep = Bye()\n\n"
        "def add(a, b):\n    return 0\n"
    ),
    "a returned object whose __del__ exits": (
        "import os\nclass Bye:\n    def __eq__(self, other):\n        return True\n"
        "    def __del__(self):\n        os._exit(0)\n\ndef add(a, b):\n    return Bye()\n"
    ),
    "fake tests-completed lines with guessed nonces": (
        "import os\ndef add(a, b):\n    for guess in ('0' * 64, 'f' * 64, os.urandom(32).hex(), ''):\n"
        "        print('tests-completed', guess, flush=True)\n    os._exit(0)\n"
    ),
    "stdout closed": "import os\ndef add(a, b):\n    os.close(1)\n    os.close(2)\n    os._exit(0)\n",
    "stdout redirected": (
        "import os\ndef add(a, b):\n    null = os.open('/dev/null', os.O_WRONLY)\n    os.dup2(null, 1)\n"
        "    os.dup2(null, 2)\n    os._exit(0)\n"
    ),
    "a thread exits 0": (
        "import os, threading, time\ndef add(a, b):\n    threading.Thread(target=os._exit, args=(0,)).start()\n"
        "    time.sleep(60)\n"
    ),
}


@pytest.mark.sandbox
@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_an_answer_that_does_not_pass_the_tests_scores_zero(attack: str) -> None:
    answer = fenced(ATTACKS[attack])
    assert await naive_ok(ADD, answer), "the attack should fool the old scoring (exit status 0)"
    result = await score_code(ADD, answer, chat=True, limits=FAST)
    assert not result.ok and result.refused is None and not result.timed_out, result.output_tail
    assert result.returncode == 1, result.output_tail  # the runner's own verdict: failed


@pytest.mark.sandbox
async def test_killing_the_runner_or_answering_too_much_fails() -> None:
    kill = "import os, signal\ndef add(a, b):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return a + b\n"
    assert not (await score_code(ADD, fenced(kill), chat=True, limits=FAST)).ok
    huge = "def add(a, b):\n    return 'x' * (5 * 1024 * 1024)\n"
    result = await score_code(ADD, fenced(huge), chat=True, limits=FAST)
    assert not result.ok and "a reply longer than" in result.output_tail, result.output_tail


@pytest.mark.sandbox
async def test_changing_builtins_or_names_the_tests_use_changes_nothing() -> None:
    cases = [
        # (what, candidate, entry point, tests)
        (
            "builtins.len and builtins.isinstance",
            "import builtins\nbuiltins.len = lambda value: 3\nbuiltins.isinstance = lambda *args: True\n"
            "def items():\n    return 'no'\n",
            "items",
            "assert len(items()) == 3\nassert isinstance(items(), list)\n",
        ),
        (
            "builtins.AssertionError made an exit",
            "import builtins\nbuiltins.AssertionError = lambda *args: SystemExit(0)\ndef double(x):\n    return 0\n",
            "double",
            "if double(2) != 4:\n    raise AssertionError('double(2) should be 4')\n",
        ),
        (
            "a name the tests use, shadowed",
            "def sorted(values, *args, **kwargs):\n    return [1, 2, 3]\ndef unique(values):\n    return []\n",
            "unique",
            "assert sorted(unique([3, 1, 3, 2])) == [1, 2, 3]\n",
        ),
        (
            "print replaced",
            "import builtins, os\nbuiltins.print = lambda *args, **kwargs: os._exit(0)\ndef double(x):\n    return 0\n",
            "double",
            "print('checking')\nassert double(2) == 4\n",
        ),
    ]
    for what, candidate, entry_point, tests in cases:
        naive = await run_python(f"{candidate}\n\n{tests}", FAST)
        assert naive.ok, f"{what}: should fool the old scoring: {naive.output_tail}"
        result = await run_tests(candidate, tests, entry_point, runner=RUNNER, limits=FAST)
        assert not result.ok and result.returncode == 1, (what, result.output_tail)


@pytest.mark.sandbox
async def test_an_exit_the_tests_catch_still_fails() -> None:
    candidate = "def check(x):\n    raise SystemExit(0)\n"
    tests = "try:\n    check(1)\nexcept BaseException:\n    pass\n"
    result = await run_tests(candidate, tests, "check", runner=RUNNER, limits=FAST)
    assert not result.ok and "the candidate raised SystemExit" in result.output_tail, result.output_tail


@pytest.mark.sandbox
async def test_stop_iteration_cannot_end_a_tests_loop_early() -> None:
    """Raised inside ``map``, StopIteration ends the loop quietly: no check would run, and the old scoring passed."""
    candidate = "def double(x):\n    raise StopIteration\n"
    tests = "for got, want in zip(map(double, [1, 2, 3]), [2, 4, 6]):\n    assert got == want\n"
    assert (await run_python(f"{candidate}\n{tests}", FAST)).ok, "the old scoring passed it"
    result = await run_tests(candidate, tests, "double", runner=RUNNER, limits=FAST)
    assert not result.ok and "the candidate raised StopIteration" in result.output_tail, result.output_tail


SNOOP = r"""
import os, re
HEX = re.compile(rb"[0-9a-f]{64}")
NEEDLE = ("assert add" + "(2, 3)").encode()  # the item's tests, never whole in this file

def add(a, b):
    found, leaks, denied, looked = set(), set(), 0, 0
    me = os.getpid()

    def look(where, data):
        nonlocal looked
        looked += 1
        found.update(m.decode() for m in HEX.findall(data))
        if NEEDLE in data:
            leaks.add(where)

    for fd in [0] + list(range(3, 64)):  # stdin and every inherited descriptor
        try:
            os.set_blocking(fd, False)
            look(f"fd {fd}", os.read(fd, 1 << 20))
        except OSError:
            pass
    for folder in ("/sandbox", "/tmp"):
        for root, _, files in os.walk(folder):
            for name in files:
                try:
                    with open(os.path.join(root, name), "rb") as handle:
                        look(os.path.join(root, name), handle.read())
                except OSError:
                    denied += 1
    for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != me]:
        base = f"/proc/{pid}"
        for name in ("cmdline", "environ"):
            try:
                with open(f"{base}/{name}", "rb") as handle:
                    look(f"{base}/{name}", handle.read())
            except OSError:
                denied += 1
        try:
            descriptors = os.listdir(f"{base}/fd")
        except OSError:
            denied += 1
            descriptors = []
        for fd in descriptors:
            try:
                opened = os.open(f"{base}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK)
                try:
                    look(f"{base}/fd/{fd}", os.read(opened, 1 << 20))
                finally:
                    os.close(opened)
            except OSError:
                denied += 1
        try:
            with open(f"{base}/maps") as handle:
                regions = handle.read().splitlines()
            memory = open(f"{base}/mem", "rb", 0)
        except OSError:
            denied += 1
            continue
        with memory:
            for region in regions:
                span, perms = region.split()[:2]
                start, end = (int(x, 16) for x in span.split("-"))
                if not perms.startswith("r") or end - start > 64 << 20:
                    continue
                try:
                    memory.seek(start)
                    look(f"{base}/mem", memory.read(end - start))
                except (OSError, OverflowError, ValueError):
                    pass
    for guess in sorted(found)[:8]:
        print("FOUND", guess)
        os.write(1, f"\ntests-completed {guess}\n".encode())
    print(f"SNOOPED looked={looked} denied={denied} leaks={sorted(leaks)}", flush=True)
    os._exit(0)
"""


@pytest.mark.sandbox
async def test_the_nonce_and_the_tests_are_out_of_the_candidates_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidate reads every descriptor, file and process it can see. Control: against a runner that does
    not make itself non-dumpable, the same search reads the nonce and the tests out of the runner's memory."""
    nonce = secrets.token_hex(32)
    monkeypatch.setattr(sandbox, "secrets", SimpleNamespace(token_hex=lambda _n: nonce))
    candidate = task_utils.candidate_code(ADD.prompt, ADD.entry_point, fenced(SNOOP), chat=True)

    dumpable = RUNNER.replace("        _non_dumpable()  # first", "        pass  # first")
    assert dumpable != RUNNER
    control = await run_tests(candidate, ADD.tests, "add", runner=dumpable, limits=FAST)
    assert f"FOUND {nonce}" in control.output_tail, control.output_tail
    assert "leaks=[]" not in control.output_tail, control.output_tail
    assert not control.ok, "even with the nonce, the runner's own exit status is not 0"

    result = await run_tests(candidate, ADD.tests, "add", runner=RUNNER, limits=FAST)
    assert "SNOOPED" in result.output_tail and "leaks=[]" in result.output_tail, result.output_tail
    assert nonce not in result.output_tail and not result.ok and result.returncode == 1
    denied = int(result.output_tail.split("denied=")[1].split()[0])
    assert denied > 0, "the runner's /proc entries were readable"


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.sandbox
async def test_a_fork_that_prints_after_the_runner_has_ended_fails_and_dies() -> None:
    marker = f"late-printer-{secrets.token_hex(6)}"
    printer = (
        "import os, time\n"
        "for i in range(100000):\n"
        "    try:\n"
        "        os.write(1, b'\\ntests-completed %064x\\n' % i)\n"
        "    except OSError:\n"
        "        pass\n"
        "    time.sleep(0.001)\n"
    )
    code = (
        "import os, sys\n"
        "def add(a, b):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', {printer!r}, {marker!r}])\n"
        "    os._exit(0)\n"
    )
    assert await naive_ok(ADD, fenced(code))
    result = await score_code(ADD, fenced(code), chat=True, limits=FAST)
    assert not result.ok and result.returncode == 1, result.output_tail
    # The PID namespace went with the runner; a survivor would print for 100 s (the wait is only a net).
    deadline = time.monotonic() + 60
    while processes_with(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert processes_with(marker) == []


@pytest.mark.sandbox
async def test_flooding_the_output_fails_in_bounded_memory() -> None:
    lines = 2_400_000  # about 190 MB of guessed tests-completed lines
    code = (
        "import os\n"
        "def add(a, b):\n"
        "    block = (b'tests-completed ' + b'0' * 64 + b'\\n') * 12000\n"
        f"    for _ in range({lines // 12000}):\n"
        "        os.write(1, block)\n"
        "    print('flooded', flush=True)\n"
        "    os._exit(0)\n"
    )
    tracemalloc.start()
    try:
        result = await score_code(ADD, fenced(code), chat=True, limits=FAST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "flooded" in result.output_tail, result.output_tail  # all of it went through the prober
    assert not result.ok and not result.timed_out and result.returncode == 1
    assert len(result.output_tail) <= 2000
    assert peak < 16 * 1024 * 1024, f"the prober held {peak} bytes of a 190 MB flood"


def test_the_line_watch_sees_the_line_only_whole() -> None:
    line = b"tests-completed " + b"a" * 64
    for chunks, seen in [
        ([b"x\n" + line + b"\n"], True),
        ([b"x\n" + line[:10], line[10:], b"\n"], True),  # split across reads
        ([line + b"\n"], True),  # the first line
        ([b"x" + line + b"\n"], False),  # glued to other output
        ([line + b"0\n"], False),
        ([line], False),  # never ended
        ([b"y" * 100_000, line + b"\n"], False),
        ([b"y" * 100_000 + b"\n", line + b"\n"], True),
    ]:
        watch = sandbox._LineWatch(line)
        for chunk in chunks:
            watch.feed(chunk)
        assert watch.seen is seen, chunks


# -- task data pinned by hash --------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_bundled_tasks_match_their_pins_and_the_manifest_is_sha256sum(tmp_path: Path) -> None:
    assert set(TASK_PINS) == set(SUITES), "every bundled task is pinned, and only those"
    for suite in SUITES.values():
        pins = TASK_PINS[suite.task]
        assert {suite.path.name, suite.data_file, "utils.py"} <= set(pins)
        staged = stage_task(suite, tmp_path / suite.task)
        assert sorted(p.name for p in staged.folder.iterdir()) == sorted(pins), "the copy holds the pinned files only"
        for name, expected in pins.items():
            found = _sha256(TASKS_DIR / name)
            assert found == expected, f"{name} changed: after review, set its pin in {PINS_FILE} to {found}"
            assert _sha256(staged.folder / name) == expected, name
        assert staged.data_sha256 == pins[suite.data_file] == suite.data_sha256
        # What a reader can run: sha256sum of the files in name order, hashed again.
        names = sorted(pins)
        listing = subprocess.run(["sha256sum", *names], cwd=TASKS_DIR, capture_output=True, check=True).stdout
        assert staged.task_sha256 == hashlib.sha256(listing).hexdigest() == manifest_sha256(pins)
    assert "code_runner.py" in TASK_PINS["code-small"], "the program that decides a pass is pinned with the task"


@pytest.fixture
def task_copy(tmp_path: Path) -> Path:
    """The bundled task folder, copied, for tampering (the repository's own files are never touched)."""
    folder = tmp_path / "tasks"
    shutil.copytree(TASKS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture
def tripwire_harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for lm-eval's Python that records being started: a refused task must never get that far."""
    ran = tmp_path / "harness-ran"
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\ntouch {ran}\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv(HARNESS_PYTHON_ENV, str(fake))
    return ran


async def _run(suite: Suite) -> tuple[CheckResult, EvalResult | None]:
    target = target_for(f"http://127.0.0.1:{free_port()}/v1", "any", api_key_env=None, endpoints=frozenset({"chat"}))
    async with Client(target, Timeouts()) as client:
        return await run_suite(Context(client, target), suite)


async def test_one_changed_character_in_the_data_refuses_the_task(task_copy: Path, tripwire_harness: Path) -> None:
    data = task_copy / "code-small.jsonl"
    text = data.read_text(encoding="utf-8")
    assert text.count("assert add(2, 3) == 5") == 1
    data.write_text(text.replace("assert add(2, 3) == 5", "assert add(2, 3) == 6"), encoding="utf-8")
    found, pinned = _sha256(data), TASK_PINS["code-small"]["code-small.jsonl"]
    assert found != pinned
    check, outcome = await _run(load_suite(task_copy / "code-small.yaml"))
    assert (check.status, outcome) == ("error", None)
    assert check.reason == (
        f"refused to run code-small: {data} has sha256 {found}, but {PINS_FILE} pins {pinned}. "
        f"If the change is unintended, restore the file (git checkout -- {data}); if it is intended, review it and "
        f"set TASK_PINS['code-small']['code-small.jsonl'] to {found}"
    )
    assert not tripwire_harness.exists(), "lm-eval was started for a refused task"


async def test_changed_scoring_code_a_missing_file_and_a_task_without_pins_are_refused(
    task_copy: Path, tripwire_harness: Path
) -> None:
    utils_file = task_copy / "utils.py"
    utils_file.write_text(utils_file.read_text().replace('"pass@1": float(outcome.ok)', '"pass@1": 1.0'))
    check, _ = await _run(load_suite(task_copy / "code-small.yaml"))
    assert check.status == "error" and check.reason is not None
    assert check.reason.startswith(f"refused to run code-small: {utils_file} has sha256 {_sha256(utils_file)}, ")
    assert f"pins {TASK_PINS['code-small']['utils.py']}" in check.reason
    shutil.copy(TASKS_DIR / "utils.py", utils_file)

    (task_copy / "code_runner.py").unlink()
    check, _ = await _run(load_suite(task_copy / "code-small.yaml"))
    assert check.reason == (
        f"refused to run code-small: {task_copy / 'code_runner.py'} cannot be read (No such file or directory), "
        f"and {PINS_FILE} pins it with sha256 {TASK_PINS['code-small']['code_runner.py']}. "
        f"Restore it (git checkout -- {task_copy / 'code_runner.py'})"
    )

    renamed = task_copy / "json-format.yaml"
    renamed.write_text(renamed.read_text().replace("task: json-format", "task: json-format-copy"))
    check, outcome = await _run(load_suite(renamed))
    assert (check.status, outcome) == ("error", None)
    assert check.reason is not None
    assert check.reason.startswith(f"refused to run json-format-copy: it has no sha256 pins in {PINS_FILE}")
    assert not tripwire_harness.exists()


async def test_data_changed_after_loading_is_refused(task_copy: Path, tripwire_harness: Path) -> None:
    data = task_copy / "json-format.jsonl"
    pinned = data.read_bytes()
    data.write_bytes(pinned + b"\n")  # one more (empty) line: the same items, other bytes
    suite = load_suite(task_copy / "json-format.yaml")
    data.write_bytes(pinned)  # back to the pinned bytes before the run
    check, _ = await _run(suite)
    assert check.reason == (
        f"refused to run json-format: {data} changed after the task was loaded (sha256 {suite.data_sha256} "
        f"then, {_sha256(data)} now); load the tasks again"
    )
    assert not tripwire_harness.exists()


async def test_lm_eval_reads_a_private_copy_of_exactly_the_checked_bytes(
    monkeypatch: pytest.MonkeyPatch, task_copy: Path
) -> None:
    """The files are swapped for others after the check: what lm-eval is pointed at stays what was checked."""
    seen: dict[str, Any] = {}

    async def harness(spec: dict[str, Any], api_key: str | None) -> dict[str, Any]:
        folder = Path(spec["tasks_dir"])
        for name in TASK_PINS["code-small"]:
            (task_copy / name).write_text("swapped after the check\n")
        seen["folder"] = folder
        seen["mode"] = folder.parent.parent.stat().st_mode & 0o777
        seen["files"] = {p.name: _sha256(p) for p in folder.iterdir()}
        return {"error": "stand-in harness"}

    monkeypatch.setattr(evals, "run_harness", harness)
    check, _ = await _run(load_suite(task_copy / "code-small.yaml"))
    assert check.reason == "lm-eval could not run code-small: stand-in harness"
    assert seen["files"] == TASK_PINS["code-small"], "the copy is exactly the pinned bytes"
    assert not seen["folder"].is_relative_to(task_copy) and seen["mode"] == 0o700
    assert not seen["folder"].exists(), "the private copy is removed after the run"
    # The copy's utils.py looks for ../../sandbox.py when the driver has not loaded it: inside the private folder.
    assert not (seen["folder"].parent.parent / "sandbox.py").exists()


def test_old_evidence_reads_and_the_hashes_are_written_when_set() -> None:
    old = {"task": "code-small", "version": "2.0", "n": 8, "score": 0.5, "gate": 0.5, "date": "2026-01-01T00:00:00Z"}
    result = EvalResult.model_validate(old)
    assert (result.data_sha256, result.task_sha256) == (None, None)
    assert "data_sha256" not in result.model_dump(mode="json") and "task_sha256" not in result.model_dump(mode="json")
    pins = TASK_PINS["code-small"]
    pinned = EvalResult.model_validate(
        {**old, "data_sha256": pins["code-small.jsonl"], "task_sha256": manifest_sha256(pins)}
    )
    assert pinned.model_dump(mode="json")["data_sha256"] == pins["code-small.jsonl"]
    with pytest.raises(ValueError, match="data_sha256"):
        EvalResult.model_validate({**old, "data_sha256": "not a hash"})


# -- the whole path: lm-eval, the hook, the runner, the evidence ----------------------------------------------------
@pytest.fixture
def answering_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A chat server on 127.0.0.1 that answers each code item with ``request.param(item)``."""
    answer = request.param
    items = CODE.code_items()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            prompt = body["messages"][-1]["content"]
            item = next(i for i in items if i.prompt in prompt)
            message = {"role": "assistant", "content": answer(item)}
            payload = json.dumps(
                {"id": "x", "object": "x", "model": body["model"], "choices": [{"index": 0, "message": message}]}
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _exploit(item: CodeItem) -> str:
    return fenced("import os\nos._exit(0)\n")


def _reference(item: CodeItem) -> str:
    return fenced(item.prompt + item.reference)


@pytest.mark.evals
@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("answering_server", "score"), [(_exploit, 0.0), (_reference, 1.0)], indirect=["answering_server"]
)
async def test_through_lm_eval_the_exploit_scores_zero_and_every_result_names_its_data(
    answering_server: str, score: float
) -> None:
    if not evals.harness_python().exists():
        pytest.fail(f"{evals.harness_python()} not found: {evals.INSTALL_HINT}", pytrace=False)
    target = target_for(answering_server, "integrity", api_key_env=None, endpoints=frozenset({"chat"}))
    async with Client(target, Timeouts()) as client:
        check, outcome = await run_suite(Context(client, target), CODE)
    assert outcome is not None, check.reason
    assert (outcome.score, outcome.n, check.status) == (score, 8, "pass" if score else "fail")
    pins = TASK_PINS["code-small"]
    assert outcome.data_sha256 == pins["code-small.jsonl"]
    assert outcome.task_sha256 == manifest_sha256(pins)
    written = outcome.model_dump(mode="json")
    assert (written["data_sha256"], written["task_sha256"]) == (pins["code-small.jsonl"], manifest_sha256(pins))


def test_the_scoring_never_runs_the_concatenated_program() -> None:
    """``code_program`` is for reading; the hook scores through the runner."""
    source = Path(task_utils.__file__).read_text(encoding="utf-8")
    hook = source[source.index("def process_code(") :]
    assert "run_code(" in hook and "code_program(" not in hook and "run_python(" not in hook
