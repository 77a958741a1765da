"""Loading a catalog directory: every file checked, every error collected, then one verdict.

`load_catalog` either returns a fully valid `Catalog` or raises `CatalogInvalid`
holding every problem of every file, so a maintainer fixes them all in one go.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from catalog.catalog import Catalog, Origin
from catalog.collections import COLLECTIONS, SINGLETONS, schema_ref
from catalog.errors import CatalogError, CatalogInvalid, FieldPath, did_you_mean, format_path
from catalog.rules import Known, check_rules
from catalog.schema import SiteInfo
from catalog.yaml_source import Locator, YamlProblem, read_catalog_yaml

#: The bundled catalog: the data folders sit beside this package's modules.
BUNDLED_CATALOG = Path(__file__).resolve().parent
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
_IGNORED_DIRS = {"schemas", "__pycache__"}


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
    """Validate a catalog; return it (when valid) and every error found."""
    # Loading creates hundreds of thousands of small, acyclic objects; the cyclic garbage
    # collector would rescan them again and again (two thirds of the time for 3000 models).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_catalog(root)
    finally:
        if was_enabled:
            gc.enable()


def _check_catalog(root: Path | None) -> tuple[Catalog | None, list[CatalogError]]:
    root = (root or default_catalog_dir()).resolve()
    if not root.is_dir():
        return None, [
            CatalogError(
                str(root),
                1,
                1,
                "<file>",
                "catalog directory does not exist",
                "pass --catalog DIR or set CATALOG_DIR",
            )
        ]
    errors: list[CatalogError] = []
    entities: dict[str, dict[str, BaseModel]] = {folder: {} for folder in COLLECTIONS}
    origins: dict[tuple[str, str], Origin] = {}
    known: dict[str, set[str]] = {folder: set() for folder in COLLECTIONS}
    site: SiteInfo | None = None

    for path in _yaml_files(root):
        placement = _placement(root, path, errors)
        if placement is None:
            continue
        folder, entity_id = placement
        if folder:
            known[folder].add(entity_id)
        model_type = COLLECTIONS[folder] if folder else SINGLETONS[path.name]
        parsed = _read(root, path, folder or None, errors)
        if parsed is None:
            continue
        data, locator = parsed
        try:
            entity = model_type.model_validate(data)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(_display(root, path), exc, locator, model_type))
            continue
        origins[(folder, entity_id)] = Origin(path, locator)
        if folder:
            entities[folder][entity_id] = entity
        else:
            assert isinstance(entity, SiteInfo)
            site = entity

    if site is None:
        if not any(e.file.endswith("site.yaml") for e in errors):
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
        return None, errors

    catalog = Catalog(
        root=root,
        site=site,
        origins=origins,
        **{folder.replace("-", "_"): dict(sorted(items.items())) for folder, items in entities.items()},  # type: ignore[arg-type]
    )
    for violation in check_rules(catalog, Known(known)):
        origin = origins[(violation.folder, violation.entity_id)]
        line, column = origin.locator.locate(violation.path)
        errors.append(
            CatalogError(
                _display(root, origin.path),
                line,
                column,
                format_path(violation.path),
                violation.message,
                violation.hint,
            )
        )
    return (None if errors else catalog), sorted(errors)


def _yaml_files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")):
                yield Path(dirpath) / name


def _display(root: Path, path: Path) -> str:
    """File names in messages are relative to the working directory when possible."""
    # os.path is used on purpose: pathlib.relative_to was a tenth of the load time for large catalogs.
    cwd = os.getcwd()  # noqa: PTH109
    return os.path.relpath(path, cwd) if str(path).startswith(cwd + os.sep) else str(path)


def _placement(root: Path, path: Path, errors: list[CatalogError]) -> tuple[str, str] | None:
    """(folder, id) of a file, or None after recording why it is misplaced or misnamed."""
    shown = _display(root, path)
    relative = path.relative_to(root)
    if path.suffix == ".yml":
        errors.append(
            CatalogError(shown, 1, 1, "<file>", "catalog files end in `.yaml`", f"rename it to `{path.stem}.yaml`")
        )
        return None
    folders = ", ".join(f"{f}/" for f in COLLECTIONS)
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
                f"rename it to `{suggestion}.yaml`",
            )
        )
        return None
    return folder, entity_id


def _read(
    root: Path, path: Path, folder: str | None, errors: list[CatalogError]
) -> tuple[dict[str, Any], Locator] | None:
    shown = _display(root, path)
    raw = path.read_bytes()
    try:
        data, locator = read_catalog_yaml(raw)
    except YamlProblem as problem:
        errors.append(CatalogError(shown, problem.line, problem.column, "<file>", problem.message, problem.hint))
        return None
    expected = f"# yaml-language-server: $schema={schema_ref(folder)}"
    first_line = raw.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    if first_line != expected:
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
    return data, locator


def _pydantic_errors(
    shown: str, exc: ValidationError, locator: Locator, model_type: type[BaseModel]
) -> Iterable[CatalogError]:
    for err in exc.errors(include_url=False):
        loc: FieldPath = tuple(err["loc"])
        line, column = locator.locate(loc)
        kind = err["type"]
        message = str(err["msg"]).removeprefix("Value error, ")
        hint: str | None = None
        if kind == "extra_forbidden":
            name = str(loc[-1])
            message = f"unknown field `{name}`"
            hint = did_you_mean(name, _field_names(model_type, loc[:-1])) or "remove it; the schema lists every field"
        elif kind == "missing":
            message = f"required field `{loc[-1]}` is missing"
            hint = f"add `{loc[-1]}:`"
        elif kind == "enum":
            expected = err.get("ctx", {}).get("expected")
            got = err.get("input")
            if isinstance(got, str) and expected:
                choices = re.findall(r"'([^']*)'", str(expected))
                hint = did_you_mean(got, choices)
        yield CatalogError(shown, line, column, format_path(loc), message, hint)


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
