"""What a schema or rule error says, and the fix its hint names.

Pydantic's errors become `CatalogError`s in this project's words, at the line and column of the value,
with a hint by error type, else the field's own description, else the schema file. Rule violations become
`CatalogError`s at the line of the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from catalog.catalog import Origin
from catalog.errors import CatalogError, FieldPath, did_you_mean, format_path, schema_message
from catalog.file_reading import display
from catalog.rules import Violation
from catalog.yaml_source import Locator

#: The hint of an error that only a bug in this code can cause.
REPORT_BUG = "this is a bug in the catalog loader; report it together with the file"


def describe(exc: BaseException) -> str:
    """An unexpected exception in one line: its type and at most 200 characters of its text."""
    text = str(exc)
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def schema_errors(
    shown: str,
    exc: ValidationError,
    locator: Locator,
    model_type: type[BaseModel],
    folder: str | None,
    reported: list[FieldPath],
    schema: str | None = None,
) -> Iterable[CatalogError]:
    """One `CatalogError` per pydantic error of a file, at its value's line; `reported` paths are skipped (their
    values were already reported when the YAML was read). `schema` is the schema file a hint may name."""
    for err in exc.errors(include_url=False):
        loc: FieldPath = tuple(err["loc"])
        if any(loc[: len(path)] == path for path in reported):
            continue  # the value was already reported when the YAML was read
        line, column = locator.locate(loc)
        kind = err["type"]
        message = schema_message(err)
        ctx: dict[str, Any] = err.get("ctx") or {}
        hint: str | None = None
        if kind == "extra_forbidden":
            name = str(loc[-1])
            message = f"unknown field `{name}`"
            hint = did_you_mean(name, _field_names(model_type, loc[:-1])) or "remove it; the schema lists every field"
        elif kind == "missing":
            message = f"required field `{loc[-1]}` is missing"
            hint = f"add `{loc[-1]}:`"
        elif kind in ("enum", "literal_error"):
            choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            got = err.get("input")
            hint = (did_you_mean(got, choices) if isinstance(got, str) else None) or (
                f"use one of {', '.join(f'`{c}`' for c in choices)}" if choices else None
            )
        elif kind in ("value_error", "assertion_error") and "; " in message:
            # The schema's own checks say "what is wrong; what to do".
            message, hint = message.split("; ", 1)
        yield CatalogError(
            shown,
            line,
            column,
            format_path(loc),
            message,
            hint or _schema_hint(kind, message, ctx, _field_description(model_type, loc), folder, schema),
        )


#: Hints for pydantic's error types, by type; `{…}` fields come from the error's context.
_SCHEMA_HINTS = {
    "int_parsing": "write a whole number such as `8`, without quotes or units",
    "int_type": "write a whole number such as `8`, without quotes or units",
    "int_from_float": "write a whole number such as `8`, without quotes or units",
    "int_parsing_size": "the number is too large; check it for a typo",
    "float_parsing": "write a number such as `1.5`, without quotes or units",
    "float_type": "write a number such as `1.5`, without quotes or units",
    "finite_number": "write the actual figure; infinity and NaN are not catalog values",
    "bool_parsing": "write `true` or `false`",
    "bool_type": "write `true` or `false`",
    "string_type": "write text; quote it if YAML reads it as a number, a date or `yes`/`no`",
    "string_too_long": "shorten it to at most {max_length} characters",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
    "greater_than": "use a number greater than {gt}",
    "greater_than_equal": "use {ge} or more",
    "less_than": "use a number less than {lt}",
    "less_than_equal": "use {le} or less",
    "date_type": "write the date as YYYY-MM-DD, e.g. `2024-06-30`",
    "date_parsing": "write the date as YYYY-MM-DD, e.g. `2024-06-30`",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD, e.g. `2024-06-30`",
    "date_from_datetime_inexact": "write the date as YYYY-MM-DD, without a time",
    "datetime_type": "write the time as YYYY-MM-DDTHH:MM:SSZ, e.g. `2024-06-30T12:00:00Z`",
    "datetime_parsing": "write the time as YYYY-MM-DDTHH:MM:SSZ, e.g. `2024-06-30T12:00:00Z`",
    "datetime_from_date_parsing": "write the time as YYYY-MM-DDTHH:MM:SSZ, e.g. `2024-06-30T12:00:00Z`",
    "list_type": "write a list: `[a, b]`, or one `- item` line per entry",
    "set_type": "write a list: `[a, b]`, or one `- item` line per entry",
    "tuple_type": "write a list: `[a, b]`, or one `- item` line per entry",
    "dict_type": "write a mapping: indented `field: value` lines under this key",
    "model_type": "write a mapping: indented `field: value` lines under this key",
    "model_attributes_type": "write a mapping: indented `field: value` lines under this key",
}


#: "a recommendation needs `deployment` or `backend`", "an option needs `next` (another question) or `recommend` ..."
_NEEDS = re.compile(r"\bneeds `([^`]+)`(?:[^`]*? or `([^`]+)`)?")


def schema_file(root: Path, folder: str | None) -> str:
    """The JSON Schema of a folder's files as a hint names it: the catalog's own copy (`schemas/X.json`, what
    each file's first line points at) when it has one, else the copy in this package, so that a hint never
    names a file the catalog lacks."""
    name = f"{folder or 'site'}.json"
    return f"schemas/{name}" if (root / "schemas" / name).is_file() else str(_PACKAGE_SCHEMAS / name)


#: The JSON Schemas this package generates (`python -m catalog schema`).
_PACKAGE_SCHEMAS = Path(__file__).resolve().parent / "schemas"


def _schema_hint(
    kind: str,
    message: str,
    ctx: dict[str, Any],
    description: str | None,
    folder: str | None,
    schema: str | None = None,
) -> str:
    """The fix for one schema error: by error type, else the field's own description, else the schema file."""
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "write some text, or leave the field out" if minimum == 1 else f"write at least {minimum} characters"
    if kind == "string_pattern_mismatch" and description:
        return f"expected: {description}"
    if kind in ("value_error", "assertion_error"):
        # A check across fields (a model validator); the field description would not name the fix.
        needs = _NEEDS.search(message)
        if needs:
            first, second = needs.groups()
            return f"add `{first}:`" + (f" or `{second}:`" if second else "")
        if message.endswith(" twice"):
            return "remove the repeated entry"
        return "correct or remove one of the fields the message names, so that they agree"
    template = _SCHEMA_HINTS.get(kind)
    if template is not None:
        # `ge=0` on a float field arrives as 0.0; "use 0 or more" reads better.
        numbers = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()}
        try:
            return template.format(**numbers)
        except (KeyError, IndexError, ValueError):
            pass
    if description:
        return f"expected: {description}"
    schema = schema or (f"schemas/{folder}.json" if folder else "schemas/site.json")
    return f"change the value so that it meets the rule above; `{schema}` describes every field"


def _field_description(model_type: type[BaseModel], loc: FieldPath) -> str | None:
    """The schema's description of the field an error is about (its docstring or its type's description)."""
    current: Any = model_type
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            break
        found = current.model_fields.get(part)
        if found is None:
            break
        info = found
        current = _inner_model(found.annotation)
    description = info.description if info is not None else None
    return " ".join(description.split()) if description else None


def _field_names(model_type: type[BaseModel], parent: FieldPath) -> set[str]:
    """Field names of the sub-model at `parent`, for "did you mean" on unknown fields."""
    current: Any = model_type
    for part in parent:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return set()
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return set(current.model_fields)
    return set()


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside `X | None`, `list[X]` or `dict[str, X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def rule_error(root: Path, origins: dict[tuple[str, str], Origin], violation: Violation) -> CatalogError:
    """A rule's violation as a `CatalogError` at the line of the value it is about."""
    origin = origins[(violation.folder, violation.entity_id)]
    line, column = origin.locator.locate(violation.path)
    return CatalogError(
        display(root, origin.path),
        line,
        column,
        format_path(violation.path),
        violation.message,
        violation.hint,
    )
