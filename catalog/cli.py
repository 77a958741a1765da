"""`python -m catalog`: validate the catalog, regenerate or check its JSON Schema."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog.json_schema import stale_schemas, write_schemas
from catalog.loader import check_catalog, default_catalog_dir

#: Commands that left this package, and where each went. The gateway export and onboarding are rooms of their
#: own (gateway/, onboarding/), which the catalog, the data model they build on, never imports.
MOVED = {
    "discover": "`python -m probes discover URL` (same options), which proves what it finds with the probes' own "
    "checks",
    "mcp": "`python -m mcp_server` (same options)",
    "export": "`python -m gateway export` (same options, without `litellm`)",
    "import": "`python -m onboarding import-litellm CONFIG` (same options)",
    "init": "`python -m onboarding init DIR` (same options)",
}


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
    # Each moved command still parses, whatever follows it, to say where it went.
    for name, where in MOVED.items():
        moved = commands.add_parser(name, help=f"moved: {where.split('`')[1]}", add_help=False)
        moved.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command in MOVED:
        print(f"python -m catalog {args.command}: moved to {MOVED[args.command]}", file=sys.stderr)
        return 2
    if args.command == "validate":
        # The process ends after this load: with the collector left off, the collection that would follow
        # the loader's pause (every object it made is young, so it walks them all: 1.4 s of 6 at 3000
        # models) never runs. A long-lived process (mkdocs serve, the MCP server) keeps the collector on.
        gc.disable()
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
