"""Small eval suites shipped with the probes, and how a deployment is scored on them.

A suite is a YAML file in this folder (see ``json_format.yaml``); its ``task`` becomes the claim
``eval:<task>``. Generation is greedy (temperature 0), so a score is repeatable for a given server. A
suite passes when ``score >= gate``; with random weights (the test server) every suite scores about 0
and fails its gate, and that is the honest result.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from catalog.evidence import EvalResult, Status
from probes.checks import CheckResult, Context
from probes.client import ClaimFailed
from probes.evidence import utc_now
from probes.sandbox import Limits, run_python
from probes.schema_check import validate

SUITES_DIR = Path(__file__).resolve().parent

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


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    version: str
    kind: Literal["json", "code"]
    gate: float = Field(ge=0, le=1)
    max_tokens: int = Field(gt=0)
    items: list[dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _items_match_kind(self) -> Suite:
        model: type[BaseModel] = JsonItem if self.kind == "json" else CodeItem
        problems = []
        for index, item in enumerate(self.items):
            try:
                model.model_validate(item)
            except ValidationError as exc:
                problems += [f"items[{index}].{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def json_items(self) -> list[JsonItem]:
        return [JsonItem.model_validate(i) for i in self.items]

    def code_items(self) -> list[CodeItem]:
        return [CodeItem.model_validate(i) for i in self.items]


class SuiteError(Exception):
    """A suite file that does not load; the message names the file."""


def load_suite(path: Path) -> Suite:
    try:
        return Suite.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or '(suite)'}: {e['msg']}" for e in exc.errors()]
        raise SuiteError(f"{path}: " + "; ".join(problems)) from None
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"{path}: {exc}") from None


def bundled_suites() -> list[Suite]:
    """Every suite shipped in this folder, ordered by task name."""
    return sorted((load_suite(p) for p in SUITES_DIR.glob("*.yaml")), key=lambda s: s.task)


# -- answers ------------------------------------------------------------------------------------------------
_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)(?:```|\Z)", re.DOTALL)


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


def score_json(item: JsonItem, answer: str) -> bool:
    value = first_json_object(answer)
    if not isinstance(value, dict) or set(value) != set(item.keys):
        return False
    schema = {"type": "object", "properties": {k: {"type": t} for k, t in item.keys.items()}}
    if validate(value, schema):
        return False
    return all(value.get(k) == v for k, v in item.equals.items())


def code_program(item: CodeItem, answer: str, *, chat: bool) -> str:
    """The script to run: the candidate function followed by the item's tests."""
    if chat:
        fenced = _FENCE.search(answer)
        code = fenced.group(1) if fenced else answer
        # A bare body (no def line) continues the prompt; a full definition stands alone.
        if not re.search(rf"^\s*def\s+{re.escape(item.entry_point)}\s*\(", code, re.MULTILINE):
            code = item.prompt + code
    else:
        code = item.prompt + answer
    return f"{code}\n\n{item.tests}\n"


_COMPLETION_STOPS = ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert "]


async def _generate(ctx: Context, prompt: str, max_tokens: int, *, chat: bool, stop: list[str] | None) -> str:
    body: dict[str, Any] = {"model": ctx.target.served_name, "max_tokens": max_tokens, "temperature": 0}
    if chat:
        body["messages"] = [{"role": "user", "content": prompt}]
        data = await ctx.client.post("/chat/completions", body)
        choice = (data.get("choices") or [{}])[0]
        content = (choice.get("message") or {}).get("content")
    else:
        body["prompt"] = prompt
        if stop:
            body["stop"] = stop
        data = await ctx.client.post("/completions", body)
        content = (data.get("choices") or [{}])[0].get("text")
    return content if isinstance(content, str) else ""


async def run_suite(ctx: Context, suite: Suite, limits: Limits | None = None) -> tuple[CheckResult, EvalResult]:
    """Score one suite on one deployment.

    An HTTP error on one item fails that item (and is named in the reason); an unreachable server
    raises ``Unreachable`` out of here, because a partial score would be misleading.
    """
    chat = "chat" in ctx.target.endpoints
    passed = 0
    http_failures: list[str] = []
    not_run: list[str] = []
    if suite.kind == "json":
        for json_item in suite.json_items():
            try:
                answer = await _generate(ctx, json_item.prompt, suite.max_tokens, chat=chat, stop=None)
            except ClaimFailed as exc:
                http_failures.append(f"{json_item.id}: {exc.reason}")
                continue
            passed += score_json(json_item, answer)
        n = len(suite.items)
    else:
        for code_item in suite.code_items():
            prompt = (
                "Complete this Python function. Reply with the whole function in one ```python block.\n\n"
                f"```python\n{code_item.prompt}```"
                if chat
                else code_item.prompt
            )
            try:
                answer = await _generate(ctx, prompt, suite.max_tokens, chat=chat, stop=_COMPLETION_STOPS)
            except ClaimFailed as exc:
                http_failures.append(f"{code_item.id}: {exc.reason}")
                continue
            result = await run_python(code_program(code_item, answer, chat=chat), limits)
            if result.refused is not None:
                not_run.append(f"{code_item.id}: {result.refused}")
            passed += result.ok
        n = len(suite.items)
    score = passed / n
    outcome = EvalResult(task=suite.task, version=suite.version, n=n, score=score, gate=suite.gate, date=utc_now())
    reasons = []
    if not outcome.passed:
        reasons.append(f"score {score:.2f} ({passed}/{n}) is below the gate {suite.gate:.2f}")
    if http_failures:
        reasons.append(f"{len(http_failures)} requests failed, first: {http_failures[0]}")
    if not_run:
        reasons.append(f"{len(not_run)} programs were not run, first: {not_run[0]}")
    result_status: Status = "pass" if outcome.passed else "fail"
    return (
        CheckResult(result_status, "; ".join(reasons) or None, round(score, 4), None),
        outcome,
    )


def claim(suite: Suite) -> str:
    return f"eval:{suite.task}"
