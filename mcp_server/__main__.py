"""`python -m mcp_server`: serve the catalog to agents on stdio, or on Streamable HTTP with `--http`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from catalog.evidence import default_evidence_dir, evidence_today
from catalog.evidence_folder import load_evidence
from catalog.loader import check_catalog, default_catalog_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mcp_server", description=__doc__)
    parser.add_argument(
        "--catalog", type=Path, default=None, help="catalog directory (default: $CATALOG_DIR, else the bundled catalog)"
    )
    parser.add_argument(
        "--evidence", type=Path, default=None, help="evidence folder (default: $EVIDENCE_DIR, else evidence/)"
    )
    parser.add_argument(
        "--site", type=Path, default=Path("site"), help="built site whose llms.txt and catalog.json are offered (site/)"
    )
    parser.add_argument(
        "--http", action="store_true", help="serve Streamable HTTP (stateless) at http://HOST:PORT/mcp instead of stdio"
    )
    parser.add_argument("--host", default="127.0.0.1", help="with --http: address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="with --http: port to listen on (default: 8000)")
    args = parser.parse_args(argv)

    from mcp_server.server import CatalogView, build_server  # the MCP SDK loads after the arguments are read

    catalog, errors = check_catalog(args.catalog or default_catalog_dir())
    if catalog is None:
        for error in errors:
            print(error.format(), file=sys.stderr)
        return 1
    evidence_dir = args.evidence or default_evidence_dir()
    evidence = load_evidence(evidence_dir)
    for problem in evidence.problems:
        print(f"evidence ignored: {problem}", file=sys.stderr)
    server = build_server(CatalogView(catalog, evidence, evidence_today(), evidence_dir=evidence_dir), args.site)
    if not args.http:
        server.run("stdio")
    else:
        # Stateless (each POST stands alone, no session): what the 2026-07-28 protocol asks, and what runs behind
        # a load balancer. JSON answers, as no tool streams.
        print(f"MCP over Streamable HTTP at http://{args.host}:{args.port}/mcp", file=sys.stderr)
        server.run("streamable-http", host=args.host, port=args.port, stateless_http=True, json_response=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
