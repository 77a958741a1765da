"""Probes against a real llama.cpp server (`llama-server`) serving the tiny Llama as a GGUF, on loopback.

The deployment comes from a catalog whose backend says `kind: llama-cpp`, so the probes take llama.cpp's
adapter (catalog/engines.py): health at `/health`, tokens counted by `/tokenize` (`content`) and
`/v1/chat/completions/input_tokens`, the served context from `/props` `default_generation_settings.n_ctx`, the
version from the answers' fingerprint. What is asserted is what that server really does, and what a reader of
the built site sees on the deployment's card.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from catalog.claims import claim_label
from catalog.evidence import ClaimRecord, read_history
from probes.from_catalog import targets_from_catalog
from probes.runner import run_probes
from probes.workload import Sweep, Workload
from testbed.llamacpp_server import LLAMACPP_CONTEXT, LlamaCppServer
from tests.conftest import FIXTURES
from tests.probes.conftest import API_KEY_ENV, LLAMACPP_SERVED_NAME
from tests.site.sitebuild import build_site

pytestmark = pytest.mark.llamacpp

SMALL_LOAD = Workload(requests=6, prompt_tokens=32, output_tokens=8, concurrency=2, goodput=Sweep(levels=(1, 2)))
DEPLOYMENT = "tiny-llamacpp"
#: Loose enough for a busy 2-core machine: the claim is that latency was measured and judged, not that it is fast.
SLO = {"ttft_p95_ms": 60_000, "itl_p95_ms": 60_000, "e2e_p95_ms": 60_000}


def by_claim(records: list[ClaimRecord]) -> dict[str, ClaimRecord]:
    return {r.claim: r for r in records}


def llamacpp_catalog(tmp_path: Path, server: LlamaCppServer, *, context: int, endpoints: str) -> Path:
    """The small test catalog plus a llama.cpp backend and one deployment on the real server."""
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    (catalog / "backends" / "llama-cpp.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/backends.json\n"
        "name: llama.cpp server\nkind: llama-cpp\ndescription: llama.cpp's native HTTP server.\n"
    )
    (catalog / "deployments" / f"{DEPLOYMENT}.yaml").write_text(
        f"""# yaml-language-server: $schema=../schemas/deployments.json
model: llama3.1-8b
backend: llama-cpp
served_name: {LLAMACPP_SERVED_NAME}
status: active
endpoint: {{base_url: "{server.base_url}", api_key_env: {API_KEY_ENV}}}
endpoints: [{endpoints}]
capabilities: [streaming]
serving: {{max_model_len: {context}}}
slo: {json.dumps(SLO)}
summary: The tiny Llama on llama.cpp.
fleet: team
"""
    )
    return catalog


def card_claims(card_html: str) -> dict[str, str]:
    """Claim label -> badge state, from the card's "Claims and evidence" table as a reader sees it."""
    states = {}
    for row in re.findall(r"<tr>(.*?)</tr>", card_html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        badge = re.search(r'mc-badge--([a-z-]+)"', cells[1]) if len(cells) >= 2 else None
        if badge:
            label = html.unescape(re.sub(r"<[^>]+>", "", cells[0])).strip()
            states[label] = badge.group(1)
    return states


async def test_a_llamacpp_deployment_is_proven_and_its_card_says_so(
    llamacpp_server: LlamaCppServer, tmp_path: Path
) -> None:
    catalog = llamacpp_catalog(tmp_path, llamacpp_server, context=LLAMACPP_CONTEXT, endpoints="chat, completions")
    (target,) = [t for t in targets_from_catalog(catalog) if t.deployment_id == DEPLOYMENT]
    assert target.engine == "llama-cpp", "the engine comes from the backend's kind"
    evidence = tmp_path / "evidence"
    summary = await run_probes([target], evidence_dir=evidence, concurrency=1, workload=SMALL_LOAD, suites=[])
    records = by_claim(summary.results[0].records)
    must_pass = [
        "health",
        "served-name",
        "context-length",
        "endpoint:chat",
        "endpoint:completions",
        "capability:streaming",
        "latency",
    ]
    assert {c: (records[c].status, records[c].reason) for c in must_pass} == dict.fromkeys(must_pass, ("pass", None))
    assert summary.exit_code == 0

    # The context was demonstrated by request: 512 less the margin was answered, 513 refused in llama.cpp's
    # own words, and the served context was read from /props (n_ctx), not the model's n_ctx_train of 4096.
    context = records["context-length"].value
    assert isinstance(context, dict)
    assert context == {
        "claimed": 512,
        "max_model_len": 512,
        "endpoint": "POST /v1/completions",
        "margin_tokens": 9,
        "accepted_prompt_tokens": 503,
        "refused_prompt_tokens": 513,
        "server_error": "request (513 tokens) exceeds the available context size (512 tokens), try increasing it",
    }

    latency = records["latency"]
    assert isinstance(latency.details, dict) and latency.details["requests_ok"] == SMALL_LOAD.requests
    assert latency.details["prompt_tokens_measured"] == SMALL_LOAD.prompt_tokens

    data = json.loads((evidence / f"{DEPLOYMENT}.json").read_text())
    assert data["server"]["max_model_len"] == 512
    assert re.fullmatch(r"b\d+-[0-9a-f]+", data["server"]["version"] or ""), data["server"]
    lat = data["latency"]
    assert lat["attainment"] == {"ttft_p95_ms": 1.0, "itl_p95_ms": 1.0, "e2e_p95_ms": 1.0}
    assert lat["targets"] == SLO
    assert lat["ttft_ms"]["n"] == SMALL_LOAD.requests and 0 < lat["ttft_ms"]["p50"] <= lat["ttft_ms"]["p95"]
    history = read_history(evidence / "history.jsonl")
    assert [line.claim for line in history.lines] == [r["claim"] for r in data["records"]]

    # Built "today": the probes dated their evidence now.
    site = build_site(tmp_path, catalog, evidence, extra_env={"SOURCE_DATE_EPOCH": str(int(time.time()))})
    assert site.returncode == 0, site.output
    card = (site.site_dir / f"deployments/{DEPLOYMENT}/index.html").read_text()
    shown = card_claims(card)
    wanted = [claim_label(c).replace("`", "") for c in must_pass]  # the page shows `code` as <code>
    assert {label: shown.get(label) for label in wanted} == dict.fromkeys(wanted, "verified"), shown


async def test_a_wrong_context_claim_on_llamacpp_fails_by_request(
    llamacpp_server: LlamaCppServer, tmp_path: Path
) -> None:
    """Claiming 1024 where the server runs with -c 512: /props disagrees, and the prompt of 1015 tokens (sized
    through the chat template by /v1/chat/completions/input_tokens) is refused by the server itself."""
    catalog = llamacpp_catalog(tmp_path, llamacpp_server, context=1024, endpoints="chat")
    (target,) = [t for t in targets_from_catalog(catalog) if t.deployment_id == DEPLOYMENT]
    summary = await run_probes([target], evidence_dir=tmp_path / "evidence", concurrency=1, workload=None, suites=[])
    context = by_claim(summary.results[0].records)["context-length"]
    assert context.status == "fail"
    assert (context.reason or "").startswith(
        "catalog claims a context of 1024 tokens but the server's n_ctx is 512; "
        "a prompt of 1015 tokens (the claimed 1024 less a margin of 9) got HTTP 400: "
    ), context.reason
    assert isinstance(context.value, dict)
    assert context.value["endpoint"] == "POST /v1/chat/completions"
    assert (context.value["accepted_prompt_tokens"], context.value["refused_prompt_tokens"]) == (None, 513)
