"""The badge rules (`catalog/verdicts.py`) as a reader of the site meets them.

Each test builds a catalog `Deployment` and the `Evidence` the probes would have left, then checks what
a card, the catalog table or llms.txt would show: the state of each claim, its date, since when it has
held, the deployment's summary and its run history. The four bugs the old tests missed each have a test
here: stale never shown, a reported figure hiding a probe result, a partly verified deployment shown as
verified, and the history keeping the oldest runs instead of the newest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from catalog.claims import CLAIM_KINDS, EVAL_GROUP, GROUP_QUESTIONS, ClaimGroup, claim_group
from catalog.display import summary_line
from catalog.evidence import ClaimRecord, EvidenceFile, HistoryLine, Status
from catalog.evidence_folder import Evidence
from catalog.history import summarize
from catalog.schema import Deployment
from catalog.verdicts import (
    CLAIM_RULES,
    MEASURED_BY_TOOL_RULE,
    NOT_EVALUATED,
    NOT_EVALUATED_RULE,
    SUMMARY_RULES,
    ClaimInputs,
    ClaimState,
    ClaimVerdict,
    DeploymentVerdict,
    ReportedFigure,
    RunPoint,
    SummaryState,
    claim_state,
    group_rule,
    judge,
    rules_json,
    state_word,
    summary_rule,
    summary_state,
)

DEP = "tiny-chat"
TODAY = dt.date(2026, 11, 23)
#: What the default deployment below claims, in the order cards list them.
CLAIMS = ["health", "served-name", "endpoint:chat"]
ALL_PASS: dict[str, Status] = dict.fromkeys(CLAIMS, "pass")


def _at(days_ago: int, minute: int = 30) -> dt.datetime:
    """A probe time `days_ago` days before TODAY (01:MM UTC)."""
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(1, minute), tzinfo=dt.UTC)


def _day(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


def _deployment(**changes: Any) -> Deployment:
    fields: dict[str, Any] = {
        "model": "tiny-llama",
        "backend": "vllm",
        "served_name": "tiny-llama",
        "status": "active",
        "endpoint": {"base_url": "http://127.0.0.1:9/v1"},
        "endpoints": ["chat"],
        "summary": "Chat for the tests.",
    }
    if "fleet" in Deployment.model_fields:  # the schema is gaining fleets; the rules do not look at them
        fields["fleet"] = "test-fleet"
    fields.update(changes)
    return Deployment(**fields)


def _reported(claim: str, summary: str, date: str | None = None) -> dict[str, Any]:
    return {"claim": claim, "summary": summary, "source": {"source": "test-guide"}, "date": date}


def _run(
    statuses: dict[str, Status],
    days_ago: int = 0,
    *,
    run_id: str | None = None,
    reasons: dict[str, str] | None = None,
    deployment: str = DEP,
) -> EvidenceFile:
    """One probe run of one deployment: a record per claim in `statuses`, all checked at the same time."""
    at = _at(days_ago)
    return EvidenceFile(
        deployment=deployment,
        run_id=run_id or f"run-{days_ago:03d}",
        started_at=at,
        finished_at=at,
        records=[
            ClaimRecord(claim=claim, status=status, date=at, reason=(reasons or {}).get(claim))
            for claim, status in statuses.items()
        ],
    )


def _evidence(*runs: EvidenceFile, history: bool = True) -> Evidence:
    """What the probes leave after `runs` (oldest first): the last run as the latest file, every run in the history."""
    latest: dict[str, EvidenceFile] = {}
    lines: list[HistoryLine] = []
    for run in runs:
        latest[run.deployment] = run
        if history:
            lines += [HistoryLine.from_record(run.run_id, run.deployment, record) for record in run.records]
    return Evidence(latest=latest, history=summarize(lines))


def _history(by_claim: dict[str, list[HistoryLine]]) -> Evidence:
    return Evidence(history=summarize(line for lines in by_claim.values() for line in lines))


def _states(verdict: DeploymentVerdict) -> dict[str, ClaimState]:
    return {claim.claim: claim.state for claim in verdict.claims}


def _claim(verdict: DeploymentVerdict, name: str) -> ClaimVerdict:
    (found,) = (claim for claim in verdict.claims if claim.claim == name)
    return found


# --------------------------------------------------------------------------- the rules tables


@pytest.mark.parametrize(
    ("status", "age", "stale_after", "reported", "expected"),
    [
        pytest.param("fail", 0, 14, False, ClaimState.failing, id="fail-is-failing"),
        pytest.param("error", 0, 14, False, ClaimState.failing, id="unreachable-is-failing"),
        pytest.param("fail", 400, 14, False, ClaimState.failing, id="an-old-failure-is-still-failing"),
        pytest.param("fail", 0, 14, True, ClaimState.failing, id="a-reported-figure-never-hides-a-failure"),
        pytest.param("error", 0, 14, True, ClaimState.failing, id="a-reported-figure-never-hides-an-error"),
        pytest.param("pass", 0, 14, False, ClaimState.verified, id="pass-today-is-verified"),
        pytest.param("pass", -1, 14, False, ClaimState.verified, id="a-day-ahead-is-clock-skew"),
        pytest.param("pass", -2, 14, False, ClaimState.stale, id="two-days-ahead-is-never-fresh"),
        pytest.param("pass", -27_000, 14, False, ClaimState.stale, id="dated-2099-is-never-fresh"),
        pytest.param("pass", 14, 14, False, ClaimState.verified, id="pass-exactly-stale-after-days-ago-is-verified"),
        pytest.param("pass", 15, 14, False, ClaimState.stale, id="one-day-more-is-stale"),
        pytest.param("pass", 3, 3, False, ClaimState.verified, id="own-stale-after-days-boundary"),
        pytest.param("pass", 4, 3, False, ClaimState.stale, id="own-stale-after-days-plus-one"),
        pytest.param("pass", 0, 14, True, ClaimState.verified, id="a-probe-pass-beats-a-reported-figure"),
        pytest.param("pass", 30, 14, True, ClaimState.stale, id="a-stale-pass-beats-a-reported-figure"),
        pytest.param("info", 0, 14, False, ClaimState.unverified, id="info-is-not-verified"),
        pytest.param("info", 0, 14, True, ClaimState.reported, id="info-with-a-figure-is-reported"),
        pytest.param(None, None, 14, True, ClaimState.reported, id="never-probed-with-a-figure"),
        pytest.param(None, None, 14, False, ClaimState.unverified, id="never-probed"),
    ],
)
def test_claim_rules(
    status: Status | None, age: int | None, stale_after: int, reported: bool, expected: ClaimState
) -> None:
    facts = ClaimInputs(probe_status=status, age_days=age, stale_after_days=stale_after, reported=reported)
    assert claim_state(facts) is expected


def test_a_pass_without_an_age_is_not_fresh() -> None:
    """A pass with no known date cannot be vouched for as recent."""
    facts = ClaimInputs(probe_status="pass", age_days=None, stale_after_days=14, reported=False)
    assert claim_state(facts) is ClaimState.stale


V, F, S, R, U = (ClaimState.verified, ClaimState.failing, ClaimState.stale, ClaimState.reported, ClaimState.unverified)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([V, V, V], SummaryState.verified, id="all-verified"),
        pytest.param([V], SummaryState.verified, id="one-claim-verified"),
        pytest.param([V, V, U], SummaryState.partial, id="partly-verified-is-partial"),
        pytest.param([V, S], SummaryState.partial, id="verified-and-stale-is-partial"),
        pytest.param([R, V], SummaryState.partial, id="verified-and-reported-is-partial"),
        pytest.param([V, V, F], SummaryState.failing, id="any-failure-is-failing"),
        pytest.param([F, U], SummaryState.failing, id="failing-without-verified"),
        pytest.param([S, S], SummaryState.unverified, id="all-stale-is-unverified"),
        pytest.param([R, U, S], SummaryState.unverified, id="nothing-verified"),
        pytest.param([], SummaryState.unverified, id="no-claims-is-not-verified"),
    ],
)
def test_summary_rules(states: list[ClaimState], expected: SummaryState) -> None:
    assert summary_state(states) is expected


def test_rules_are_ordered_so_the_first_match_is_the_right_one() -> None:
    """The badges page lists the rows in this order; a probe result must come before a reported figure."""
    assert [rule.state for rule in CLAIM_RULES] == [
        ClaimState.failing,
        ClaimState.verified,
        ClaimState.stale,
        ClaimState.reported,
        ClaimState.unverified,
    ]
    assert [rule.state for rule in SUMMARY_RULES] == [
        SummaryState.failing,
        SummaryState.verified,
        SummaryState.partial,
        SummaryState.unverified,
    ]
    assert all(rule.when for rule in CLAIM_RULES) and all(rule.when for rule in SUMMARY_RULES)


@pytest.mark.parametrize("state", list(SummaryState))
def test_summary_rule_gives_the_condition_of_that_state(state: SummaryState) -> None:
    (row,) = (rule for rule in SUMMARY_RULES if rule.state is state)
    assert summary_rule(state) == row.when


def test_summary_rule_words() -> None:
    assert summary_rule(SummaryState.partial) == (
        "some claims are verified and none is failing; the rest are stale, reported or never probed"
    )
    assert summary_rule(SummaryState.failing) == "any claim is failing"


# --------------------------------------------------------------------------- judge: states and dates


def test_a_fresh_passing_run_verifies_every_claim() -> None:
    verdict = judge(DEP, _deployment(), _evidence(_run(ALL_PASS)), TODAY)

    assert [claim.claim for claim in verdict.claims] == CLAIMS
    assert [claim.label for claim in verdict.claims] == [
        "Health check answers",
        "Lists its served name",
        "Chat completions (`/v1/chat/completions`)",
    ]
    assert verdict.summary is SummaryState.verified
    for claim in verdict.claims:
        assert claim.state is ClaimState.verified
        assert (claim.date, claim.since, claim.last_passed) == (TODAY, TODAY, TODAY)
        assert (claim.reason, claim.source) == (None, None)
        assert [line.run_id for line in claim.history] == ["run-000"]
    assert verdict.last_verified == TODAY
    assert (
        summary_line(verdict)
        == "serving verified: 3 of 3 claims verified; quality not evaluated; last verified 2026-11-23"
    )


def test_a_pass_older_than_stale_after_days_shows_as_stale() -> None:
    """Known bug: stale was never shown; an old pass stayed "verified" for ever."""
    verdict = judge(DEP, _deployment(), _evidence(_run(ALL_PASS, days_ago=15)), TODAY)

    assert _states(verdict) == dict.fromkeys(CLAIMS, ClaimState.stale)
    assert verdict.summary is SummaryState.unverified
    stale = _claim(verdict, "health")
    assert (stale.date, stale.since, stale.last_passed) == (_day(15), _day(15), _day(15))
    assert verdict.last_verified == _day(15)
    assert (
        summary_line(verdict)
        == "serving unverified: 0 of 3 claims verified; quality not evaluated; last verified 2026-11-08"
    )


@pytest.mark.parametrize(
    ("days_ago", "stale_after", "expected"),
    [
        (14, None, ClaimState.verified),
        (15, None, ClaimState.stale),
        (2, 2, ClaimState.verified),
        (3, 2, ClaimState.stale),
    ],
)
def test_stale_after_days_boundary(days_ago: int, stale_after: int | None, expected: ClaimState) -> None:
    """An age exactly equal to `stale_after_days` (14 by default) is still verified; one day more is stale."""
    deployment = _deployment(stale_after_days=stale_after) if stale_after else _deployment()
    verdict = judge(DEP, deployment, _evidence(_run(ALL_PASS, days_ago=days_ago)), TODAY)
    assert set(_states(verdict).values()) == {expected}


def test_a_reported_figure_never_overrides_a_probe_result() -> None:
    """Known bug: a `reported:` figure hid what the probe saw."""
    deployment = _deployment(
        reported=[_reported("endpoint:chat", "chat works (guide)", "2026-01-05"), _reported("health", "up")]
    )
    run = _run(
        {"health": "pass", "served-name": "pass", "endpoint:chat": "fail"},
        reasons={"endpoint:chat": "HTTP 404 from POST /v1/chat/completions"},
    )
    verdict = judge(DEP, deployment, _evidence(run), TODAY)

    chat = _claim(verdict, "endpoint:chat")
    assert chat.state is ClaimState.failing
    assert (chat.date, chat.reason, chat.source) == (TODAY, "HTTP 404 from POST /v1/chat/completions", None)
    assert chat.since == TODAY and chat.last_passed is None
    health = _claim(verdict, "health")
    assert health.state is ClaimState.verified
    assert (health.date, health.reason, health.source) == (TODAY, None, None)
    assert verdict.summary is SummaryState.failing
    assert summary_line(verdict) == (
        "serving failing: 2 of 3 claims verified; failing endpoint:chat; quality not evaluated; last verified 2026-11-23"
    )


def test_a_reported_figure_shows_when_no_probe_checked_the_claim() -> None:
    deployment = _deployment(reported=[_reported("eval:code-20", "HumanEval 18/20 = 90%", "2026-10-01")])
    verdict = judge(DEP, deployment, _evidence(_run(ALL_PASS)), TODAY)

    assert [claim.claim for claim in verdict.claims] == [*CLAIMS, "eval:code-20"]
    figure = _claim(verdict, "eval:code-20")
    assert figure.state is ClaimState.reported
    assert figure.label == "Eval `code-20`"
    assert (figure.date, figure.reason, figure.source) == (dt.date(2026, 10, 1), "HumanEval 18/20 = 90%", "test-guide")
    assert (figure.since, figure.last_passed, figure.history) == (None, None, ())
    # The reported eval is a quality claim: serving is verified on its own, quality is not (a figure never is).
    assert verdict.summary is verdict.serving is SummaryState.verified
    assert verdict.quality is SummaryState.unverified, "a reported figure is never verified"
    assert verdict.of(ClaimState.reported) == ["eval:code-20"]
    assert summary_line(verdict) == (
        "serving verified: 3 of 3 claims verified; quality unverified: 0 of 1 claims verified; last verified 2026-11-23"
    )


def test_a_reported_figure_stays_beside_the_probe_result_for_the_same_benchmark() -> None:
    """Issue 24: the guide's HumanEval 18/20 and a probe run of HumanEval's first 20 are one claim. The probe's
    result decides the state; the figure stays on the verdict, with its source and date, for the card to show."""
    claim = "eval:humaneval-first-20"
    deployment = _deployment(reported=[_reported(claim, "HumanEval 18/20 = 90% (≥70% gate)", "2026-10-01")])
    probed = _run({**ALL_PASS, claim: "fail"}, reasons={claim: "score 0.00 (0/20 pass@1) is below the gate 0.70"})
    verdict = judge(DEP, deployment, _evidence(probed), TODAY)

    humaneval = _claim(verdict, claim)
    assert humaneval.state is ClaimState.failing, "the probe's result outranks the reported figure"
    assert (humaneval.date, humaneval.reason, humaneval.source) == (TODAY, probed.records[-1].reason, None)
    assert humaneval.figure == ReportedFigure("HumanEval 18/20 = 90% (≥70% gate)", "test-guide", dt.date(2026, 10, 1))
    assert verdict.quality is SummaryState.failing
    # Unprobed, the same figure decides the state as before, and is the same figure.
    alone = _claim(judge(DEP, deployment, _evidence(_run(ALL_PASS)), TODAY), claim)
    assert alone.state is ClaimState.reported and alone.figure == humaneval.figure
    assert (alone.reason, alone.source) == ("HumanEval 18/20 = 90% (≥70% gate)", "test-guide")
    # Without a figure there is none.
    assert _claim(verdict, "health").figure is None


def test_latency_measured_by_another_tool_is_in_no_rule_and_the_rules_say_so() -> None:
    """Issue 24, item 5: an imported report (`python -m probes import-report`) is shown beside the probe's latency
    and decides no state; the badges page and MCP's `explain_evidence` say so from the same text."""
    rules = rules_json()
    assert rules["measured_by_tool"] == MEASURED_BY_TOOL_RULE
    assert "changes no claim's badge" in MEASURED_BY_TOOL_RULE
    assert [row["state"] for row in rules["claim_states"]] == [rule.state.value for rule in CLAIM_RULES]
    assert rules["overall_summary"] == "serving"


def test_explain_evidence_is_the_rule_tables_word_for_word() -> None:
    """MCP's `explain_evidence` (catalog/verdicts.py `rules_json`): every state with its rule, in table order, each
    group's summary states with the question the group answers, and `not-evaluated` for quality only."""
    rules = rules_json()
    assert rules["claim_states"] == [{"state": rule.state.value, "when": rule.when} for rule in CLAIM_RULES]
    summary_rows = [{"state": rule.state.value, "when": rule.when} for rule in SUMMARY_RULES]
    assert rules["summaries"] == {
        "serving": {"question": GROUP_QUESTIONS[ClaimGroup.serving], "states": summary_rows},
        "quality": {
            "question": GROUP_QUESTIONS[ClaimGroup.quality],
            "states": [*summary_rows, {"state": NOT_EVALUATED, "when": NOT_EVALUATED_RULE}],
        },
    }
    assert set(rules) == {"claim_states", "summaries", "overall_summary", "measured_by_tool"}


def test_a_reported_figure_without_a_date_has_none() -> None:
    deployment = _deployment(reported=[_reported("endpoint:chat", "chat works (guide)")])
    chat = _claim(judge(DEP, deployment, Evidence(), TODAY), "endpoint:chat")
    assert (chat.state, chat.date, chat.reason, chat.source) == (
        ClaimState.reported,
        None,
        "chat works (guide)",
        "test-guide",
    )


def test_a_partly_verified_deployment_is_partial_not_verified() -> None:
    """Known bug: a deployment with one claim verified and the rest never probed was shown as verified."""
    verdict = judge(DEP, _deployment(), _evidence(_run({"health": "pass", "served-name": "pass"})), TODAY)

    assert _states(verdict) == {
        "health": ClaimState.verified,
        "served-name": ClaimState.verified,
        "endpoint:chat": ClaimState.unverified,
    }
    assert verdict.summary is SummaryState.partial
    assert (
        summary_line(verdict)
        == "serving partial: 2 of 3 claims verified; quality not evaluated; last verified 2026-11-23"
    )
    never = _claim(verdict, "endpoint:chat")
    assert (never.date, never.reason, never.since, never.last_passed) == (None, None, None, None)


def test_verified_next_to_stale_is_partial() -> None:
    old, new = _run(ALL_PASS, days_ago=20), _run({"health": "pass"}, days_ago=1)
    # The latest run checked only health; the other claims were last checked 20 days ago, in a run
    # that is no longer the latest, so they count as never probed by the latest run.
    verdict = judge(DEP, _deployment(), _evidence(old, new), TODAY)
    assert verdict.summary is SummaryState.partial
    assert _claim(verdict, "served-name").state is ClaimState.unverified
    assert _claim(verdict, "served-name").last_passed == _day(20), "the history still knows when it last passed"


def test_failing_summary_names_every_failing_claim_in_display_order() -> None:
    run = _run({"endpoint:chat": "error", "health": "pass", "served-name": "fail"})
    verdict = judge(DEP, _deployment(), _evidence(run), TODAY)
    assert verdict.of(ClaimState.failing) == ["served-name", "endpoint:chat"]
    assert verdict.of("failing") == ["served-name", "endpoint:chat"], "a state's name works too"
    assert verdict.counts == {
        ClaimState.verified: 1,
        ClaimState.failing: 2,
        ClaimState.stale: 0,
        ClaimState.reported: 0,
        ClaimState.unverified: 0,
    }
    assert summary_line(verdict) == (
        "serving failing: 1 of 3 claims verified; failing served-name, endpoint:chat; quality not evaluated;"
        " last verified 2026-11-23"
    )


def test_a_never_probed_deployment() -> None:
    verdict = judge(DEP, _deployment(), Evidence(), TODAY)
    assert _states(verdict) == dict.fromkeys(CLAIMS, ClaimState.unverified)
    assert verdict.summary is SummaryState.unverified
    assert (verdict.last_verified, verdict.runs) == (None, ())
    assert verdict.counts[ClaimState.unverified] == 3
    assert (
        summary_line(verdict)
        == "serving unverified: 0 of 3 claims verified; quality not evaluated; last verified never"
    )


def test_another_deployments_evidence_says_nothing_about_this_one() -> None:
    other = _run(ALL_PASS, deployment="other-chat")
    verdict = judge(DEP, _deployment(), _evidence(other), TODAY)
    assert verdict.summary is SummaryState.unverified
    assert (verdict.last_verified, verdict.runs) == (None, ())


def test_claims_follow_the_catalog_not_the_evidence() -> None:
    """A record for a claim the deployment does not make (it dropped `completions`) is not shown."""
    run = _run({**ALL_PASS, "endpoint:completions": "fail"})
    verdict = judge(DEP, _deployment(), _evidence(run), TODAY)
    assert [claim.claim for claim in verdict.claims] == CLAIMS
    assert verdict.summary is SummaryState.verified


def test_an_info_record_is_measured_but_not_verified() -> None:
    """`info` means measured with nothing to hold it against: it must not count as a pass."""
    deployment = _deployment(slo={"ttft_p95_ms": 250})
    run = _run({**ALL_PASS, "latency": "info"}, reasons={"latency": "TTFT p95 31 ms; no target to hold it against"})
    verdict = judge(DEP, deployment, _evidence(run), TODAY)

    latency = _claim(verdict, "latency")
    assert latency.state is ClaimState.unverified
    assert latency.reason == "TTFT p95 31 ms; no target to hold it against", "the card still says what was measured"
    assert (latency.date, latency.since, latency.last_passed) == (None, None, None)
    assert verdict.summary is SummaryState.partial
    assert verdict.runs == (RunPoint("run-000", TODAY, passed=3, failed=0, ttft_p95_ms=None),)


def test_an_info_record_with_a_reported_figure_shows_the_figure() -> None:
    deployment = _deployment(slo={"ttft_p95_ms": 250}, reported=[_reported("latency", "p95 TTFT 180 ms", "2026-09-09")])
    run = _run({**ALL_PASS, "latency": "info"}, reasons={"latency": "measured"})
    latency = _claim(judge(DEP, deployment, _evidence(run), TODAY), "latency")
    assert (latency.state, latency.date, latency.reason, latency.source) == (
        ClaimState.reported,
        dt.date(2026, 9, 9),
        "p95 TTFT 180 ms",
        "test-guide",
    )


def test_evals_in_the_latest_run_become_claims() -> None:
    run = _run({**ALL_PASS, "eval:json-format": "pass", "eval:code-20": "fail"}, reasons={"eval:code-20": "12/20"})
    verdict = judge(DEP, _deployment(), _evidence(run), TODAY)

    assert [claim.claim for claim in verdict.claims] == [*CLAIMS, "eval:code-20", "eval:json-format"]
    assert _claim(verdict, "eval:json-format").label == "Eval `json-format`"
    assert _claim(verdict, "eval:json-format").state is ClaimState.verified
    assert (_claim(verdict, "eval:code-20").state, _claim(verdict, "eval:code-20").reason) == (
        ClaimState.failing,
        "12/20",
    )
    # An eval that fails is a quality verdict: the endpoint still serves, and reads so.
    assert (verdict.serving, verdict.quality) == (SummaryState.verified, SummaryState.failing)
    assert verdict.summary is SummaryState.verified


# --------------------------------------------------------------------------- serving and quality apart


def test_every_declared_kind_is_serving_and_every_eval_is_quality() -> None:
    """Which claims are quality is the claim registry's (catalog/claims.py): evals, and nothing else."""
    assert {kind.name: kind.group for kind in CLAIM_KINDS} == dict.fromkeys(
        (kind.name for kind in CLAIM_KINDS), ClaimGroup.serving
    )
    assert EVAL_GROUP is ClaimGroup.quality
    assert [claim_group(name) for name in ("eval:code-20", "eval:json-format", "latency", "endpoint:chat")] == [
        ClaimGroup.quality,
        ClaimGroup.quality,
        ClaimGroup.serving,
        ClaimGroup.serving,
    ]
    assert claim_group("not-a-claim") is ClaimGroup.serving


P, X = "pass", "fail"


@pytest.mark.parametrize(
    ("serving", "evals", "expected", "line"),
    [
        pytest.param(
            dict.fromkeys(CLAIMS, P),
            {"eval:code-small": X, "eval:json-format": X},
            (SummaryState.verified, SummaryState.failing),
            "serving verified: 3 of 3 claims verified; quality failing: 0 of 2 claims verified;"
            " failing eval:code-small, eval:json-format; last verified 2026-11-23",
            id="serves-well-scores-badly",
        ),
        pytest.param(
            {**dict.fromkeys(CLAIMS, P), "endpoint:chat": X},
            {"eval:code-small": P},
            (SummaryState.failing, SummaryState.verified),
            "serving failing: 2 of 3 claims verified; failing endpoint:chat;"
            " quality verified: 1 of 1 claims verified; last verified 2026-11-23",
            id="scores-well-serves-badly",
        ),
        pytest.param(
            dict.fromkeys(CLAIMS, P),
            {"eval:code-small": P, "eval:json-format": X},
            (SummaryState.verified, SummaryState.failing),
            "serving verified: 3 of 3 claims verified; quality failing: 1 of 2 claims verified;"
            " failing eval:json-format; last verified 2026-11-23",
            id="one-eval-failing",
        ),
        pytest.param(
            {"health": P, "served-name": P},
            {"eval:code-small": P},
            (SummaryState.partial, SummaryState.verified),
            "serving partial: 2 of 3 claims verified; quality verified: 1 of 1 claims verified;"
            " last verified 2026-11-23",
            id="serving-partial-evals-verified",
        ),
        pytest.param(
            dict.fromkeys(CLAIMS, X),
            {},
            (SummaryState.failing, None),
            "serving failing: 0 of 3 claims verified; failing health, served-name, endpoint:chat;"
            " quality not evaluated; last verified never",
            id="no-evals-is-not-evaluated",
        ),
        pytest.param(
            dict.fromkeys(CLAIMS, P),
            {"eval:code-small": P},
            (SummaryState.verified, SummaryState.verified),
            "serving verified: 3 of 3 claims verified; quality verified: 1 of 1 claims verified;"
            " last verified 2026-11-23",
            id="both-verified",
        ),
    ],
)
def test_serving_and_quality_are_summarised_apart(
    serving: dict[str, Status],
    evals: dict[str, Status],
    expected: tuple[SummaryState, SummaryState | None],
    line: str,
) -> None:
    """The same rules over each group's claims alone; the overall summary is the serving one, so a model that serves
    well and scores badly is never failing as a whole."""
    verdict = judge(DEP, _deployment(), _evidence(_run({**serving, **evals})), TODAY)
    assert (verdict.serving, verdict.quality) == expected
    assert (verdict.group(ClaimGroup.serving), verdict.group(ClaimGroup.quality)) == expected
    assert verdict.summary is expected[0]
    assert [c.claim for c in verdict.claims_in(ClaimGroup.serving)] == CLAIMS
    assert [c.claim for c in verdict.claims_in(ClaimGroup.quality)] == sorted(evals)
    assert verdict.of(ClaimState.failing, ClaimGroup.quality) == sorted(c for c, s in evals.items() if s == X)
    assert verdict.of(ClaimState.verified, ClaimGroup.serving) == [c for c in CLAIMS if serving.get(c) == P]
    assert verdict.of(ClaimState.failing) == [
        *(c for c in CLAIMS if serving.get(c) == X),
        *sorted(c for c, s in evals.items() if s == X),
    ]
    assert summary_line(verdict) == line


def test_the_all_claims_summary_would_read_failing_but_the_serving_summary_does_not() -> None:
    """The bug the split fixes: 3 of 5 claims verified and both evals failing read "failing" over every claim."""
    run = _run({**ALL_PASS, "eval:code-small": "fail", "eval:json-format": "fail"})
    verdict = judge(DEP, _deployment(), _evidence(run), TODAY)
    assert summary_state([c.state for c in verdict.claims]) is SummaryState.failing
    assert verdict.summary is SummaryState.verified
    assert verdict.quality is SummaryState.failing


def test_a_group_summary_in_words() -> None:
    assert [state_word(state) for state in (*SummaryState, None)] == [
        "verified",
        "partial",
        "failing",
        "unverified",
        "not-evaluated",
    ]
    assert NOT_EVALUATED == "not-evaluated"
    assert group_rule(None) == NOT_EVALUATED_RULE
    assert [group_rule(state) for state in SummaryState] == [summary_rule(state) for state in SummaryState]
    assert group_rule(SummaryState.failing) == "any claim is failing"


def test_a_stale_eval_leaves_quality_unverified_and_serving_alone() -> None:
    """Each group is judged by the same claim rules: an eval that passed long ago is stale, not verified."""
    old = _run({**ALL_PASS, "eval:code-small": "pass"}, days_ago=30)
    verdict = judge(DEP, _deployment(), _evidence(old), TODAY)
    assert (verdict.serving, verdict.quality) == (SummaryState.unverified, SummaryState.unverified)
    fresh = judge(DEP, _deployment(stale_after_days=60), _evidence(old), TODAY)
    assert (fresh.serving, fresh.quality) == (SummaryState.verified, SummaryState.verified)


def test_an_eval_only_in_older_runs_is_no_longer_a_claim() -> None:
    old = _run({**ALL_PASS, "eval:json-format": "pass"}, days_ago=3)
    verdict = judge(DEP, _deployment(), _evidence(old, _run(ALL_PASS)), TODAY)
    assert [claim.claim for claim in verdict.claims] == CLAIMS


# --------------------------------------------------------------------------- judge: since, last passed


def _chat_runs(statuses: list[Status]) -> list[EvidenceFile]:
    """One run a day, the last one today; every claim passes except endpoint:chat, which has `statuses`."""
    count = len(statuses)
    return [
        _run({"health": "pass", "served-name": "pass", "endpoint:chat": status}, days_ago=count - 1 - index)
        for index, status in enumerate(statuses)
    ]


def test_since_is_the_start_of_the_newest_unbroken_run_of_passes() -> None:
    runs = _chat_runs(["pass", "fail", "pass", "info", "pass", "pass", "pass"])
    chat = _claim(judge(DEP, _deployment(), _evidence(*runs), TODAY), "endpoint:chat")
    assert chat.state is ClaimState.verified
    assert chat.since == _day(2), "the info run broke the streak; the three passes since count"


def test_since_is_the_start_of_the_newest_unbroken_run_of_failures() -> None:
    runs = _chat_runs(["fail", "pass", "pass", "fail", "error", "fail"])
    verdict = judge(DEP, _deployment(), _evidence(*runs), TODAY)
    chat = _claim(verdict, "endpoint:chat")
    assert chat.state is ClaimState.failing
    assert chat.since == _day(2), "an error (not reachable) continues a streak of failures"
    assert chat.last_passed == _day(3)
    assert _claim(verdict, "health").since == _day(5), "health passed in every run"


def test_since_of_a_stale_claim_counts_its_passes() -> None:
    runs = [_run(ALL_PASS, days_ago=30), _run(ALL_PASS, days_ago=20)]
    health = _claim(judge(DEP, _deployment(), _evidence(*runs), TODAY), "health")
    assert (health.state, health.since, health.date) == (ClaimState.stale, _day(30), _day(20))


def test_since_falls_back_to_the_latest_check_without_a_history() -> None:
    verdict = judge(DEP, _deployment(), _evidence(_run(ALL_PASS, days_ago=2), history=False), TODAY)
    health = _claim(verdict, "health")
    assert (health.since, health.last_passed, health.history) == (_day(2), _day(2), ())
    assert verdict.last_verified == _day(2)
    assert verdict.runs == ()


def test_last_passed_comes_from_the_history_when_the_latest_run_failed() -> None:
    runs = [_run(ALL_PASS, days_ago=9), _run(ALL_PASS, days_ago=4), _run(dict.fromkeys(CLAIMS, "fail"))]
    verdict = judge(DEP, _deployment(), _evidence(*runs), TODAY)
    assert {claim.last_passed for claim in verdict.claims} == {_day(4)}
    assert verdict.last_verified == _day(4)
    assert summary_line(verdict) == (
        "serving failing: 0 of 3 claims verified; failing health, served-name, endpoint:chat; quality not evaluated;"
        " last verified 2026-11-19"
    )


def test_last_verified_is_the_latest_pass_of_any_claim() -> None:
    runs = [_run(ALL_PASS, days_ago=6), _run({"health": "pass", "served-name": "fail", "endpoint:chat": "fail"}, 1)]
    verdict = judge(DEP, _deployment(), _evidence(*runs), TODAY)
    assert _claim(verdict, "served-name").last_passed == _day(6)
    assert verdict.last_verified == _day(1)


def test_the_latest_pass_counts_even_when_the_history_missed_it() -> None:
    """The latest file is written before the history line; a run killed in between must not lose the pass."""
    evidence = _evidence(_run(ALL_PASS, days_ago=5), _run(dict.fromkeys(CLAIMS, "fail"), days_ago=3))
    latest = _run(ALL_PASS, days_ago=1)
    evidence = Evidence(latest={DEP: latest}, history=evidence.history)
    verdict = judge(DEP, _deployment(), evidence, TODAY)
    health = _claim(verdict, "health")
    assert (health.state, health.last_passed, health.date) == (ClaimState.verified, _day(1), _day(1))
    assert health.since == _day(1), "the newest history lines failed, so the streak starts at the latest check"
    assert verdict.last_verified == _day(1)


# --------------------------------------------------------------------------- judge: history and runs


def test_history_keeps_the_newest_runs_oldest_first() -> None:
    """Known bug: the card kept the oldest ten runs, so it stopped changing after the tenth."""
    runs = [_run(ALL_PASS, days_ago=days_ago) for days_ago in range(11, -1, -1)]  # 12 runs, oldest first
    verdict = judge(DEP, _deployment(), _evidence(*runs), TODAY)

    assert [run.date for run in verdict.runs] == [_day(days_ago) for days_ago in range(9, -1, -1)]
    assert verdict.runs[-1] == RunPoint("run-000", TODAY, passed=3, failed=0, ttft_p95_ms=None)
    for claim in verdict.claims:
        assert [line.date.date() for line in claim.history] == [_day(days_ago) for days_ago in range(9, -1, -1)]

    short = judge(DEP, _deployment(), _evidence(*runs), TODAY, history_length=3)
    assert [run.run_id for run in short.runs] == ["run-002", "run-001", "run-000"]
    assert [line.run_id for line in short.claims[0].history] == ["run-002", "run-001", "run-000"]
    assert short.claims[0].since == _day(11), "a shorter chart does not shorten the streak"


def test_history_length_zero_shows_no_history_but_keeps_the_states() -> None:
    runs = [_run(ALL_PASS, days_ago=1), _run(ALL_PASS)]
    verdict = judge(DEP, _deployment(), _evidence(*runs), TODAY, history_length=0)
    assert verdict.runs == ()
    assert all(claim.history == () for claim in verdict.claims)
    assert verdict.summary is SummaryState.verified
    assert _claim(verdict, "health").since == _day(1)


def _line(run_id: str, claim: str, status: Status, at: dt.datetime, ttft: float | None = None) -> HistoryLine:
    return HistoryLine(run_id=run_id, deployment=DEP, claim=claim, status=status, date=at, ttft_p95_ms=ttft)


def test_each_run_point_counts_passes_and_failures_and_carries_ttft() -> None:
    first, second = _at(2), _at(1)
    lines = [
        _line("a", "health", "pass", first),
        _line("a", "latency", "pass", first.replace(minute=31), ttft=41.5),
        _line("a", "endpoint:chat", "error", first.replace(minute=32)),
        _line("b", "health", "fail", second),
        _line("b", "latency", "info", second, ttft=None),
        _line("b", "run", "error", second.replace(minute=33)),
    ]
    history: dict[str, list[HistoryLine]] = {}
    for line in lines:
        history.setdefault(line.claim, []).append(line)
    verdict = judge(DEP, _deployment(), _history(history), TODAY)

    assert verdict.runs == (
        RunPoint("a", _day(2), passed=2, failed=1, ttft_p95_ms=41.5),
        RunPoint("b", _day(1), passed=0, failed=2, ttft_p95_ms=None),
    )


def test_a_run_that_crosses_midnight_is_dated_by_its_first_check() -> None:
    late = dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC)
    early = dt.datetime(2026, 11, 21, 0, 1, tzinfo=dt.UTC)
    history = {
        "endpoint:chat": [_line("night", "endpoint:chat", "pass", early)],
        "health": [_line("night", "health", "pass", late)],
    }
    (run,) = judge(DEP, _deployment(), _history(history), TODAY).runs
    assert run.date == dt.date(2026, 11, 20)


def test_runs_are_ordered_by_when_they_started_then_by_id() -> None:
    same = _at(3)
    history = {
        "health": [
            _line("z-crossed-midnight", "health", "pass", _at(5)),
            _line("b", "health", "pass", same),
            _line("a", "health", "pass", same),
            _line("m", "health", "pass", _at(4)),
        ],
        # The run that started first finished its last check after all the others.
        "endpoint:chat": [_line("z-crossed-midnight", "endpoint:chat", "pass", _at(0))],
    }
    verdict = judge(DEP, _deployment(), _history(history), TODAY)
    assert [run.run_id for run in verdict.runs] == ["z-crossed-midnight", "m", "a", "b"]
    newest_two = judge(DEP, _deployment(), _history(history), TODAY, history_length=2)
    assert [run.run_id for run in newest_two.runs] == ["a", "b"]


# ----------------------------------------------------------------------------------------------- availability


def _crash(days_ago: int, run_id: str) -> HistoryLine:
    return HistoryLine(run_id=run_id, deployment=DEP, claim="run", status="error", date=_at(days_ago), reason="bug")


def test_availability_counts_the_runs_in_which_the_server_answered() -> None:
    runs = [
        _run({"health": "error", "served-name": "error"}, 40, run_id="a"),  # outside both windows
        _run({"health": "error", "served-name": "error"}, 20, run_id="b"),  # unreachable
        _run({"health": "pass", "served-name": "fail"}, 10, run_id="c"),  # answered, a claim failed
        _run({"health": "error", "endpoint:chat": "fail"}, 7, run_id="d"),  # 7 days ago: outside the week
        _run({"health": "pass"}, 6, run_id="e"),
        _run({"health": "error", "served-name": "error"}, 0, run_id="f"),  # today counts
    ]
    lines = [HistoryLine.from_record(run.run_id, DEP, record) for run in runs for record in run.records]
    # A crash of the prober says nothing about the server.
    evidence = Evidence(latest={DEP: runs[-1]}, history=summarize([*lines, _crash(1, "g")]))
    verdict = judge(DEP, _deployment(), evidence, TODAY)
    week, month = verdict.availability
    assert (week.days, week.runs, week.answered) == (7, 2, 1)
    assert (month.days, month.runs, month.answered) == (30, 5, 3)
    assert (week.share, week.text()) == (0.5, "50% of 2 runs")
    assert month.text() == "60% of 5 runs"
    assert [p.run_id for p in verdict.runs] == ["a", "b", "c", "d", "e", "g", "f"]
    assert [p.answered for p in verdict.runs] == [False, False, True, True, True, False, False]
    assert [p.checked for p in verdict.runs] == [True, True, True, True, True, False, True]


def test_availability_without_runs_says_so() -> None:
    verdict = judge(DEP, _deployment(), Evidence(), TODAY)
    assert [(a.days, a.runs, a.answered, a.share, a.text()) for a in verdict.availability] == [
        (7, 0, 0, None, "no runs"),
        (30, 0, 0, None, "no runs"),
    ]


def test_one_run_is_singular_and_shares_round() -> None:
    runs = [_run({"health": "pass"}, 3, run_id="x")]
    assert judge(DEP, _deployment(), _evidence(*runs), TODAY).availability[0].text() == "100% of 1 run"
    three = [_run({"health": "pass" if i else "error"}, i, run_id=f"r{i}") for i in range(3)]
    assert judge(DEP, _deployment(), _evidence(*three), TODAY).availability[0].text() == "67% of 3 runs"
