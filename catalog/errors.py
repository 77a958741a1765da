"""Catalog errors: one record per problem, all collected before anything is reported."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A field path as pydantic reports it: keys and list indices.
FieldPath = tuple[str | int, ...]


def format_path(path: FieldPath) -> str:
    """`("picks", 2, "deployment")` -> `picks[2].deployment`; the empty path is `<file>`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<file>"


@dataclass(frozen=True, order=True)
class CatalogError:
    """One problem in one file, at a line and column, with the fix a maintainer should make.

    The hint is required: every message a maintainer sees names what to do about it.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str

    def format(self) -> str:
        """`FILE:LINE:COL: field.path: message (hint: …)`, the shape editors and CI logs link.

        Control characters and undecodable bytes (from file names or values) are escaped, so the
        line prints on any terminal and can neither break the one-error-per-line shape nor fail to encode.
        """
        text = f"{self.file}:{self.line}:{self.column}: {self.path}: {self.message} (hint: {self.hint})"
        if text.isprintable():
            return text
        return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


class CatalogInvalid(Exception):
    """Raised with every error of a catalog at once, sorted by file and line."""

    def __init__(self, errors: Sequence[CatalogError]) -> None:
        self.errors = sorted(errors)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [e.format() for e in self.errors]
        lines.append(f"{len(self.errors)} error(s) in the catalog.")
        return "\n".join(lines)


def did_you_mean(wrong: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest valid choice, or None when nothing is close."""
    match = difflib.get_close_matches(wrong, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


#: What a schema error says, in this project's words, by pydantic's error type; `{…}` fields come from the
#: error's context. Pydantic's own wording changes between releases, and a message a maintainer reads (and a
#: test pins) should not; a type missing here falls back to pydantic's text.
_SCHEMA_MESSAGES = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be {le} or less",
    "multiple_of": "must be a multiple of {multiple_of}",
    "finite_number": "must be a finite number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number, not a fraction",
    "int_parsing_size": "is too large a number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be `true` or `false`",
    "bool_type": "must be `true` or `false`",
    "string_type": "must be text",
    "string_too_short": "must be at least {min_length} character(s) long",
    "string_too_long": "must be at most {max_length} characters long",
    "string_pattern_mismatch": "does not match the pattern `{pattern}`",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list",
    "too_short": "must hold at least {min_length} item(s)",
    "too_long": "must hold at most {max_length} item(s)",
    "dict_type": "must be a mapping of fields",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "date_type": "must be a date",
    "date_parsing": "is not a valid date",
    "date_from_datetime_parsing": "is not a valid date",
    "date_from_datetime_inexact": "must be a date without a time",
    "datetime_type": "must be a date and time",
    "datetime_parsing": "is not a valid date and time",
    "datetime_from_date_parsing": "is not a valid date and time",
    "timezone_aware": "must name its time zone",
    "none_required": "must be left out",
}


def schema_message(error: Mapping[str, Any]) -> str:
    """The message for one of pydantic's `ValidationError.errors()`, in this project's words."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if choices:
            return "must be one of " + ", ".join(f"`{choice}`" for choice in choices)
    template = _SCHEMA_MESSAGES.get(kind)
    if template is not None:
        # `ge=0` on a float field arrives as 0.0; "0 or more" reads better.
        numbers = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()}
        try:
            return template.format(**numbers)
        except (KeyError, IndexError):
            pass
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
