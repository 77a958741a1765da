"""One registry of pages (hooks/render/site_pages.py): mkdocs.yml agrees with it, and renderers link through it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hooks.render.site_pages import SitePage, deployment_url
from hooks.render.templating import TEMPLATES, Links, built_href
from hooks.site_layout import SiteLayout

REPO = Path(__file__).resolve().parents[2]
RENDERERS = REPO / "hooks" / "render"

#: Modules that still spell page files or URLs, each with its reason; this list may only shrink.
NOT_YET_MOVED = {
    "hooks/render/site_pages.py": "the registry itself",
    "hooks/render/pages.py": "which pages a catalog leaves out, keyed by page file (its own owner moves it)",
    "hooks/render/agents.py": "the agent files' URLs of cards and their JSON (its own owner moves it)",
}
#: Lines that hold a page-like path that is not a link to a page, each with its reason.
NOT_A_PAGE = {
    ("hooks/templates/snippets/gateway_start.sh.j2", '"gateway/'): "the folder `gateway export` writes",
}


class _MkDocsYaml(yaml.SafeLoader):
    """mkdocs.yml as plain data: its `!!python/...` values (emoji functions, the builder guard) read as null."""


_MkDocsYaml.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def _mkdocs() -> dict[str, Any]:
    config: dict[str, Any] = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_MkDocsYaml)
    return config


def test_mkdocs_nav_lists_the_registry_in_order() -> None:
    # The navigation groups pages into sections (the top tabs); the pages in it, read in order, are the registry's.
    layout = SiteLayout.of(REPO / "docs", _mkdocs()["nav"], None, True)
    nav = [(layout.nav_titles()[src], src) for src in layout.nav_order()]
    assert nav == [(page.entry.title, page.src) for page in SitePage], (
        "mkdocs.yml `nav` and hooks/render/site_pages.py `SitePage` must list the same pages, titles and order"
    )


def test_mkdocs_page_notes_are_the_registry_notes() -> None:
    notes = _mkdocs()["extra"]["page_notes"]
    assert notes == {page.url or "/": page.entry.note for page in SitePage}, (
        "mkdocs.yml `extra.page_notes` and the notes in hooks/render/site_pages.py must agree"
    )


def test_every_page_file_exists_or_is_generated() -> None:
    for page in SitePage:
        assert page.entry.generated or (REPO / "docs" / page.src).is_file(), page.src


def test_urls_follow_the_page_files() -> None:
    assert SitePage.home.url == ""
    assert SitePage.deployments.url == "deployments/"
    assert SitePage.served_models.url == "served-models/"
    assert deployment_url("coder-chat") == "deployments/coder-chat/"


def test_links_to_pages_are_relative_and_skip_pages_left_out() -> None:
    card = Links(deployment_url("coder-chat"))
    assert card.page(SitePage.catalog) == "../../catalog/"
    assert card.page(SitePage.home) == "../.."
    assert Links(SitePage.fleets.url).page(SitePage.home) == Links(SitePage.fleets.url).to("")
    assert built_href({}, card, SitePage.compare) == "../../compare/"
    assert built_href({"compare.md": "fewer than two deployments"}, card, SitePage.compare) is None


def _bare_page_reference() -> re.Pattern[str]:
    urls = sorted({page.url for page in SitePage if page.url}, key=len, reverse=True)
    files = sorted({page.src for page in SitePage}, key=len, reverse=True)
    url = "|".join(map(re.escape, urls))
    file = "|".join(map(re.escape, files))
    return re.compile(
        "|".join(
            [
                rf"""["'](?:{url})""",  # "compare/", f"deployments/{id}/"
                rf"""["'](?:{file})["']""",  # "compare.md"
                rf"""(?:href=["']|\]\()(?:\.\.?/)*(?:{url})""",  # href="../catalog/", ](../catalog/)
                r"""\.page\(\s*["']|page_href\(|links\.to\(\s*["']""",  # links.page("compare"), links.to("")
            ]
        )
    )


def test_no_renderer_or_template_spells_a_page_url() -> None:
    pattern = _bare_page_reference()
    files = [*sorted(RENDERERS.glob("*.py")), *sorted(TEMPLATES.rglob("*.j2"))]
    found = []
    for path in files:
        relative = path.relative_to(REPO).as_posix()
        if relative in NOT_YET_MOVED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = pattern.search(line)
            if match and (relative, match.group(0)) not in NOT_A_PAGE:
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], (
        "link to pages through hooks/render/site_pages.py (links.page(SitePage.x), built_href, deployment_url):\n"
        + "\n".join(found)
    )


def test_the_list_of_modules_not_yet_moved_only_shrinks() -> None:
    pattern = _bare_page_reference()
    for relative in NOT_YET_MOVED:
        text = (REPO / relative).read_text(encoding="utf-8")
        assert pattern.search(text), f"{relative} spells no page URL any more: remove it from NOT_YET_MOVED"
