"""A paced OpenAI-compatible server: an engine with a fixed number of sequence slots and a fixed speed.

`python -m testbed.paced_server --port P --served-name NAME [--slots 2] [--ttft-ms 60] [--itl-ms 8]`

The fleet benchmark (`bench/fleet_bench.py`) needs many servers that are independent of each other, as
servers on different machines are; on a 2-core machine, real engines would share the same cores and every
server's latency would depend on the others. This one spends its time asleep instead of on the CPU: a request
waits for one of `--slots` slots (like a batch of `max_num_seqs` on one GPU), then its first token comes after
`--ttft-ms` and each next one after `--itl-ms`. A request beyond the slots queues, so two clients loading one
server see each other's load, exactly what the fleet scheduler must avoid. It speaks what the probes ask of an
`openai-compatible` deployment: `GET /v1/models`, `POST /v1/chat/completions` (plain and streamed, with usage).
Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


class PacedEngine:
    def __init__(self, served_name: str, slots: int, ttft_s: float, itl_s: float) -> None:
        self.served_name = served_name
        self.slots = asyncio.Semaphore(slots)
        self.ttft_s = ttft_s
        self.itl_s = itl_s

    def chunk(self, content: str | None, usage: dict[str, int] | None = None) -> str:
        data: dict[str, Any] = {
            "id": "paced",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.served_name,
            "choices": [] if content is None else [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        }
        if usage is not None:
            data["usage"] = usage
        return f"data: {json.dumps(data)}\n\n"

    async def tokens(self, count: int) -> AsyncIterator[str]:
        """``count`` tokens at the engine's pace, holding one slot from the first wait to the last token."""
        async with self.slots:
            await asyncio.sleep(self.ttft_s)
            for n in range(count):
                if n:
                    await asyncio.sleep(self.itl_s)
                yield f" w{n}"


def _prompt_tokens(body: dict[str, Any]) -> int:
    messages = body.get("messages") or []
    text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
    return max(1, len(text.split()))


def app(engine: PacedEngine) -> Starlette:
    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": engine.served_name, "object": "model"}]})

    async def chat(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or body.get("model") != engine.served_name:
            return JSONResponse({"error": {"message": "model not found"}}, status_code=404)
        count = max(1, int(body.get("max_tokens") or 16))
        usage = {"prompt_tokens": _prompt_tokens(body), "completion_tokens": count}
        usage["total_tokens"] = usage["prompt_tokens"] + count
        if body.get("stream"):
            with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

            async def events() -> AsyncIterator[str]:
                async for token in engine.tokens(count):
                    yield engine.chunk(token)
                if with_usage:
                    yield engine.chunk(None, usage)
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        text = "".join([token async for token in engine.tokens(count)])
        return JSONResponse(
            {
                "id": "paced",
                "object": "chat.completion",
                "model": engine.served_name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}],
                "usage": usage,
            }
        )

    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--served-name", required=True)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--ttft-ms", type=float, default=60.0)
    parser.add_argument("--itl-ms", type=float, default=8.0)
    args = parser.parse_args()
    engine = PacedEngine(args.served_name, args.slots, args.ttft_ms / 1000, args.itl_ms / 1000)
    uvicorn.run(app(engine), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
