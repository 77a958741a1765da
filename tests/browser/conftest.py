"""Fixtures for the headless-Chromium tests: the real site built once, served locally, and a browser.

The site is built from the repository's own catalog with `mkdocs build --strict`, exactly as `make build`
does, into a temporary directory, with SITE_URL set to the free local port it is then served on. A hand-written page that follows the same HTML contract (with hostile
catalog text and dates the real catalog may not have) is copied next to it as /_contract/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, expect, sync_playwright

from bench.site_weight import serve

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: How long any Playwright wait may take (actions, navigation, `wait_for_*`, `expect`), in ms. It is a safety
#: net that only bounds a hang: every wait in these tests is for a condition (an element, a URL, a state), and
#: returns as soon as it holds. On a busy 2-core machine Chromium, the site server and the tests share the
#: cores with whatever else runs, and a page that takes a second idle can take many; a failure must mean the
#: condition never held, not that the machine was slow. Every browser context is made by `new_context`.
TIMEOUT_MS = 120_000
expect.set_options(timeout=TIMEOUT_MS)


def build_site(out: Path, site_url: str) -> None:
    """`mkdocs build --strict` of the real site into `out`, for the address it will be served at."""
    mkdocs = REPO_ROOT / ".venv" / "bin" / "mkdocs"
    command = [str(mkdocs) if mkdocs.exists() else "mkdocs", "build", "--strict", "-d", str(out)]
    env = {**os.environ, "SITE_URL": site_url, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    # A safety net against a hung build: the build takes a minute or two idle and several on a loaded machine.
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` failed with exit code {proc.returncode}:\n{proc.stdout}{proc.stderr}")


@pytest.fixture(scope="session")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    out = tmp_path_factory.mktemp("browser") / "site"
    with serve(out) as url:
        yield url, out


@pytest.fixture(scope="session")
def site_dir(_served: tuple[str, Path]) -> Path:
    """The real site, built with the project's mkdocs.yml, hooks and catalog, with SITE_URL set to the address
    `base_url` serves it at (so canonical URLs, the sitemap and Material's instant navigation all match)."""
    url, out = _served
    build_site(out, url)
    contract = out / "_contract"
    contract.mkdir()
    for page in (HERE / "fixtures").glob("*.html"):
        shutil.copyfile(page, contract / page.name)
    return out


@pytest.fixture(scope="session")
def base_url(_served: tuple[str, Path], site_dir: Path) -> str:
    """http://127.0.0.1:PORT/ serving the built site."""
    return _served[0]


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main thread
# while it is alive, and the async probe tests that run later in the same session need that thread free.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium. `launch` gives it a fresh temporary profile (user data dir) every session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (as root) to install Debian's Chromium")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


def _external(text: str) -> bool:
    """Whether an error is about a resource outside the local server (test_offline.py reports those)."""
    return any(not url.startswith(LOCAL) for url in re.findall(r"https?://[^\s'\"]+", text))


LOCAL = "http://127.0.0.1:"


@pytest.fixture
def page_errors() -> list[str]:
    """Script errors and console.error messages of the test's page; a test that expects some clears them."""
    return []


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """`browser.new_context(**options)` with the generous default timeout (TIMEOUT_MS) for every wait in it.

    Every test that needs a context of its own (a viewport, a colour scheme, permissions) makes it here, so no
    test runs with Playwright's shorter defaults or a constant of its own."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def _page(browser: Browser, errors: list[str], *, javascript: bool) -> Iterator[Page]:
    context = new_context(browser, java_script_enabled=javascript, viewport={"width": 1400, "height": 1000})
    page = context.new_page()

    def on_error(exc: Exception) -> None:
        if not _external(str(exc)):
            errors.append(f"uncaught exception: {exc}")

    def on_console(msg: ConsoleMessage) -> None:
        where = msg.location.get("url", "") if msg.location else ""
        if msg.type == "error" and not _external(f"{msg.text} {where}"):
            errors.append(f"console.error: {msg.text} ({where})")

    page.on("pageerror", on_error)
    page.on("console", on_console)
    try:
        yield page
    finally:
        url = page.url
        context.close()
    assert not errors, f"JavaScript errors on {url}:\n" + "\n".join(errors)


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    """A page in a fresh browser context; the test fails if a script error or console.error happened on it
    (errors about resources outside the local server are left to test_offline.py)."""
    yield from _page(browser, page_errors, javascript=True)


@pytest.fixture
def nojs_page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    """A page with JavaScript switched off."""
    yield from _page(browser, page_errors, javascript=False)
