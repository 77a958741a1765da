"""Which key a client sends: gateway-routed examples never say the catalog names no key, and every surface agrees.

A LiteLLM gateway always wants a key (its master key or a virtual key). Where the catalog names the
gateway's key variable (`site.gateways[id].api_key_env`), every example sends it; where it does not, the
examples say the variable is not known and leave a placeholder a reader must fill. Run through the real
proxy in tests/gateway/test_examples_through_proxy.py.
"""

from __future__ import annotations

import pytest

from catalog.clients import Target, key_text
from hooks.render.snippets import EXAMPLES
from hooks.render.templating import render_code

KINDS = [kind for kind in EXAMPLES if kind != "fim"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_gateway_example_sends_the_gateways_key(kind: str) -> None:
    target = Target("http://gw.internal:4000/v1", "alias", "TEAM_GATEWAY_KEY", via_gateway=True)
    python = render_code(f"snippets/{kind}.py.j2", t=target, fim=None)
    curl = render_code(f"snippets/{kind}.sh.j2", t=target, fim=None)
    assert "api_key=os.environ['TEAM_GATEWAY_KEY']" in python
    assert "Authorization: Bearer ${TEAM_GATEWAY_KEY}" in curl
    assert "names no key" not in python + curl


@pytest.mark.parametrize("kind", KINDS)
def test_a_gateway_without_a_named_key_variable_says_so(kind: str) -> None:
    target = Target("http://gw.internal:4000/v1", "alias", None, via_gateway=True)
    python = render_code(f"snippets/{kind}.py.j2", t=target, fim=None)
    curl = render_code(f"snippets/{kind}.sh.j2", t=target, fim=None)
    for code in (python, curl):
        assert "names no key" not in code
        assert "does not name the variable that holds it" in code
        assert "YOUR-GATEWAY-KEY" in code
    # The note is a line of its own before the command: inside a continued curl line it would end it.
    assert curl.splitlines()[0].startswith("# The gateway wants a key")


def test_a_direct_endpoint_without_a_key_says_the_catalog_names_none() -> None:
    target = Target("http://127.0.0.1:8000/v1", "m", None, via_gateway=False)
    assert "The catalog names no key for this endpoint" in render_code("snippets/chat.py.j2", t=target, fim=None)
    assert "Authorization" not in render_code("snippets/chat.sh.j2", t=target, fim=None)


def test_the_key_fact_reads_the_same_everywhere() -> None:
    assert key_text(Target("u", "m", "K", via_gateway=True)) == "key $K"
    assert key_text(Target("u", "m", None, via_gateway=False)) == "no key named in the catalog"
    unknown = key_text(Target("u", "m", None, via_gateway=True))
    assert "does not name" in unknown and "no key named" not in unknown


def test_llms_txt_names_each_gateways_key_or_says_it_is_not_known() -> None:
    from types import SimpleNamespace

    site = SimpleNamespace(
        title="T",
        tagline="t",
        gateways={
            "named": SimpleNamespace(name="Named", base_url="http://gw:4000/v1", api_key_env="GW_KEY"),
            "unnamed": SimpleNamespace(name="Unnamed", base_url=None, api_key_env=None),
        },
    )
    text = render_code(
        "llms.txt.j2",
        site=site,
        tasks=[],
        retired=[],
        fleets=[],
        deployment_count=0,
        families=[],
        family_lines=10,
        family_index="llms/deployments.md",
        guides=[],
        optional=[],
        card_url="deployments/<id>/index.md",
        json_url="deployments/<id>.json",
    )
    assert (
        "Gateway `named` (Named) at http://gw:4000/v1: send a deployment's gateway alias as `model`, key $GW_KEY."
        in text
    )
    assert (
        "Gateway `unnamed` (Unnamed), base URL not published: send a deployment's gateway alias as `model`, with a key (the catalog does not name the variable that holds it)."
        in text
    )
