"""`python -m onboarding`: start a new catalog, or write catalog files from an existing LiteLLM proxy config."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog.loader import BUNDLED_CATALOG, check_catalog, default_catalog_dir

#: The commands, as the messages and the next steps a new catalog prints name them.
INIT_COMMAND = "python -m onboarding init"
IMPORT_COMMAND = "python -m onboarding import-litellm"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m onboarding", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="start a new catalog in an empty folder, ready to build and serve")
    init.add_argument("dir", type=Path, help="a new or empty folder")
    init.add_argument("--title", default=None, help="the site's title (default: from the folder's name)")
    init.add_argument("--fleet", default=None, help="id of the team's fleet (default: from the folder's name)")
    importer = commands.add_parser(
        "import-litellm", help="write catalog files from a LiteLLM proxy config (its model_list and settings)"
    )
    importer.add_argument("config", type=Path, help="the config file")
    importer.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="catalog directory to write into (default: $CATALOG_DIR; one of them is required, and never the "
        "bundled catalog)",
    )
    importer.add_argument("--fleet", default="imported", help="fleet id for the new deployments (default: imported)")
    importer.add_argument("--force", action="store_true", help="overwrite files that exist already")
    importer.add_argument(
        "--gateway", default="litellm", help="id of the proxy in site.yaml `gateways:` (default: litellm)"
    )
    importer.add_argument(
        "--proxy-url", default=None, help="where clients reach the proxy, with /v1 (default: http://localhost:4000/v1)"
    )
    args = parser.parse_args(argv)
    if args.command == "init":
        return _init(args)
    return _import_litellm(args)


def _init(args: argparse.Namespace) -> int:
    from onboarding.scaffold import ScaffoldError, init_catalog, next_steps

    try:
        print(next_steps(init_catalog(args.dir, title=args.title, fleet=args.fleet)))
    except ScaffoldError as exc:
        print(f"init: {exc}", file=sys.stderr)
        return 1
    return 0


def _import_litellm(args: argparse.Namespace) -> int:
    from onboarding.litellm_import import import_litellm
    from onboarding.onboard import OnboardError

    hint = f"hint: --catalog my-catalog; `{INIT_COMMAND} my-catalog` starts one"
    if args.catalog is None and not os.environ.get("CATALOG_DIR"):
        print(f"{IMPORT_COMMAND}: name the catalog to write into ({hint})", file=sys.stderr)
        return 2
    root = args.catalog or default_catalog_dir()
    if root.resolve() == BUNDLED_CATALOG.resolve():
        print(
            f"{IMPORT_COMMAND}: {root} is the bundled catalog of this repository, which an import never writes "
            f"into ({hint})",
            file=sys.stderr,
        )
        return 2
    try:
        written = import_litellm(
            args.config, root, fleet=args.fleet, force=args.force, gateway=args.gateway, proxy_url=args.proxy_url
        )
    except OnboardError as exc:
        print(f"{IMPORT_COMMAND}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    catalog, errors = check_catalog(root)
    for error in errors:
        print(error.format())
    if catalog is None:
        print(f"{len(errors)} error(s): fix them, then run `python -m catalog validate`", file=sys.stderr)
        return 1
    print(f"ok: the catalog in {root} validates ({len(catalog.deployments)} deployments)")
    return 0
