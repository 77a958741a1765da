"""`python -m catalog`: validate the catalog, regenerate or check its JSON Schema, export it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog.json_schema import stale_schemas, write_schemas
from catalog.loader import check_catalog, default_catalog_dir


def _catalog_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="catalog directory (default: $CATALOG_DIR, else the bundled catalog)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate", help="check every file; print every error as FILE:LINE:COL: path: message"
    )
    _catalog_arg(validate)
    schema = commands.add_parser("schema", help="regenerate catalog/schema.json and catalog/schemas/*.json")
    schema.add_argument("--check", action="store_true", help="fail if the committed schema is stale")
    args = parser.parse_args(argv)

    if args.command == "validate":
        root = args.catalog or default_catalog_dir()
        catalog, errors = check_catalog(root)
        for error in errors:
            print(error.format())
        if errors or catalog is None:
            print(f"{len(errors)} error(s) in {root}", file=sys.stderr)
            return 1
        print(
            f"ok: {len(catalog.models)} models, {len(catalog.deployments)} deployments, "
            f"{len(catalog.backends)} backends, {len(catalog.choosers)} chooser categories, "
            f"{len(catalog.trees)} decision trees"
        )
        return 0
    if args.command == "schema":
        if args.check:
            stale = stale_schemas()
            for path in stale:
                print(f"{path}: stale JSON Schema", file=sys.stderr)
            if stale:
                print("run `python -m catalog schema` to regenerate it", file=sys.stderr)
                return 1
            print("schema is up to date")
            return 0
        for path in write_schemas():
            print(f"wrote {path}")
        return 0
    return 2
