"""A new team's site as a reader meets it: `python -m onboarding init`, then `mkdocs serve` of that catalog (the
README's commands), read in Chromium.

Every page the menu offers opens, shows something under its title, and raises no script error; every link
on those pages and in `llms.txt` leads to a page that answers, and a link with `#fragment` to an element
that is there. The home page says what to do next instead of an empty list of picks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest
from playwright.sync_api import Page

from onboarding.cli import main as onboarding_main
from testbed.vllm_server import free_port
from tests.browser.conftest import REPO_ROOT

pytestmark = pytest.mark.browser

#: How long `mkdocs serve` may take to answer on a busy 2-core machine: a safety net, not a timing.
SERVE_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("team-site")
    assert onboarding_main(["init", str(tmp / "team-models")]) == 0
    port = free_port()
    env = {
        **os.environ,
        "CATALOG_DIR": str(tmp / "team-models"),
        "EVIDENCE_DIR": str(tmp / "team-evidence"),
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
        "SITE_RENDER_CACHE": str(tmp / "render-cache"),
        "CATALOG_PARSE_CACHE": str(tmp / "parse-cache" / "values.pickle"),
    }
    env.pop("CARDS", None)
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--no-livereload", "-a", f"127.0.0.1:{port}"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"mkdocs serve exited with {process.returncode}:\n{(tmp / 'serve.log').read_text()}")
            try:
                # llms.txt is written after the pages (hooks/speed/dev_server.py): once it answers, the site is whole.
                if httpx.get(f"{url}llms.txt", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mkdocs serve did not answer in time:\n{(tmp / 'serve.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def _menu(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        ".md-nav--primary a.md-nav__link[href], .md-tabs a.md-tabs__link[href]", "els => els.map(e => e.href)"
    )
    return sorted({urldefrag(h)[0] for h in hrefs})


def _check_link(url: str, site: str, pages: dict[str, str]) -> str | None:
    """Why a same-site link leads nowhere, or None; each page is fetched once."""
    if not url.startswith(site):
        return None
    target, fragment = urldefrag(url)
    target = target.split("?", 1)[0]
    if target not in pages:
        reply = httpx.get(target, timeout=30, follow_redirects=True)
        pages[target] = reply.text if reply.status_code == 200 else f"<status {reply.status_code}>"
    if pages[target].startswith("<status "):
        return pages[target]
    if fragment and not re.search(rf'\sid="{re.escape(fragment)}"', pages[target]):
        return f"no element with id {fragment}"
    return None


def test_every_page_in_the_menu_opens_shows_something_and_links_somewhere(page: Page, served: str) -> None:
    page.goto(served)
    menu = _menu(page)
    assert served in menu and len(menu) >= 3, menu
    fetched: dict[str, str] = {}
    broken = []
    for url in menu:
        reply = page.goto(url)
        assert reply is not None and reply.status == 200, url
        body = page.locator("article").inner_text()
        title = page.locator("article h1").first.inner_text()
        shown = " ".join(body.replace(title, "", 1).split())
        assert len(shown) > 80, f"{url} shows next to nothing under its title: {shown!r}"
        links: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for link in links:
            why = _check_link(link, served, fetched)
            if why:
                broken.append(f"{urlsplit(url).path}: {link} ({why})")
    assert not broken, "\n".join(broken)


def test_the_home_page_says_what_to_do_next(page: Page, served: str) -> None:
    page.goto(served)
    text = page.locator("article").inner_text()
    assert "no picks to show" in text and "python -m probes discover URL" in text, text
    assert "Picks of the" not in text
    for absent in ("Glossary", "Model hubs", "Compare", "Site benchmark", "Gateway"):
        assert page.locator(".md-nav--primary a.md-nav__link", has_text=absent).count() == 0, absent


def test_every_link_in_llms_txt_answers(served: str) -> None:
    text = httpx.get(f"{served}llms.txt", timeout=30).text
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links, text
    fetched: dict[str, str] = {}
    broken = [f"{link} ({why})" for link in links if (why := _check_link(urljoin(served, link), served, fetched))]
    assert not broken, broken


def test_the_serve_command_is_the_one_the_readme_gives() -> None:
    readme = (Path(REPO_ROOT) / "README.md").read_text(encoding="utf-8")
    assert "CATALOG_DIR=my-catalog EVIDENCE_DIR=my-evidence .venv/bin/mkdocs serve" in readme
    assert "python -m onboarding init my-catalog" in readme
