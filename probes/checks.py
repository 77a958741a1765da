"""One check per claim: each sends the smallest request that exercises the claim and judges the answer.

Each check is registered for the claim it proves with ``@proves(<the claim's key in catalog/claims.py>)``;
``CLAIM_CHECKS`` is what those registrations fill, and a test holds it to the registry (every probed claim
has exactly one check). A check returns a ``CheckResult`` when it reached a verdict it can state positively,
and raises ``ClaimFailed`` / ``Unreachable`` (see ``probes.client``) otherwise. Checks never retry: a flaky
server is evidence too. ``Context`` and ``CheckResult`` live in ``probes/context.py`` and are imported from
here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from catalog.claims import BY_NAME, Capability, ClaimKey, EndpointKind, ServerClaim, claim_name
from probes.client import ClaimFailed, Reply, error_message
from probes.context import Check as Check
from probes.context import CheckResult as CheckResult
from probes.context import Context as Context
from probes.engines import NoCount, count_tokens, label, served_context
from probes.latency import measure
from probes.schema_check import validate

# A 1x1 PNG: the smallest image any vision encoder accepts, so the probe measures the endpoint, not upload.
TINY_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        # strict: servers that support it (vLLM does) constrain the arguments to the schema, which is
        # what an agent relies on; a server that ignores it is still judged by the same schema below.
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "Berlin", "Tokyo"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "enum": ["yes", "no"]},
        "sure": {"type": "boolean"},
    },
    "required": ["answer", "sure"],
    "additionalProperties": False,
}


#: The check that proves each claim, by its name in `catalog/claims.py`: filled by `@proves`, one check per
#: probed claim (tests/probes/test_claim_knowledge.py holds the table to the registry).
CLAIM_CHECKS: dict[str, Check] = {}


def proves(key: ClaimKey) -> Callable[[Check], Check]:
    """Register the decorated check as the proof of the claim ``key`` names in the registry (catalog/claims.py).

    A claim the registry does not know, one it marks unprobed, or a second check for one claim is refused
    when this module is imported.
    """
    name = claim_name(key)
    kind = BY_NAME.get(name)
    if kind is None:
        raise ValueError(f"{name!r} is not a claim in catalog/claims.py CLAIM_KINDS: add its ClaimKind there first")
    if not kind.probed:
        raise ValueError(f"{name!r} is marked probed=False in catalog/claims.py: mark it probed to give it a check")

    def register(check: Check) -> Check:
        if name in CLAIM_CHECKS:
            raise ValueError(f"{name!r} has two checks: {CLAIM_CHECKS[name].__name__} and {check.__name__}")
        CLAIM_CHECKS[name] = check
        return check

    return register


# -- helpers ---------------------------------------------------------------------------------------------
def _first_choice(data: dict[str, Any], what: str) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ClaimFailed(f"{what}: no choices in the response")
    choice: dict[str, Any] = choices[0]
    return choice


def _message(data: dict[str, Any], what: str) -> dict[str, Any]:
    message = _first_choice(data, what).get("message")
    if not isinstance(message, dict) or message.get("role") != "assistant":
        raise ClaimFailed(f"{what}: choices[0].message is not an assistant message")
    return message


async def _chat(ctx: Context, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": ctx.target.served_name, "messages": messages, "max_tokens": 16}
    body.update(extra)
    return await ctx.client.post("/chat/completions", body)


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


# -- server-level claims ---------------------------------------------------------------------------------
@proves(ServerClaim.health)
async def check_health(ctx: Context) -> CheckResult:
    url = ctx.target.health_endpoint
    if url is None:
        # The engine has no health route (an external API): the model list answering is the liveness there is.
        await ctx.models()
        return CheckResult(reason=f"{ctx.target.adapter.name} has no health route; GET /v1/models answered")
    # Health endpoints are unauthenticated (vLLM's and llama.cpp's are): sending no key also keeps a health
    # URL on another host from ever seeing it.
    response = await ctx.client.get(url, auth=False)
    if response.status_code != 200:
        raise ClaimFailed(f"GET {url} answered HTTP {response.status_code}")
    return CheckResult()


@proves(ServerClaim.served_name)
async def check_served_name(ctx: Context) -> CheckResult:
    if await ctx.model_entry() is None:
        listed = ctx.listed(await ctx.models())
        raise ClaimFailed(f"GET /v1/models lists {listed}, not {ctx.target.served_name!r}")
    return CheckResult()


#: The filler a long prompt is made of: one token in the vocabularies of the common model families
#: (byte-level BPE " the", SentencePiece "▁the"), and cut the same way however often it repeats, so a
#: prompt of any length is one string repetition, sized with a few `/tokenize` calls, never token by token.
CONTEXT_FILL = " the"
#: Output tokens asked for with the prompt that must be accepted (embeddings ask for none).
CONTEXT_OUTPUT_TOKENS = 1
#: Spare tokens below the claim besides the output tokens, so that a special token counted differently
#: by `/tokenize` and by the request can never refute a right claim.
CONTEXT_MARGIN = 8
_CALIBRATION = (16, 32)  # repetitions in the two short prompts that measure tokens per repetition


class _ContextProbe:
    """Prompts of a chosen token count, counted by the server's own tokenizer, sent to a claimed endpoint.

    The endpoint is `/v1/completions` when claimed (or when no other text endpoint is), else chat, else
    embeddings; the engine's counting route (`catalog/engines.py`: vLLM's `/tokenize`, llama.cpp's
    `/tokenize` or `/v1/chat/completions/input_tokens`) counts the same input the way that endpoint sees it
    (a chat prompt with its template and generation prompt).
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        endpoints = ctx.target.endpoints
        if "completions" in endpoints or not {"chat", "embeddings"} & set(endpoints):
            self.kind = "completions"
        else:
            self.kind = "chat" if "chat" in endpoints else "embeddings"
        self.path = {"completions": "/completions", "chat": "/chat/completions", "embeddings": "/embeddings"}[self.kind]
        self.output_tokens = 0 if self.kind == "embeddings" else CONTEXT_OUTPUT_TOKENS
        self.margin = self.output_tokens + CONTEXT_MARGIN

    def _input(self, text: str) -> dict[str, Any]:
        if self.kind == "chat":
            return {"messages": _user(text)}
        return {"input": text} if self.kind == "embeddings" else {"prompt": text}

    async def count(self, text: str) -> int:
        return await count_tokens(self.ctx.client, self.ctx.target, "chat" if self.kind == "chat" else "prompt", text)

    async def calibrate(self) -> tuple[float, float]:
        """Tokens per repetition of the filler, and the fixed tokens around it (BOS, chat template)."""
        few, more = _CALIBRATION
        at_few = await self.count(CONTEXT_FILL * few)
        at_more = await self.count(CONTEXT_FILL * more)
        per = (at_more - at_few) / (more - few)
        if per <= 0:
            raise NoCount(f"the server counts {at_few} tokens for {few} words and {at_more} for {more}")
        return per, at_few - few * per

    async def sized(self, target: int, per: float, fixed: float, *, at_most: bool) -> tuple[str, int]:
        """A prompt of ``target`` tokens (at most, or at least, when the filler cannot land on it exactly):
        one guess from the calibration, and one correction when the server counts it otherwise."""
        repeats = max(1, math.floor((target - fixed) / per))
        text = CONTEXT_FILL * repeats
        count = await self.count(text)
        if count != target:
            step = (target - count) / per
            repeats = max(1, repeats + (math.floor(step) if at_most else math.ceil(step)))
            text = CONTEXT_FILL * repeats
            count = await self.count(text)
        return text, count

    async def send(self, text: str) -> Reply:
        body: dict[str, Any] = {"model": self.ctx.target.served_name, **self._input(text)}
        if self.output_tokens:
            body["max_tokens"] = self.output_tokens
        return await self.ctx.client.request("POST", self.path, body)


def _usage_prompt_tokens(reply: Reply) -> int | None:
    """``usage.prompt_tokens`` of an answer: how many prompt tokens the server says it took."""
    try:
        data = reply.json()
    except ValueError:
        return None
    usage = data.get("usage") if isinstance(data, dict) else None
    count = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


@proves(ServerClaim.context_length)
async def check_context_length(ctx: Context) -> CheckResult:
    """Prove the claimed context with two requests, counted by the server's own tokenizer.

    A prompt of the claimed length less ``margin`` tokens must be accepted whole, and one of a token more
    than the served limit (what the engine reports: vLLM's ``max_model_len`` in `/v1/models`, llama.cpp's
    ``n_ctx`` in `/props`; else the claim) must be refused. An answer whose ``usage.prompt_tokens`` is short of
    the prompt sent was cut, not taken whole (Ollama cuts silently): a 200 alone proves nothing. A reported
    context that disagrees with the claim fails it whatever the requests show; when the engine cannot count
    tokens nothing can be demonstrated, so a matching claim stays unproven (``info``).
    """
    claimed = ctx.target.served_context
    if claimed is None:
        return CheckResult("info", "the catalog claims no context length")
    entry = await ctx.model_entry()
    if entry is None:
        raise ClaimFailed(f"cannot compare context length: {ctx.target.served_name!r} is not served")
    adapter = ctx.target.adapter
    served = await served_context(ctx.client, ctx.target, await ctx.models())
    if served is not None:
        ctx.max_model_len = served
    field_name = label(adapter)
    probe = _ContextProbe(ctx)
    value: dict[str, Any] = {
        "claimed": claimed,
        "max_model_len": served,
        "endpoint": f"POST /v1{probe.path}",
        "margin_tokens": probe.margin,
        "accepted_prompt_tokens": None,
        "refused_prompt_tokens": None,
        "server_error": None,
    }
    problems: list[str] = []
    if served is not None and served != claimed:
        problems.append(f"catalog claims a context of {claimed} tokens but the server's {field_name} is {served}")
    limit, limit_name = (served, "the served limit") if served is not None else (claimed, "the claimed context")
    within = claimed - probe.margin
    try:
        per, fixed = await probe.calibrate()
        short_text, short_count = await probe.sized(within, per, fixed, at_most=True)
        long_text, long_count = await probe.sized(limit + 1, per, fixed, at_most=False)
    except NoCount as exc:
        if problems:
            return CheckResult("fail", problems[0], value=value, unit="tokens")
        source = adapter.served_context
        also = f"; {source} reports {field_name} {served}" if served is not None and source else ""
        return CheckResult(
            "info",
            f"no request can prove the claimed context of {claimed} tokens: {exc}{also}",
            value=value,
            unit="tokens",
        )
    if short_count > claimed - probe.output_tokens or long_count <= limit:
        return CheckResult(
            "info",
            f"could not build prompts of {within} and {limit + 1} tokens from {CONTEXT_FILL!r} "
            f"(the server counted {short_count} and {long_count})",
            value=value,
            unit="tokens",
        )

    short = await probe.send(short_text)
    taken = _usage_prompt_tokens(short)
    if not 200 <= short.status_code < 300:
        problems.append(
            f"a prompt of {short_count} tokens (the claimed {claimed} less a margin of {probe.margin}) "
            f"got HTTP {short.status_code}: {error_message(short.content, ctx.client.secrets())}"
        )
    elif taken is not None and taken < short_count - CONTEXT_MARGIN:
        problems.append(
            f"a prompt of {short_count} tokens (the claimed {claimed} less a margin of {probe.margin}) was "
            f"answered, but usage.prompt_tokens says the server took only {taken}: it cut the prompt"
        )
    else:
        value["accepted_prompt_tokens"] = short_count
    long = await probe.send(long_text)
    if 400 <= long.status_code < 500:
        value["refused_prompt_tokens"] = long_count
        value["server_error"] = error_message(long.content, ctx.client.secrets())
    elif long.status_code < 300:
        cut = _usage_prompt_tokens(long)
        how = (
            f" (usage.prompt_tokens {cut}: the server cut it without an error)"
            if cut is not None and cut < long_count
            else ""
        )
        problems.append(f"a prompt of {long_count} tokens, over {limit_name} of {limit}, was accepted{how}")
    else:
        problems.append(
            f"a prompt of {long_count} tokens, over {limit_name} of {limit}, got HTTP {long.status_code} "
            f"instead of a refusal: {error_message(long.content, ctx.client.secrets())}"
        )
    if problems:
        return CheckResult("fail", "; ".join(problems), value=value, unit="tokens")
    return CheckResult(value=value, unit="tokens")


# -- endpoints ---------------------------------------------------------------------------------------------
@proves(EndpointKind.chat)
async def check_chat(ctx: Context) -> CheckResult:
    message = _message(await _chat(ctx, _user("Say hello.")), "POST /v1/chat/completions")
    if not isinstance(message.get("content"), str):
        raise ClaimFailed("POST /v1/chat/completions: the assistant message has no text content")
    return CheckResult()


@proves(EndpointKind.completions)
async def check_completions(ctx: Context) -> CheckResult:
    data = await ctx.client.post(
        "/completions", {"model": ctx.target.served_name, "prompt": "Once upon a time", "max_tokens": 16}
    )
    if not isinstance(_first_choice(data, "POST /v1/completions").get("text"), str):
        raise ClaimFailed("POST /v1/completions: choices[0].text is missing")
    return CheckResult()


@proves(EndpointKind.responses)
async def check_responses(ctx: Context) -> CheckResult:
    data = await ctx.client.post(
        "/responses", {"model": ctx.target.served_name, "input": "Say hello.", "max_output_tokens": 16}
    )
    if data.get("object") != "response":
        raise ClaimFailed(f"POST /v1/responses: object is {data.get('object')!r}, expected 'response'")
    output = data.get("output")
    texts = [
        part.get("text")
        for item in (output if isinstance(output, list) else [])
        if isinstance(item, dict) and item.get("type") == "message"
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    ]
    if not any(isinstance(t, str) for t in texts):
        raise ClaimFailed("POST /v1/responses: no output message with output_text")
    return CheckResult()


@proves(EndpointKind.embeddings)
async def check_embeddings(ctx: Context) -> CheckResult:
    data = await ctx.client.post("/embeddings", {"model": ctx.target.served_name, "input": ["hello world"]})
    items = data.get("data")
    vector = items[0].get("embedding") if isinstance(items, list) and items and isinstance(items[0], dict) else None
    if not isinstance(vector, list) or not vector or not all(isinstance(x, int | float) for x in vector):
        raise ClaimFailed("POST /v1/embeddings: data[0].embedding is not a list of numbers")
    return CheckResult(value=len(vector), unit="dimensions")


async def _token_count(ctx: Context, text: str) -> int | None:
    """How many tokens the served tokenizer makes of ``text`` alone (no BOS where the engine can leave it
    out); None when the engine cannot count."""
    try:
        return await count_tokens(ctx.client, ctx.target, "prompt", text, special=False)
    except NoCount:
        return None


@proves(EndpointKind.fim)
async def check_fim(ctx: Context) -> CheckResult:
    if ctx.target.fim_tokens is None:
        raise ClaimFailed("fim is claimed but the catalog names no FIM tokens to send")
    prefix, suffix, middle = ctx.target.fim_tokens
    # A FIM prompt only means something if each control token is one token of the model's vocabulary;
    # an instruct tokenizer that splits "<|fim_prefix|>" into pieces answers 200 and still cannot do FIM.
    split: dict[str, int] = {}
    for token in (prefix, suffix, middle):
        count = await _token_count(ctx, token)
        if count is None:
            split = {}
            break
        if count != 1:
            split[token] = count
    if split:
        detail = ", ".join(f"{t!r} -> {n} tokens" for t, n in split.items())
        raise ClaimFailed(f"the served tokenizer does not know the FIM tokens: {detail}")
    prompt = f"{prefix}def add(a, b):\n    {suffix}\n\nprint(add(2, 3))\n{middle}"
    data = await ctx.client.post("/completions", {"model": ctx.target.served_name, "prompt": prompt, "max_tokens": 16})
    if not isinstance(_first_choice(data, "POST /v1/completions (FIM)").get("text"), str):
        raise ClaimFailed("POST /v1/completions (FIM): choices[0].text is missing")
    return CheckResult()


# -- capabilities ------------------------------------------------------------------------------------------
@proves(Capability.streaming)
async def check_streaming(ctx: Context) -> CheckResult:
    body: dict[str, Any] = {"model": ctx.target.served_name, "max_tokens": 16, "stream": True}
    if "chat" in ctx.target.endpoints or "completions" not in ctx.target.endpoints:
        path, body["messages"] = "/chat/completions", _user("Count to five.")
    else:
        path, body["prompt"] = "/completions", "One, two,"
    result = await ctx.client.stream(path, body)
    chunks = result.chunks()
    problems = list(result.problems)
    if not chunks:
        problems.append("no JSON chunks")
    if not result.done:
        problems.append("the stream ended without data: [DONE]")
    elif result.events[-1].data != "[DONE]":
        problems.append("data: [DONE] is not the last event")
    if problems:
        raise ClaimFailed(f"POST /v1{path} stream is malformed: " + "; ".join(dict.fromkeys(problems)))
    return CheckResult(value=len(chunks), unit="chunks")


@proves(Capability.tools)
async def check_tools(ctx: Context) -> CheckResult:
    what = "tool call"
    messages = _user("What is the weather in Paris? Use the tool.")
    data = await _chat(
        ctx,
        messages,
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=320,
    )
    message = _message(data, what)
    calls = message.get("tool_calls")
    if not isinstance(calls, list) or not calls:
        content = message.get("content")
        raise ClaimFailed(f"named tool_choice returned no tool_calls (content: {str(content)[:120]!r})")
    call = calls[0]
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or function.get("name") != "get_weather":
        raise ClaimFailed(f"tool call names {function.get('name') if isinstance(function, dict) else None!r}")
    raw_args = function.get("arguments")
    try:
        args = json.loads(raw_args) if isinstance(raw_args, str) else None
    except json.JSONDecodeError:
        args = None
    if not isinstance(args, dict):
        raise ClaimFailed(f"tool call arguments are not a JSON object: {str(raw_args)[:120]!r}")
    if errors := validate(args, WEATHER_TOOL["function"]["parameters"]):
        raise ClaimFailed("tool call arguments do not match the tool's schema: " + "; ".join(errors))

    # Step two of the loop: the tool's result goes back and the model must answer in prose. tool_choice
    # "none" keeps the tools in the prompt but asks for the final answer, so this judges whether the
    # server accepts assistant tool_calls and a tool message, not the model's appetite for tools.
    follow_up = [
        *messages,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call.get("id") or "call_0", "content": '{"temp_c": 21, "sky": "clear"}'},
    ]
    final = _message(
        await _chat(ctx, follow_up, tools=[WEATHER_TOOL], tool_choice="none", max_tokens=32), "tool loop step 2"
    )
    if final.get("tool_calls"):
        raise ClaimFailed("tool loop step 2 answered with another tool call instead of a final answer")
    content = final.get("content")
    # The loop holds when the server takes the tool result and answers with a message. The answer's
    # wording is the model's business: a model may stop at once (random test weights do, about one
    # time in 500), and an empty string is still an answer, while a missing one is not.
    if not isinstance(content, str):
        raise ClaimFailed("tool loop step 2 returned no final answer text")
    return CheckResult(value={"arguments": args})


@proves(Capability.structured_output)
async def check_structured_output(ctx: Context) -> CheckResult:
    data = await _chat(
        ctx,
        _user("Is the sky blue? Answer in JSON."),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": ANSWER_SCHEMA, "strict": True},
        },
        max_tokens=320,
    )
    content = _message(data, "structured output").get("content")
    try:
        value = json.loads(content) if isinstance(content, str) else None
    except json.JSONDecodeError:
        raise ClaimFailed(
            f"response_format json_schema returned text that is not JSON: {str(content)[:120]!r}"
        ) from None
    if errors := validate(value, ANSWER_SCHEMA):
        raise ClaimFailed("structured output does not match the schema: " + "; ".join(errors))
    return CheckResult()


@proves(Capability.vision)
async def check_vision(ctx: Context) -> CheckResult:
    content = [
        {"type": "text", "text": "What colour is this image?"},
        {"type": "image_url", "image_url": {"url": TINY_PNG}},
    ]
    message = _message(await _chat(ctx, [{"role": "user", "content": content}]), "image input")
    if not isinstance(message.get("content"), str):
        raise ClaimFailed("image input: the assistant message has no text content")
    return CheckResult()


@proves(Capability.reasoning)
async def check_reasoning(ctx: Context) -> CheckResult:
    message = _message(await _chat(ctx, _user("What is 17 * 3? Think step by step."), max_tokens=128), "reasoning")
    # vLLM's reasoning parsers fill `reasoning` (newer) or `reasoning_content` (older releases).
    for key in ("reasoning", "reasoning_content"):
        text = message.get(key)
        if isinstance(text, str) and text.strip():
            return CheckResult(value={"field": key})
    raise ClaimFailed("the response carries no reasoning content (message.reasoning / reasoning_content empty)")


# -- latency ----------------------------------------------------------------------------------------------
@proves(ServerClaim.latency)
async def check_latency(ctx: Context) -> CheckResult:
    """The run's workload (``ctx.workload``), timed as `vllm bench serve` times it, held against the SLO targets
    (probes/latency.py); the evidence ``latency`` section is left in ``ctx.extras``."""
    if ctx.workload is None:
        return CheckResult("info", "no latency workload was given for this run")
    result, section = await measure(ctx, ctx.workload)
    ctx.extras["latency"] = section
    return result
