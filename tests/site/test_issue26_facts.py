"""Issue 26, item 1: the facts of the seed guides that a surface stated wrongly, without a source, or mixed up.

Each check renders the bundled catalog (built from the five seeds) through the same renderers the site uses and
reads what a reader would see on every surface that shows the fact: the card, served models, the catalog table,
compare and catalog.json.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from catalog.display import context_text, cost_cell, cost_text, gpu_hour_text, token_prices_text
from catalog.schema import Cost
from hooks.render.agents import render_catalog_json
from hooks.render.backends import render_backend_details
from hooks.render.compare import compare_data
from hooks.render.deployment_card import render_deployment_card
from hooks.render.fleets import render_fleets
from hooks.render.reference import render_glossary
from hooks.render.tables import render_deployment_table, render_served_models
from hooks.render.templating import Links
from hooks.site_context import SiteContext

GPT_OSS = ("gpt-oss-20b-local", "gpt-oss-120b-local")
LINKS = Links("page/")


@pytest.fixture(scope="module")
def ctx(bundled_ctx: SiteContext) -> SiteContext:
    return bundled_ctx


def seen(markup: str) -> str:
    """What a reader sees: tags and Markdown links stripped, entities decoded, whitespace collapsed."""
    unlinked = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", re.sub(r"</?[a-zA-Z][^>]*>", " ", markup))
    return re.sub(r"\s+", " ", html.unescape(unlinked))


def served_row(ctx: SiteContext, dep_id: str) -> str:
    page = render_served_models(ctx, LINKS)
    return seen(next(line for line in page.splitlines() if f"deployments/{dep_id}/" in line))


def table_row(ctx: SiteContext, dep_id: str) -> str:
    page = render_deployment_table(ctx, LINKS)
    rows: list[str] = re.findall(r"<tr data-fleet.*?</tr>", page, re.S)
    return next(row for row in rows if f"deployments/{dep_id}/" in row)


def compare_value(ctx: SiteContext, dep_id: str, label: str) -> str:
    data = compare_data(ctx, LINKS)
    return str(data["deployments"][dep_id]["values"][data["rows"].index(label)])


# ------------------------------------------------------------------ 1. an approximate price stays approximate


def test_cost_formatters_mark_an_approximate_price() -> None:
    approx = Cost(gpu_usd_per_hour=4.5, basis="stated", approximate=True)
    assert gpu_hour_text(approx) == "~$4.50/h"
    assert cost_cell(approx) == "GPU ~$4.50/h"
    assert cost_text(approx) == "GPU ~$4.50/h (stated)"
    tokens = Cost(input_usd_per_mtok=1, output_usd_per_mtok=5, approximate=True)
    assert token_prices_text(tokens) == "~$1 / ~$5"
    assert cost_text(tokens).startswith("~$1 in / ~$5 out per MTok")
    assert gpu_hour_text(Cost(gpu_usd_per_hour=1.1)) == "$1.10/h", "an exact price has no ~"


@pytest.mark.parametrize("dep_id", GPT_OSS)
def test_seed_002_h100_price_is_approximate_everywhere(ctx: SiteContext, dep_id: str) -> None:
    # Seed 002: "GPU cost: A10G ($1.10/hr), A100 ($3.30/hr), H100 (~$4.50/hr)".
    assert ctx.catalog.deployments[dep_id].cost.approximate  # type: ignore[union-attr]
    card = seen(render_deployment_card(ctx, dep_id))
    assert "GPU ~$4.50/h (stated)" in card
    assert not re.search(r"(?<!~)\$4\.50/h", card), "no exact $4.50/h left on the card"
    assert "GPU ~$4.50/h" in served_row(ctx, dep_id)
    assert compare_value(ctx, dep_id, "GPU cost per hour") == "~$4.50/h"
    cost = json.loads(render_catalog_json(ctx))["deployments"][dep_id]["cost"]
    assert cost["gpu_usd_per_hour"] == 4.5 and cost["approximate"] is True


# ------------------------------------------------------------------ 3. native and served context told apart


def test_context_cell_names_which_context() -> None:
    assert context_text(16384, 32768, short=True) == "16,384 served"
    assert context_text(None, 131072, short=True) == "131,072 native (served not stated)"
    assert context_text(None, None, short=True) == "—"


def test_served_models_and_catalog_table_label_the_context(ctx: SiteContext) -> None:
    # Seed 003 states qwen-local's served limit (8192); seed 002 states none for gpt-oss-20b-local.
    assert "| 8,192 served |" in served_row(ctx, "qwen-local")
    assert "| 131,072 native (served not stated) |" in served_row(ctx, "gpt-oss-20b-local")
    assert "| 262,144 native (served not stated) |" in served_row(ctx, "qwen3-4b-local")
    assert 'data-label="Context">131,072 native (served not stated)</td>' in table_row(ctx, "gpt-oss-20b-local")
    assert 'data-label="Context">8,192 served</td>' in table_row(ctx, "qwen-local")
    # Sorting still goes by the number.
    assert 'data-sort-value="131072" data-label="Context"' in table_row(ctx, "gpt-oss-20b-local")
    # Every context cell of both tables says which context it is.
    cells = re.findall(r'data-label="Context">([^<]*)<', render_deployment_table(ctx, LINKS))
    assert cells and all(c == "—" or c.endswith((" served", " native (served not stated)")) for c in cells), cells


# ------------------------------------------------------------------ 2. no unsourced fact shown as stated


@pytest.mark.parametrize(
    ("model_id", "field", "shown"),
    [
        ("eurollm-22b-instruct-fp4", "vendor", "EuroLLM project (inferred:"),
        ("glm-4-9b-chat", "vendor", "Zhipu AI (Z.ai) (inferred:"),
        ("step-audio-r1-fp4", "vendor", "StepFun (inferred:"),
        ("deepseek-ocr", "hub.repo_id", "deepseek-ai/DeepSeek-OCR on Hugging Face (inferred:"),
        ("qwen3-vl-30b-instruct", "architecture", "moe, 30B total, 3B active (inferred:"),
        ("qwen3-vl-30b-thinking", "architecture", "moe, 30B total, 3B active (inferred:"),
        ("glm-4.5-air-derestricted-fp4", "architecture", "moe, 106B total, 12B active (inferred:"),
    ],
)
def test_values_seed_000_never_states_are_marked_inferred(
    ctx: SiteContext, model_id: str, field: str, shown: str
) -> None:
    model = ctx.catalog.models[model_id]
    mark = next((i for i in model.inferred if i.field == field), None)
    assert mark is not None, f"{model_id}: `{field}` is not marked inferred"
    assert "UTTER" not in model.vendor, "no source names the UTTER consortium"
    cards = [dep_id for dep_id, dep in ctx.catalog.deployments.items() if dep.model == model_id]
    assert cards
    for dep_id in cards:
        card = seen(render_deployment_card(ctx, dep_id))
        assert shown in card, dep_id
        assert mark.reason.replace("`", "") in card.replace("`", ""), dep_id
        if mark.source is not None:
            assert f"source: {ctx.catalog.sources[mark.source.source].title}" in card, dep_id
        if field == "architecture":
            assert compare_value(ctx, dep_id, "Architecture").endswith("(inferred)")


def test_qwen_local_benchmark_is_filed_as_the_guide_says(ctx: SiteContext) -> None:
    # Seed 003's "Eval status" for qwen-local is "Benchmarked (GuideLLM baseline)": no figure, no SLO met.
    dep = ctx.catalog.deployments["qwen-local"]
    assert [r.claim for r in dep.reported if r.summary == "Benchmarked (GuideLLM baseline)"] == [
        "eval:guidellm-baseline"
    ]
    assert all(r.claim != "latency" for r in dep.reported)
    card = seen(render_deployment_card(ctx, "qwen-local"))
    assert "Latency within SLO | reported" not in card
    assert "Eval guidellm-baseline | reported | Benchmarked (GuideLLM baseline)" in card.replace("`", "")


@pytest.mark.parametrize("dep_id", ["gpt-oss-20b-local", "qwen3-4b-local", "coder-chat", "qwen-local"])
def test_served_models_shows_a_reported_figure_as_the_card_does(ctx: SiteContext, dep_id: str) -> None:
    record = ctx.record(dep_id)
    row = served_row(ctx, dep_id).replace("`", "")
    for rep in record.deployment.reported:
        claim = next(c for c in record.verdict.claims if c.claim == rep.claim)
        assert f"{claim.label.replace('`', '')}: {claim.state.value} {rep.summary}" in row, row


# ------------------------------------------------------------------ the guides' facts that no surface showed


def test_seed_000_purpose_line_is_on_the_fleets_page(ctx: SiteContext) -> None:
    page = seen(render_fleets(ctx, LINKS))
    assert "picking a model per task while weighing answer quality against speed" in page


def test_seed_001_quick_start_pointer_is_among_its_fleets_files(ctx: SiteContext) -> None:
    page = render_fleets(ctx, LINKS)
    provider_stack = page[page.index("Provider stack") :]
    assert "quick-start.md" in provider_stack.split("Modal benchmark fleet")[0]


def test_seed_002_says_why_variables_are_baked_into_the_image(ctx: SiteContext) -> None:
    page = seen(render_backend_details(ctx, LINKS))
    assert "a Secret exists only once the function runs" in page


def test_seed_003_backend_note_points_to_its_serving_layers_comparison(ctx: SiteContext) -> None:
    page = seen(render_served_models(ctx, LINKS))
    assert "/architecture/serving-layers" in page


def test_seed_004_instruct_and_chat_passage_keeps_its_ideas(ctx: SiteContext) -> None:
    page = seen(render_glossary(ctx, LINKS))
    for idea in (
        "answers closer to what people expect",  # aligned with what the user means
        "explain how LLM inference works",  # the guide's example prompt
        "chatbots, assistants and tools that talk to users",  # why it is practical
        "instruction and chat fine-tuning",  # the guide's pointer
        "Most real applications combine several",  # why composing models matters
    ):
        assert idea in page, idea


def test_backends_page_says_whose_gpu_requirement_it_is(ctx: SiteContext) -> None:
    """Seed 001 requires an NVIDIA GPU for vLLM; the catalog also holds vLLM deployments on CPU (the demo)."""
    page = seen(render_backend_details(ctx, LINKS))
    assert "NVIDIA GPU is mandatory" not in page
    assert "the provider stack's guide requires an NVIDIA GPU" in page
    assert "The local demo runs vLLM's CPU build" in page


@pytest.mark.parametrize("dep_id", ["coder-chat", "qwen3-4b-local"])
def test_a_gateway_routed_card_names_the_alias_clients_send(ctx: SiteContext, dep_id: str) -> None:
    # Its fleet routes it through a gateway whose URL no guide publishes: the card's head must name the alias the
    # gateway knows (what the fleet page and the examples send), never the served Hugging Face id.
    dep = ctx.catalog.deployments[dep_id]
    assert dep.gateway_alias and dep.gateway_alias != dep.served_name
    head = render_deployment_card(ctx, dep_id).split("</div>", 1)[0]
    endpoint = next(line for line in head.splitlines() if line.startswith("**Endpoint:**"))
    assert f"`{dep.gateway_alias}`" in endpoint and "through the gateway" in endpoint
    assert dep.served_name not in endpoint
