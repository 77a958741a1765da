"""Lifecycle: on its `retires_on` day a deployment leaves every pick list, which names its successor instead;
its card shows the date; validation rejects an unknown successor and a circle of successors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from catalog import check_catalog, load_catalog
from catalog.evidence_folder import Evidence
from hooks.render.agents import render_llms_txt
from hooks.render.chooser import render_quick_chooser
from hooks.render.deployment_card import render_deployment_card
from hooks.render.templating import Links
from hooks.site_context import SiteContext

RETIRES = dt.date(2026, 12, 1)


def _retire_llama(catalog: Path, successor: str = "coder-chat") -> None:
    path = catalog / "deployments/ollama-llama3.1-8b.yaml"
    path.write_text(path.read_text() + f"retires_on: {RETIRES.isoformat()}\nsuccessor: {successor}\n")


def _site(catalog: Path, today: dt.date) -> SiteContext:
    return SiteContext(load_catalog(catalog), Evidence(), today, catalog.parent)


def test_a_pick_leaves_the_lists_on_its_day_and_names_its_successor(small_catalog: Path) -> None:
    _retire_llama(small_catalog)
    before = _site(small_catalog, RETIRES - dt.timedelta(days=1))
    chooser = render_quick_chooser(before, Links(""))
    assert 'href="deployments/ollama-llama3.1-8b/"><code>llama3.1:8b</code></a> — Simple and local' in chooser
    assert "Retires on 2026-12-01" in render_deployment_card(before, "ollama-llama3.1-8b")

    after = _site(small_catalog, RETIRES)
    chooser = render_quick_chooser(after, Links(""))
    assert "— Simple and local" not in chooser, "a retired deployment is no longer a pick"
    assert (
        '<code>llama3.1:8b</code></a> (retired on 2026-12-01; use <a href="deployments/coder-chat/">'
        "<code>coder-chat</code></a>)" in chooser  # the gateway alias a client sends, not the served HF id
    )
    llms = render_llms_txt(after, [], [])
    assert "- General chat: llama3.1:8b retired on 2026-12-01; use [qwen2.5-coder-7b-instruct]" in llms
    assert "[General chat: llama3.1:8b]" not in llms
    card = render_deployment_card(after, "ollama-llama3.1-8b")
    assert '!!! danger "Retired on 2026-12-01"' in card and "Its successor is [`qwen2.5-coder-7b-instruct`]" in card


def test_a_retired_successor_is_skipped_for_the_next_one(small_catalog: Path) -> None:
    _retire_llama(small_catalog, successor="old-llama")
    path = small_catalog / "deployments/old-llama.yaml"
    path.write_text(path.read_text() + "retires_on: 2026-01-01\nsuccessor: coder-chat\n")
    chooser = render_quick_chooser(_site(small_catalog, RETIRES), Links(""))
    assert '(retired on 2026-12-01; use <a href="deployments/coder-chat/">' in chooser


def _errors(root: Path) -> list[str]:
    return [e.format() for e in check_catalog(root)[1]]


def test_unknown_successor_and_circles_are_rejected(small_catalog: Path) -> None:
    _retire_llama(small_catalog, successor="coder-chatt")
    assert _errors(small_catalog) == [
        "cat/deployments/ollama-llama3.1-8b.yaml:12:1: successor: unknown deployment `coder-chatt`"
        " (hint: did you mean `coder-chat`?)"
    ]
    path = small_catalog / "deployments/ollama-llama3.1-8b.yaml"
    path.write_text(path.read_text().replace("successor: coder-chatt", "successor: old-llama"))
    old = small_catalog / "deployments/old-llama.yaml"
    old.write_text(old.read_text() + "successor: ollama-llama3.1-8b\n")
    assert _errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:9:1: successor: successors go round in a circle:"
        " old-llama -> ollama-llama3.1-8b -> old-llama (hint: end the chain at a deployment without `successor:`)",
        "cat/deployments/ollama-llama3.1-8b.yaml:12:1: successor: successors go round in a circle:"
        " ollama-llama3.1-8b -> old-llama -> ollama-llama3.1-8b (hint: end the chain at a deployment without"
        " `successor:`)",
    ]
