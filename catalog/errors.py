"""Catalog errors: one record per problem, all collected before anything is reported."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
