"""Display text for the facts several surfaces show: one formatter per fact, so every page, agent file and tool
writes a price, an SLO target, availability or where to send requests the same way.

Plain text: a page escapes it for Markdown itself (hooks/render/templating.py). A value the sources do not
state renders as "not stated", never as a guessed default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalog.claims import ClaimGroup
from catalog.clients import Target, key_text, key_unknown
from catalog.history import KeptLine
from catalog.schema import NO_GPU, ClientWarning, Cost, Deployment, Hardware, Model, RecommendedParams, SloTargets
from catalog.verdicts import Availability, ClaimState, DeploymentVerdict, SummaryState

NOT_STATED = "not stated"
#: What a cell shows when the catalog has nothing for it.
NONE = "—"


def gpu_text(hardware: Hardware) -> str:
    """`1× L4`, `A10G (count not stated)`, the hardware note (e.g. CPU only), or "not stated"."""
    if hardware.gpu == NO_GPU:
        return f"none ({hardware.note})" if hardware.note else "none"
    if hardware.gpu:
        return f"{hardware.gpu_count}× {hardware.gpu}" if hardware.gpu_count else f"{hardware.gpu} (count not stated)"
    return hardware.note or NOT_STATED


def quantization_text(model: Model) -> str:
    return model.quantization.value if model.quantization else NOT_STATED


def gated_text(model: Model) -> str:
    if model.gated is None:
        return NOT_STATED
    return "yes: accept the licence and use a hub token" if model.gated else "no"


def usd(value: float) -> str:
    """A per-token price as the guides write it: `$0.5`, `$1.5`, `$5`."""
    return f"${value:g}"


def usd_per_hour(value: float) -> str:
    """An hourly GPU price as the guides write it, in dollars and cents: `$1.10/h`."""
    return f"${value:.2f}/h"


#: What precedes a price the source gives as approximate (`Cost.approximate`): `~$4.50/h`.
APPROXIMATE = "~"


def _approx(cost: Cost) -> str:
    return APPROXIMATE if cost.approximate else ""


def token_prices_text(cost: Cost | None, missing: str = "n/a") -> str | None:
    """`$0.5 / $1.5` (in / out per MTok), `missing` for a side not stated; None when neither side is.
    An approximate price (`Cost.approximate`) is written `~$0.5`."""
    if cost is None or (cost.input_usd_per_mtok is None and cost.output_usd_per_mtok is None):
        return None
    return " / ".join(
        missing if v is None else _approx(cost) + usd(v) for v in (cost.input_usd_per_mtok, cost.output_usd_per_mtok)
    )


def gpu_hour_text(cost: Cost | None) -> str | None:
    """`$1.10/h` (`~$4.50/h` when the source gives it as approximate), or None when no hourly price is stated."""
    if cost is None or cost.gpu_usd_per_hour is None:
        return None
    return _approx(cost) + usd_per_hour(cost.gpu_usd_per_hour)


def cost_text(cost: Cost | None) -> str:
    """`$0.5 in / $1.5 out per MTok · GPU $1.10/h (illustrative)`, from whichever prices are known."""
    if cost is None:
        return NOT_STATED
    parts = []
    tokens = [
        f"{_approx(cost)}{usd(value)} {side}"
        for value, side in ((cost.input_usd_per_mtok, "in"), (cost.output_usd_per_mtok, "out"))
        if value is not None
    ]
    if tokens:
        parts.append(" / ".join(tokens) + " per MTok")
    if (hourly := gpu_hour_text(cost)) is not None:
        parts.append(f"GPU {hourly}")
    basis = cost.basis.replace("-", " ")
    return f"{' · '.join(parts)} ({basis})" if parts else f"no prices ({basis})"


def cost_cell(cost: Cost | None) -> str:
    """A table cell for cost: token prices (marked when they are a provider's list price), else the GPU hour."""
    if (tokens := token_prices_text(cost)) is not None:
        return tokens + (" (list price)" if cost is not None and cost.basis == "list-price" else "")
    if (hourly := gpu_hour_text(cost)) is not None:
        return f"GPU {hourly}"
    return NONE


#: SLO target field -> the metric's name as pages write it.
SLO_METRICS = (("ttft_p95_ms", "TTFT"), ("itl_p95_ms", "ITL"), ("e2e_p95_ms", "E2E"))


def slo_target_ms(slo: SloTargets | None, field: str) -> str | None:
    """One p95 target as pages write it (`300 ms`), or None when the catalog states none."""
    value = getattr(slo, field, None) if slo is not None else None
    return f"{int(value)} ms" if value else None


def slo_targets_text(slo: SloTargets | None) -> str | None:
    """`TTFT p95 < 250 ms, ITL p95 < 20 ms, E2E p95 < 1500 ms (≤256 out)`; None when no target is stated."""
    if slo is None:
        return None
    targets = [f"{label} p95 < {ms}" for field, label in SLO_METRICS if (ms := slo_target_ms(slo, field))]
    if not targets:
        return None
    out = f" (≤{slo.max_output_tokens} out)" if slo.max_output_tokens else ""
    return ", ".join(targets) + out


def availability_text(availability: Sequence[Availability]) -> str:
    """`100% of 3 runs in the last 7 days · 60% of 5 runs in the last 30 days`."""
    return " · ".join(f"{a.text()} in the last {a.days} days" for a in availability)


#: What a quality summary says when the deployment has no eval claim (its state word is `not-evaluated`).
NOT_EVALUATED_TEXT = "not evaluated"


def summary_state_text(state: SummaryState | None) -> str:
    """A group summary's state as every page, agent file and tool writes it: `verified`, `partial`, `failing`,
    `unverified`, or "not evaluated" for a quality summary with no evals (None)."""
    return state.value if state is not None else NOT_EVALUATED_TEXT


def group_summary_text(group: ClaimGroup, state: SummaryState | None) -> str:
    """One summary with the question it answers, as a badge says it: `serving verified`, `quality failing`,
    `quality not evaluated`."""
    return f"{group.value} {summary_state_text(state)}"


def summaries_text(verdict: DeploymentVerdict) -> str:
    """Both summaries in a few words, serving first: `serving verified, quality failing`."""
    return ", ".join(group_summary_text(group, verdict.group(group)) for group in ClaimGroup)


def group_line(verdict: DeploymentVerdict, group: ClaimGroup) -> str:
    """One group's part of the summary line: `serving verified: 10 of 10 claims verified`, then its failing
    claims (`; failing eval:code-small`); `quality not evaluated` when it has no claims."""
    text = group_summary_text(group, verdict.group(group))
    claims = verdict.claims_in(group)
    if not claims:
        return text
    line = f"{text}: {len(verdict.of(ClaimState.verified, group))} of {len(claims)} claims verified"
    if failing := verdict.of(ClaimState.failing, group):
        line += "; failing " + ", ".join(failing)
    return line


def summary_line(verdict: DeploymentVerdict) -> str:
    """One line for agents and comments, e.g. `serving verified: 10 of 10 claims verified; quality failing: 0 of
    2 claims verified; failing eval:code-small, eval:json-format; last verified 2026-11-23`."""
    parts = [group_line(verdict, group) for group in ClaimGroup]
    parts.append(f"last verified {verdict.last_verified.isoformat() if verdict.last_verified else 'never'}")
    return "; ".join(parts)


def client_text(target: Target) -> str:
    """Where to send requests, for agents: ``base_url URL (gateway), model `NAME`, key $VAR``."""
    text = f"base_url {target.base_url}"
    if target.via_gateway:
        text += " (gateway)"
    if target.inferred:
        text += f" (inferred: {target.inferred})"
    text += f", model `{target.model}`"
    if target.api_key_env or key_unknown(target):
        text += f", {key_text(target)}"
    return text


def context_text(served: int | None, native: int | None, *, short: bool = False) -> str:
    """`16,384 tokens served (the model takes 32,768)`, the model's own when the served limit is not stated.

    Every surface that shows a context writes it here, so a served limit and the model's native context are never
    shown alike. `short` is a table cell's form: `16,384 served`, `131,072 native (served not stated)`, `—`."""
    if short:
        if served:
            return f"{served:,} served"
        return f"{native:,} native (served not stated)" if native else NONE
    if served:
        larger = f" (the model takes {native:,})" if native and native != served else ""
        return f"{served:,} tokens served{larger}"
    if native:
        return f"{native:,} tokens (the model's; the served limit is not stated)"
    return NOT_STATED


def recommended_text(params: RecommendedParams) -> str:
    """`temperature 0.6, top_p 0.95`; the note follows after a dash."""
    values = [
        f"{name} {value}"
        for name, value in (
            ("temperature", params.temperature),
            ("top_p", params.top_p),
            ("max_tokens", params.max_tokens),
            ("tool_choice", params.tool_choice),
        )
        if value is not None
    ]
    text = ", ".join(values)
    if params.note:
        text = f"{text} — {params.note}" if text else params.note
    return text


#: A deployment's verdicts as pages label them, in the order they show: (field, label). The card's summary shows
#: those it has, the Compare page all of them.
VERDICT_FIELDS = (
    ("best_for", "Best for"),
    ("strengths", "Strengths"),
    ("tradeoffs", "Tradeoffs"),
    ("avoid_for", "Avoid for"),
)
#: The label of a deployment's client warnings (`Deployment.client_warnings`) on every page that shows them.
CLIENT_WARNINGS_LABEL = "Client compatibility"


def verdict_text(items: Sequence[str]) -> str | None:
    """One verdict list on one line, `High-traffic chat · Content generation`; None when the catalog has none.
    Items may hold a semicolon of their own, so the separator is the middle dot."""
    return " · ".join(items) or None


def client_warning_text(warning: ClientWarning) -> str:
    """`OpenCode: Not recommended; a client-side incompatibility causes aggressive tool-calling errors`."""
    return f"{warning.client}: {warning.message}"


def verdict_lines(deployment: Deployment) -> list[tuple[str, str | None]]:
    """The deployment's verdicts as (label, text): best for, strengths, tradeoffs, avoid for, then its client
    warnings; text None where the catalog has none."""
    lines = [(label, verdict_text(getattr(deployment, field))) for field, label in VERDICT_FIELDS]
    warnings = [client_warning_text(w) for w in deployment.client_warnings]
    return [*lines, (CLIENT_WARNINGS_LABEL, verdict_text(warnings))]


#: Most runs one mark of a history strip stands for: the site's stylesheet draws widths up to this many ticks
#: (`.mc-tick--x1` to `--x10` in docs/assets/stylesheets/compare.css).
MOST_RUNS_PER_MARK = 10


@dataclass(frozen=True)
class RunStreak:
    """Consecutive runs of one claim with the same result: one mark of its history strip, drawn as `runs` ticks."""

    status: str
    runs: int
    title: str
    """`2026-11-19: pass`, or `2026-11-12 to 2026-11-19: 6 runs, pass`."""


def run_streaks(history: Sequence[KeptLine]) -> list[RunStreak]:
    """A claim's newest runs (oldest first) as streaks of one result, so a strip is one mark per change of result
    rather than one per run: a year of mostly passing runs costs a page a few elements, not one per run."""
    streaks: list[RunStreak] = []
    start = 0
    for end in range(1, len(history) + 1):
        if end < len(history) and history[end].status == history[start].status and end - start < MOST_RUNS_PER_MARK:
            continue
        first, last, runs = history[start].date.date(), history[end - 1].date.date(), end - start
        status = history[start].status
        if runs == 1:
            title = f"{first}: {status}"
        else:
            days = str(first) if first == last else f"{first} to {last}"
            title = f"{days}: {runs} runs, {status}"
        streaks.append(RunStreak(status, runs, title))
        start = end
    return streaks
