"""`python -m gateway export`: write the LiteLLM proxy configs from the catalog, or check the committed ones."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog.evidence import default_evidence_dir, evidence_today
from catalog.evidence_folder import load_evidence
from catalog.loader import check_catalog, default_catalog_dir
from gateway.litellm_export import GENERATED_HEADER, GUARD_FILE, GUARD_SOURCE, render_configs, without_evidence_comments

#: The command that writes the configs, as the messages and the configs' header name it.
EXPORT_COMMAND = "python -m gateway export"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the LiteLLM proxy config of every gateway (default: gateway/)")
    export.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="catalog directory (default: $CATALOG_DIR, else the bundled catalog)",
    )
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
    args = parser.parse_args(argv)
    return export_litellm(
        args.catalog or default_catalog_dir(),
        args.evidence or default_evidence_dir(),
        args.output,
        check=args.check,
        verified_only=args.verified_only,
    )


def export_litellm(
    root: Path, evidence_dir: Path, output: Path | None, *, check: bool, verified_only: bool = False
) -> int:
    """Write (or, with `check`, compare) the configs of the catalog in `root`; the exit status."""
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
            print(f"run `{EXPORT_COMMAND}` to regenerate it", file=sys.stderr)
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
