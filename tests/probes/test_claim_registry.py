"""The probes prove exactly the claims the registry (catalog/claims.py) says they prove."""

from __future__ import annotations

from catalog.claims import CLAIM_KINDS, Capability, EndpointKind
from probes.checks import CLAIM_CHECKS
from probes.latency import Workload
from probes.runner import plan
from probes.target import ProbeTarget

#: Claims whose check needs a parameter (a workload) and is built by `plan`, not registered statically.
PLANNED_WITH_PARAMETERS = {"latency"}


def test_every_probed_claim_has_a_check_and_every_check_a_claim() -> None:
    probed = {kind.name for kind in CLAIM_KINDS if kind.probed} - PLANNED_WITH_PARAMETERS
    unprobed = {kind.name for kind in CLAIM_KINDS if not kind.probed}
    assert set(CLAIM_CHECKS) == probed, "register each probed claim's check in probes/checks.py CLAIM_CHECKS"
    assert not unprobed & set(CLAIM_CHECKS), "a claim marked probed=False has a check: mark it probed"


def test_a_target_claiming_everything_plans_every_probed_claim_in_registry_order() -> None:
    target = ProbeTarget(
        deployment_id="everything",
        base_url="http://127.0.0.1:9/v1",
        health_url=None,
        served_name="m",
        api_key_env=None,
        endpoints=frozenset(EndpointKind),
        capabilities=frozenset(Capability),
        served_context=1024,
        fim_tokens=("<p>", "<s>", "<m>"),
        slo={"ttft_p95_ms": 100.0},
    )
    planned = [check.claim for check in plan(target, Workload(), suites=[])]
    expected = [kind.name for kind in CLAIM_KINDS if kind.probed]
    assert planned == expected
    # Audio input is claimed but has no probe: it is not planned (the site shows it unverified).
    assert "capability:audio-input" in target.claims and "capability:audio-input" not in planned
