"""The eval sandbox runs good code, and stops code that loops, hogs memory or reaches for the network."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from probes.evals import bundled_suites, code_program, score_json
from probes.sandbox import Limits, network_namespace_available, run_python

FAST = Limits(wall_s=5, cpu_s=2, memory_mb=256)


async def test_passing_and_failing_programs() -> None:
    ok = await run_python("def add(a, b):\n    return a + b\n\nassert add(2, 3) == 5\nprint('fine')\n", FAST)
    assert ok.ok and ok.returncode == 0 and "fine" in ok.output_tail
    bad = await run_python("assert 1 + 1 == 3, 'arithmetic'\n", FAST)
    assert not bad.ok and "AssertionError: arithmetic" in bad.output_tail


async def test_infinite_loop_is_stopped() -> None:
    result = await run_python("while True:\n    pass\n", Limits(wall_s=3, cpu_s=1, memory_mb=256))
    # Either the CPU rlimit (SIGXCPU) or the wall clock ends it; both are failures.
    assert not result.ok


async def test_sleeping_forever_hits_the_wall_clock() -> None:
    result = await run_python("import time\ntime.sleep(60)\n", Limits(wall_s=1, cpu_s=5, memory_mb=256))
    assert result.timed_out and not result.ok


async def test_memory_is_capped() -> None:
    result = await run_python("x = bytearray(1024 * 1024 * 1024)\n", FAST)
    assert not result.ok and "MemoryError" in result.output_tail


async def test_environment_is_empty() -> None:
    result = await run_python("import os\nassert 'PROBES_TEST_API_KEY' not in os.environ, dict(os.environ)\n", FAST)
    assert result.ok, result.output_tail


@pytest.fixture
def listener() -> Iterator[int]:
    """A real local listener the sandboxed code will try to reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.1)
    hits: list[int] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    done.set()
    thread.join(5)
    server.close()
    assert not hits, "sandboxed code reached the listener"


async def test_network_is_blocked(listener: int) -> None:
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {listener}), timeout=2)\nprint('connected')\n"
    result = await run_python(code, FAST)
    assert not result.ok and "connected" not in result.output_tail
    # The C module underneath is patched too (and in a network namespace there is nothing to reach).
    raw = (
        "import importlib\n_s = importlib.import_module('_socket')\n"
        f"s = _s.socket(2, 1)\ns.settimeout(2)\ns.connect(('127.0.0.1', {listener}))\nprint('connected')\n"
    )
    raw_result = await run_python(raw, FAST)
    assert not raw_result.ok and "connected" not in raw_result.output_tail


def test_reports_whether_a_network_namespace_is_used() -> None:
    # Not an assertion about the machine: a record, in the test log, of which layer is active here.
    print(f"unshare --net available: {network_namespace_available()}")


async def test_every_bundled_item_can_be_passed() -> None:
    """A gate is only meaningful if each item is passable: reference answers must score."""
    suites = {s.task: s for s in bundled_suites()}
    for item in suites["code-small"].code_items():
        completion = await run_python(code_program(item, item.reference, chat=False), FAST)
        assert completion.ok, (item.id, completion.output_tail)
        fenced = f"Sure:\n```python\n{item.prompt}{item.reference}```\n"
        assert (await run_python(code_program(item, fenced, chat=True), FAST)).ok, item.id
        # And the tests bite: an empty body fails.
        assert not (await run_python(code_program(item, "    pass\n", chat=False), FAST)).ok, item.id
    for json_item in suites["json-format"].json_items():
        assert set(json_item.equals) == set(json_item.keys), json_item.id
        assert score_json(json_item, json.dumps(json_item.equals)), json_item.id
