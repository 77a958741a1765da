"""The probes prove exactly the claims the registry (catalog/claims.py) says they prove, on exactly the
deployments it says, by one predicate each."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from catalog.claims import (
    BY_NAME,
    CLAIM_KINDS,
    DISCOVERED_CAPABILITIES,
    DISCOVERED_ENDPOINTS,
    Capability,
    ClaimFacts,
    EndpointKind,
    ServerClaim,
    claim_name,
    claims_checked,
    claims_made,
    eval_claim,
    generates_text,
    gets_latency_check,
)
from probes.checks import CLAIM_CHECKS, CheckResult, Context, proves
from probes.evals import bundled_suites
from probes.runner import plan
from probes.target import ProbeTarget
from probes.workload import Workload

LATENCY = claim_name(ServerClaim.latency)


def _target(**overrides: object) -> ProbeTarget:
    fields: dict[str, object] = {
        "deployment_id": "d",
        "base_url": "http://127.0.0.1:9/v1",
        "health_url": None,
        "served_name": "m",
        "api_key_env": None,
        "endpoints": frozenset(),
        "capabilities": frozenset(),
        "served_context": None,
        "fim_tokens": None,
        "slo": {},
    }
    fields.update(overrides)
    return ProbeTarget(**fields)  # type: ignore[arg-type]


def _every_facts() -> Iterator[ClaimFacts]:
    """Every combination of what decides a claim: reachability, each endpoint set, SLO targets, a context, and
    no capability, one, or all of them."""
    endpoint_sets = [
        frozenset(chosen) for n in range(len(EndpointKind) + 1) for chosen in itertools.combinations(EndpointKind, n)
    ]
    capability_sets = [frozenset(), frozenset({Capability.streaming}), frozenset(Capability)]
    for reachable, endpoints, capabilities, context, slo in itertools.product(
        (True, False), endpoint_sets, capability_sets, (None, 1024), (True, False)
    ):
        yield ClaimFacts(reachable, endpoints, capabilities, context, slo)


def test_every_probed_claim_has_exactly_one_check_and_every_check_a_claim() -> None:
    probed = {kind.name for kind in CLAIM_KINDS if kind.probed}
    unprobed = {kind.name for kind in CLAIM_KINDS if not kind.probed}
    assert set(CLAIM_CHECKS) == probed, "register each probed claim's check in probes/checks.py with @proves(...)"
    assert not unprobed & set(CLAIM_CHECKS), "a claim marked probed=False has a check: mark it probed"


async def _a_check(ctx: Context) -> CheckResult:
    return CheckResult()


def test_proves_refuses_a_second_check_an_unknown_claim_and_an_unprobed_one() -> None:
    with pytest.raises(ValueError, match="'endpoint:chat' has two checks: check_chat and _a_check"):
        proves(EndpointKind.chat)(_a_check)
    with pytest.raises(ValueError, match="'capability:audio-input' is marked probed=False"):
        proves(Capability.audio_input)
    assert CLAIM_CHECKS[claim_name(EndpointKind.chat)].__name__ == "check_chat"


def test_a_target_claiming_everything_plans_every_probed_claim_in_registry_order() -> None:
    target = _target(
        endpoints=frozenset(EndpointKind),
        capabilities=frozenset(Capability),
        served_context=1024,
        fim_tokens=("<p>", "<s>", "<m>"),
        slo={"ttft_p95_ms": 100.0},
    )
    planned = [check.claim for check in plan(target, Workload(), suites=[])]
    expected = [kind.name for kind in CLAIM_KINDS if kind.probed]
    assert planned == expected
    assert [check.run for check in plan(target, Workload(), suites=[])] == [CLAIM_CHECKS[n] for n in expected]
    # Audio input is claimed but has no probe: it is not planned (the site shows it unverified).
    assert "capability:audio-input" in target.claims and "capability:audio-input" not in planned


def test_latency_is_checked_by_one_predicate_which_the_claim_and_the_planner_share() -> None:
    """`gets_latency_check` decides who the latency workload runs on; the registry's latency claim is made only
    where it holds (and targets exist), and the planner plans latency exactly where it holds."""
    latency = BY_NAME[LATENCY]
    assert latency.checked is gets_latency_check
    for facts in _every_facts():
        assert (LATENCY in claims_made(facts)) == (gets_latency_check(facts) and facts.has_slo), facts
        assert (LATENCY in claims_checked(facts)) == gets_latency_check(facts), facts


def test_no_claim_is_made_that_a_probe_run_never_checks() -> None:
    """What was authored and what is probed agree: every probed claim a deployment makes is planned."""
    for facts in _every_facts():
        made = [name for name in claims_made(facts) if BY_NAME[name].probed]
        assert set(made) <= set(claims_checked(facts)), facts


@pytest.mark.parametrize(
    "endpoints, slo",
    [
        (frozenset({EndpointKind.chat}), {}),
        (frozenset({EndpointKind.completions}), {"ttft_p95_ms": 100.0}),
        (frozenset({EndpointKind.embeddings}), {"ttft_p95_ms": 100.0}),
        (frozenset({EndpointKind.responses}), {}),
        (frozenset(), {"e2e_p95_ms": 900.0}),
    ],
)
def test_the_planner_plans_what_the_registry_checks_and_evals_where_text_is_generated(
    endpoints: frozenset[EndpointKind], slo: dict[str, float]
) -> None:
    target = _target(endpoints=endpoints, slo=slo)
    suite = bundled_suites()[0]
    planned = [check.claim for check in plan(target, Workload(), suites=[suite])]
    evals = [eval_claim(suite.task)] if generates_text(target.facts) else []
    assert planned == claims_checked(target.facts) + evals
    assert (LATENCY in planned) == gets_latency_check(target.facts)
    # Without a workload (`--no-latency`) nothing else changes.
    without = [check.claim for check in plan(target, None, suites=[suite])]
    assert without == [claim for claim in planned if claim != LATENCY]


def test_discover_tries_claims_that_have_checks_needing_nothing_but_a_served_name() -> None:
    tried = [claim_name(kind) for kind in DISCOVERED_ENDPOINTS] + [claim_name(c) for c in DISCOVERED_CAPABILITIES]
    assert set(tried) <= set(CLAIM_CHECKS)
    # FIM needs the model's control tokens, which no server lists.
    assert EndpointKind.fim not in DISCOVERED_ENDPOINTS
