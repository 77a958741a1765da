"""What the evidence says about each claim and each deployment: the one place badge states are decided.

The rules are data (`CLAIM_RULES`, `SUMMARY_RULES`): an ordered table of (when, state) rows, the first
row that applies wins. The functions below apply them, and the site's "How to read the badges" page
renders the same rows, so the page cannot describe rules the code does not follow.

A deployment gets two summaries, by the same `SUMMARY_RULES`: one over its serving claims and one over its quality
claims (evals); which group a claim is in is the claim registry's (`catalog.claims.claim_group`). A deployment
with no eval claim has no quality summary ("not evaluated"). Its overall `summary` is its serving summary: a
model that serves well and scores badly reads "serving verified, quality failing", never failing as a whole.

Every surface (card, catalog table, compare, quick chooser, served models, llms.txt, catalog.json, the MCP
server, the gateway export) takes its states from `judge` through the judged view (catalog/view.py), which
calls it once per deployment, and from nowhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from catalog.claims import (
    EVAL_PREFIX,
    GROUP_QUESTIONS,
    ClaimGroup,
    claim_group,
    claim_label,
    claims_made,
    display_order,
)
from catalog.evidence import CLOCK_SKEW, Status
from catalog.evidence_folder import Evidence
from catalog.history import ClaimHistory, DeploymentHistory, KeptLine, RunSummary, availability_counts

if TYPE_CHECKING:
    from catalog.schema import Deployment


class ClaimState(StrEnum):
    verified = "verified"
    failing = "failing"
    stale = "stale"
    reported = "reported"
    unverified = "unverified"


class SummaryState(StrEnum):
    verified = "verified"
    partial = "partial"
    failing = "failing"
    unverified = "unverified"


@dataclass(frozen=True)
class ClaimInputs:
    """What the rules look at for one claim."""

    probe_status: Status | None
    """The claim's status in the deployment's latest probe run; None when that run did not check it."""
    age_days: int | None
    """Days from that check to today."""
    stale_after_days: int
    reported: bool
    """The catalog records a figure someone else measured for this claim."""


State = TypeVar("State", ClaimState, SummaryState)
Inputs = TypeVar("Inputs")


@dataclass(frozen=True)
class Rule(Generic[Inputs, State]):
    when: str
    """The condition in words, as the badges page shows it (Markdown)."""
    state: State
    applies: Callable[[Inputs], bool]


# The rules' tests are named functions rather than lambdas so that `make mutation` mutates them too (the
# mutation tester only reaches code inside functions).


def _fresh(facts: ClaimInputs) -> bool:
    # A check dated after today (a probe's clock ahead by more than a day) is not fresh: it would stay
    # "verified" until its date came. The evidence loader reports and drops such results; this holds anyway.
    return facts.age_days is not None and -CLOCK_SKEW.days <= facts.age_days <= facts.stale_after_days


def _probe_failed(facts: ClaimInputs) -> bool:
    return facts.probe_status in ("fail", "error")


def _passed_recently(facts: ClaimInputs) -> bool:
    return facts.probe_status == "pass" and _fresh(facts)


def _passed(facts: ClaimInputs) -> bool:
    return facts.probe_status == "pass"


def _has_figure(facts: ClaimInputs) -> bool:
    return facts.reported


def _any_failing(states: Sequence[ClaimState]) -> bool:
    return ClaimState.failing in states


def _all_verified(states: Sequence[ClaimState]) -> bool:
    return bool(states) and all(s is ClaimState.verified for s in states)


def _some_verified(states: Sequence[ClaimState]) -> bool:
    return ClaimState.verified in states


def _always(facts: object) -> bool:
    return True


#: Ordered: the first rule that applies decides. A probe result comes before a reported figure, so a
#: figure someone else measured can never hide what our probe saw.
CLAIM_RULES: tuple[Rule[ClaimInputs, ClaimState], ...] = (
    Rule(
        "the latest probe run checked it and it failed, or the server could not be reached to check it",
        ClaimState.failing,
        _probe_failed,
    ),
    Rule(
        "the latest probe run passed it, at most `stale_after_days` days ago (14 unless the deployment says)",
        ClaimState.verified,
        _passed_recently,
    ),
    Rule(
        "the latest probe run passed it, but longer ago than `stale_after_days`",
        ClaimState.stale,
        _passed,
    ),
    Rule(
        "no probe has checked it, and the catalog records a figure someone else measured (`reported:`)",
        ClaimState.reported,
        _has_figure,
    ),
    Rule("no probe has checked it, and nothing is reported", ClaimState.unverified, _always),
)

#: Ordered like `CLAIM_RULES`; they look at the states of all of a deployment's claims.
SUMMARY_RULES: tuple[Rule[Sequence[ClaimState], SummaryState], ...] = (
    Rule("any claim is failing", SummaryState.failing, _any_failing),
    Rule("every claim is verified", SummaryState.verified, _all_verified),
    Rule(
        "some claims are verified and none is failing; the rest are stale, reported or never probed",
        SummaryState.partial,
        _some_verified,
    ),
    Rule(
        "no claim is verified: every claim is stale, reported or never probed",
        SummaryState.unverified,
        _always,
    ),
)


#: How latency measured by another tool counts (catalog/evidence.py `ToolMeasurement`, `python -m probes
#: import-report`): shown beside the probe's, under the tool's name, and in no rule above. The rules decide a claim
#: from our probe's result and the catalog's reported figures only, so an imported report can neither verify nor
#: fail the latency claim.
MEASURED_BY_TOOL_RULE = (
    "Latency measured by another tool (`vllm bench serve`, GuideLLM, an llm-d Benchmark Report) and imported with `python -m probes "
    "import-report` is shown under that tool's name, with its workload and date, beside the probe's latency; it "
    "changes no claim's badge: the latency claim's badge is the probe's."
)

#: The state word of a quality summary when the deployment has no eval claim (catalog.json, the MCP tools, the
#: badge's class); no rule gives it, because the rules never see an empty group.
NOT_EVALUATED = "not-evaluated"
#: When a quality summary is `NOT_EVALUATED`, in words, as the badges page and a badge's title say it.
NOT_EVALUATED_RULE = "it has no eval claim: no eval ran in its latest probe run, and none is reported"


def _first(rules: Sequence[Rule[Inputs, State]], facts: Inputs) -> State:
    # The last rule of each table applies to everything, so there is always a first.
    return next(rule.state for rule in rules if rule.applies(facts))


def summary_rule(state: SummaryState) -> str:
    """The condition under which a deployment's summary is `state`, in words."""
    return next(rule.when for rule in SUMMARY_RULES if rule.state is state)


def group_rule(state: SummaryState | None) -> str:
    """The condition under which one group's summary is `state` (None: a quality summary with no evals), in words."""
    return summary_rule(state) if state is not None else NOT_EVALUATED_RULE


def rules_json() -> dict[str, Any]:
    """Every evidence state and when it holds, from the rule tables (what the badges page shows): a claim's
    states, then each group's summary states with the question that group answers. The first rule that holds
    decides. MCP's `explain_evidence` answers with it."""

    def rows(rules: Sequence[Rule[Any, Any]]) -> list[dict[str, str]]:
        return [{"state": rule.state.value, "when": rule.when} for rule in rules]

    summaries = {
        group.value: {
            "question": GROUP_QUESTIONS[group],
            "states": rows(SUMMARY_RULES)
            + ([{"state": NOT_EVALUATED, "when": NOT_EVALUATED_RULE}] if group is ClaimGroup.quality else []),
        }
        for group in ClaimGroup
    }
    return {
        "claim_states": rows(CLAIM_RULES),
        "summaries": summaries,
        # Which group's summary is a deployment's one overall summary (`DeploymentVerdict.summary`).
        "overall_summary": ClaimGroup.serving.value,
        # Imported reports of other tools, and why they are in no table above.
        "measured_by_tool": MEASURED_BY_TOOL_RULE,
    }


def state_word(state: SummaryState | None) -> str:
    """A group summary's state as catalog.json and the MCP tools give it: its value, or `not-evaluated`."""
    return state.value if state is not None else NOT_EVALUATED


def claim_state(facts: ClaimInputs) -> ClaimState:
    return _first(CLAIM_RULES, facts)


def summary_state(states: Sequence[ClaimState]) -> SummaryState:
    return _first(SUMMARY_RULES, states)


@dataclass(frozen=True)
class ReportedFigure:
    """A figure someone else measured for a claim, as the catalog records it (`reported:`)."""

    summary: str
    """The figure exactly as the source states it."""
    source: str
    """The source's id."""
    date: dt.date | None = None
    """When it was measured, if the source says."""


@dataclass(frozen=True)
class ClaimVerdict:
    """What every page says about one claim of one deployment."""

    claim: str
    label: str
    state: ClaimState
    date: dt.date | None = None
    """Day of the probe check that decided the state, or of the reported figure when its source says."""
    reason: str | None = None
    """Why it fails (the probe's words), or the reported figure itself."""
    source: str | None = None
    """Source id of a reported figure."""
    since: dt.date | None = None
    """First day of the current unbroken streak of passes (or of failures) in the history."""
    last_passed: dt.date | None = None
    """Latest day a probe passed it, in the latest run or the history."""
    history: tuple[KeptLine, ...] = ()
    """The newest runs that checked it, oldest first (run, status, date and reason of each)."""
    figure: ReportedFigure | None = None
    """The figure the catalog records for it (`reported:`), whatever decided the state: beside a probe result
    for the same claim it stays visible with its source, while the probe's result decides the state."""


@dataclass(frozen=True)
class RunPoint:
    """One probe run of one deployment, summarised for the card's history."""

    run_id: str
    date: dt.date
    passed: int
    failed: int
    ttft_p95_ms: float | None
    answered: bool = True
    """The server sent at least one HTTP answer (a check passed or failed, rather than all being unreachable)."""
    checked: bool = True
    """The run checked the server at all; False for a run whose probing crashed before any check (our bug)."""
    itl_p95_ms: float | None = None
    """Pooled ITL p95 (catalog/history.py `RunSummary.itl_p95_ms`); None for a run recorded before it was kept."""


#: The windows availability is reported over, in days.
AVAILABILITY_WINDOWS = (7, 30)


@dataclass(frozen=True)
class Availability:
    """How often a deployment answered its probe runs over the last `days` days."""

    days: int
    runs: int
    answered: int

    @property
    def share(self) -> float | None:
        return self.answered / self.runs if self.runs else None

    def text(self) -> str:
        """`100% of 12 runs`, or `no runs` when the window holds none."""
        if not self.runs:
            return "no runs"
        return f"{round(100 * self.answered / self.runs)}% of {self.runs} run{'s' if self.runs != 1 else ''}"


@dataclass(frozen=True)
class DeploymentVerdict:
    claims: tuple[ClaimVerdict, ...]
    serving: SummaryState
    """`SUMMARY_RULES` over its serving claims: is the endpoint up and does it do what the catalog says."""
    quality: SummaryState | None
    """`SUMMARY_RULES` over its quality claims (evals): how well the model answers; None when it has no eval
    claim ("not evaluated")."""
    last_verified: dt.date | None
    """Latest day any of its claims passed a probe; None when none ever did."""
    runs: tuple[RunPoint, ...]
    """The newest probe runs, oldest first."""
    availability: tuple[Availability, ...] = ()
    """One per window of `AVAILABILITY_WINDOWS`, shortest first."""

    @property
    def summary(self) -> SummaryState:
        """The overall summary, where there is room for one badge or one word (the quick chooser, catalog.json's
        `evidence_summary.state`, the MCP tools' `summary`): the serving summary, so evals that fail never make an
        endpoint that serves read as failing."""
        return self.serving

    def group(self, group: ClaimGroup) -> SummaryState | None:
        """The summary of one group: `serving`, or `quality` (None: not evaluated)."""
        return self.serving if group is ClaimGroup.serving else self.quality

    def claims_in(self, group: ClaimGroup) -> list[ClaimVerdict]:
        """Its claims that count in `group`, in display order."""
        return [c for c in self.claims if claim_group(c.claim) is group]

    def of(self, state: ClaimState | str, group: ClaimGroup | None = None) -> list[str]:
        """Names of the claims in `state` (of one group, when given), in display order."""
        claims = self.claims if group is None else self.claims_in(group)
        return [c.claim for c in claims if c.state == state]

    @property
    def counts(self) -> dict[ClaimState, int]:
        return {state: len(self.of(state)) for state in ClaimState}


def judge(
    deployment_id: str,
    deployment: Deployment,
    evidence: Evidence,
    today: dt.date,
    *,
    history_length: int = 10,
) -> DeploymentVerdict:
    """The verdict on every claim of one deployment, and on the deployment as a whole."""
    latest = evidence.latest.get(deployment_id)
    history = evidence.history.get(deployment_id, DeploymentHistory())
    reported = {r.claim: r for r in deployment.reported}
    made = claims_made(deployment.claim_facts())
    # Evals are not declared in the catalog; a suite the probe ran is a claim about the model's quality.
    probed_evals = [r.claim for r in latest.records if r.claim.startswith(EVAL_PREFIX)] if latest else []
    verdicts = []
    for claim in display_order([*made, *reported, *probed_evals]):
        record = latest.record(claim) if latest else None
        kept = history.claims.get(claim, ClaimHistory())
        day = record.date.date() if record else None
        facts = ClaimInputs(
            probe_status=record.status if record else None,
            age_days=(today - day).days if day else None,
            stale_after_days=deployment.stale_after_days,
            reported=claim in reported,
        )
        state = claim_state(facts)
        passes = [kept.last_passed] if kept.last_passed else []
        if record is not None and record.status == "pass":
            passes.append(record.date.date())
        figure = reported.get(claim)
        date: dt.date | None
        reason: str | None
        source: str | None
        decided_by_probe = state in (ClaimState.failing, ClaimState.verified, ClaimState.stale)
        if state is ClaimState.reported and figure is not None:
            date, reason, source = figure.date, figure.summary, figure.source.source
        else:
            # When no probe decided it, an `info` record (measured, nothing to hold it against) still says why.
            date, reason, source = day if decided_by_probe else None, record.reason if record else None, None
        since = None
        if decided_by_probe:
            since = kept.since(passing=state is not ClaimState.failing, latest=day)
        verdicts.append(
            ClaimVerdict(
                claim=claim,
                label=claim_label(claim),
                state=state,
                date=date,
                reason=reason,
                source=source,
                since=since,
                last_passed=max(passes, default=None),
                history=tuple(kept.lines[-history_length:]) if history_length else (),
                figure=ReportedFigure(figure.summary, figure.source.source, figure.date) if figure else None,
            )
        )
    points = [_point(run) for run in history.runs]
    return DeploymentVerdict(
        claims=tuple(verdicts),
        serving=summary_state(_states_in(verdicts, ClaimGroup.serving)),
        quality=_group_summary(_states_in(verdicts, ClaimGroup.quality)),
        last_verified=max((v.last_passed for v in verdicts if v.last_passed), default=None),
        runs=tuple(points[-history_length:]) if history_length else (),
        availability=tuple(_availability(history, today, days) for days in AVAILABILITY_WINDOWS),
    )


def _states_in(verdicts: Sequence[ClaimVerdict], group: ClaimGroup) -> list[ClaimState]:
    """The states of the claims that count in `group` (the claim registry's `claim_group`)."""
    return [v.state for v in verdicts if claim_group(v.claim) is group]


def _group_summary(states: Sequence[ClaimState]) -> SummaryState | None:
    """`SUMMARY_RULES` over a group's states; None when the group has no claim (a quality summary without evals)."""
    if not states:
        return None
    return summary_state(states)


def _point(run: RunSummary) -> RunPoint:
    return RunPoint(
        run_id=run.run_id,
        date=run.date.date(),
        passed=run.passed,
        failed=run.failed,
        ttft_p95_ms=run.ttft_p95_ms,
        answered=run.answered,
        checked=run.checked,
        itl_p95_ms=run.itl_p95_ms,
    )


def _availability(history: DeploymentHistory, today: dt.date, days: int) -> Availability:
    """Share of the runs in the `days` days up to and including `today` in which the server answered."""
    counted = availability_counts(history, today, days)
    return Availability(days, counted.runs, counted.answered)
