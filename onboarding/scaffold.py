"""`python -m onboarding init DIR`: a new catalog a team can build and serve at once.

A catalog needs a few files before anything else can be written into it: `site.yaml`, a fleet, a source the
fleet cites, the backends its deployments will name and at least one task its advice is grouped by. This
module is the one place that knows them. `init` writes them into an empty folder; `discover` and `import`
should call `scaffold_files` for a folder that has no catalog yet, so every new catalog starts the same way.

Everything is checked before anything is written: the files are validated by the catalog's own loader in a
temporary folder, and only then copied into the target. A folder that holds anything but a catalog is left
alone, and an existing catalog is never overwritten.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalog.collections import schema_ref
from catalog.json_schema import schema_files
from catalog.loader import check_catalog
from catalog.types import ENTITY_ID_MAX, ENTITY_ID_PATTERN

#: An id as the catalog takes it (catalog/types.py `EntityId`): also its file's name.
_ENTITY_ID = re.compile(ENTITY_ID_PATTERN)
_ID_CHARS = re.compile(r"[^a-z0-9._-]+")
_ID_MAX = ENTITY_ID_MAX

#: The engines a team most often runs, by the id deployments name them with. `discover` and `import` write
#: backends with the same ids, so a scaffolded catalog and an onboarded one agree.
BACKENDS: dict[str, dict[str, Any]] = {
    "vllm": {
        "name": "vLLM",
        "kind": "vllm",
        "description": "A GPU inference server for batched, concurrent serving behind an OpenAI-compatible API.",
    },
    "ollama": {
        "name": "Ollama",
        "kind": "ollama",
        "description": "A model runner for a workstation or a small server; its OpenAI-compatible API is under `/v1`.",
    },
    "llama-cpp": {
        "name": "llama.cpp server",
        "kind": "llama-cpp",
        "description": "llama.cpp's `llama-server`: GGUF weights on a CPU or a GPU, with an OpenAI-compatible API.",
    },
    "tei": {
        "name": "Text Embeddings Inference",
        "kind": "tei",
        "description": "Hugging Face's server for embedding and reranking models.",
    },
    "openai-compatible": {
        "name": "OpenAI-compatible API",
        "kind": "openai-compatible",
        "description": "A hosted or self-run API that speaks the OpenAI protocol, whatever engine is behind it.",
    },
}

#: The jobs most teams are asked about first; a team adds its own in `tasks/` (the README shows how).
TASKS: dict[str, dict[str, Any]] = {
    "general-chat": {"title": "General chat", "order": 1, "description": "Questions, drafting and everyday help."},
    "coding": {"title": "Coding", "order": 2, "description": "Writing, reviewing and completing code."},
    "embeddings": {"title": "Embeddings", "order": 3, "description": "Vectors for search, RAG and clustering."},
}


class ScaffoldError(Exception):
    """Nothing was written; the message says why and what to do."""


@dataclass(frozen=True)
class Scaffold:
    """What `init` wrote, and what to run next."""

    root: Path
    fleet: str
    written: list[Path]


def slug(text: str) -> str:
    """A catalog id from any name: lower case, other characters as `-`, no leading or trailing punctuation."""
    return _ID_CHARS.sub("-", text.lower()).strip("-._")[:_ID_MAX].rstrip("-._")


def _yaml(folder: str | None, data: dict[str, Any]) -> str:
    return f"# yaml-language-server: $schema={schema_ref(folder)}\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100
    )


def scaffold_files(title: str, fleet: str) -> dict[str, str]:
    """Every file a new catalog starts with, relative to its root -> text. Pure: writes nothing.

    `discover` and `import` call this for a folder without a catalog and write what is missing, so a
    catalog started by either has the same site, fleet, source, backends, tasks and JSON Schemas as `init`'s.
    """
    if not _ENTITY_ID.match(fleet) or len(fleet) > _ID_MAX:
        raise ScaffoldError(
            f"--fleet `{fleet}` is not an id (hint: lower-case letters, digits, `.`, `_` and `-`, "
            f"2 to {_ID_MAX} characters, e.g. `platform`)"
        )
    if not title.strip() or "\n" in title:
        raise ScaffoldError("--title is empty or spans lines (hint: one line, e.g. `--title 'Platform models'`)")
    files = {
        "site.yaml": _yaml(
            None,
            {
                "title": title.strip(),
                "tagline": "Our served models, with what was proven.",
                "sources": [{"source": "team-notes"}],
            },
        ),
        f"fleets/{fleet}.yaml": _yaml(
            "fleets",
            {
                "name": title.strip(),
                "order": 1,
                "summary": "The servers this team runs, and the advice it gives for them.",
                "sources": [{"source": "team-notes"}],
            },
        ),
        "sources/team-notes.yaml": _yaml(
            "sources",
            {
                "title": f"{title.strip()}: the team's own notes",
                "kind": "guide",
                "summary": "What the team wrote down itself when it started this catalog.",
            },
        ),
    }
    files |= {f"backends/{name}.yaml": _yaml("backends", data) for name, data in BACKENDS.items()}
    files |= {f"tasks/{name}.yaml": _yaml("tasks", data) for name, data in TASKS.items()}
    # Editors check each file against the schema its first line names (`../schemas/<folder>.json`).
    files |= {path.as_posix(): text for path, text in schema_files().items() if path.parts[0] == "schemas"}
    return files


def default_title(root: Path) -> str:
    """A new catalog's title when none is given: its folder's name, as words (`platform-models`: "Platform models")."""
    return root.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "Model catalog"


def is_catalog(root: Path) -> bool:
    """Whether `root` already holds a catalog (its `site.yaml`)."""
    return (root / "site.yaml").is_file()


def init_catalog(root: Path, *, title: str | None = None, fleet: str | None = None) -> Scaffold:
    """Write a new catalog into `root` (missing or empty): all files, or none when anything fails.

    A missing folder is written as a staging folder beside it (`.NAME-init-XXXXXXXX`) and renamed into place in
    one step. An existing empty folder (`.`, a link to a folder, a mount point) is filled in place: the files
    are written and checked in a staging folder inside it, then each top-level entry is renamed into it,
    `site.yaml` last. A kill can leave a staging folder (removed by the next `init`) or, during those renames,
    some of the new folders without `site.yaml`: `init` again, with the same options, completes it (a folder
    that holds only files `init` would write, unchanged, counts as empty)."""
    try:
        return _init(root, title, fleet)
    except OSError as exc:
        where = exc.filename or root
        raise ScaffoldError(
            f"{where}: cannot write the catalog ({exc.strerror or exc}); nothing was written (hint: name a "
            "folder on a writable disk that you may write to, e.g. `my-catalog` in your home folder)"
        ) from None


def _init(root: Path, title: str | None, fleet: str | None) -> Scaffold:
    if root.is_symlink() and not root.exists():
        raise ScaffoldError(f"{root}: is a link to nothing (hint: name a new folder, e.g. `my-catalog`)")
    resolved = root.resolve()
    if resolved.exists() and not resolved.is_dir():
        raise ScaffoldError(f"{root}: is a file, not a folder (hint: name a new folder, e.g. `my-catalog`)")
    name = resolved.name
    title = title or default_title(resolved)
    fleet = fleet or slug(name) or "platform"
    if len(fleet) < 2:
        fleet = "platform"
    files = scaffold_files(title, fleet)
    parent = resolved.parent
    if not parent.is_dir():
        raise ScaffoldError(f"{parent}: no such folder (hint: create it first, or name a folder inside one)")
    if resolved.is_dir():
        _remove_staging(resolved, _STAGING_IN)
        left = _foreign(resolved, files)
        if left:
            what = (
                "holds a catalog already"
                if is_catalog(resolved)
                else "is not empty and holds no catalog (no site.yaml)"
            )
            raise ScaffoldError(
                f"{root}: {what} ({left[0]}); nothing was written (hint: name a new or empty folder; to add "
                "deployments to a catalog, use `python -m probes discover URL` or `python -m onboarding import-litellm "
                "CONFIG`)"
            )
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_IN, dir=resolved))
    else:
        _remove_staging(parent, f".{name}-init-")
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-init-", dir=parent))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _catalog, errors = check_catalog(staging)
        if errors:
            raise ScaffoldError(
                "the new catalog would not validate (a bug in onboarding/scaffold.py):\n"
                + "\n".join(e.format() for e in errors)
            )
        if staging.parent == resolved:
            # In place: every top-level entry renamed in, site.yaml (what makes it a catalog) last.
            for entry in sorted(staging.iterdir(), key=lambda p: p.name == "site.yaml"):
                target = resolved / entry.name
                if target.is_dir() and entry.is_dir():
                    shutil.rmtree(target)  # left by a killed init, unchanged (checked by `_foreign`)
                entry.replace(target)
        else:
            staging.rename(resolved)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return Scaffold(resolved, fleet, sorted(resolved / relative for relative in files))


#: The staging folder `init` makes inside an existing empty folder.
_STAGING_IN = ".catalog-init-"


def _remove_staging(folder: Path, prefix: str) -> None:
    """Remove staging folders a killed `init` left in `folder` (`PREFIX` and 8 characters of `mkdtemp`)."""
    for entry in folder.iterdir():
        rest = entry.name.removeprefix(prefix)
        if rest != entry.name and len(rest) == 8 and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def _foreign(root: Path, files: dict[str, str]) -> list[str]:
    """What in `root` `init` did not write: every path but the files of `files` holding their text unchanged
    (what a killed `init` left), and their folders."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            found.append(relative)
        elif path.is_dir():
            if not any(f.startswith(relative + "/") for f in files):
                found.append(relative)
        elif relative not in files or path.read_text(encoding="utf-8", errors="replace") != files[relative]:
            found.append(relative)
    if (root / "site.yaml").exists():
        found.insert(0, "site.yaml")  # a finished catalog is never written over
    return found


def next_steps(scaffold: Scaffold) -> str:
    """The commands to run next, as `init` prints them (the README's "Your own site" walks through them)."""
    root = scaffold.root
    # Evidence beside the catalog, never in this repository's evidence/ (the default), which is the bundled one's.
    evidence = root.parent / f"{root.name}-evidence"
    fleet = scaffold.fleet
    return "\n".join(
        [
            f"wrote a new catalog in {root} ({len(scaffold.written)} files). Next:",
            f"  CATALOG_DIR={root} EVIDENCE_DIR={evidence} .venv/bin/mkdocs serve   # see it at http://127.0.0.1:8000/",
            f"  python -m probes discover URL --catalog {root} --fleet {fleet}   # deployments from a running server",
            f"  python -m onboarding import-litellm CONFIG --catalog {root} --fleet {fleet}   # or from a LiteLLM config",
            f'  then add tasks in {root}/tasks/ and picks in {root}/choosers/ (README: "Your own site, from nothing")',
            f"  python -m probes run --catalog {root} --evidence {evidence}   # prove every claim",
        ]
    )
