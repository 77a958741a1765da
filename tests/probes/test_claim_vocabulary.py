"""The site and the probes name claims the same way, so every probe record finds its badge."""

from __future__ import annotations

from catalog.schema import Deployment, Endpoint, FimFormat, Serving, SloTargets
from catalog.types import Capability, EndpointKind
from hooks.evidence import claimed
from hooks.render.deployment_card import CLAIM_LABELS
from probes.evidence import CLAIMS
from probes.target import CAPABILITIES


def test_every_claim_the_site_derives_is_one_the_probes_write() -> None:
    probed_capabilities = [c for c in Capability if c.value in CAPABILITIES]
    everything = Deployment(
        model="some-model",
        backend="vllm",
        served_name="s",
        status="active",
        endpoint=Endpoint(base_url="http://127.0.0.1:1/v1"),
        serving=Serving(max_model_len=1024, tool_call_parser="hermes"),
        endpoints=list(EndpointKind),
        capabilities=probed_capabilities,
        fim=FimFormat(prefix="<p>", suffix="<s>", middle="<m>"),
        slo=SloTargets(ttft_p95_ms=100),
        summary="x",
    )
    assert sorted(claimed(everything)) == sorted(CLAIMS)
    assert set(CLAIMS) <= set(CLAIM_LABELS), "every probed claim needs a reader-facing label on the card"
