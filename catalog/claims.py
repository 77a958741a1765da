"""Every claim a deployment can make, defined once.

A *claim* is something the catalog says a deployment does ("it serves /v1/chat/completions", "its
context is 1024 tokens") that a probe can prove or refute. Each kind of claim is one `ClaimKind` in
`CLAIM_KINDS`: its name (the key in evidence files), the label readers see, what a deployment's YAML
declares to make it, and what the probe does to prove it. Everything else derives from this table:

* the catalog's validation (`endpoints:`/`capabilities:` accept the enums below; `reported:` accepts
  only claim names this module knows),
* the probes (`probes/checks.py` registers one check per claim with `@proves(...)`; the runner plans what
  `claims_checked` returns, evals where `generates_text`; `python -m probes discover` tries
  `DISCOVERED_ENDPOINTS` and `DISCOVERED_CAPABILITIES`; tests fail when a probed claim has no check, a check
  has no claim, or a claim name is spelled outside this module),
* the site (card labels, badges, llms.txt, catalog.json, the "How to read the badges" page), including which
  summary a claim counts in (`ClaimGroup`: serving for every kind here, quality for evals).

Adding a capability claim takes two files: the enum member and its `_capability(...)` entry in
`CLAIM_KINDS` here, and its check in `probes/checks.py`, decorated `@proves(Capability.<member>)`. Then run
`make schema` (the JSON Schemas list the enum) and refresh the badge page's golden file
(`tests/site/golden/marker-badge-rules.md`). `tests/probes/test_claim_knowledge.py` walks through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class EndpointKind(StrEnum):
    """An OpenAI-compatible API surface a deployment can claim."""

    responses = "responses"
    chat = "chat"
    completions = "completions"
    fim = "fim"
    embeddings = "embeddings"


class Capability(StrEnum):
    """A behaviour on top of an endpoint that a deployment can claim."""

    streaming = "streaming"
    tools = "tools"
    structured_output = "structured-output"
    vision = "vision"
    reasoning = "reasoning"
    audio_input = "audio-input"


class ServerClaim(StrEnum):
    """A claim about the server as a whole, made by what a deployment states rather than by a list entry."""

    health = "health"
    served_name = "served-name"
    context_length = "context-length"
    latency = "latency"


class ClaimGroup(StrEnum):
    """Which question a claim answers. A deployment gets one summary per group (catalog/verdicts.py), so a model
    that serves well and scores badly on its evals reads "serving verified" beside "quality failing", never as
    down."""

    serving = "serving"
    """Does the endpoint serve as the catalog says: it answers, lists its name, speaks its APIs, takes its context,
    meets its latency targets, calls tools."""
    quality = "quality"
    """How well the model answers: eval suites scored against their gate."""


#: The question each group's summary answers, as the badges page writes it (Markdown).
GROUP_QUESTIONS: dict[ClaimGroup, str] = {
    ClaimGroup.serving: "is the endpoint up, and does it do what the catalog says: it answers, lists its name, "
    "speaks its APIs, takes its context, meets its latency targets, calls tools",
    ClaimGroup.quality: "how well the model answers: its evals, each scored against its gate",
}


#: What names a claim kind: its endpoint, its capability, or its server claim.
ClaimKey = EndpointKind | Capability | ServerClaim


def claim_name(key: ClaimKey) -> str:
    """The name a claim goes by in evidence files and `reported:` entries: `endpoint:chat`,
    `capability:tools`, `health`."""
    if isinstance(key, EndpointKind):
        return f"endpoint:{key.value}"
    if isinstance(key, Capability):
        return f"capability:{key.value}"
    return key.value


@dataclass(frozen=True)
class ClaimFacts:
    """What a deployment states that decides which claims it makes.

    The catalog's `Deployment` and the probes' target both reduce to this, so "which claims does this
    deployment make" is answered by one function (`claims_made`) for the site and the probes alike.
    """

    reachable: bool
    """It names a base URL to call."""
    endpoints: frozenset[EndpointKind]
    capabilities: frozenset[Capability]
    served_context: int | None
    """`serving.max_model_len`, the context the catalog says the server accepts."""
    has_slo: bool
    """It sets at least one latency target."""


#: Endpoints that answer with generated text: what the latency workload streams and the eval suites score.
TEXT_ENDPOINTS = frozenset({EndpointKind.chat, EndpointKind.completions})


def generates_text(facts: ClaimFacts) -> bool:
    """It can be called and claims an endpoint that generates text (chat or completions): the deployments the
    eval suites run on, and the ones `python -m probes discover` tries streaming on."""
    return facts.reachable and bool(TEXT_ENDPOINTS & facts.endpoints)


def gets_latency_check(facts: ClaimFacts) -> bool:
    """Who the probe's latency workload runs on: every deployment that generates text, with SLO targets or
    without. Without targets the record is `info` (measured, shown, held against nothing); the latency
    *claim* is made only where targets exist, and only where this check runs (`CLAIM_KINDS`), so an SLO no
    probe can hold makes no claim that would stay unverified for ever."""
    return generates_text(facts)


@dataclass(frozen=True)
class ClaimKind:
    """One kind of claim: everything the catalog, the probes and the site need to know about it."""

    key: ClaimKey
    """What names it: `EndpointKind.chat` is the claim `endpoint:chat`."""
    label: str
    """What readers see on cards and in agent files (Markdown: may hold code spans)."""
    declared_by: str
    """Which YAML field of a deployment makes the claim (Markdown)."""
    proof: str
    """What the probe does to prove it (Markdown), or why nothing does yet."""
    declared: Callable[[ClaimFacts], bool]
    """Whether a deployment with these facts makes the claim."""
    probed: bool = True
    """False when no probe exists yet: the claim then stays unverified unless someone reports a figure."""
    checked: Callable[[ClaimFacts], bool] | None = None
    """Whom the probe checks, when that is more than who makes the claim (latency is measured on every
    deployment that generates text, and claimed only with targets); None: exactly those that make it."""
    group: ClaimGroup = ClaimGroup.serving
    """Which summary it counts in: every declared kind is about serving; evals (`EVAL_GROUP`) are about quality."""
    name: str = field(init=False)
    """Key in evidence files and `reported:` entries, e.g. `endpoint:chat`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", claim_name(self.key))

    def checks(self, facts: ClaimFacts) -> bool:
        """Whether a probe run checks this claim on a deployment with these facts."""
        return self.probed and (self.checked or self.declared)(facts)


def _endpoint(kind: EndpointKind, label: str, proof: str) -> ClaimKind:
    return ClaimKind(kind, label, f"`endpoints: [{kind.value}]`", proof, lambda f: kind in f.endpoints)


def _capability(kind: Capability, label: str, proof: str, *, probed: bool = True) -> ClaimKind:
    return ClaimKind(
        kind,
        label,
        f"`capabilities: [{kind.value}]`",
        proof,
        lambda f: kind in f.capabilities,
        probed,
    )


#: Every claim kind, in the order cards list them and probes check them.
CLAIM_KINDS: tuple[ClaimKind, ...] = (
    ClaimKind(
        ServerClaim.health,
        "Health check answers",
        "`endpoint.base_url`",
        "`GET /health` answers with status 200",
        lambda f: f.reachable,
    ),
    ClaimKind(
        ServerClaim.served_name,
        "Lists its served name",
        "`served_name` with `endpoint.base_url`",
        "`GET /v1/models` lists the served name",
        lambda f: f.reachable,
    ),
    ClaimKind(
        ServerClaim.context_length,
        "Served context matches",
        "`serving.max_model_len`",
        "a prompt of the claimed length less a margin (the one output token asked for and 8 spare), counted "
        "with the server's own tokenizer (vLLM's `POST /tokenize`, llama.cpp's `/tokenize`), is accepted whole "
        "(`usage.prompt_tokens` not short of it), and a prompt one token over the served limit is refused with "
        "the server's own error; the context the engine reports (vLLM's `max_model_len` in `/v1/models`, "
        "llama.cpp's `n_ctx` in `/props`) must equal the claim too, and an engine that cannot count tokens "
        "leaves the claim unverified",
        lambda f: f.reachable and f.served_context is not None,
    ),
    _endpoint(EndpointKind.responses, "Responses API (`/v1/responses`)", "a request to `/v1/responses` returns text"),
    _endpoint(
        EndpointKind.chat, "Chat completions (`/v1/chat/completions`)", "a chat request returns an assistant message"
    ),
    _endpoint(EndpointKind.completions, "Completions (`/v1/completions`)", "a completion request returns text"),
    _endpoint(
        EndpointKind.fim,
        "Fill in the middle (`/v1/completions`)",
        "a prompt in the model's prefix/suffix/middle format returns a completion",
    ),
    _endpoint(
        EndpointKind.embeddings, "Embeddings (`/v1/embeddings`)", "an embeddings request returns a vector of numbers"
    ),
    _capability(
        Capability.streaming, "Streaming (SSE)", "a streamed request sends well-formed events ending in `[DONE]`"
    ),
    _capability(
        Capability.tools,
        "Tool calling",
        "a named tool call returns arguments that match the tool's schema, and a tool result gets a final answer",
    ),
    _capability(
        Capability.structured_output,
        "Structured output (JSON schema)",
        "a request with a JSON schema returns JSON that validates against it",
    ),
    _capability(Capability.vision, "Vision input", "a chat request with an image returns text"),
    _capability(Capability.reasoning, "Reasoning output", "the answer carries separate reasoning content"),
    _capability(Capability.audio_input, "Audio input", "no probe yet: stays unverified", probed=False),
    ClaimKind(
        ServerClaim.latency,
        "Latency within SLO",
        "`slo:` with at least one p95 target",
        "a fixed streamed workload meets every p95 target",
        lambda f: gets_latency_check(f) and f.has_slo,
        checked=gets_latency_check,
    ),
)

BY_NAME: dict[str, ClaimKind] = {kind.name: kind for kind in CLAIM_KINDS}

#: The endpoints `python -m probes discover` tries on every served model, in the order it writes them: each
#: endpoint whose check needs nothing but the served name (FIM needs the model's control tokens, which no
#: server lists). An endpoint that answers is claimed, with its record.
DISCOVERED_ENDPOINTS: tuple[EndpointKind, ...] = (
    EndpointKind.chat,
    EndpointKind.completions,
    EndpointKind.responses,
    EndpointKind.embeddings,
)
#: The capabilities discover tries, after the endpoints, on a served model that `generates_text`.
DISCOVERED_CAPABILITIES: tuple[Capability, ...] = (Capability.streaming,)

#: Evals are claims too, one per task: `eval:<task>`. They are made by running a suite, not declared.
EVAL_PREFIX = "eval:"
#: The group every eval claim counts in: quality, the only claims that are.
EVAL_GROUP = ClaimGroup.quality

#: Every valid claim name as one pattern, for the JSON Schema (editors complete and check it) and validation.
CLAIM_NAME_PATTERN = (
    "^(" + "|".join(re.escape(kind.name) for kind in CLAIM_KINDS) + r"|eval:[a-z0-9]+([-_][a-z0-9]+)*)$"
)
_CLAIM_NAME = re.compile(CLAIM_NAME_PATTERN)


def is_claim_name(name: str) -> bool:
    """A name evidence or a `reported:` entry may use: a registered kind or `eval:<task>`."""
    return bool(_CLAIM_NAME.match(name))


def eval_claim(task: str) -> str:
    return f"{EVAL_PREFIX}{task}"


def claim_label(name: str) -> str:
    """Reader-facing label of a claim; evals name their task."""
    if kind := BY_NAME.get(name):
        return kind.label
    if name.startswith(EVAL_PREFIX):
        return f"Eval `{name.removeprefix(EVAL_PREFIX)}`"
    return name


def claim_group(name: str) -> ClaimGroup:
    """Which summary a claim counts in: its kind's group, `EVAL_GROUP` for an eval, serving for anything else."""
    if kind := BY_NAME.get(name):
        return kind.group
    return EVAL_GROUP if name.startswith(EVAL_PREFIX) else ClaimGroup.serving


def claims_made(facts: ClaimFacts) -> list[str]:
    """The claims these facts make, in registry order."""
    return [kind.name for kind in CLAIM_KINDS if kind.declared(facts)]


def claims_checked(facts: ClaimFacts) -> list[str]:
    """The claims a probe run checks on a deployment with these facts, in registry order (the order of its
    evidence): every probed claim it makes, and latency wherever `gets_latency_check`. Evals come after."""
    return [kind.name for kind in CLAIM_KINDS if kind.checks(facts)]


def display_order(names: Iterable[str]) -> list[str]:
    """Registered claims in registry order, then evals and anything else by name."""
    position = {kind.name: index for index, kind in enumerate(CLAIM_KINDS)}
    return sorted(set(names), key=lambda n: (position.get(n, len(position)), n))
