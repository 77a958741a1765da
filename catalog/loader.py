"""Loading a catalog directory: every file checked, every error collected, then one verdict.

`load_catalog` either returns a fully valid `Catalog` or raises `CatalogInvalid`
holding every problem of every file, so a maintainer fixes them all in one go.
`check_catalog` never raises: whatever is on disk (devices, symlink loops, binary
files, hostile YAML) comes back as a `CatalogError` naming the file.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from catalog.catalog import Catalog, Origin
from catalog.collections import COLLECTIONS, SINGLETONS, schema_ref
from catalog.errors import CatalogError, CatalogInvalid, FieldPath, did_you_mean, format_path, schema_message
from catalog.forking import can_fork
from catalog.rules import Known, Violation, check_rules
from catalog.schema import SiteInfo
from catalog.types import ENTITY_ID_PATTERN
from catalog.yaml_source import (
    MAX_FILE_BYTES,
    PARSE_AHEAD_MIN_FILES,
    Locator,
    YamlProblem,
    discard_parsed_ahead,
    load_parse_cache,
    parse_ahead,
    parse_workers,
    read_catalog_yaml,
    save_parse_cache,
)

#: The bundled catalog: the data folders sit beside this package's modules.
BUNDLED_CATALOG = Path(__file__).resolve().parent
_ID = re.compile(ENTITY_ID_PATTERN)
_IGNORED_DIRS = {"schemas", "__pycache__"}
_YAML_SUFFIXES = (".yaml", ".yml")
_BOM = b"\xef\xbb\xbf"
#: Never follow a link at open time (links are resolved and checked first), never block on a FIFO
#: that appeared after the directory listing, never translate line ends (Windows).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
#: How a directory listing classified a `.yaml` entry (from `d_type`, without a system call).
_REGULAR, _LINK, _SPECIAL = "regular", "link", "special"
#: A file whose schema validation failed is retried with the offending fields removed, so its
#: reference errors still come out in this pass. A few rounds settle nested failures.
_REPAIR_ROUNDS = 4
_REPORT_BUG = "this is a bug in the catalog loader; report it together with the file"


def default_catalog_dir() -> Path:
    """`$CATALOG_DIR` if set, else the bundled catalog."""
    return Path(os.environ["CATALOG_DIR"]) if os.environ.get("CATALOG_DIR") else BUNDLED_CATALOG


def load_catalog(root: Path | None = None) -> Catalog:
    """Load and validate every file under `root`; raise `CatalogInvalid` listing all errors."""
    catalog, errors = check_catalog(root)
    if errors or catalog is None:
        raise CatalogInvalid(errors)
    return catalog


def check_catalog(root: Path | None = None) -> tuple[Catalog | None, list[CatalogError]]:
    """Validate a catalog; return it (when valid) and every error found. Never raises for bad input."""
    # Loading creates hundreds of thousands of small, acyclic objects; the cyclic garbage
    # collector would rescan them again and again (two thirds of the time for 3000 models).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        # Files whose bytes were read before (any catalog, any run) are not composed again.
        load_parse_cache()
        result = _check_catalog(root)
        save_parse_cache()
        return result
    except Exception as exc:
        # Last line of defence: every known bad input has its own message; anything else still
        # comes out as a message naming the catalog, never as a traceback.
        shown = str(root or default_catalog_dir())
        return None, [
            CatalogError(shown, 1, 1, "<file>", f"the catalog could not be checked: {_describe(exc)}", _REPORT_BUG)
        ]
    finally:
        discard_parsed_ahead()
        if was_enabled:
            gc.enable()


@dataclass
class _Tainted:
    """An entity from a file that has errors, validated after removing its offending values."""

    entity: BaseModel
    removed: list[FieldPath]
    """Field paths whose values were reported and left out; rule results under them are not trusted."""


@dataclass
class _Found:
    """Everything read from the files, before the cross-entity rules run."""

    root: Path
    errors: list[CatalogError] = field(default_factory=list)
    entities: dict[str, dict[str, BaseModel]] = field(default_factory=lambda: {f: {} for f in COLLECTIONS})
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)
    known: dict[str, set[str]] = field(default_factory=lambda: {f: set() for f in COLLECTIONS})
    tainted: dict[tuple[str, str], _Tainted] = field(default_factory=dict)
    site: SiteInfo | None = None


def _check_catalog(root_arg: Path | None) -> tuple[Catalog | None, list[CatalogError]]:
    given = root_arg or default_catalog_dir()
    # os.path, not pathlib: Path.resolve raises on a symlink loop, Path.is_dir on a name too long.
    root = Path(os.path.realpath(given))
    if not os.path.isdir(root):  # noqa: PTH112
        exists = os.path.lexists(given)
        return None, [
            CatalogError(
                str(root if exists else given),
                1,
                1,
                "<file>",
                "the catalog path is not a directory" if exists else "catalog directory does not exist",
                "pass --catalog DIR or set CATALOG_DIR",
            )
        ]
    found = _Found(root)
    listed = list(_catalog_files(root, found.errors))
    workers = parse_workers()
    if workers > 1 and len(listed) >= PARSE_AHEAD_MIN_FILES and can_fork():
        # Only files the loader will read: plain files in their place under a valid name.
        # What they report is reported again, in order, by the loader's own pass below.
        placed = [p for p, kind in listed if kind == _REGULAR and _placement(root, p, "", []) is not None]
        parse_ahead([raw for path in placed if (raw := _read_file(root, path, _REGULAR, "", []))], workers)
    for path, kind in listed:
        try:
            _load_file(found, path, kind)
        except Exception as exc:
            found.errors.append(
                CatalogError(
                    _display(root, path),
                    1,
                    1,
                    "<file>",
                    f"the file could not be checked: {_describe(exc)}",
                    _REPORT_BUG,
                )
            )

    errors = found.errors
    site = found.site
    site_reported = ("", "site") in found.tainted or any(e.file.endswith("site.yaml") for e in errors)
    if site is None and not site_reported:
        errors.append(
            CatalogError(
                _display(root, root / "site.yaml"),
                1,
                1,
                "<file>",
                "the catalog has no site.yaml",
                "add site.yaml with at least `title` and `tagline`",
            )
        )

    # The rules over every valid entity. Without a valid site.yaml they still run, against an empty
    # stand-in, minus the checks that read the site (gateways), which would all fail spuriously.
    catalog = _make_catalog(root, site or _placeholder_site(), found.entities, found.origins)
    for violation in _run_rules(catalog, Known(found.known), errors, trusted=site is not None):
        if site is None and _reads_the_site(violation):
            continue
        errors.append(_rule_error(root, found.origins, violation))

    # The reference errors of files that failed validation, checked on what validated after removal.
    if found.tainted:
        errors.extend(_tainted_reference_errors(found, site))
    if errors:
        return None, sorted(set(errors))
    assert site is not None
    return catalog, []


def _load_file(found: _Found, path: Path, kind: str) -> None:
    root, errors = found.root, found.errors
    shown = _display(root, path)
    placement = _placement(root, path, shown, errors)
    if placement is None:
        return
    folder, entity_id = placement
    if folder:
        found.known[folder].add(entity_id)
    model_type = COLLECTIONS[folder] if folder else SINGLETONS[path.name]
    raw = _read_file(root, path, kind, shown, errors)
    if raw is None:
        return
    key = (folder, entity_id)
    memo_key = (model_type, raw)
    remembered = _validated.get(memo_key)
    if remembered is not None:
        found.origins[key] = Origin(path, Locator(text=raw.decode("utf-8").removeprefix("\ufeff")))
        _keep(found, folder, entity_id, remembered)
        return
    errors_before = len(errors)
    _check_schema_line(raw, folder or None, shown, errors)
    try:
        data, locator, problems = read_catalog_yaml(raw)
    except YamlProblem as problem:
        errors.append(
            CatalogError(shown, problem.line, problem.column, format_path(problem.path), problem.message, problem.hint)
        )
        return
    bad_paths = [p.path for p in problems]
    for p in problems:
        errors.append(CatalogError(shown, p.line, p.column, format_path(p.path), p.message, p.hint))
    entity: BaseModel
    try:
        entity = model_type.model_validate(data)
    except ValidationError as exc:
        schema = _schema_file(root, folder or None)
        errors.extend(_pydantic_errors(shown, exc, locator, model_type, folder or None, bad_paths, schema))
        repaired, removed = _repair(model_type, data, exc)
        if repaired is None:
            return
        entity = repaired
        bad_paths += removed
    origin = Origin(path, locator)
    if bad_paths:
        found.tainted[key] = _Tainted(entity, bad_paths)
        found.origins[key] = origin
        return
    found.origins[key] = origin
    _keep(found, folder, entity_id, entity)
    if len(errors) == errors_before:
        if len(_validated) >= _VALIDATED_ENTRIES:
            _validated.clear()
        _validated[memo_key] = entity


#: Entities validated by this process, by their model and their file's exact bytes (files without errors
#: only). The models are frozen, so a later load can share them: `mkdocs serve` reloads the catalog on every
#: rebuild, and an edit changes one file. Placement (folder, id) is checked before this is consulted.
_validated: dict[tuple[type[BaseModel], bytes], BaseModel] = {}
_VALIDATED_ENTRIES = 50_000


def _keep(found: _Found, folder: str, entity_id: str, entity: BaseModel) -> None:
    if folder:
        found.entities[folder][entity_id] = entity
    else:
        assert isinstance(entity, SiteInfo)
        found.site = entity


# --------------------------------------------------------------------------- finding and reading files


def _catalog_files(root: Path, errors: list[CatalogError]) -> Iterator[tuple[Path, str]]:
    """Every `.yaml`/`.yml` entry under root, depth first in name order, with how it was listed.

    The walk is iterative (os.walk recurses once per level in Python 3.11) and reads each
    entry's type from the directory listing, so a regular file costs no extra system call.
    Folder symlinks are reported instead of being skipped in silence.
    """
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            errors.append(
                CatalogError(
                    _display(root, Path(folder)),
                    1,
                    1,
                    "<file>",
                    f"cannot list the folder: {exc.strerror or exc}",
                    "make the folder readable (`chmod a+rx`), or remove it",
                )
            )
            continue
        subfolders: list[str] = []
        for entry in entries:
            name = entry.name
            is_yaml = name.endswith(_YAML_SUFFIXES)
            try:
                if entry.is_symlink():
                    if is_yaml:
                        yield Path(entry.path), _LINK
                    elif name not in _IGNORED_DIRS and not name.startswith(".") and entry.is_dir():
                        errors.append(_folder_link_error(root, Path(entry.path)))
                elif entry.is_dir(follow_symlinks=False):
                    if name not in _IGNORED_DIRS and not name.startswith("."):
                        subfolders.append(entry.path)
                elif is_yaml:
                    yield Path(entry.path), _REGULAR if entry.is_file(follow_symlinks=False) else _SPECIAL
            except OSError:
                # The type could not be read from the listing; opening the file will say why.
                if is_yaml:
                    yield Path(entry.path), _REGULAR
        pending.extend(reversed(subfolders))


def _folder_link_error(root: Path, path: Path) -> CatalogError:
    target = os.path.realpath(path)
    if _inside(root, target):
        message = f"folder symlink to `{_display(root, Path(target))}` is not followed"
        hint = "replace the link with the folder itself"
    else:
        message = f"symlink leaves the catalog directory: the folder link points to `{target}`"
        hint = "copy the folder into the catalog; links may only point inside it"
    return CatalogError(_display(root, path), 1, 1, "<file>", message, hint)


def _inside(root: Path, target: str) -> bool:
    return target.startswith(str(root) + os.sep)


def _read_file(root: Path, path: Path, kind: str, shown: str, errors: list[CatalogError]) -> bytes | None:
    """The file's bytes, or None after recording why it was not read (special, linked away, too big...)."""

    def refuse(message: str, hint: str) -> None:
        errors.append(CatalogError(shown, 1, 1, "<file>", message, hint))

    target = str(path)
    if kind == _LINK:
        followed = _follow_link(root, path)
        if isinstance(followed, tuple):
            refuse(*followed)
            return None
        target = followed
    elif kind == _SPECIAL:
        try:
            mode = path.lstat().st_mode
        except OSError as exc:
            refuse(*_unreadable(exc))
            return None
        refuse(*_not_regular(_file_kind(mode)))
        return None
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except OSError as exc:
        refuse(*_unreadable(exc))
        return None
    try:
        st = os.fstat(fd)
        # Checked again on the open file: the entry may have been replaced since it was listed.
        if not stat.S_ISREG(st.st_mode):
            refuse(*_not_regular(_file_kind(st.st_mode)))
            return None
        if st.st_size > MAX_FILE_BYTES:
            refuse(*_too_large(st.st_size))
            return None
        raw = _read_fd(fd, st.st_size)
    except OSError as exc:
        refuse(*_unreadable(exc))
        return None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        refuse(*_too_large(len(raw)))
        return None
    return raw


def _read_fd(fd: int, size: int) -> bytes:
    """Read to the end, but never more than one byte past the limit (the file may grow while read)."""
    parts = [os.read(fd, min(size, MAX_FILE_BYTES) + 1)]
    total = len(parts[0])
    while total <= MAX_FILE_BYTES:
        chunk = os.read(fd, min(1 << 16, MAX_FILE_BYTES + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _follow_link(root: Path, path: Path) -> str | tuple[str, str]:
    """The real path a `.yaml` symlink leads to, or (message, hint) saying why it is refused."""
    try:
        link = str(path.readlink())
    except OSError:
        link = "?"
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return (
                f"symlink loop: `{path.name}` -> `{link}` never reaches a file",
                "replace the link with the file it should point to",
            )
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return (
                f"dangling symlink: it points to `{link}`, which does not exist",
                "point the link at an existing file inside the catalog, or delete it",
            )
        return _unreadable(exc)
    target = os.path.realpath(path)
    kind = _file_kind(st.st_mode)
    if not _inside(root, target):
        what = f" ({kind})" if kind else ""
        return (
            f"symlink leaves the catalog directory: it points to `{target}`{what}",
            "copy the file into the catalog; links may only point inside it",
        )
    if kind:
        return _not_regular(f"{kind} (through the symlink to `{_display(root, Path(target))}`)")
    return target


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words; empty for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _not_regular(kind: str) -> tuple[str, str]:
    return (
        f"not a regular file: it is {kind}, so it was not read",
        "catalog entries are regular YAML files; delete it or replace it with one",
    )


def _unreadable(exc: OSError) -> tuple[str, str]:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot read the file: permission denied", "make it readable (`chmod a+r FILE`)"
    return (
        f"cannot read the file: {exc.strerror or exc}",
        "check that the file exists and is readable, then run the check again",
    )


def _too_large(size: int) -> tuple[str, str]:
    return (
        f"the file is {size / 1024 / 1024:.1f} MiB; a catalog file may be at most {MAX_FILE_BYTES // 1024 // 1024} MiB,"
        " so it was not read",
        "a catalog entry is a few KiB of YAML; check that this is the right file, or split it into several entries",
    )


def _check_schema_line(raw: bytes, folder: str | None, shown: str, errors: list[CatalogError]) -> None:
    """Line 1 names the JSON Schema; checked on the bytes, so it is reported even when the YAML is broken."""
    expected = f"# yaml-language-server: $schema={schema_ref(folder)}"
    end = raw.find(b"\n")
    first_line = (raw if end < 0 else raw[:end]).removeprefix(_BOM).rstrip(b"\r")
    if first_line != expected.encode():
        errors.append(
            CatalogError(
                shown,
                1,
                1,
                "<file>",
                "the first line must name the JSON Schema for editors",
                f"make line 1 `{expected}`",
            )
        )


def _display(root: Path, path: Path) -> str:
    """File names in messages are relative to the working directory when possible."""
    # os.path is used on purpose: pathlib.relative_to was a tenth of the load time for large catalogs.
    try:
        cwd = os.getcwd()  # noqa: PTH109
    except OSError:  # the working directory was deleted
        return str(path)
    return os.path.relpath(path, cwd) if str(path).startswith(cwd + os.sep) else str(path)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if len(text) > 200:
        text = text[:200] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_FOLDERS_TEXT = ", ".join(f"{f}/" for f in COLLECTIONS)


def _placement(root: Path, path: Path, shown: str, errors: list[CatalogError]) -> tuple[str, str] | None:
    """(folder, id) of a file, or None after recording why it is misplaced or misnamed."""
    relative = path.relative_to(root)
    if path.suffix == ".yml":
        errors.append(
            CatalogError(shown, 1, 1, "<file>", "catalog files end in `.yaml`", f"rename it to `{path.stem}.yaml`")
        )
        return None
    folders = _FOLDERS_TEXT
    if len(relative.parts) == 1:
        if relative.name in SINGLETONS:
            return "", relative.stem
        errors.append(
            CatalogError(
                shown,
                1,
                1,
                "<file>",
                "file in the wrong folder: only site.yaml sits at the catalog root",
                f"move it into one of {folders}",
            )
        )
        return None
    folder = relative.parts[0]
    if len(relative.parts) > 2 or folder not in COLLECTIONS:
        guess = did_you_mean(folder, COLLECTIONS)
        errors.append(
            CatalogError(
                shown,
                1,
                1,
                "<file>",
                f"file in the wrong folder: `{relative.parent}/` is not a catalog folder",
                guess or f"move it into one of {folders}",
            )
        )
        return None
    entity_id = path.stem
    if not _ID.match(entity_id):
        suggestion = re.sub(r"[^a-z0-9._-]+", "-", entity_id.lower()).strip("-._")
        errors.append(
            CatalogError(
                shown,
                1,
                1,
                "<file>",
                f"file name `{path.name}` is not a valid id (lower-case letters, digits, '.', '_', '-')",
                f"rename it to `{suggestion}.yaml`" if suggestion else "rename it to its id, e.g. `my-model.yaml`",
            )
        )
        return None
    return folder, entity_id


# --------------------------------------------------------------------------- schema errors


def _pydantic_errors(
    shown: str,
    exc: ValidationError,
    locator: Locator,
    model_type: type[BaseModel],
    folder: str | None,
    reported: list[FieldPath],
    schema: str | None = None,
) -> Iterable[CatalogError]:
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


def _schema_file(root: Path, folder: str | None) -> str:
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


def _repair(
    model_type: type[BaseModel], data: dict[str, Any], exc: ValidationError
) -> tuple[BaseModel | None, list[FieldPath]]:
    """Validate again without the values that failed, so the file's other checks can still run.

    Each failing value is removed: a whole list rather than one item (so later items keep their
    indices and their lines), the enclosing mapping for a missing field. A file that cannot be
    repaired without removing the whole document gives None. `data` is consumed.
    """
    removed: list[FieldPath] = []
    for _ in range(_REPAIR_ROUNDS):
        targets: set[FieldPath] = set()
        for err in exc.errors(include_url=False):
            target = _removal_target(data, tuple(err["loc"]))
            if not target:
                return None, removed
            targets.add(target)
        for target in sorted(targets, key=len):
            _remove(data, target)
        removed.extend(targets)
        try:
            return model_type.model_validate(data), removed
        except ValidationError as again:
            exc = again
    return None, removed


def _removal_target(data: dict[str, Any], loc: FieldPath) -> FieldPath:
    """The longest prefix of `loc` present in `data`, cut before its first list index."""
    current: Any = data
    target: list[str] = []
    for part in loc:
        if not isinstance(part, str) or not isinstance(current, dict) or part not in current:
            break
        target.append(part)
        current = current[part]
    return tuple(target)


def _remove(data: dict[str, Any], path: FieldPath) -> None:
    current: Any = data
    for part in path[:-1]:
        current = current.get(part) if isinstance(current, dict) else None
    if isinstance(current, dict):
        current.pop(path[-1], None)


# --------------------------------------------------------------------------- cross-entity rules


def _make_catalog(
    root: Path, site: SiteInfo, entities: dict[str, dict[str, BaseModel]], origins: dict[tuple[str, str], Origin]
) -> Catalog:
    return Catalog(
        root=root,
        site=site,
        origins=origins,
        **{folder.replace("-", "_"): dict(sorted(items.items())) for folder, items in entities.items()},  # type: ignore[arg-type]
    )


def _run_rules(catalog: Catalog, known: Known, errors: list[CatalogError], *, trusted: bool) -> list[Violation]:
    """The rules' results; a rule that crashes is reported once, without losing the files' own errors.

    On a catalog with a stand-in site or repaired entities (`trusted=False`) a crash can come from the
    stand-in itself, so it is only skipped: those files' errors already say what to fix first.
    """
    try:
        return check_rules(catalog, known)
    except Exception as exc:
        if trusted:
            errors.append(
                CatalogError(
                    _display(catalog.root, catalog.root),
                    1,
                    1,
                    "<file>",
                    f"the cross-file checks could not run: {_describe(exc)}",
                    _REPORT_BUG,
                )
            )
        return []


def _placeholder_site() -> SiteInfo:
    """An empty site for running the rules while site.yaml is missing or invalid (not validated on purpose)."""
    return SiteInfo.model_construct(title="", tagline="")


def _reads_the_site(violation: Violation) -> bool:
    """Rules about gateways compare against site.yaml's `gateways:`; without a valid one they cannot be trusted."""
    return violation.path[:1] == ("gateway",) or "gateway" in violation.message


def _rule_error(root: Path, origins: dict[tuple[str, str], Origin], violation: Violation) -> CatalogError:
    origin = origins[(violation.folder, violation.entity_id)]
    line, column = origin.locator.locate(violation.path)
    return CatalogError(
        _display(root, origin.path),
        line,
        column,
        format_path(violation.path),
        violation.message,
        violation.hint or _rule_hint(violation),
    )


def _rule_hint(violation: Violation) -> str:
    """A fix for the few rule results that come without one (no close match to suggest)."""
    last = violation.path[-1] if violation.path else ""
    if last == "root":
        return "set `root` to the id of one of the questions under `nodes:`"
    if last == "next":
        return "point `next` at the id of a question under `nodes:`, or answer with `recommend:` instead"
    return "change the value so that the rule above holds"


def _tainted_reference_errors(found: _Found, site: SiteInfo | None) -> Iterable[CatalogError]:
    """Reference errors ("unknown model `x`") of files that also have schema errors.

    The rules run on those files' repaired entities alone. Only references to other files are
    reported: they compare a value exactly as written against ids that do not depend on the repair.
    Anything else (claims, tree shape, a reference to a node of the same file) could be an
    artefact of the values that were removed, and comes out once the schema errors are fixed.
    """
    entities: dict[str, dict[str, BaseModel]] = {folder: {} for folder in COLLECTIONS}
    repaired_site = site
    for (folder, entity_id), tainted in found.tainted.items():
        if folder:
            entities[folder][entity_id] = tainted.entity
        elif isinstance(tainted.entity, SiteInfo):
            repaired_site = tainted.entity
    catalog = _make_catalog(found.root, repaired_site or _placeholder_site(), entities, found.origins)
    for violation in _run_rules(catalog, Known(found.known), found.errors, trusted=False):
        owner = found.tainted.get((violation.folder, violation.entity_id))
        if owner is None or not violation.message.startswith("unknown "):
            continue
        if any(violation.path[: len(path)] == path for path in owner.removed):
            continue
        if violation.message.startswith("unknown node") and any(p[:1] == ("nodes",) for p in owner.removed):
            continue
        if site is None and _reads_the_site(violation):
            continue
        yield _rule_error(found.root, found.origins, violation)
