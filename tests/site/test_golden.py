"""Golden files: each renderer's whole output for the small catalog, compared byte for byte.

After an intended change, regenerate with `UPDATE_GOLDEN=1 make test-fast` and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hooks.render.agents import PageEntry, render_catalog_json, render_llms_txt
from hooks.render.deployment_card import render_deployment_card
from hooks.render.deployment_index import render_deployment_index
from hooks.render.markers import MARKERS
from hooks.render.performance import render_performance
from hooks.render.templating import Links
from hooks.site_context import SiteContext

GOLDEN = Path(__file__).resolve().parent / "golden"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

RENDERERS: dict[str, Callable[[SiteContext], str]] = {
    **{f"marker-{name}.md": (lambda ctx, fn=fn: fn(ctx, Links("page/"))) for name, fn in MARKERS.items()},
    "card-coder-chat.md": lambda ctx: render_deployment_card(ctx, "coder-chat"),
    "card-coder-fim.md": lambda ctx: render_deployment_card(ctx, "coder-fim"),
    "deployments-index.md": render_deployment_index,
    "llms.txt": lambda ctx: render_llms_txt(
        ctx,
        [PageEntry("Catalog", "catalog/index.md", "the table")],
        [PageEntry("catalog.json", "catalog.json", "all of it")],
    ),
    "catalog.json": render_catalog_json,
    "performance-with-results.md": lambda ctx: render_performance(
        dataclasses.replace(ctx, benchmark=json.loads((FIXTURES / "bench-results.json").read_text())), Links("page/")
    ),
    # The results `make bench` writes now: a floor in the same run, cold and warm builds, search, JS, Lighthouse.
    "performance-with-floor.md": lambda ctx: render_performance(
        dataclasses.replace(ctx, benchmark=json.loads((FIXTURES / "bench-results-floor.json").read_text())),
        Links("page/"),
    ),
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_renderer_matches_golden_file(name: str, site_ctx: SiteContext) -> None:
    output = RENDERERS[name](site_ctx)
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(output, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run with UPDATE_GOLDEN=1 to create it"
    assert output == golden.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 regenerates it"


def test_no_golden_file_is_left_without_its_renderer() -> None:
    """A golden file whose renderer went away would keep asserting nothing; it must go with it."""
    orphans = sorted(p.name for p in GOLDEN.iterdir()) - RENDERERS.keys()
    assert not orphans, f"golden files without a renderer: {orphans}; delete them"
