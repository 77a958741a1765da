"""`python -m catalog`: validate the catalog, regenerate or check its JSON Schema, export it."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog.evidence import default_evidence_dir, evidence_today
from catalog.evidence_folder import load_evidence
from catalog.json_schema import stale_schemas, write_schemas
from catalog.litellm import GENERATED_HEADER, GUARD_FILE, GUARD_SOURCE, render_configs, without_evidence_comments
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
    export = commands.add_parser("export", help="write generated files from the catalog")
    export.add_argument("format", choices=["litellm"], help="litellm: the gateway's model_list")
    _catalog_arg(export)
    export.add_argument(
        "--output", type=Path, default=None, help="directory to write (default: gateway/ beside the catalog)"
    )
    export.add_argument(
        "--evidence",
        type=Path,
        default=None,
        help="evidence folder for the comments on each entry (default: $EVIDENCE_DIR, else evidence/)",
    )
    export_mode = export.add_mutually_exclusive_group()
    export_mode.add_argument(
        "--check",
        action="store_true",
        help="fail if the routing differs from what the catalog gives (evidence comments are not compared)",
    )
    export_mode.add_argument(
        "--verified-only",
        action="store_true",
        help="leave out deployments whose endpoint claims are not all verified by the evidence today"
        " (write it with --output: the committed gateway/ holds the full export)",
    )
    # discover asks a live server, so it belongs to the probes, which own every request the project sends.
    moved = commands.add_parser("discover", help="moved: python -m probes discover URL", add_help=False)
    moved.add_argument("rest", nargs=argparse.REMAINDER)
    importer = commands.add_parser("import", help="write catalog files from an existing configuration")
    importer.add_argument("format", choices=["litellm"], help="litellm: a LiteLLM proxy config with model_list")
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
    # The MCP server shows the site's request examples, so it is a surface of its own beside the site.
    moved_mcp = commands.add_parser("mcp", help="moved: python -m mcp_server [--http]", add_help=False)
    moved_mcp.add_argument("rest", nargs=argparse.REMAINDER)
    init = commands.add_parser("init", help="start a new catalog in an empty folder, ready to build and serve")
    init.add_argument("dir", type=Path, help="a new or empty folder")
    init.add_argument("--title", default=None, help="the site's title (default: from the folder's name)")
    init.add_argument("--fleet", default=None, help="id of the team's fleet (default: from the folder's name)")
    args = parser.parse_args(argv)
    if args.command == "init":
        from catalog.scaffold import ScaffoldError, init_catalog, next_steps

        try:
            print(next_steps(init_catalog(args.dir, title=args.title, fleet=args.fleet)))
        except ScaffoldError as exc:
            print(f"init: {exc}", file=sys.stderr)
            return 1
        return 0

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
    if args.command == "discover":
        print(
            "python -m catalog discover: moved to `python -m probes discover URL` (same options), which proves "
            "what it finds with the probes' own checks",
            file=sys.stderr,
        )
        return 2
    if args.command == "import":
        return _onboard(args)
    if args.command == "mcp":
        print("python -m catalog mcp: moved to `python -m mcp_server` (same options)", file=sys.stderr)
        return 2
    if args.command == "export":
        evidence_dir = args.evidence or default_evidence_dir()
        return _export_litellm(
            args.catalog or default_catalog_dir(),
            evidence_dir,
            args.output,
            check=args.check,
            verified_only=args.verified_only,
        )
    return 2


def _export_litellm(
    root: Path, evidence_dir: Path, output: Path | None, *, check: bool, verified_only: bool = False
) -> int:
    catalog, errors = check_catalog(root)
    if catalog is None:
        for error in errors:
            print(error.format())
        return 1
    target = output or catalog.root.parent / "gateway"
    evidence = load_evidence(evidence_dir)
    for problem in evidence.problems:
        print(f"evidence ignored: {problem}", file=sys.stderr)
    wanted = render_configs(catalog, evidence, evidence_today(), verified_only=verified_only)
    # Only files this command wrote (they start with its header) are compared or removed; others are left alone.
    present = {
        p.name: text
        for p in (sorted(target.glob("*.yaml")) if target.is_dir() else [])
        if (text := p.read_text(encoding="utf-8")).startswith(GENERATED_HEADER)
    }
    if check:
        routing = {name: without_evidence_comments(text) for name, text in present.items()}
        stale = sorted(
            set(wanted) ^ set(present) | {n for n in wanted if routing.get(n) != without_evidence_comments(wanted[n])}
        )
        for name in stale:
            print(f"{target / name}: stale LiteLLM config", file=sys.stderr)
        guard_stale = _guard_differs(target)
        if guard_stale:
            print(f"{target / GUARD_FILE}: missing or differs from {GUARD_SOURCE}", file=sys.stderr)
        if stale or guard_stale:
            print("run `python -m catalog export litellm` to regenerate it", file=sys.stderr)
            return 1
        print(f"{target}: LiteLLM configs are up to date")
        return 0
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(set(present) - set(wanted)):
        (target / name).unlink()
        print(f"removed {target / name}")
    for name, content in wanted.items():
        if present.get(name) != content:
            (target / name).write_text(content, encoding="utf-8")
            print(f"wrote {target / name} ({content.count('- model_name:')} models)")
    # Every config loads the fail-closed guard from its own folder; without it the proxy refuses to start.
    if _guard_differs(target):
        (target / GUARD_FILE).write_bytes(GUARD_SOURCE.read_bytes())
        print(f"wrote {target / GUARD_FILE} (the fail-closed guard the configs load)")
    return 0


def _guard_differs(target: Path) -> bool:
    """The guard beside the configs in `target` is missing or not the repository's copy."""
    copy = target / GUARD_FILE
    return copy.resolve() != GUARD_SOURCE and (not copy.is_file() or copy.read_bytes() != GUARD_SOURCE.read_bytes())


def _onboard(args: argparse.Namespace) -> int:
    from catalog.litellm_import import import_litellm
    from catalog.loader import BUNDLED_CATALOG
    from catalog.onboard import OnboardError

    if args.catalog is None and not os.environ.get("CATALOG_DIR"):
        print(
            f"python -m catalog {args.command}: name the catalog to write into (hint: --catalog my-catalog; "
            "`python -m catalog init my-catalog` starts one)",
            file=sys.stderr,
        )
        return 2
    root = args.catalog or default_catalog_dir()
    if root.resolve() == BUNDLED_CATALOG.resolve():
        print(
            f"python -m catalog {args.command}: {root} is the bundled catalog of this repository, which an import "
            "never writes into (hint: --catalog my-catalog; `python -m catalog init my-catalog` starts one)",
            file=sys.stderr,
        )
        return 2
    try:
        written = import_litellm(
            args.config, root, fleet=args.fleet, force=args.force, gateway=args.gateway, proxy_url=args.proxy_url
        )
    except OnboardError as exc:
        print(f"python -m catalog {args.command}: {exc}", file=sys.stderr)
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
