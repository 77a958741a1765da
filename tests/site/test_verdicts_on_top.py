"""Issue 26, item 2: answers where readers look.

Seed 000's per-model verdicts (best for, strengths, tradeoffs, avoid for, its OpenCode warnings) sit in the card's
summary at the top, once, and in rows of the Compare page; a fleet's servers (ports and URLs) and its migration
paths are in that fleet's own section of the Fleets page, and the Backends page only links to them.
"""

from __future__ import annotations

import html
import re

import pytest

from catalog.display import CLIENT_WARNINGS_LABEL, client_warning_text, verdict_lines, verdict_text
from catalog.schema import ClientWarning
from hooks.render.backends import render_migrations
from hooks.render.compare import compare_data
from hooks.render.deployment_card import render_deployment_card
from hooks.render.fleets import render_fleets
from hooks.render.templating import Links
from hooks.site_context import SiteContext

LINKS = Links("page/")


@pytest.fixture(scope="module")
def ctx(bundled_ctx: SiteContext) -> SiteContext:
    return bundled_ctx


def seen(markup: str) -> str:
    """What a reader sees: tags, bold marks and Markdown links stripped, entities decoded, whitespace collapsed."""
    unlinked = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", re.sub(r"</?[a-zA-Z][^>]*>", " ", markup))
    return re.sub(r"\s+", " ", html.unescape(unlinked.replace("**", "")))


def summary(card: str) -> str:
    """The card's summary block, the first thing under its title."""
    start = card.index('<div class="mc-summary" markdown>')
    return card[start : card.index("</div>", start)]


def section(page: str, heading: str) -> str:
    """One `## ` section of a rendered page, from its heading to the next `## ` heading."""
    start = page.index(f"\n## {heading}" if not page.startswith(f"## {heading}") else f"## {heading}")
    end = page.find("\n## ", start + 1)
    return page[start : end if end != -1 else len(page)]


# ------------------------------------------------------------------ the formatters


def test_verdict_formatters() -> None:
    assert verdict_text(["EU languages", "Translation"]) == "EU languages · Translation"
    assert verdict_text([]) is None
    warning = ClientWarning(client="OpenCode", message="Not for OpenCode; the system prompt leaks into answers")
    assert client_warning_text(warning) == "OpenCode: Not for OpenCode; the system prompt leaks into answers"


# ------------------------------------------------------------------ the card's summary


@pytest.mark.parametrize(
    ("dep_id", "lines"),
    [
        (
            "vllm-oss20b",
            [
                "Best for: Everyday assistant work · Summarization · RAG answers · Email drafting · Planning",
                "Strengths: Good balance of quality and latency · Follows instructions reliably",
                "Tradeoffs: Not the strongest choice for deep multi-step reasoning",
            ],
        ),
        (
            "vllm-eurollm-22b-fp4",
            [
                "Best for: EU languages · Translation · Multilingual RAG and customer support",
                f"{CLIENT_WARNINGS_LABEL}: OpenCode: Not for OpenCode; the system prompt leaks into answers",
            ],
        ),
        (
            "vllm-llama-3.3-70b-instruct-fp4",
            [f"{CLIENT_WARNINGS_LABEL}: OpenCode: Not recommended; a client-side incompatibility causes aggressive"],
        ),
        (
            "vllm-glm-4.5-air-derestricted-fp4",
            ["Avoid for: Public or production deployments without additional safety controls"],
        ),
    ],
)
def test_card_summary_holds_the_verdicts_once(ctx: SiteContext, dep_id: str, lines: list[str]) -> None:
    card = render_deployment_card(ctx, dep_id)
    top = seen(summary(card))
    rest = seen(card.replace(summary(card), ""))
    for line in lines:
        assert line in top, f"{dep_id}: the summary lacks {line!r}"
        label = line.split(":", 1)[0]
        assert f"{label}:" not in rest, f"{dep_id}: {label} is said again further down the card"
    assert "Client compatibility: OpenCode" not in rest, "no warning admonition repeats the summary's line"


def test_every_seed_000_verdict_reaches_its_card_summary(ctx: SiteContext) -> None:
    for dep_id, dep in ctx.catalog.deployments.items():
        if not any(ref.source == "seed-000" for ref in dep.sources):
            continue
        top = seen(summary(render_deployment_card(ctx, dep_id)))
        for label, text in verdict_lines(dep):
            if text is not None:
                assert f"{label}: {text}" in top, f"{dep_id}: {label}"


# ------------------------------------------------------------------ compare


def test_compare_has_a_row_for_each_verdict(ctx: SiteContext) -> None:
    data = compare_data(ctx, LINKS)
    labels = ["Best for", "Strengths", "Tradeoffs", "Avoid for", CLIENT_WARNINGS_LABEL]
    assert all(label in data["rows"] for label in labels)
    assert data["rows"].index("Best for") < data["rows"].index("Backend"), "verdicts come before the specifications"

    def value(dep_id: str, label: str) -> str:
        return str(data["deployments"][dep_id]["values"][data["rows"].index(label)])

    assert value("vllm-deepseek-r1-14b", "Best for") == "Reasoning on a budget · Single-GPU workloads"
    assert value("vllm-deepseek-r1-32b", "Tradeoffs") == "Slower and heavier than the 14B"
    assert value("vllm-deepseek-ocr", CLIENT_WARNINGS_LABEL).startswith("OpenCode: Not designed for OpenCode")
    assert value("vllm-deepseek-r1-14b", CLIENT_WARNINGS_LABEL) == "—", "a missing verdict is a dash"


# ------------------------------------------------------------------ a fleet's own section


def test_provider_stack_section_lists_its_ports_urls_and_migrations(ctx: SiteContext) -> None:
    fleets = render_fleets(ctx, LINKS)
    own = section(fleets, "Provider stack")
    for fact in ("### vLLM server (port 8001)", "### Ollama server (port 11434)", "(ports 8000, 8080)"):
        assert fact in own, fact
    assert "**URL:** `http://localhost:8001/v1` (inferred)" in own
    assert "**URL:** `http://localhost:11434/v1` (inferred)" in own
    # Seed 001's two migration paths, steps and code, in its own section; the advice line points at them.
    assert "### Migration paths { #provider-stack-migrations }" in own
    assert "[migration paths](#provider-stack-migrations)" in own
    for title, anchor in (
        ("From Ollama to vLLM (Scaling Up)", "migration-ollama-to-vllm"),
        ("From vLLM to Ollama (Simplifying)", "migration-vllm-to-ollama"),
    ):
        assert f"#### {title} {{ #{anchor} }}" in own
    assert "Watch GPU memory and tune `--gpu-memory-utilization`" in own
    assert "model='llama2-13b-vllm'" in own
    # No other fleet's section shows them.
    assert fleets.count("#### From Ollama to vLLM") == 1


def test_a_fleet_without_servers_lists_where_to_call_its_deployments(ctx: SiteContext) -> None:
    own = section(render_fleets(ctx, LINKS), "vLLM fleet")
    assert "Base URL: `http://localhost:8009/v1/gpt-oss-20b`." in own


def test_backends_page_links_to_each_migration_in_its_fleet(ctx: SiteContext) -> None:
    page = render_migrations(ctx, LINKS)
    fleets = render_fleets(ctx, LINKS)
    links = re.findall(r"\]\(\.\./fleets/#([\w-]+)\)", page)
    assert links == ["migration-ollama-to-vllm", "migration-vllm-to-ollama"]
    assert all(f"{{ #{anchor} }}" in fleets for anchor in links), "every link lands on a heading"
    assert "```python" not in page, "the steps and code are said once, on the Fleets page"
