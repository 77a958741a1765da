"""LiteLLM's own health check and router, in process, on a model that has no api_base.

`netns_driver.py` runs this with the LiteLLM venv's Python, inside the loopback-only namespace and under
`strace`, twice: with `--config` (an exported gateway config, whose guard LiteLLM's own config loader imports,
as the proxy does at start-up) and without (LiteLLM alone). Either way it then asks LiteLLM to health-check,
and to route a request to, one more model without an api_base, as one added after start-up through the admin
API would be: the start-up check never saw it. It prints one JSON line.

Without the guard LiteLLM tries the provider's public default (the DNS lookup shows in `strace`); with it,
the health check reads unhealthy and the request is refused, before any connection. It imports only LiteLLM
and the standard library, because it runs in LiteLLM's environment, not the project's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

#: The model added "after start-up": the served entry's model, without its api_base.
ADDED = "added-after-start"


async def probe(config: str | None, model: str) -> dict[str, Any]:
    import litellm
    from litellm.proxy.health_check import perform_health_check

    if config is not None:
        from litellm.proxy.proxy_server import proxy_config

        # What the proxy's start-up does: load the config, which imports its callbacks (the guard among them).
        await proxy_config.load_config(router=None, config_file_path=config)

    def added() -> dict[str, Any]:  # a fresh one each time: a health check writes into the entry it probes
        return {"model_name": ADDED, "litellm_params": {"model": model}, "model_info": {"id": ADDED}}

    healthy, unhealthy, _ = await perform_health_check(model_list=[added()], details=True)
    router = litellm.Router(model_list=[added()], num_retries=0)
    try:
        await router.acompletion(model=ADDED, messages=[{"role": "user", "content": "hi"}], max_tokens=4, timeout=30)
        request = "answered"
    except Exception as exc:
        request = f"{type(exc).__name__}: {exc}"
    return {
        "guarded": any(type(cb).__name__ == "FailClosed" for cb in litellm.callbacks),
        "healthy": len(healthy),
        "unhealthy": [str(u.get("error", ""))[:1500] for u in unhealthy],
        "request": request[:1500],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=None, help="an exported gateway config (guard beside it)")
    parser.add_argument("--model", required=True, help="the LiteLLM model string of the added entry")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args.config, args.model))), flush=True)


if __name__ == "__main__":
    main()
