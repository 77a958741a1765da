"""A server that answers 200 to a prompt longer than its context, having cut it (Ollama does this without an
error: its context is `num_ctx`, small by default): the context check reads `usage.prompt_tokens`, so a 200 alone
never proves a context. The server is a real loopback HTTP server that counts tokens like vLLM's `/tokenize`
(one token per word) and keeps only the last 256 tokens of a prompt, as a truncating engine does."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from probes.runner import run_probes
from probes.target import target_from_dict
from tests.probes.test_secrets import LoopbackServer, json_answer

KEPT = 256


def truncating(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    path = handler.path.split("?")[0]
    data = json.loads(body or b"{}")
    words = len(str(data.get("prompt", "")).split())
    if path == "/v1/models":
        json_answer(handler, 200, {"data": [{"id": "m", "max_model_len": 512}]})
    elif path == "/tokenize":
        json_answer(handler, 200, {"count": words})
    elif path == "/v1/completions":
        usage = {"prompt_tokens": min(words, KEPT), "completion_tokens": 1}
        json_answer(handler, 200, {"choices": [{"text": "x"}], "usage": usage})
    else:
        json_answer(handler, 404, {"detail": "Not Found"})


async def test_a_prompt_cut_without_an_error_does_not_prove_the_context(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        # The loopback server records each request's body before it answers; the checks run one at a time.
        server.route = lambda handler: truncating(handler, server.seen[-1].body)
        target = target_from_dict(
            {
                "deployment_id": "cuts",
                "base_url": server.base_url,
                "served_name": "m",
                "endpoints": ["completions"],
                "served_context": 512,
            }
        )
        summary = await run_probes([target], evidence_dir=tmp_path, concurrency=1, workload=None, suites=[])
    context = {r.claim: r for r in summary.results[0].records}["context-length"]
    assert context.status == "fail"
    assert context.reason == (
        "a prompt of 503 tokens (the claimed 512 less a margin of 9) was answered, but usage.prompt_tokens says the "
        f"server took only {KEPT}: it cut the prompt; a prompt of 513 tokens, over the served limit of 512, was "
        f"accepted (usage.prompt_tokens {KEPT}: the server cut it without an error)"
    )
    assert isinstance(context.value, dict) and context.value["accepted_prompt_tokens"] is None
