"""What keeps the site flat as the catalog grows (issue 13): agent files, per-deployment JSON, the render
cache, and Mermaid only where a page draws a diagram."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from bench.synth_catalog import generate
from catalog import load_catalog
from catalog.evidence_folder import Evidence
from hooks.render.agents import (
    PageEntry,
    catalog_export,
    render_catalog_json,
    render_deployment_json_files,
    render_llms_txt,
)
from hooks.site_context import SiteContext
from hooks.speed import SWITCH
from hooks.speed.render_cache import RenderStore
from tests.site.sitebuild import BuildResult, build_site, copy_docs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LLMS_TXT_LIMIT = 64 * 1024


def _llms_txt_bytes(catalog: Path) -> int:
    ctx = SiteContext(load_catalog(catalog), Evidence(), dt.date(2026, 11, 22), catalog.parent)
    guides = [PageEntry("Catalog", "catalog/index.md", "every deployment in one table")]
    return len(render_llms_txt(ctx, guides, []).encode("utf-8"))


def test_llms_txt_stays_flat_on_a_large_catalog(tmp_path: Path) -> None:
    generate(tmp_path / "small", 300)
    generate(tmp_path / "large", 3000)
    small, large = _llms_txt_bytes(tmp_path / "small"), _llms_txt_bytes(tmp_path / "large")
    assert large <= LLMS_TXT_LIMIT, f"llms.txt is {large} bytes at 3000 models"
    assert large - small < 256, f"llms.txt grew from {small} to {large} bytes between 300 and 3000 models"


def test_one_json_file_per_deployment_holds_its_catalog_json_entry(site_ctx: SiteContext) -> None:
    export = catalog_export(site_ctx)
    files = render_deployment_json_files(export)
    assert sorted(files) == [f"deployments/{dep_id}.json" for dep_id in sorted(export["deployments"])]
    for dep_id, entry in export["deployments"].items():
        data = json.loads(files[f"deployments/{dep_id}.json"])
        assert data == {"export_version": export["export_version"], "id": dep_id, "deployment": entry}


def test_catalog_json_is_encoded_fast_to_the_same_text(site_ctx: SiteContext) -> None:
    assert RenderStore(None).indented_json(catalog_export(site_ctx)) == render_catalog_json(site_ctx)


# --- builds -----------------------------------------------------------------------------------------------


def _site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _build(tmp: Path, name: str, catalog: Path, cache: str) -> BuildResult:
    folder = tmp / name
    folder.mkdir()
    result = build_site(folder, catalog, FIXTURES / "small-evidence", extra_env={"SITE_RENDER_CACHE": cache})
    assert result.returncode == 0, result.output
    return result


def _differing(a: BuildResult, b: BuildResult) -> list[str]:
    first, second = _site_files(a.site_dir), _site_files(b.site_dir)
    assert sorted(first) == sorted(second)
    return sorted(path for path in first if first[path] != second[path])


@pytest.fixture(scope="module")
def uncached(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return _build(tmp_path_factory.mktemp("uncached"), "site", FIXTURES / "small-catalog", "off")


def test_a_build_from_the_render_cache_is_the_build_without_it(uncached: BuildResult, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    cold = _build(tmp_path, "cold", FIXTURES / "small-catalog", cache)
    assert list((tmp_path / "cache").rglob("*.json")), "the first build stored nothing"
    warm = _build(tmp_path, "warm", FIXTURES / "small-catalog", cache)
    assert _differing(uncached, cold) == []
    assert _differing(uncached, warm) == []

    # An edited deployment: its card (and every page that lists it) changes, from the cache as without it.
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    path = catalog / "deployments/coder-chat.yaml"
    path.write_text(path.read_text().replace("Coding chat on one L4.", "Coding chat on one L4, edited."))
    edited_cached = _build(tmp_path, "edited-cached", catalog, cache)
    edited_uncached = _build(tmp_path, "edited-uncached", catalog, "off")
    assert _differing(edited_cached, edited_uncached) == []
    card = (edited_cached.site_dir / "deployments/coder-chat/index.html").read_text(encoding="utf-8")
    assert "Coding chat on one L4, edited." in card


def test_the_speed_layer_changes_nothing_but_time(uncached: BuildResult, tmp_path: Path) -> None:
    """`SITE_SPEED_LAYER=off` (hooks/speed/__init__.py): no cache, no workers, no themed-page reuse; the same site."""
    folder = tmp_path / "slow"
    folder.mkdir()
    slow = build_site(folder, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env={SWITCH: "off"})
    assert slow.returncode == 0, slow.output
    assert f"{SWITCH}=off" in slow.output
    assert not (folder / "render-cache").exists(), "the build used the render cache with the speed layer off"
    assert _differing(uncached, slow) == []


def test_a_second_build_in_a_new_process_reuses_every_themed_page(tmp_path: Path) -> None:
    """A new process hashes strings differently (PYTHONHASHSEED); the key of a page's themed HTML and of the
    search index must not follow (they did: one printed a set of the theme's, the other hashed pages in the
    order of a set, and every other build re-rendered every page and ran Pagefind again)."""
    cache = tmp_path / "cache"

    def entries() -> set[str]:
        return {p.name for p in cache.rglob("*.json")} | {p.name for p in cache.glob("pagefind/pagefind-*")}

    folder = tmp_path / "first"
    folder.mkdir()
    env = {"SITE_RENDER_CACHE": str(cache), "PYTHONHASHSEED": "1"}
    first = build_site(folder, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env=env)
    assert first.returncode == 0, first.output
    stored = entries()
    for seed in ("2", "3"):
        folder = tmp_path / f"seed-{seed}"
        folder.mkdir()
        env = {"SITE_RENDER_CACHE": str(cache), "PYTHONHASHSEED": seed}
        again = build_site(folder, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env=env)
        assert again.returncode == 0, again.output
        assert entries() == stored, "a build of the same site stored pages again: its keys changed"
        assert _differing(first, again) == []


def test_only_pages_with_diagrams_load_mermaid(uncached: BuildResult) -> None:
    pages = {
        p.relative_to(uncached.site_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in uncached.site_dir.rglob("*.html")
    }
    with_diagrams = sorted(path for path, html in pages.items() if 'class="mermaid"' in html)
    assert with_diagrams == ["decide/index.html"]
    for path, html in pages.items():
        scripts = re.findall(r'<script src="([^"]+)"', html)
        assert not [s for s in scripts if "mermaid.min.js" in s], f"{path} loads Mermaid itself"


def test_search_uses_pagefind_behind_materials_search_box(uncached: BuildResult) -> None:
    site = uncached.site_dir
    assert json.loads((site / "search/search_index.json").read_text())["docs"] == [], "Material indexes nothing"
    assert (site / "pagefind/pagefind.js").is_file() and list((site / "pagefind/index").iterdir())
    catalog = (site / "catalog/index.html").read_text(encoding="utf-8")
    assert '"search": "../assets/javascripts/search-worker.js"' in catalog
    assert 'class="md-search"' in catalog, "Material's search box is still on every page"


# --- what search indexes ------------------------------------------------------------------------------------


def _table(rows: int) -> str:
    return "<table><thead><tr><th>Name</th></tr></thead><tbody>" + "<tr><td>x</td></tr>" * rows + "</tbody></table>"


def test_long_tables_and_lists_are_left_out_of_the_search_index_and_short_ones_kept() -> None:
    from hooks.speed.search_index import LONG_LIST_ENTRIES, unindexed_long_lists

    long_list = "<ul>" + "<li>x</li>" * (LONG_LIST_ENTRIES + 1) + "</ul>"
    short_list = "<ol>" + "<li>x</li>" * LONG_LIST_ENTRIES + "</ol>"
    # The header row counts: a table of LONG_LIST_ENTRIES rows in all stays indexed.
    html = f"<p>intro</p>{_table(LONG_LIST_ENTRIES + 1)}{_table(LONG_LIST_ENTRIES - 1)}{long_list}{short_list}"
    marked = unindexed_long_lists(html)
    assert marked.count("data-pagefind-ignore") == 2
    assert marked.startswith("<p>intro</p><table data-pagefind-ignore><thead>")
    assert f"{_table(LONG_LIST_ENTRIES - 1)}<ul data-pagefind-ignore>" in marked
    assert marked.endswith(short_list)
    assert unindexed_long_lists(marked) == marked, "marking twice changes nothing"
    # A list whose items hold lists is counted only up to its first nested end: never marked by mistake.
    nested = "<ul>" + "<li>a<ul><li>b</li></ul></li>" * (LONG_LIST_ENTRIES + 5) + "</ul>"
    assert unindexed_long_lists(nested) == nested


# --- pages converted on several processes -------------------------------------------------------------------


def test_pages_converted_on_several_processes_are_the_pages_converted_on_one(
    uncached: BuildResult, tmp_path: Path
) -> None:
    """The build converts pages in forked workers (hooks/speed/render_cache.py `prerender`): same site, byte for byte."""
    folder = tmp_path / "one"
    folder.mkdir()
    one = build_site(
        folder,
        FIXTURES / "small-catalog",
        FIXTURES / "small-evidence",
        extra_env={"SITE_RENDER_CACHE": "off", "SITE_BUILD_WORKERS": "1"},
    )
    assert one.returncode == 0, one.output
    folder = tmp_path / "three"
    folder.mkdir()
    three = build_site(
        folder,
        FIXTURES / "small-catalog",
        FIXTURES / "small-evidence",
        extra_env={"SITE_RENDER_CACHE": "off", "SITE_BUILD_WORKERS": "3"},
    )
    assert three.returncode == 0, three.output
    assert re.search(r"\b\d+ pages converted on 3 processes", three.output), three.output
    assert "pages converted on" not in one.output
    assert _differing(one, three) == []
    assert _differing(one, uncached) == []


def test_a_broken_link_fails_a_build_on_several_processes_and_is_reported_once(tmp_path: Path) -> None:
    docs = copy_docs(tmp_path)
    page = docs / "glossary.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[gone](no-such-page.md)\n", encoding="utf-8")
    result = build_site(
        tmp_path,
        FIXTURES / "small-catalog",
        FIXTURES / "small-evidence",
        docs=docs,
        extra_env={"SITE_RENDER_CACHE": "off", "SITE_BUILD_WORKERS": "2"},
    )
    assert result.returncode != 0, "a strict build with a broken link passed"
    # Once, from MkDocs' own conversion: the worker that met it first reported nothing.
    assert result.output.count("contains a link 'no-such-page.md', but the target is not found") == 1, result.output


def test_a_bad_worker_count_names_the_fix(tmp_path: Path) -> None:
    result = build_site(
        tmp_path, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env={"SITE_BUILD_WORKERS": "two"}
    )
    assert result.returncode != 0
    assert "SITE_BUILD_WORKERS='two': give a whole number of processes (1 renders on this one)" in result.output
