"""Loading a catalog directory: every file checked, every error collected, then one verdict.

This module orchestrates; reading files safely is `catalog.file_reading`, and what a schema or rule error
says is `catalog.messages`.

`load_catalog` either returns a fully valid `Catalog` or raises `CatalogInvalid`
holding every problem of every file, so a maintainer fixes them all in one go.
`check_catalog` never raises: whatever is on disk (devices, symlink loops, binary
files, hostile YAML) comes back as a `CatalogError` naming the file.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from catalog.catalog import Catalog, Origin, attribute_of
from catalog.collections import COLLECTIONS, SINGLETONS, schema_ref
from catalog.errors import CatalogError, CatalogInvalid, FieldPath, did_you_mean, format_path
from catalog.file_reading import REGULAR, catalog_files, display, read_file
from catalog.forking import can_fork
from catalog.messages import REPORT_BUG, describe, rule_error, schema_errors, schema_file
from catalog.rules import GATEWAY_KINDS, REFERENCE_KINDS, Known, Violation, ViolationKind, check_rules
from catalog.schema import SiteInfo
from catalog.types import ENTITY_ID_PATTERN
from catalog.yaml_source import (
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
_BOM = b"\xef\xbb\xbf"
#: A file whose schema validation failed is retried with the offending fields removed, so its
#: reference errors still come out in this pass. A few rounds settle nested failures.
_REPAIR_ROUNDS = 4


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
            CatalogError(shown, 1, 1, "<file>", f"the catalog could not be checked: {describe(exc)}", REPORT_BUG)
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
    listed = list(catalog_files(root, found.errors))
    workers = parse_workers()
    if workers > 1 and len(listed) >= PARSE_AHEAD_MIN_FILES and can_fork():
        # Only files the loader will read: plain files in their place under a valid name.
        # What they report is reported again, in order, by the loader's own pass below.
        placed = [p for p, kind in listed if kind == REGULAR and _placement(root, p, "", []) is not None]
        parse_ahead([raw for path in placed if (raw := read_file(root, path, REGULAR, "", []))], workers)
    for path, kind in listed:
        try:
            _load_file(found, path, kind)
        except Exception as exc:
            found.errors.append(
                CatalogError(
                    display(root, path),
                    1,
                    1,
                    "<file>",
                    f"the file could not be checked: {describe(exc)}",
                    REPORT_BUG,
                )
            )

    errors = found.errors
    site = found.site
    site_reported = ("", "site") in found.tainted or any(e.file.endswith("site.yaml") for e in errors)
    if site is None and not site_reported:
        errors.append(
            CatalogError(
                display(root, root / "site.yaml"),
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
        errors.append(rule_error(root, found.origins, violation))

    # The reference errors of files that failed validation, checked on what validated after removal.
    if found.tainted:
        errors.extend(_tainted_reference_errors(found, site))
    if errors:
        return None, sorted(set(errors))
    assert site is not None
    return catalog, []


def _load_file(found: _Found, path: Path, kind: str) -> None:
    root, errors = found.root, found.errors
    shown = display(root, path)
    placement = _placement(root, path, shown, errors)
    if placement is None:
        return
    folder, entity_id = placement
    if folder:
        found.known[folder].add(entity_id)
    model_type = COLLECTIONS[folder] if folder else SINGLETONS[path.name]
    raw = read_file(root, path, kind, shown, errors)
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
        schema = schema_file(root, folder or None)
        errors.extend(schema_errors(shown, exc, locator, model_type, folder or None, bad_paths, schema))
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


# --------------------------------------------------------------------------- where a file belongs


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


# --------------------------------------------------------------------------- repairing a file with schema errors


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
        **{attribute_of(folder): dict(sorted(items.items())) for folder, items in entities.items()},  # type: ignore[arg-type]
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
                    display(catalog.root, catalog.root),
                    1,
                    1,
                    "<file>",
                    f"the cross-file checks could not run: {describe(exc)}",
                    REPORT_BUG,
                )
            )
        return []


def _placeholder_site() -> SiteInfo:
    """An empty site for running the rules while site.yaml is missing or invalid (not validated on purpose)."""
    return SiteInfo.model_construct(title="", tagline="")


def _reads_the_site(violation: Violation) -> bool:
    """Rules about gateways compare against site.yaml's `gateways:`; without a valid one they cannot be trusted."""
    return violation.kind in GATEWAY_KINDS


def _tainted_reference_errors(found: _Found, site: SiteInfo | None) -> Iterable[CatalogError]:
    """Reference errors ("unknown model `x`") of files that also have schema errors.

    The rules run on those files' repaired entities alone. Only references (`REFERENCE_KINDS`) are
    reported: they compare a value exactly as written against ids that do not depend on the repair.
    Anything else (claims, tree shape, a reference to a node of a tree that lost nodes in the repair)
    could be an artefact of the values that were removed, and comes out once the schema errors are fixed.
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
        if owner is None or violation.kind not in REFERENCE_KINDS:
            continue
        if any(violation.path[: len(path)] == path for path in owner.removed):
            continue
        if violation.kind is ViolationKind.unknown_node and any(p[:1] == ("nodes",) for p in owner.removed):
            continue
        if site is None and _reads_the_site(violation):
            continue
        yield rule_error(found.root, found.origins, violation)
