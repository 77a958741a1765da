"""`mkdocs serve` as a maintainer uses it (hooks/speed/dev_server.py): a real dev server on loopback, a real catalog
folder edited on disk. An edit reaches its page and the agent files, a new deployment gets a page, a deleted
one loses it (the server keeps its folder between rebuilds and must remove what is gone), and a server nobody
edits stays at rest (file notifications include the build's own reads, which must not trigger rebuilds)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.edit_loop import free_port, serve_env
from bench.synth_catalog import generate

REPO_ROOT = Path(__file__).resolve().parents[2]


#: A safety net for each wait below, which polls for its condition and returns as soon as it holds. Idle, the
#: first build of the 30-model catalog takes seconds and each rebuild about one; a busy 2-core machine can
#: make both many times slower, and that must not fail the test.
WAIT_S = 600.0


def _get(url: str) -> tuple[int, str]:
    """Status and body; (0, "") while the server does not answer (starting, or too busy to answer within a
    minute): the caller polls again."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def _wait(what: str, condition: Callable[[], bool], log: Path, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s; server log ends:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


class Served:
    def __init__(self, base: str, log: Path) -> None:
        self.base, self.log = base, log

    def builds(self) -> int:
        return self.log.read_text().count("Building documentation")

    def wait(self, what: str, path: str, condition: Callable[[int, str], bool]) -> None:
        _wait(what, lambda: condition(*_get(self.base + path)), self.log)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    catalog = tmp_path / "catalog"
    generate(catalog, 30)
    port = free_port()
    env = serve_env(catalog, tmp_path)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Served(f"http://127.0.0.1:{port}/", log), catalog
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_edits_additions_and_deletions_reach_the_served_site_and_then_it_rests(served: tuple[Served, Path]) -> None:
    site, catalog = served
    target = sorted((catalog / "deployments").glob("*.yaml"))[0]
    page = f"deployments/{target.stem}/"
    site.wait("first build", page, lambda status, html: status == 200 and "Synthetic deployment" in html)

    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("for scaling tests.", "for scaling tests. edited-on-disk", 1), encoding="utf-8")
    site.wait("the edit on its card", page, lambda status, html: "edited-on-disk" in html)
    site.wait("the edit in llms-full.txt", "llms-full.txt", lambda status, body: "edited-on-disk" in body)
    site.wait(
        "the edit in the deployment's JSON",
        f"deployments/{target.stem}.json",
        lambda status, body: "edited-on-disk" in body,
    )

    added = catalog / "deployments" / "dep-added-while-serving.yaml"
    added.write_text(
        text.replace(f"served_name: {target.stem.removeprefix('dep-')}", "served_name: added-while-serving", 1).replace(
            "gateway_alias: ", "gateway_alias: added-", 1
        ),
        encoding="utf-8",
    )
    site.wait("a new deployment's card", "deployments/dep-added-while-serving/", lambda status, html: status == 200)
    deleted = time.monotonic()
    added.unlink()
    site.wait("the deleted deployment's card gone", "deployments/dep-added-while-serving/", lambda s, html: s == 404)
    site.wait("its JSON gone", "deployments/dep-added-while-serving.json", lambda status, body: status == 404)
    rebuild_s = time.monotonic() - deleted  # how long one rebuild takes on this machine right now

    # At rest: no edit, no rebuild (the build reads the whole catalog; reading is not changing). The JSON goes
    # with the agent files, after the rebuild has returned, so no build runs now. Reading a catalog file here is
    # the same kind of notification the build's own reads cause. A server that rebuilt on reads would start
    # its next build within a fraction of a second of the last one (MkDocs waits 0.1 s for more events),
    # so a quiet spell of a few seconds shows it; a quiet spell of twice the rebuild just measured keeps
    # that margin when the machine is busy and everything, the server's reaction included, is slower.
    builds = site.builds()
    target.read_text(encoding="utf-8")
    quiet_s = max(4.0, 2 * rebuild_s)
    until = time.monotonic() + quiet_s
    while time.monotonic() < until:
        assert site.builds() == builds, (
            f"the server rebuilt {site.builds() - builds} times without an edit; log ends:\n{site.log.read_text()[-3000:]}"
        )
        time.sleep(0.1)
    assert site.builds() == builds, f"the server rebuilt {site.builds() - builds} times without an edit"
    status, html = _get(site.base + page)
    assert status == 200 and "edited-on-disk" in html
