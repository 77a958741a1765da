"""Onboarding from what already runs: catalog files written from a live server or an existing LiteLLM config.

`discover` asks an OpenAI-compatible server what it serves (`/v1/models`, `/version`) and which endpoints
answer a minimal request, then writes a deployment and a model per served name, and an evidence file with
what the requests proved. `import_litellm` turns a LiteLLM `model_list` into deployments.

What a server or a config does not say is left out where the schema allows, and marked `inferred:` with the
reason where the schema needs a value (a model's kind and vendor guessed from its name). Both refuse to
overwrite a file unless told to, and write nothing at all when any file would be overwritten.
A folder without a catalog gets the few files a catalog needs (site.yaml, the fleet, the source, backends),
so the result validates and builds at once.

Both treat what they read as hostile. `discover` sends the API key only where `PROBES_KEYS` allows it
(catalog/outbound.py), follows no redirect, and bounds every request by the probes' limits (`Timeouts`,
`MAX_BODY_BYTES`), the whole discovery by `DISCOVER_DEADLINE_S` and the models it takes by
`MAX_DISCOVERED_MODELS`. A config is read by the catalog's own YAML reader (size, depth and alias limits).
Every name is checked before it becomes a file name (length, characters, two names that would share a file),
every entity is validated before anything is written, and a credential in a URL (`user:password@`,
`?api_key=`) is never written: `import` removes it and says what it removed, without its value.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from catalog.collections import COLLECTIONS, SINGLETONS, schema_ref
from catalog.errors import format_path, schema_message
from catalog.types import ENTITY_ID_MAX, ENTITY_ID_PATTERN, NAME_PUNCTUATION, HttpUrl, ServedName
from catalog.types import NAME_MAX as TYPES_NAME_MAX
from catalog.yaml_source import MAX_FILE_BYTES, YamlProblem, read_catalog_yaml
from onboarding.scaffold import ScaffoldError, default_title, scaffold_files

#: The JSON Schemas of this catalog package, copied into every new catalog.
_ID_CHARS = re.compile(r"[^a-z0-9._-]+")
_ENTITY_ID = re.compile(ENTITY_ID_PATTERN)
#: Longest id (catalog/types.py `EntityId`): every id is also its file's name.
ID_MAX = ENTITY_ID_MAX
#: Longest served name or gateway alias the catalog takes (catalog/types.py).
NAME_MAX = TYPES_NAME_MAX
#: Most models `discover` takes from one server. A vLLM or llama.cpp server serves one, an Ollama server some
#: tens; a listing of hundreds is a gateway (import its config instead), and one of many thousands would make
#: thousands of files and four requests per model.
MAX_DISCOVERED_MODELS = 500
#: The whole of one discovery, every request together: each request is bounded by `Timeouts` as well, and the
#: first request that times out or cannot connect ends the discovery at once.
DISCOVER_DEADLINE_S = 900.0
#: Longest engine version kept from `/version`.
_VERSION_MAX = 64

Notes = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def slug(text: str) -> str:
    """A catalog id from any name: lower case, other characters as `-`, no leading or trailing punctuation."""
    return _ID_CHARS.sub("-", text.lower()).strip("-._") or "unnamed"


def _short_id(text: str) -> str:
    """An id for a file whose name no reader types (a source): `slug`, cut to `ID_MAX` characters."""
    return slug(text)[:ID_MAX].rstrip("-._") or "unnamed"


def shown(text: str, limit: int = 60) -> str:
    """A name as a message quotes it: long ones cut (`abc…`), control characters escaped."""
    cut = text if len(text) <= limit else text[: limit - 20] + "…"
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut)


class OnboardError(Exception):
    """Nothing was written; the message says why and what to do."""


def _and(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _name_problem(name: str, what: str) -> str | None:
    """Why `name` cannot be a served name or gateway alias in the catalog, or None."""
    if len(name) > NAME_MAX:
        return f"{what} `{shown(name)}` is {len(name)} characters long; the catalog takes at most {NAME_MAX}"
    if not name[:1].isalnum():
        return f"{what} `{shown(name)}` does not start with a letter or digit"
    try:
        TypeAdapter(ServedName).validate_python(name)
    except ValidationError as exc:
        why = schema_message(exc.errors(include_url=False)[0]).removeprefix("the name ").partition("; ")[0]
        if not why.startswith("holds "):
            return f"{what} `{shown(name)}` {why}"
        allowed = f"letters, digits, single spaces and `{NAME_PUNCTUATION.strip()}`"
        held = why.removesuffix(", which a served name or alias may not hold")
        return f"{what} `{shown(name)}` {held}, which a name in the catalog may not hold ({allowed})"
    return None


def _id_problem(entity_id: str, name: str, what: str) -> str | None:
    """Why the id made from `name` cannot be a file name of the catalog, or None."""
    if len(entity_id) > ID_MAX:
        return (
            f"{what} `{shown(name)}` would give the id `{shown(entity_id)}` of {len(entity_id)} characters, "
            f"longer than the {ID_MAX} an id may have: an id is also its file's name"
        )
    if not _ENTITY_ID.match(entity_id):
        return f"{what} `{shown(name)}` gives the id `{entity_id}`, which is too short: an id has 2 characters or more"
    return None


@dataclass
class Plan:
    """The files to write, relative to the catalog root, checked for clashes before anything is written."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)
    """path -> text; written only if the file does not exist yet, or with `force`."""
    scaffold: dict[str, str] = field(default_factory=dict)
    """Files a catalog needs; written only when missing, never overwritten."""
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    """path -> the values its text holds, validated before anything is written."""
    origins: dict[str, str] = field(default_factory=dict)
    """path -> what asked for it (`the served name `Qwen``), for the message when two ask for one file."""
    clash_hint: str = "give them names that differ in more than case or punctuation"
    problems: list[str] = field(default_factory=list)

    def entity(
        self,
        folder: str | None,
        name: str,
        data: Mapping[str, Any],
        *,
        scaffold: bool = False,
        origin: str = "",
        label: str = "",
        at: str = "",
    ) -> None:
        """Plan one file. For the message when two ask for one file: `origin` names what asked for it, `label`
        which entry (`model_list[1]`), `at` where (`FILE:LINE:COL: path`)."""
        labelled = f"{origin} ({label})" if label else origin
        text = f"# yaml-language-server: $schema={schema_ref(folder)}\n" + yaml.safe_dump(
            dict(data), sort_keys=False, allow_unicode=True, width=100
        )
        path = f"{folder}/{name}.yaml" if folder else name
        target = self.scaffold if scaffold else self.files
        if path in target and target[path] != text:
            if scaffold:
                return  # the first scaffold of a file wins (a backend shared by several entries)
            self.problems.append(
                f"{at + ': ' + origin if at else labelled} and {self.origins[path]} would both be written to {path}: "
                "a catalog id is lower case "
                f"and is its file's name, so names that differ only in case or punctuation share a file "
                f"(hint: {self.clash_hint})"
            )
            return
        target[path] = text
        self.data[path] = dict(data)
        self.origins.setdefault(path, labelled)

    def check(self) -> None:
        """Raise every problem found so far, and every entity that would not validate, before anything is written."""
        problems = list(self.problems)
        for path, data in self.data.items():
            folder, _, _ = path.rpartition("/")
            model = COLLECTIONS.get(folder) if folder else SINGLETONS.get(path)
            if model is None:
                continue
            try:
                model.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    message = schema_message(err)
                    problems.append(
                        f"{self.origins.get(path) or path} would give an invalid {path}: "
                        f"{format_path(tuple(err['loc']))}: {message}"
                    )
        if problems:
            raise OnboardError("\n".join(problems))

    def write(self, *, force: bool) -> list[Path]:
        self.check()
        clashes = [p for p in self.files if (self.root / p).exists()]
        if clashes and not force:
            raise OnboardError(
                "these files exist already: " + ", ".join(sorted(clashes)) + " (hint: pass --force to overwrite them)"
            )
        return self.commit()

    def links(self) -> None:
        """Refuse, before anything is written, a catalog where a file to be written, or a folder on the way to
        it, is a symbolic link: a write would land wherever the link points, outside the catalog."""
        for relative in sorted({**self.scaffold, **self.files}):
            path = self.root
            for part in Path(relative).parts:
                path = path / part
                if path.is_symlink():
                    try:
                        pointed = f" to {path.readlink()}"
                    except OSError:
                        pointed = ""
                    raise OnboardError(
                        f"{path}: is a symbolic link{pointed}; the import writes only inside {self.root}, never "
                        "through a link, so nothing was written (hint: replace the link with the folder or file "
                        "itself, or name a catalog folder without links)"
                    )
                if not path.exists():
                    break

    def commit(self) -> list[Path]:
        """Write every planned file (a scaffold file only where none exists).

        Into a missing folder, the whole catalog is written into a staging folder beside it and renamed into
        place in one step: a kill leaves either no catalog or all of it (and at most a `.NAME-import-*` staging
        folder beside it, which the next run removes). Into an existing empty folder, it is staged inside it
        (`.catalog-import-*`) and each top-level entry renamed in, `site.yaml` last. Into an existing catalog, each file is first
        written to a temporary file in its folder (`.FILE.XXXXXXXX.tmp`; the ones a killed run left are removed
        first), and only when all of them are on disk, each is renamed over its target; when the disk refuses
        one, none is written. A kill during the renames, the last step, can still leave some of the new files
        in place and not the others: run the same import again with --force to complete it.

        Nothing is written through a symbolic link (`links`)."""
        self.links()
        todo = {
            self.root / relative: text
            for relative, text in sorted({**self.scaffold, **self.files}.items())
            if relative in self.files or not (self.root / relative).exists()
        }
        if self.root.is_dir() and not self.root.is_symlink():
            for stale in self.root.glob(f"{_STAGING_IN}*"):
                if len(stale.name) == len(_STAGING_IN) + 8 and stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)  # left by a killed import into this empty folder
        if not self.root.exists() or (self.root.is_dir() and not any(self.root.iterdir())):
            return self._commit_whole(todo)
        for folder in {path.parent for path in todo}:
            _remove_stale(folder, {path.name for path in todo if path.parent == folder})
        staged: list[tuple[Path, Path]] = []
        try:
            for path, text in todo.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
                staged.append((Path(name), path))
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
        except OSError as exc:
            for temporary, _ in staged:
                temporary.unlink(missing_ok=True)
            raise OnboardError(f"cannot write the catalog: {exc.strerror or exc}; nothing was written") from None
        for temporary, path in staged:
            temporary.replace(path)
        return [path for _, path in staged]

    def _commit_whole(self, todo: dict[Path, str]) -> list[Path]:
        """A new catalog: staged beside the missing target folder, then renamed into place in one step; or, for
        an existing empty folder (`.`, a mount point, which cannot be replaced), staged inside it and each
        top-level entry renamed in, `site.yaml` last."""
        root = self.root.resolve()
        parent = root.parent
        prefix = f".{root.name}-import-"
        staging: Path | None = None
        try:
            if root.is_dir():
                staging = Path(tempfile.mkdtemp(prefix=_STAGING_IN, dir=root))
            else:
                parent.mkdir(parents=True, exist_ok=True)
                for stale in parent.glob(f"{glob.escape(prefix)}*"):
                    if stale.is_dir() and not stale.is_symlink():
                        shutil.rmtree(stale, ignore_errors=True)
                staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            for path, text in todo.items():
                target = staging / path.relative_to(self.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            if staging.parent == root:
                for entry in sorted(staging.iterdir(), key=lambda p: p.name == "site.yaml"):
                    entry.replace(root / entry.name)
            else:
                staging.rename(root)
        except OSError as exc:
            raise OnboardError(
                f"{exc.filename or root}: cannot write the catalog: {exc.strerror or exc}; nothing was written"
            ) from None
        finally:
            if staging is not None and staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return list(todo)


def _remove_stale(folder: Path, names: set[str]) -> None:
    """Remove the temporary files a killed `commit` left in `folder` for the files it is about to write:
    `.NAME.XXXXXXXX.tmp` (the names `tempfile.mkstemp` gives), nothing else."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in folder.iterdir():
        match = _STALE.match(entry.name)
        if match and match.group(1) in names and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)


#: The staging folder a new catalog is written in, inside an existing empty folder.
_STAGING_IN = ".catalog-import-"
_STALE = re.compile(r"^\.(.+)\.[a-z0-9_]{8}\.tmp$")


def _scaffold(plan: Plan, fleet: str, source: str, source_data: Mapping[str, Any]) -> None:
    """The files without which the catalog would not validate, written only where missing: for a folder with no
    catalog yet, everything `init` writes (onboarding/scaffold.py, the one place that knows them); for an existing
    catalog, the fleet's file if it lacks one; and the source this onboarding read."""
    try:
        files = scaffold_files(default_title(plan.root), fleet)
    except ScaffoldError as exc:
        raise OnboardError(str(exc)) from None
    if (plan.root / "site.yaml").exists():
        files = {path: text for path, text in files.items() if path == f"fleets/{fleet}.yaml"}
    # Each onboarding writes the backends it recognised, with what it learned of them (a LiteLLM provider).
    files = {path: text for path, text in files.items() if not path.startswith("backends/")}
    for path, text in files.items():
        plan.scaffold.setdefault(path, text)
        if path.endswith(".yaml"):
            plan.data.setdefault(path, yaml.safe_load(text))
    plan.entity("sources", source, source_data, scaffold=True)


def _family(name: str) -> str:
    """A family name from a served name: what a family may not hold (`[`, `·`) as spaces, at most 80 characters."""
    family = re.sub(r"[^A-Za-z0-9 ._:+()-]+", " ", name)
    family = re.sub(r" {2,}", " ", family).strip(" ._:+()-")[:80].rstrip()
    return family or "unnamed"


def _model_guess(name: str, *, embeddings: bool, source: str, why: str) -> dict[str, Any]:
    """A model entry for weights known only by name: kind and vendor are guesses, and marked as such."""
    vendor = name.split("/", 1)[0] if "/" in name and not name.startswith("/") else "not stated"
    return {
        "name": name.split("/")[-1],
        "family": _family(name.split("/")[-1]),
        "vendor": vendor,
        "kind": "embedding" if embeddings else "chat",
        "input_modalities": ["text"],
        "output_modalities": ["embedding" if embeddings else "text"],
        "description": f"Weights known only by their name, {name}: check the kind and vendor.",
        "inferred": [
            {"field": "kind", "reason": why, "source": {"source": source}},
            *(
                [{"field": "vendor", "reason": "the part of the name before `/`", "source": {"source": source}}]
                if vendor != "not stated"
                else []
            ),
        ],
        "sources": [{"source": source}],
    }


def _url_problem(url: str) -> tuple[str, str] | None:
    """(message, hint) when `url` is not a URL the catalog takes (catalog/types.py `HttpUrl`), else None."""
    try:
        TypeAdapter(HttpUrl).validate_python(url)
    except ValidationError as exc:
        message = schema_message(exc.errors(include_url=False)[0])
        what, _, hint = message.partition("; ")
        return what, hint or "write `http(s)://HOST[:PORT]/path`"
    return None


# ------------------------------------------------------------------------------------------ import litellm


def _read_config(config: Path) -> tuple[dict[str, Any], Callable[[tuple[str | int, ...]], str]]:
    """The config's values, read like a catalog file (size, depth, alias and tag limits), and a function that
    gives `FILE:LINE:COL: path` for a field path."""
    try:
        if not config.is_file():
            raise OnboardError(f"{config}: not a file (hint: point at the proxy's config.yaml)")
        size = config.stat().st_size
        if size > MAX_FILE_BYTES:
            raise OnboardError(
                f"{config}: the file is {size / 1024 / 1024:.1f} MiB; a config is read up to "
                f"{MAX_FILE_BYTES // 1024 // 1024} MiB (hint: check that this is the proxy's config.yaml)"
            )
        with config.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise OnboardError(f"{config}: cannot read a LiteLLM config: {exc.strerror or exc}") from None
    try:
        document = read_catalog_yaml(raw)
    except YamlProblem as problem:
        raise OnboardError(
            f"{config}:{problem.line}:{problem.column}: {format_path(problem.path)}: {problem.message} "
            f"(hint: {problem.hint})"
        ) from None
    if document.problems:
        raise OnboardError(
            "\n".join(
                f"{config}:{p.line}:{p.column}: {format_path(p.path)}: {p.message} (hint: {p.hint})"
                for p in document.problems
            )
        )

    def where(path: tuple[str | int, ...]) -> str:
        line, column = document.locator.locate(path)
        return f"{config}:{line}:{column}: {format_path(path)}"

    return document.data, where
