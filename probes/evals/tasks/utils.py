"""lm-eval hooks for the probes' own tasks: the local data, and how an answer is scored.

The task YAMLs beside this file name these functions (``!function utils.docs``); lm-eval loads this file
by its path. The probes import it too (``probes.evals``), so both score an answer the same way. Only the
standard library is imported up front: ``datasets`` when lm-eval asks for the documents, and the sandbox
(``probes/sandbox.py``, standard library only) when the first program is run.

Nothing is fetched: every task reads its items from a JSON Lines file in this folder. When the probes run a
task, this folder is a private copy of the pinned, hash-checked files (``probes/evals/pins.py``), and that
copy is what lm-eval reads, this file and ``code_runner.py`` included.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
SANDBOX_FILE = HERE.parent.parent / "sandbox.py"
"""Where the sandbox is when lm-eval runs this folder in the repository by hand; the probes' driver loads
``probes/sandbox.py`` itself before lm-eval reads the (copied) task folder."""
SANDBOX_MODULE = "probes_eval_sandbox"
"""The name the sandbox module is loaded under inside lm-eval's process (the driver asks it why it refused)."""
RUNNER_FILE = HERE / "code_runner.py"
"""The program the sandbox runs to score a code item (a pass: the tests ran to the end)."""

#: Fields of a json-format item that hold JSON values; the dataset carries them as JSON text, because
#: Arrow would merge the items' different keys into one struct and fill the gaps with nulls.
JSON_FIELDS = ("keys", "equals")

#: Where a plain continuation of a function body stops being that body.
COMPLETION_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ")

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)(?:```|\Z)", re.DOTALL)


# -- data ---------------------------------------------------------------------------------------------------
def read_rows(data: str) -> list[dict[str, Any]]:
    """The items of one task: ``data`` names a JSON Lines file in this folder."""
    path = HERE / data
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def docs(*, data: str, kind: str, **_: Any) -> Any:
    """``custom_dataset``: lm-eval calls it with the task's ``metadata`` (and the model's arguments)."""
    datasets = importlib.import_module("datasets")
    rows = read_rows(data)
    if kind == "json":
        rows = [{**row, **{f: json.dumps(row[f]) for f in JSON_FIELDS}} for row in rows]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# -- json-format ----------------------------------------------------------------------------------------------
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def first_json_object(text: str) -> Any:
    """The first JSON value that starts at a ``{`` in ``text``, or None."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        return value
    return None


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False  # JSON true is not a number, although Python's bool is an int
    return isinstance(value, _JSON_TYPES[name])


def json_answer_ok(keys: dict[str, str], equals: dict[str, Any], answer: str) -> bool:
    """The first ``{...}`` in the answer (code fences allowed) parses, has exactly ``keys`` with those
    JSON types, and holds the ``equals`` values."""
    value = first_json_object(answer)
    if not isinstance(value, dict) or set(value) != set(keys):
        return False
    if not all(_is_type(value[k], t) for k, t in keys.items()):
        return False
    return all(value.get(k) == v for k, v in equals.items())


def process_json(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    keys, equals = (json.loads(doc[f]) for f in JSON_FIELDS)
    return {"json_match": float(json_answer_ok(keys, equals, results[0]))}


# -- code-small -----------------------------------------------------------------------------------------------
def candidate_code(prompt: str, entry_point: str, answer: str, *, chat: bool | None = None) -> str:
    """The candidate's code: the function that the answer holds or continues.

    A chat answer may hold the function in a code fence, or the whole definition bare, or only a body;
    a completion continues the prompt and is cut where the body ends. ``chat=None`` (what lm-eval's
    hook uses: it is not told the endpoint) tells them apart by the answer itself.
    """
    defines = re.compile(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", re.MULTILINE)
    fenced = _FENCE.search(answer) if chat is not False else None
    if fenced:
        code = fenced.group(1)
    elif chat is not False and defines.search(answer):
        code = answer
    else:
        cuts = [i for i in (answer.find(stop) for stop in COMPLETION_STOPS) if i >= 0] if chat is not True else []
        code = answer[: min(cuts)] if cuts else answer
    if not defines.search(code):
        code = prompt + code
    return code


def code_program(prompt: str, entry_point: str, tests: str, answer: str, *, chat: bool | None = None) -> str:
    """The candidate followed by the item's tests, as one script for a reader. Scoring never runs this: an
    answer that exits early would pass it (``process_code`` runs the two apart, through ``code_runner.py``)."""
    return f"{candidate_code(prompt, entry_point, answer, chat=chat)}\n\n{tests}\n"


def sandbox() -> ModuleType:
    """``probes/sandbox.py``, loaded once by its path (lm-eval's process does not have the probes package)."""
    if module := sys.modules.get(SANDBOX_MODULE):
        return module
    spec = importlib.util.spec_from_file_location(SANDBOX_MODULE, SANDBOX_FILE)
    assert spec is not None and spec.loader is not None, SANDBOX_FILE
    module = importlib.util.module_from_spec(spec)
    sys.modules[SANDBOX_MODULE] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@cache
def runner_source() -> str:
    return RUNNER_FILE.read_text(encoding="utf-8")


async def run_code(prompt: str, entry_point: str, tests: str, answer: str, *, chat: bool | None = None) -> Any:
    """Score one answer in the sandbox: the sandbox's result, ``ok`` only when every test ran to the end."""
    code = candidate_code(prompt, entry_point, answer, chat=chat)
    return await sandbox().run_tests(code, tests, entry_point, runner=runner_source())


def process_code(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Run the answer against the item's tests in the bubblewrap sandbox: ``pass@1`` when the runner ran
    every test to the end (``code_runner.py``), not merely when something exited 0.

    Where the sandbox does not work the program is not run at all (never unconfined): the item fails
    and counts in ``not_run``.
    """
    outcome = asyncio.run(run_code(doc["prompt"], doc["entry_point"], doc["tests"], results[0]))
    return {"pass@1": float(outcome.ok), "not_run": float(outcome.refused is not None)}
