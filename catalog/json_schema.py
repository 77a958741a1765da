"""JSON Schema generated from the pydantic models, for editors and for agents.

`schemas/<folder>.json` is what each YAML file's first line names, so editors
autocomplete and check the file as it is typed. `schema.json` bundles them all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog.collections import COLLECTIONS, SINGLETONS

PACKAGE_DIR = Path(__file__).resolve().parent


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[Path, str]:
    """Every generated schema file (relative to the package) and its exact content."""
    files: dict[Path, str] = {}
    bundle: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Model catalog",
        "description": "Every file kind of the catalog; each YAML file validates against one entry of `files`.",
        "type": "object",
        "properties": {},
    }
    kinds = {
        **{f"{folder}/<id>.yaml": (folder, model) for folder, model in COLLECTIONS.items()},
        **{name: (Path(name).stem, model) for name, model in SINGLETONS.items()},
    }
    for pattern, (name, model) in kinds.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        files[Path("schemas") / f"{name}.json"] = _dump(schema)
        bundle["properties"][pattern] = {"$ref": f"schemas/{name}.json"}
    files[Path("schema.json")] = _dump(bundle)
    return files


def write_schemas(target: Path = PACKAGE_DIR) -> list[Path]:
    """Write the schema files that changed; return those paths."""
    changed = []
    for relative, content in schema_files().items():
        path = target / relative
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed


def stale_schemas(target: Path = PACKAGE_DIR) -> list[Path]:
    """Schema files that are missing or differ from what the models generate."""
    return [
        target / relative
        for relative, content in schema_files().items()
        if not (target / relative).exists() or (target / relative).read_text(encoding="utf-8") != content
    ]
