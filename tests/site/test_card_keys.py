"""A card's render-cache key changes when what the card shows changes, and only then (issue 22).

The key once held the build's date (the first build of each day re-rendered every card) and the whole probe
history (every probe run made the next build cold). It now holds what the card shows of them. The tests
sweep the date and the history and render every card uncached: a key that stays the same while the card
changes would publish a stale card, which is worse than a slow build; a key that changes while the card
does not is the cold build this fixes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalog import load_catalog
from catalog.evidence_folder import load_evidence
from hooks.card_pages import generated_pages
from hooks.render.deployment_card import render_deployment_card
from hooks.site_context import SiteContext
from hooks.speed.render_cache import CardCache, RenderStore
from tests.site.sitebuild import BuildResult, build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = FIXTURES.parent.parent
#: From before the fixtures' first probe run to well past the 30-day availability window of the last one,
#: across old-llama's retirement (set below): states go stale, windows empty, a deployment retires.
DAYS = [dt.date(2026, 9, 25) + dt.timedelta(days=n) for n in range(0, 110, 3)]
RETIRES_ON = "2026-12-15"


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small catalog, with one deployment that retires in the middle of `DAYS`."""
    catalog = tmp_path_factory.mktemp("catalog") / "catalog"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    path = catalog / "deployments" / "old-llama.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + f"retires_on: {RETIRES_ON}\nsuccessor: ollama-llama3.1-8b\n",
        encoding="utf-8",
    )
    return catalog


def _history_line(deployment: str, claim: str, day: dt.date, status: str) -> str:
    moment = f"{day.isoformat()}T10:00:00Z"
    return json.dumps(
        {
            "claim": claim,
            "date": moment,
            "deployment": deployment,
            "format_version": 2,
            "reason": None if status == "pass" else "connection refused",
            "run_id": moment,
            "status": status,
            "ttft_p95_ms": None,
        },
        sort_keys=True,
    )


def _evidence_with_history(folder: Path, lines: list[str]) -> Path:
    shutil.copytree(FIXTURES / "every-state-evidence", folder)
    with (folder / "history.jsonl").open("a", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
    return folder


def _keys_and_cards(catalog: Path, evidence: Path, days: list[dt.date]) -> dict[str, list[tuple[str, str]]]:
    """deployment -> (key, card markdown rendered without any cache) on each day."""
    loaded = load_catalog(catalog)
    found: dict[str, list[tuple[str, str]]] = {dep_id: [] for dep_id in loaded.deployments}
    for day in days:
        # Evidence read as of a late day: none of it is "from the future" on any day of the sweep.
        ctx = SiteContext(loaded, load_evidence(evidence, day + dt.timedelta(days=400)), day, REPO_ROOT)
        cards = CardCache(ctx, RenderStore(None))
        for dep_id in loaded.deployments:
            found[dep_id].append((cards.card_key(dep_id), render_deployment_card(ctx, dep_id)))
    return found


def _changes(values: list[str]) -> int:
    return sum(a != b for a, b in itertools.pairwise(values))


def test_a_card_key_changes_with_the_date_exactly_when_the_card_does(catalog_dir: Path) -> None:
    found = _keys_and_cards(catalog_dir, FIXTURES / "every-state-evidence", DAYS)
    card_changes = 0
    for dep_id, pairs in found.items():
        by_key: dict[str, set[str]] = {}
        for key, card in pairs:
            by_key.setdefault(key, set()).add(card)
        stale = [key for key, cards in by_key.items() if len(cards) > 1]
        assert not stale, f"{dep_id}: one key for {len(by_key[stale[0]])} different cards: a stale card"
        keys, cards = [k for k, _c in pairs], [c for _k, c in pairs]
        assert _changes(keys) == _changes(cards), f"{dep_id}: the key changed on days the card did not"
        card_changes += _changes(cards)
    # The sweep means something: dates changed some cards (staleness, availability, retirement) ...
    assert card_changes >= 3
    # ... including the retirement, which only the date decides.
    retired = [card for _key, card in found["old-llama"]]
    assert "Retires on" in retired[0] and "Retired on" in retired[-1]


def test_a_card_key_ignores_history_the_card_does_not_show(catalog_dir: Path, tmp_path: Path) -> None:
    # Twelve daily passes: the card shows the newest ten runs and the 30-day availability.
    recent = [
        _history_line("coder-fim", "endpoint:fim", dt.date(2026, 11, 9) + dt.timedelta(days=n), "pass")
        for n in range(12)
    ]
    # A failure months before them: not among the newest runs, outside every window, and it does not move
    # the start of the current streak of passes.
    old = [_history_line("coder-fim", "endpoint:fim", dt.date(2026, 6, 1), "error")]
    # A new run: the card shows it, so its key must change.
    new = [_history_line("coder-fim", "endpoint:fim", dt.date(2026, 11, 21), "error")]
    day = [dt.date(2026, 11, 22)]
    base = _keys_and_cards(catalog_dir, _evidence_with_history(tmp_path / "base", recent), day)["coder-fim"][0]
    older = _keys_and_cards(catalog_dir, _evidence_with_history(tmp_path / "old", old + recent), day)["coder-fim"][0]
    newer = _keys_and_cards(catalog_dir, _evidence_with_history(tmp_path / "new", recent + new), day)["coder-fim"][0]
    assert older[1] == base[1], "the old failure changed the card: pick one it does not show"
    assert older[0] == base[0], "history the card does not show changed its key"
    assert newer[1] != base[1] and newer[0] != base[0], "a run the card shows must change its key"


def test_the_next_day_re_renders_only_cards_whose_content_changed(catalog_dir: Path, tmp_path: Path) -> None:
    store = RenderStore(tmp_path / "cache")
    loaded = load_catalog(catalog_dir)
    evidence = load_evidence(FIXTURES / "every-state-evidence", dt.date(2027, 1, 1))
    retires_on = dt.date.fromisoformat(RETIRES_ON)
    before = generated_pages(SiteContext(loaded, evidence, retires_on - dt.timedelta(days=1), REPO_ROOT), store)
    # The next day only old-llama's card changes: it retires (fresh contexts: no verdict is shared).
    after_ctx = SiteContext(loaded, evidence, dt.date.fromisoformat(RETIRES_ON), REPO_ROOT)
    uncached = {dep_id: render_deployment_card(after_ctx, dep_id) for dep_id in loaded.deployments}
    cards = CardCache(SiteContext(loaded, evidence, dt.date.fromisoformat(RETIRES_ON), REPO_ROOT), store)
    for dep_id in loaded.deployments:
        assert cards.card(dep_id, render_deployment_card) == uncached[dep_id], f"{dep_id}: stale card from the cache"
    changed = sorted(
        page.src_uri.removeprefix("deployments/").removesuffix(".md")
        for page in before
        if page.src_uri.removesuffix(".md").removeprefix("deployments/") in uncached
        and page.markdown != uncached[page.src_uri.removeprefix("deployments/").removesuffix(".md")]
    )
    assert changed == ["old-llama"]
    assert cards.misses == len(changed), f"re-rendered {cards.misses} cards; {changed} changed"
    assert cards.hits == len(loaded.deployments) - len(changed)


def test_cards_not_cached_are_rendered_on_several_processes_in_catalog_order(catalog_dir: Path, tmp_path: Path) -> None:
    store = RenderStore(tmp_path / "cache")
    ctx = SiteContext(load_catalog(catalog_dir), load_evidence(FIXTURES / "every-state-evidence"), DAYS[0], REPO_ROOT)
    ids = list(ctx.catalog.deployments)
    cards = CardCache(ctx, store)
    assert cards.cards(ids, render_deployment_card, workers=2) == [render_deployment_card(ctx, d) for d in ids]
    assert (cards.hits, cards.misses) == (0, len(ids))
    again = CardCache(ctx, RenderStore(tmp_path / "cache"))
    assert again.cards(ids, render_deployment_card, workers=2) == [render_deployment_card(ctx, d) for d in ids]
    assert (again.hits, again.misses) == (len(ids), 0)
    # Rendered elsewhere: each card names the process that rendered it. In a fresh interpreter, because a
    # process with other threads (a test runner's) never forks workers (catalog/forking.py).
    done = subprocess.run(
        [sys.executable, "-c", _WHERE_SCRIPT, str(catalog_dir), str(FIXTURES / "every-state-evidence")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=REPO_ROOT,
        env={**os.environ, "SITE_RENDER_CACHE": str(tmp_path / "other-cache")},
    )
    parent, *where = done.stdout.split("\n")[:-1]
    assert [text.split()[0] for text in where] == ids
    assert parent not in {text.split()[1] for text in where}, "rendered in the test's process, not in workers"


_WHERE_SCRIPT = """
import datetime as dt, os, sys
from pathlib import Path
from catalog import load_catalog
from catalog.evidence_folder import load_evidence
from hooks.speed.render_cache import CardCache, RenderStore
from hooks.site_context import SiteContext
ctx = SiteContext(load_catalog(Path(sys.argv[1])), load_evidence(Path(sys.argv[2])), dt.date(2026, 9, 25), Path.cwd())
print(os.getpid())
for text in CardCache(ctx, RenderStore(None)).cards(list(ctx.catalog.deployments), lambda _ctx, dep_id: f"{dep_id} {os.getpid()}", workers=2):
    print(text)
"""


def _site(result: BuildResult) -> dict[str, bytes]:
    assert result.returncode == 0, result.output
    site = result.site_dir
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_build_on_a_later_day_from_the_cache_is_the_build_without_it(catalog_dir: Path, tmp_path: Path) -> None:
    """End to end: cards cached on one day, built again weeks later, are what a build without cache makes."""
    evidence = FIXTURES / "every-state-evidence"
    cache = {"SITE_RENDER_CACHE": str(tmp_path / "cache")}
    later = str(int(dt.datetime(2026, 12, 20, tzinfo=dt.UTC).timestamp()))
    (tmp_path / "first").mkdir()
    (tmp_path / "cached").mkdir()
    (tmp_path / "fresh").mkdir()
    _site(build_site(tmp_path / "first", catalog_dir, evidence, extra_env=cache))
    cached = _site(
        build_site(tmp_path / "cached", catalog_dir, evidence, extra_env={**cache, "SOURCE_DATE_EPOCH": later})
    )
    fresh = _site(
        build_site(
            tmp_path / "fresh",
            catalog_dir,
            evidence,
            extra_env={"SITE_RENDER_CACHE": "off", "SOURCE_DATE_EPOCH": later},
        )
    )
    assert sorted(cached) == sorted(fresh)
    assert [path for path in cached if cached[path] != fresh[path]] == []
    assert b"Retired on" in cached["deployments/old-llama/index.html"]
