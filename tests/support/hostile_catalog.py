"""A copy of the small catalog with attack text in every string field the schema accepts it in.

`schema_text_fields()` walks the pydantic models of every entity kind (catalog/collections.py ENTITY_KINDS)
and `SiteInfo`, and names each string field by its schema path (`Deployment.client_warnings[].message`).
`write_hostile_catalog()` copies tests/fixtures/small-catalog, puts a payload into every one of those fields
in every file (creating optional sub-objects and list items where a file has none), keeps a payload only
where the field's own type accepts it, and gives each field its own tag, so a page that runs or shows the
payload names the field it came from. Evidence text (claim reasons, run ids, eval names and the server's
version string) gets the same treatment in a copy of tests/fixtures/small-evidence.
"""

from __future__ import annotations

import json
import shutil
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from catalog import check_catalog
from catalog.collections import ENTITY_KINDS, SINGLETONS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
XSS_FLAG = "__pwned"


def one_line_payload(tag: str) -> str:
    """Attack text on one line (under the 300 characters of `OneLine`): an attribute list that runs script on
    page load, raw HTML, a `javascript:` link, an attribute list on a code span, a fence opener and an emoji."""
    run = f"window.{XSS_FLAG}='{tag}'"
    return (
        f"{tag} *y*{{: style=animation-name:pulse;animation-duration:1ms onanimationstart={run} data-mc-xss={tag} }}"
        f" <img src=x onerror={run} data-mc-xss={tag}> [go](javascript:{run}) `c`{{: data-mc-xss={tag} }} ```js :smile:"
    )


def line_break_payloads(tag: str) -> list[str]:
    """Attack text that needs a line break: a heading, a block of raw HTML, a fence, Mermaid statements and a
    content tab; separated by lone carriage returns (Markdown reads one as a line break), else line feeds."""
    run = f"window.{XSS_FLAG}='{tag}'"
    body = "BR".join(
        [
            f"{tag}",
            "",
            f"## MCHEAD-{tag} {{: data-mc-xss={tag} }}",
            "",
            f'<div data-mc-xss={tag}><img src=x onerror="{run}"></div>',
            "",
            "```",
            f"<img src=x onerror={run} data-mc-xss={tag}>",
            "```",
            '"] --> x',
            "click n_use_case call alert(1)",
            f'=== "MCTAB-{tag}"',
            "",
            f"    <img src=x onerror={run} data-mc-xss={tag}>",
        ]
    )
    short = f"{tag}BRBR## MCHEAD-{tag}"
    return [body.replace("BR", "\r"), body.replace("BR", "\n"), short.replace("BR", "\r"), short.replace("BR", "\n")]


@dataclass
class TextField:
    """One string field of the schema, e.g. `Deployment.summary` or `Fleet.servers[].label`."""

    path: str
    tag: str
    accepted: dict[str, str] = field(default_factory=dict)
    """Payload class -> one value the field took."""
    rejected: dict[str, str] = field(default_factory=dict)
    """Payload class -> the schema's message for it."""


def _strip(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """`X | None` and `Annotated[X, ...]` down to X, keeping the Annotated metadata."""
    metadata: tuple[Any, ...] = ()
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += tuple(extra)
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, metadata
            annotation = args[0]
        else:
            return annotation, metadata


def _shape(annotation: Any) -> tuple[str, Any]:
    """('text' | 'model' | 'list' | 'dict' | 'other', inner annotation)."""
    inner, _ = _strip(annotation)
    if inner is str:
        return "text", annotation
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "model", inner
    origin = get_origin(inner)
    if origin is list:
        return "list", get_args(inner)[0]
    if origin is dict:
        return "dict", get_args(inner)
    return "other", inner


def schema_text_fields() -> list[str]:
    """Every string field of every entity kind and of `site.yaml`, by schema path."""
    found: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        hints = typing.get_type_hints(model, include_extras=True)
        for name in model.model_fields:
            shape, inner = _shape(hints[name])
            path = f"{prefix}.{name}"
            if shape == "text":
                found.append(path)
            elif shape == "model":
                walk(inner, path)
            elif shape == "list":
                item_shape, item = _shape(inner)
                if item_shape == "text":
                    found.append(f"{path}[]")
                elif item_shape == "model":
                    walk(item, f"{path}[]")
            elif shape == "dict":
                key, value = inner
                if _shape(key)[0] == "text" and _strip(key)[1] == ():
                    found.append(f"{path}{{key}}")
                value_shape, value_inner = _shape(value)
                if value_shape == "text":
                    found.append(f"{path}{{}}")
                elif value_shape == "model":
                    walk(value_inner, f"{path}{{}}")

    for model in [*(kind.model for kind in ENTITY_KINDS), *SINGLETONS.values()]:
        walk(model, model.__name__)
    return sorted(set(found))


@dataclass
class HostileCatalog:
    catalog: Path
    evidence: Path
    fields: dict[str, TextField]
    evidence_tags: dict[str, str]
    """Evidence field -> its tag."""

    def tag_of(self, tag: str) -> str:
        """The schema path (or evidence field) a tag stands for."""
        for f in self.fields.values():
            if f.tag == tag:
                return f.path
        return next((name for name, t in self.evidence_tags.items() if t == tag), tag)


#: Required non-text values for sub-objects the fixture lacks, by schema path, so their text fields get filled.
SEEDS: dict[str, dict[str, Any]] = {
    "sources[]": {"source": "test-guide"},
    "source": {"source": "test-guide"},
    "Deployment.examples[]": {"endpoint": "chat"},
    "UseCase.example": {"endpoint": "chat"},
    "Deployment.inferred[]": {"field": "hardware.gpu"},
    "Model.inferred[]": {"field": "kind"},
    "Fleet.gateway_example": {"deployments": ["coder-chat", "ollama-llama3.1-8b"]},
    "Deployment.reported[]": {"claim": "endpoint:chat"},
}
#: Sub-objects never added where a file has none: they would change what the file claims.
NOT_CREATED = {"Deployment.fim"}


def _seed(path: str) -> dict[str, Any]:
    for suffix, seed in SEEDS.items():
        if path == suffix or path.endswith(f".{suffix}"):
            return json.loads(json.dumps(seed))
    return {}


class _Filler:
    def __init__(self, fields: dict[str, TextField], payloads: Callable[[str], list[str]], kind: str) -> None:
        self.fields = fields
        self.payloads = payloads
        self.kind = kind

    def _accept(self, path: str, annotation: Any, wrap: Callable[[str], Any]) -> Any | None:
        text_field = self.fields[path]
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        last = ""
        for payload in self.payloads(text_field.tag):
            value = wrap(payload)
            try:
                adapter.validate_python(value)
            except ValidationError as exc:
                last = exc.errors()[0]["msg"]
                continue
            text_field.accepted.setdefault(self.kind, payload)
            return value
        text_field.rejected.setdefault(self.kind, last)
        return None

    def fill(self, model: type[BaseModel], data: dict[str, Any], prefix: str) -> None:
        hints = typing.get_type_hints(model, include_extras=True)
        for name, info in model.model_fields.items():
            shape, inner = _shape(hints[name])
            # The field's own constraints (`Field(pattern=...)`) as well as its type's.
            annotation = Annotated[hints[name], *info.metadata] if info.metadata else hints[name]
            path = f"{prefix}.{name}"
            if shape == "text":
                value = self._accept(path, annotation, lambda p: p)
                if value is not None:
                    data[name] = value
                elif info.is_required() and name not in data:
                    data[name] = "plain text"  # so a new sub-object still carries its other fields' payloads
            elif shape == "model":
                self._fill_child(inner, data, name, path)
            elif shape == "list":
                item_shape, item = _shape(inner)
                if item_shape == "text":
                    value = self._accept(f"{path}[]", annotation, lambda p: [p])
                    if value is not None:
                        data[name] = value
                elif item_shape == "model":
                    items = list(data.get(name) or [])
                    created = not items
                    if created:
                        items.append(_seed(f"{path}[]"))
                    for index in range(len(items)):
                        self._fill_child(item, items, index, f"{path}[]", new=created)
                    data[name] = [i for i in items if i is not None]
                    if not data[name]:
                        del data[name]
            elif shape == "dict":
                _key, value_type = inner
                value_shape, value_inner = _shape(value_type)
                mapping = data.get(name)
                if value_shape == "text":
                    entry = self._accept(f"{path}{{}}", annotation, lambda p: {"column": p})
                    named = (
                        self._accept(f"{path}{{key}}", annotation, lambda p: {p: "text"})
                        if f"{path}{{key}}" in self.fields
                        else None
                    )
                    if entry or named:
                        data[name] = {**(mapping or {}), **(entry or {}), **(named or {})}
                elif value_shape == "model" and mapping:
                    for key_name in list(mapping):
                        self._fill_child(value_inner, mapping, key_name, f"{path}{{}}")

    def _fill_child(self, model: type[BaseModel], container: Any, key: Any, path: str, new: bool = False) -> None:
        """Fill an existing sub-object, or a new one (from its seed) that is kept only if it validates."""
        if new:
            original, child = None, container[key]
        else:
            present = isinstance(container, list) or key in container
            original = container[key] if present else None
            if original is not None and not isinstance(original, dict):
                return
            if original is None and path in NOT_CREATED:
                return
            child = dict(original) if original is not None else _seed(path)
        self.fill(model, child, path)
        try:
            model.model_validate(child)
        except ValidationError:
            # A new sub-object that does not validate is dropped; an existing one stays as it was.
            if original is None:
                if isinstance(container, list):
                    container[key] = None
                else:
                    container.pop(key, None)
            return
        container[key] = child


def _load(path: Path) -> tuple[str, dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    header = text.splitlines(keepends=True)[0] if text.startswith("#") else ""
    return header, yaml.safe_load(text) or {}


def write_hostile_catalog(tmp: Path, kind: str) -> HostileCatalog:
    """`kind` is `one-line` (one_line_payload) or `line-break` (line_break_payloads)."""
    payloads: Callable[[str], list[str]] = (
        (lambda tag: [one_line_payload(tag)]) if kind == "one-line" else line_break_payloads
    )
    fields = {path: TextField(path, f"MCF{index:03d}") for index, path in enumerate(schema_text_fields())}
    catalog = tmp / "catalog"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    filler = _Filler(fields, payloads, kind)
    originals: dict[Path, tuple[str, dict[str, Any]]] = {}
    models = {kind_.folder: kind_.model for kind_ in ENTITY_KINDS}
    for path in sorted(catalog.rglob("*.yaml")):
        relative = path.relative_to(catalog)
        model = SINGLETONS[path.name] if len(relative.parts) == 1 else models[relative.parts[0]]
        header, data = _load(path)
        originals[path] = (header, data)
        filled = json.loads(json.dumps(data, default=str))
        filler.fill(model, filled, model.__name__)
        path.write_text(header + yaml.safe_dump(filled, allow_unicode=True, sort_keys=False), encoding="utf-8")
    # Rules across entities (unique titles, references) may still refuse a file: such files go back as they were.
    for _ in range(len(originals)):
        _catalog, errors = check_catalog(catalog)
        if not errors:
            break
        for error in errors:
            path = Path(error.file)
            path = path if path.is_absolute() else Path.cwd() / path
            match = next((p for p in originals if p.resolve() == path.resolve()), None)
            assert match is not None, error.format()
            header, data = originals[match]
            match.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    else:
        raise AssertionError("the hostile catalog never validated")
    evidence, evidence_tags = _hostile_evidence(tmp, payloads)
    return HostileCatalog(catalog, evidence, fields, evidence_tags)


def _hostile_evidence(tmp: Path, payloads: Callable[[str], list[str]]) -> tuple[Path, dict[str, str]]:
    evidence = tmp / "evidence"
    shutil.copytree(FIXTURES / "small-evidence", evidence)
    tags = {
        "records[].reason": "MCE001",
        "server.version": "MCE002",
        "run_id": "MCE003",
        "evals[].task": "MCE004",
        "evals[].version": "MCE005",
    }
    for path in evidence.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for record in data.get("records", []):
            if record.get("status") != "pass":
                record["reason"] = payloads(tags["records[].reason"])[-1]
        data.setdefault("server", {})["version"] = payloads(tags["server.version"])[-1]
        data["run_id"] = payloads(tags["run_id"])[-1]
        for result in data.get("evals", []):
            result["task"] = payloads(tags["evals[].task"])[-1]
            result["version"] = payloads(tags["evals[].version"])[-1]
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    history = evidence / "history.jsonl"
    lines = []
    for line in history.read_text(encoding="utf-8").split("\n"):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # the fixture ends in a torn line, as a crashed write leaves one
            lines.append(line)
            continue
        if entry.get("reason"):
            entry["reason"] = payloads(tags["records[].reason"])[-1]
        entry["run_id"] = payloads(tags["run_id"])[-1]
        lines.append(json.dumps(entry, ensure_ascii=False))
    history.write_text("\n".join(lines), encoding="utf-8")
    return evidence, tags
