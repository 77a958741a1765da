"""The catalog's entities, one pydantic model per kind of file.

Every model is strict (`extra="forbid"`) and documents its fields with attribute
docstrings, which become the descriptions in the generated JSON Schema.
Rules that span several fields of one entity live here as validators; rules that
span several entities live in `catalog.rules`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from catalog.claims import CLAIM_NAME_PATTERN, Capability, ClaimFacts, EndpointKind
from catalog.types import (
    BackendId,
    BackendKind,
    DeploymentId,
    DeploymentStatus,
    EditUri,
    EntityId,
    EnvVarName,
    FamilyName,
    FimToken,
    FleetId,
    GatewayAlias,
    GatewayId,
    GlossaryTermId,
    HttpUrl,
    HubId,
    HubRepoId,
    Modality,
    ModelId,
    ModelKind,
    NonNegativeUsd,
    OneLine,
    PositiveMs,
    Prose,
    Quantization,
    Rating,
    ServedName,
    SourceId,
    TaskId,
    Tokens,
    UrlPath,
)


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        str_strip_whitespace=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Pydantic reads `true` as 1 where a number is expected; a catalog means no number by it."""
        if isinstance(value, bool) and info.field_name and _takes_number(cls.model_fields[info.field_name].annotation):
            raise ValueError(
                f"`{str(value).lower()}` is a boolean, not a number; write a number such as `8`, or leave the field out"
            )
        return value


def _takes_number(annotation: Any) -> bool:
    """Whether a field of this type takes an int or a float, and no boolean."""
    found: list[Any] = []
    pending = [annotation]
    while pending and len(found) < 100:
        current = pending.pop()
        found.append(current)
        pending += get_args(current)
    return any(t is int or t is float for t in found) and not any(t is bool for t in found)


# --------------------------------------------------------------------------- sources


class SourceRef(Strict):
    """Where a fact comes from: a document in `sources/`, and optionally the section."""

    source: SourceId
    """Id of a file in `sources/`."""
    section: str | None = None
    """Heading or table in that document that states the fact."""


class Source(Strict):
    """A document the catalog took facts from, such as one of the seed guides."""

    title: OneLine
    """Title of the document."""
    kind: Literal["guide", "issue", "catalog-page", "article", "model-card", "vendor-docs", "server", "config"]
    """What sort of document it is; `server` is what a running server reported (`python -m probes discover`),
    `config` an existing gateway configuration (`python -m onboarding import-litellm`)."""
    url: HttpUrl | None = None
    """Where the document lives, if it is public."""
    summary: Prose
    """What the document covers, in this catalog's own words."""
    retrieved: dt.date | None = None
    """When the facts were last copied from it."""
    caveat: OneLine | None = None
    """A warning readers should see wherever facts from this document appear."""


# --------------------------------------------------------------------------- models


class Architecture(Strict):
    """Shape of the network; what the VRAM estimate needs."""

    type: Literal["dense", "moe"]
    """`dense` uses every parameter per token; `moe` routes each token to a few experts."""
    total_params_b: float = Field(gt=0)
    """All parameters, in billions."""
    active_params_b: float | None = Field(default=None, gt=0)
    """Parameters used per token, in billions; required for `moe`."""
    layers: int | None = Field(default=None, gt=0)
    """Transformer layers (`num_hidden_layers`)."""
    kv_heads: int | None = Field(default=None, gt=0)
    """Key/value heads per layer (`num_key_value_heads`)."""
    head_dim: int | None = Field(default=None, gt=0)
    """Dimension of one attention head."""
    hidden_size: int | None = Field(default=None, gt=0)
    """Width of the residual stream (`hidden_size`)."""
    vocab_size: int | None = Field(default=None, gt=0)
    """Tokenizer vocabulary (`vocab_size`); with `hidden_size` it sizes the embeddings, which
    4-bit quantizers usually leave in 16-bit."""
    tied_embeddings: bool = False
    """True when the input embedding and the output head share weights (`tie_word_embeddings`)."""

    @model_validator(mode="after")
    def _moe_needs_active(self) -> Architecture:
        if self.type == "moe" and self.active_params_b is None:
            raise ValueError("a `moe` architecture needs `active_params_b` (parameters used per token)")
        if self.type == "dense" and self.active_params_b not in (None, self.total_params_b):
            raise ValueError("a `dense` architecture uses all parameters; drop `active_params_b`")
        if self.active_params_b is not None and self.active_params_b > self.total_params_b:
            raise ValueError(
                f"`active_params_b` ({self.active_params_b}) exceeds `total_params_b` ({self.total_params_b}); "
                "active parameters are a part of the total, so swap or correct them"
            )
        return self


class HubLink(Strict):
    hub: HubId
    """Id of a file in `hubs/` (e.g. `huggingface`, `modelscope`)."""
    repo_id: HubRepoId
    """Repository on that hub."""


class Inferred(Strict):
    """A value no source states outright, worked out from what one does; pages mark it as inferred."""

    field: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)*$")
    """Dotted path of the field in this file, e.g. `endpoint.base_url`."""
    reason: OneLine
    """How it was worked out, e.g. `the guide names port 8001; host and /v1 path assumed`."""
    source: SourceRef | None = None
    """The source whose statement it was worked out from."""


class Model(Strict):
    """A set of weights: one file per model in `models/`, named after its id."""

    name: OneLine
    """Display name, as the vendor writes it."""
    family: FamilyName
    """Model family, e.g. `Qwen2.5-Coder` or `GPT-OSS`: at most 80 characters, letters, digits, spaces and
    `._:+()-` (the site names a file after each family)."""
    vendor: OneLine
    """Who trained and published the weights."""
    kind: ModelKind
    """What the model was trained to do."""
    hub: HubLink | None = None
    """Where the weights are published; absent for closed models reached through a provider."""
    license: str | None = None
    """Licence of the weights (SPDX id where one exists)."""
    gated: bool | None = None
    """True when the hub requires accepting terms and a token before download; absent when not stated."""
    architecture: Architecture | None = None
    """Dense or mixture-of-experts, with parameter counts."""
    input_modalities: list[Modality] = Field(min_length=1)
    """What the model accepts."""
    output_modalities: list[Modality] = Field(min_length=1)
    """What the model produces."""
    native_context: Tokens | None = None
    """Context window the model was trained for, in tokens."""
    quantization: Quantization | None = None
    """How these weights are stored (`none` = original precision); absent when no source states it."""
    description: Prose
    """What the model is, in this catalog's words."""
    inferred: list[Inferred] = Field(default_factory=list)
    """Values on this model that no source states outright (e.g. a kind guessed from a served name)."""
    sources: list[SourceRef] = Field(default_factory=list)


# --------------------------------------------------------------------------- backends


class Range(Strict):
    min: float = Field(ge=0)
    max: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is larger than `max` ({self.max}); swap them")
        return self


class Port(Strict):
    port: int = Field(ge=1, le=65535)
    purpose: OneLine
    """What listens on this port."""


class BackendRatings(Strict):
    """The six comparison ratings, 1 to 5 stars."""

    ease_of_setup: Rating
    single_request_performance: Rating
    concurrent_performance: Rating
    model_management: Rating
    memory_efficiency: Rating
    production_ready: Rating


class UseCasePerformance(Strict):
    """Qualitative verdicts per situation, as a comparison table states them."""

    single_request_speed: str | None = None
    concurrent_10: str | None = None
    """Verdict for 10 concurrent requests."""
    concurrent_100: str | None = None
    """Verdict for 100 concurrent requests."""
    code_generation_quality: str | None = None
    memory_8b_model: str | None = None
    """Memory an 8B model takes on this backend, e.g. `~5GB`."""
    notes: list[str] = Field(default_factory=list)
    """Footnotes that qualify the verdicts (which quantization, which model)."""


class Backend(Strict):
    """A serving engine or route: vLLM, Ollama, llama.cpp, TEI, or a gateway to an external provider.

    What holds for the engine wherever it runs lives here; what was seen on one running instance (its
    port, GPU, measured latency) belongs to a `Server` of the fleet that runs it.
    """

    name: OneLine
    kind: BackendKind
    description: Prose
    litellm_provider: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    """LiteLLM provider prefix for `litellm_params.model`, e.g. `hosted_vllm`, `ollama`, `anthropic`;
    by default derived from `kind`."""
    ratings: BackendRatings | None = None
    """The provider comparison's star ratings (one guide's opinion, cited in `sources`)."""
    hardware: OneLine | None = None
    """What hardware it needs."""
    context_note: str | None = None
    """How context limits work on this backend when they are not fixed per model."""
    model_formats: list[str] = Field(default_factory=list)
    """Weight formats or quantization levels it serves."""
    strengths: list[OneLine] = Field(default_factory=list)
    limitations: list[OneLine] = Field(default_factory=list)
    best_for: list[OneLine] = Field(default_factory=list)
    performance: UseCasePerformance | None = None
    sources: list[SourceRef] = Field(default_factory=list)


# --------------------------------------------------------------------------- deployments


#: `hardware.gpu` value for "no GPU", as a source states it (CPU serving, external providers).
NO_GPU = "none"


class Hardware(Strict):
    gpu: str | None = None
    """GPU model one replica requests, e.g. `L4`, `H100`; `none` when the source says it runs without one;
    absent when no source says."""
    gpu_count: int | None = Field(default=None, ge=1, le=1024)
    """GPUs per replica, when a source states it."""
    gpu_memory_gb: float | None = Field(default=None, gt=0)
    """Memory of one GPU, in GB."""
    note: str | None = None

    @model_validator(mode="after")
    def _count_needs_gpu(self) -> Hardware:
        if self.gpu in (None, NO_GPU) and self.gpu_count is not None:
            raise ValueError("`gpu_count` is set but `gpu` is missing; name the GPU model")
        return self


class Serving(Strict):
    """Engine flags that change what the endpoint can do."""

    max_model_len: Tokens | None = None
    """Served context (`--max-model-len`), in tokens."""
    tool_call_parser: str | None = None
    """`--tool-call-parser`, e.g. `hermes`; vLLM needs it for tool calling."""
    enable_auto_tool_choice: bool = False
    """`--enable-auto-tool-choice`."""
    reasoning_parser: str | None = None
    """`--reasoning-parser`, e.g. `deepseek_r1`."""
    engine_version: str | None = None
    """Version of the serving engine, e.g. `0.13.0`."""
    speculative_decoding: str | None = None
    """Speculative decoding method and draft, if enabled."""
    container: str | None = None
    """Base image or runtime note, e.g. `CUDA 12.8.1`."""
    extra_args: list[str] = Field(default_factory=list)
    """Other engine flags worth knowing."""


class Endpoint(Strict):
    """Where the OpenAI-compatible API answers."""

    base_url: HttpUrl | None = None
    """OpenAI base URL including `/v1` (or the per-model prefix); what clients pass as `base_url`."""
    path_prefix: UrlPath | None = None
    """Path prefix in front of the OpenAI routes when only the prefix is known."""
    health_url: HttpUrl | None = None
    """Liveness URL; by default the engine's health route on the base URL's host (catalog/engines.py: `/health`,
    Ollama's root)."""
    api_key_env: EnvVarName | None = None
    """Environment variable that holds the API key."""

    @model_validator(mode="after")
    def _somewhere(self) -> Endpoint:
        if self.base_url is None and self.path_prefix is None:
            raise ValueError(
                "an endpoint needs an address; add `base_url` (or `path_prefix` when only the prefix is known)"
            )
        return self


class FimFormat(Strict):
    """Control tokens of a fill-in-the-middle prompt."""

    prefix: FimToken
    suffix: FimToken
    middle: FimToken


class RecommendedParams(Strict):
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: Tokens | None = None
    tool_choice: Literal["auto", "required", "none"] | None = None
    note: str | None = None
    """Why these values."""


class ClientWarning(Strict):
    client: OneLine
    """Client or integration affected, e.g. `OpenCode`."""
    message: OneLine
    """What goes wrong."""


class Cost(Strict):
    input_usd_per_mtok: NonNegativeUsd | None = None
    """Price per million input tokens."""
    output_usd_per_mtok: NonNegativeUsd | None = None
    """Price per million output tokens."""
    gpu_usd_per_hour: NonNegativeUsd | None = None
    """Cost of the GPU per hour while it runs."""
    basis: Literal["illustrative", "list-price", "measured", "self-hosted", "stated"] = "illustrative"
    """Where the numbers come from: `stated` means as the source gives them, with no claim about how they
    were set (`list-price` is a provider's published price; `illustrative` a value set for budgets)."""
    approximate: bool = False
    """True when the source gives the prices as approximate (e.g. `~$4.50/hr`); every page prints them with `~`."""
    note: str | None = None


class SloTargets(Strict):
    """Latency targets; units are in the field names."""

    ttft_p95_ms: PositiveMs | None = None
    itl_p95_ms: PositiveMs | None = None
    e2e_p95_ms: PositiveMs | None = None
    max_output_tokens: Tokens | None = None
    """Output length the targets assume."""
    note: str | None = None
    """When targets are missing or provisional, why."""


class ReportedEvidence(Strict):
    """A figure someone else measured. Shown apart from what our probes verified."""

    claim: str = Field(pattern=CLAIM_NAME_PATTERN)
    """The claim it supports, as `catalog/claims.py` names it, e.g. `endpoint:fim` or `eval:smoke-5`."""
    summary: OneLine
    """The figure exactly as the source states it, e.g. `5/5 passed (74s)`."""
    source: SourceRef
    date: dt.date | None = None
    """When it was measured, if the source says."""


class RequestExample(Strict):
    """A request a guide shows, kept as data so the site renders it safely quoted in curl and Python."""

    title: OneLine
    endpoint: Literal["chat", "responses"]
    prompt: OneLine
    """The user message."""
    system: OneLine | None = None
    """The system message, if the guide sets one."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    note: OneLine | None = None
    """Why it is set up this way, e.g. `lower temperature for code accuracy`."""
    source: SourceRef


class ExtraHeader(Strict):
    """A header the gateway adds to each request it sends to this deployment (LiteLLM `extra_headers`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
    """The header's name, e.g. `X-Tenant`."""
    value: OneLine | None = None
    """Its value, only for a harmless header (`PUBLIC_HEADERS`: `User-Agent`, `X-Title`, `anthropic-version`,
    ...) whose value does not look like a key; anything else is read from a variable (`env`)."""
    env: EnvVarName | None = None
    """Environment variable that holds its value (a credential, or anything else set at deployment)."""

    @model_validator(mode="after")
    def _one_value(self) -> ExtraHeader:
        if (self.value is None) == (self.env is None):
            raise ValueError("a header needs exactly one of `value` or `env`; write one, remove the other")
        if self.value is not None and is_secret_header(self.name, self.value):
            why = (
                "its value looks like a key"
                if is_secret_header(self.name) is False
                else "it is not one of the headers whose value the catalog writes: " + ", ".join(sorted(PUBLIC_HEADERS))
            )
            raise ValueError(
                f"the header `{self.name}` carries a credential, so its value is never written ({why}); "
                "name the variable that holds it in `env`"
            )
        return self


#: Headers whose literal value the catalog may write (and the site publish), lower case. The list is short on
#: purpose: a header's name cannot prove its value is harmless (`X-Auth`, `X-Session`, `Helicone-Auth`,
#: `Cookie2`, `X-Forward: Bearer ...` all carry credentials in real configs), so every header not named here
#: must be read from a variable (`env`). These carry what a client or provider announces about itself (agent,
#: formats, language, the app's name and URL for OpenRouter), the API version or beta a provider is asked for,
#: and the account or tenant a request is billed to (an id, not a credential; the key goes in `api_key_env`).
PUBLIC_HEADERS = frozenset(
    {
        "user-agent",
        "accept",
        "accept-language",
        "content-type",
        "x-request-source",
        "http-referer",
        "referer",
        "x-title",
        "openai-organization",
        "openai-project",
        "anthropic-version",
        "anthropic-beta",
        "x-tenant",
    }
)
#: A value that looks like a credential whatever its header: an auth scheme, a provider key prefix, a JWT.
_CREDENTIAL_VALUE = re.compile(
    r"^\s*(bearer|basic|token|digest|negotiate|apikey|api-key|key)\s|^\s*(sk|pk|rk|xox[abpr]|gh[pousr]|glpat|hf|AKIA)[-_]"
    r"|^ey[A-Za-z0-9_-]{8,}\.",
    re.IGNORECASE,
)
#: A run of this many letters, digits and `-_+/=` with letters and digits mixed reads as a token.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_+/=-]{24,}")


def looks_like_credential(value: str) -> bool:
    """Whether a header value looks like a credential: `Bearer ...`/`Basic ...`/`Token ...`, `sk-...`, a JWT,
    or a long run of mixed letters and digits (a random token)."""
    if _CREDENTIAL_VALUE.search(value):
        return True
    return any(re.search(r"[A-Za-z]", run) and re.search(r"[0-9]", run) for run in _TOKEN_RUN.findall(value))


def is_secret_header(name: str, value: str | None = None) -> bool:
    """Whether a header's literal value must not be written: true for every header but the few of
    `PUBLIC_HEADERS`, and for those too when the value looks like a credential (`looks_like_credential`)."""
    normal = name.strip().lower().replace("_", "-")
    if normal not in PUBLIC_HEADERS:
        return True
    return value is not None and looks_like_credential(value)


class GatewayRoute(Strict):
    """How the gateway sends requests to this deployment: what LiteLLM keeps in an entry's `litellm_params`
    besides the model and address. The export writes each field back."""

    group: bool = False
    """True when this deployment shares its `gateway_alias` with other deployments of the same gateway on
    purpose: the gateway balances requests for the alias among them (and retries another on failure)."""
    api_base_env: EnvVarName | None = None
    """Environment variable that holds the base URL, when the gateway config reads it from one (LiteLLM's
    `api_base: os.environ/NAME`); by default the export names one per alias."""
    api_key_env: EnvVarName | None = None
    """Environment variable with the key the gateway sends to this deployment (LiteLLM's `api_key:
    os.environ/NAME`), when it is not the endpoint's own `api_key_env`: an egress key, or any value for a
    server that checks none but is reached through a provider (`openai`) that always sends one."""
    api_version: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$")
    """API version the provider expects, e.g. Azure's `2024-06-01`."""
    rpm: int | None = Field(default=None, ge=1)
    """Requests per minute this deployment takes; the gateway routes no more to it."""
    tpm: int | None = Field(default=None, ge=1)
    """Tokens per minute this deployment takes."""
    timeout_s: float | None = Field(default=None, gt=0)
    """Seconds the gateway waits for an answer before it gives up (or tries another member)."""
    stream_timeout_s: float | None = Field(default=None, gt=0)
    """Seconds the gateway waits for the first streamed chunk."""
    max_retries: int | None = Field(default=None, ge=0, le=100)
    """Retries of a failed request to this deployment."""
    order: int | None = Field(default=None, ge=1)
    """Priority within the group: the gateway tries order 1 first, then 2, and so on."""
    weight: float | None = Field(default=None, gt=0)
    """Share of the group's requests in weighted routing."""
    extra_headers: list[ExtraHeader] = Field(default_factory=list)
    """Headers added to every request."""
    mode: (
        Literal[
            "chat",
            "completion",
            "embedding",
            "image_generation",
            "audio_transcription",
            "audio_speech",
            "rerank",
            "moderation",
            "responses",
        ]
        | None
    ) = None
    """What the gateway routes to it, when its `endpoints` cannot say (LiteLLM's `model_info.mode`): an image,
    audio or rerank model has no chat endpoint."""


class Deployment(Strict):
    """One served instance of a model on a backend: one file per deployment in `deployments/`."""

    fleet: FleetId
    """Id of the file in `fleets/`: whose servers these are and whose advice names them."""
    model: ModelId
    """Id of the file in `models/` whose weights this serves."""
    backend: BackendId
    """Id of the file in `backends/` that serves it."""
    served_name: ServedName
    gateway_alias: GatewayAlias | None = None
    gateway: GatewayId | None = None
    """Id of the gateway in `site.yaml` `gateways:` that routes `gateway_alias` here."""
    route: GatewayRoute | None = None
    """How the gateway reaches this deployment (group, limits, timeouts, API version, headers)."""
    status: DeploymentStatus
    endpoint: Endpoint | None = None
    hardware: Hardware = Field(default_factory=Hardware)
    serving: Serving = Field(default_factory=Serving)
    endpoints: list[EndpointKind] = Field(default_factory=list)
    """API surfaces this deployment claims; probes check each one."""
    capabilities: list[Capability] = Field(default_factory=list)
    """Behaviours this deployment claims; probes check each one."""
    fim: FimFormat | None = None
    """FIM prompt format; required when `fim` is claimed."""
    summary: OneLine
    """One line that says what this deployment is for."""
    best_for: list[OneLine] = Field(default_factory=list)
    strengths: list[OneLine] = Field(default_factory=list)
    tradeoffs: list[OneLine] = Field(default_factory=list)
    avoid_for: list[OneLine] = Field(default_factory=list)
    client_warnings: list[ClientWarning] = Field(default_factory=list)
    recommended: RecommendedParams | None = None
    pipeline: str | None = None
    """How to combine it with other deployments, if it is a utility."""
    notes: list[str] = Field(default_factory=list)
    cost: Cost | None = None
    slo: SloTargets | None = None
    reported: list[ReportedEvidence] = Field(default_factory=list)
    stale_after_days: int = Field(default=14, gt=0)
    """Evidence older than this many days shows as stale."""
    retires_on: dt.date | None = None
    """The day this deployment stops being served; from then on pages drop it from picks and name `successor`."""
    successor: DeploymentId | None = None
    """Id of the deployment that replaces it when it retires."""
    inferred: list[Inferred] = Field(default_factory=list)
    """Values on this deployment that no source states outright."""
    examples: list[RequestExample] = Field(default_factory=list)
    """Requests a guide shows for this deployment, besides the generated per-endpoint examples."""
    sources: list[SourceRef] = Field(default_factory=list)

    def retired(self, today: dt.date) -> bool:
        """True from `retires_on` on."""
        return self.retires_on is not None and self.retires_on <= today

    def is_inferred(self, field: str) -> Inferred | None:
        return next((i for i in self.inferred if i.field == field), None)

    def claim_facts(self) -> ClaimFacts:
        """What decides which claims it makes and which a probe checks (catalog/claims.py)."""
        slo = self.slo
        return ClaimFacts(
            reachable=bool(self.endpoint and self.endpoint.base_url),
            endpoints=frozenset(self.endpoints),
            capabilities=frozenset(self.capabilities),
            served_context=self.serving.max_model_len,
            has_slo=bool(slo and any((slo.ttft_p95_ms, slo.itl_p95_ms, slo.e2e_p95_ms))),
        )

    @model_validator(mode="after")
    def _claims_hang_together(self) -> Deployment:
        if EndpointKind.fim in self.endpoints and self.fim is None:
            raise ValueError("`fim` is claimed in `endpoints` but the `fim` prompt format is missing; add `fim:`")
        if self.fim is not None and EndpointKind.fim not in self.endpoints:
            raise ValueError(
                "`fim` format is given but `fim` is not claimed in `endpoints`; add `fim` to `endpoints` or remove `fim:`"
            )
        if len(set(self.endpoints)) != len(self.endpoints):
            raise ValueError("`endpoints` lists the same endpoint twice; remove the repeat")
        if len(set(self.capabilities)) != len(self.capabilities):
            raise ValueError("`capabilities` lists the same capability twice; remove the repeat")
        return self


# --------------------------------------------------------------------------- choosers and trees


class Pick(Strict):
    deployment: DeploymentId
    """Id of the recommended deployment."""
    reason: OneLine
    """Why, in one line."""


class ChooserCategory(Strict):
    """A quick-chooser task category with ranked picks, best first: one fleet's answer for one task."""

    fleet: FleetId
    """Whose answer this is: id of the file in `fleets/`."""
    task: TaskId
    """Id of the file in `tasks/`; a fleet answers each task once."""
    title: OneLine
    icon: str | None = Field(default=None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")
    """Material icon shortcode, e.g. `material/brain`: a set and an icon name, lower-case words joined by `-`."""
    order: int
    """Position on the quick-chooser page, smallest first."""
    description: OneLine | None = None
    picks: list[Pick] = Field(default_factory=list)
    """Active deployments, best first."""
    unavailable: list[Pick] = Field(default_factory=list)
    """Deployments the guides list for this task that are not active now."""
    sources: list[SourceRef] = Field(default_factory=list)


class Recommendation(Strict):
    """What to use: a deployment, a backend, or both, with a note."""

    deployment: DeploymentId | None = None
    backend: BackendId | None = None
    label: str | None = None
    """When this recommendation applies, e.g. `Low traffic (development)`."""
    note: str | None = None

    @model_validator(mode="after")
    def _names_something(self) -> Recommendation:
        if self.deployment is None and self.backend is None:
            raise ValueError("a recommendation names nothing; add `deployment` or `backend`")
        return self


class TreeOption(Strict):
    label: OneLine
    """The answer the reader picks."""
    next: EntityId | None = None
    """Id of the next question node."""
    recommend: list[Recommendation] = Field(default_factory=list)
    """What this answer recommends; recommendations gather along the path."""

    @model_validator(mode="after")
    def _goes_somewhere(self) -> TreeOption:
        if self.next is None and not self.recommend:
            raise ValueError("an option leads nowhere; add `next` (another question) or `recommend` (an answer)")
        return self


class TreeNode(Strict):
    question: OneLine
    options: list[TreeOption] = Field(min_length=2)


class DecisionTree(Strict):
    """Questions that lead to recommendations, stored once and drawn several ways."""

    fleet: FleetId
    """Whose advice this is: id of the file in `fleets/`."""
    title: OneLine
    order: int
    description: Prose | None = None
    root: EntityId
    """Id of the first question."""
    nodes: dict[EntityId, TreeNode] = Field(min_length=1)
    closing_advice: Prose | None = None
    sources: list[SourceRef] = Field(default_factory=list)


# --------------------------------------------------------------------------- guidance


class UseCase(Strict):
    """A scenario and what to use for it."""

    fleet: FleetId
    """Whose advice this is: id of the file in `fleets/`."""
    task: TaskId | None = None
    """Id of the file in `tasks/` this answers; a recommendation without a `label` is the fleet's answer for it."""
    title: OneLine
    order: int
    scenario: OneLine
    recommendations: list[Recommendation] = Field(min_length=1)
    why: list[OneLine] = Field(default_factory=list)
    recommended: RecommendedParams | None = None
    """Sampling advice for this use case."""
    example: RequestExample | None = None
    """A request the guide shows for this use case, sent to its first recommended deployment."""
    sources: list[SourceRef] = Field(default_factory=list)


class Workload(Strict):
    """A traffic profile and what to run for it."""

    fleet: FleetId
    """Whose advice this is: id of the file in `fleets/`."""
    title: OneLine
    order: int
    profile: OneLine
    """Who and how much, e.g. `Personal project, <5 users`."""
    recommendations: list[Recommendation] = Field(min_length=1)
    sources: list[SourceRef] = Field(default_factory=list)


class Migration(Strict):
    """Moving a workload from one backend to another."""

    fleet: FleetId
    """Whose advice this is: id of the file in `fleets/`."""
    title: OneLine
    order: int
    from_backend: BackendId
    to_backend: BackendId
    when: OneLine
    steps: list[OneLine] = Field(min_length=1)
    before_model: ServedName | None = None
    """Model name sent before the move."""
    after_model: ServedName | None = None
    """Model name sent after the move."""
    sources: list[SourceRef] = Field(default_factory=list)


class GlossaryTerm(Strict):
    term: OneLine
    definition: Prose
    model_kind: ModelKind | None = None
    """The model kind this term defines, so cards can link to it."""
    examples: list[OneLine] = Field(default_factory=list)
    see_also: list[GlossaryTermId] = Field(default_factory=list)
    """Ids of related glossary terms."""
    sources: list[SourceRef] = Field(default_factory=list)


class ModelHub(Strict):
    name: OneLine
    url: HttpUrl
    kind: Literal["weights-hub", "access-layer"]
    """A weights hub hosts downloads; an access layer serves models through its API."""
    description: Prose
    strengths: list[OneLine] = Field(default_factory=list)
    cautions: list[OneLine] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)


class QuickReferenceRow(Strict):
    scenario: OneLine
    task: TaskId | None = None
    """Id of the file in `tasks/` this row answers."""
    when: OneLine | None = None
    """The condition this answer holds under, e.g. `development`; without one the row is the fleet's answer."""
    recommendation: Recommendation
    why: OneLine


class Task(Strict):
    """A job readers want done ("coding", "general chat"): the key advice is grouped and checked by."""

    title: OneLine
    order: int
    """Position in lists of tasks, smallest first."""
    description: OneLine | None = None


class Server(Strict):
    """One running instance of an engine in a fleet: where it listens and what was seen on it."""

    backend: BackendId
    """Id of the engine in `backends/`."""
    label: OneLine | None = None
    """What the fleet calls it, e.g. `Production`."""
    ports: list[Port] = Field(default_factory=list)
    hardware: OneLine | None = None
    """The hardware this instance ran on, as the source states it."""
    ttft_ms: Range | None = None
    """Typical time to first token, in milliseconds, as the source reports it."""
    tokens_per_second: Range | None = None
    """Typical decode speed per request."""
    tokens_per_second_note: str | None = None
    """Decode speed where no number is given, e.g. `Real-time streaming`."""
    concurrency: str | None = None
    """How many concurrent requests it handled, as measured or stated."""
    context_note: str | None = None
    """Context limits on this instance."""
    sources: list[SourceRef] = Field(default_factory=list)


class FleetFile(Strict):
    """A file of the fleet's own repository that a source names, with what it does."""

    path: OneLine
    role: OneLine
    change: Literal["new", "modified"] | None = None
    """What the source's change did to it."""


class GatewayExample(Strict):
    """Several deployments called through the fleet's gateway from one program, as a guide shows."""

    deployments: list[DeploymentId] = Field(min_length=2)
    note: OneLine | None = None
    source: SourceRef


class FleetCaveat(Strict):
    """The warning a fleet's guide most wants its readers to see before they use the fleet, in this
    catalog's own words, with where the guide says it."""

    text: OneLine
    source: SourceRef


class Fleet(Strict):
    """The servers one team runs and the advice written for them: every piece of advice names its fleet.

    One guide usually describes one fleet; two guides about the same servers would share one.
    """

    name: OneLine
    """Short name readers see on tabs and in "whose answer" lines."""
    summary: Prose
    caveat: FleetCaveat | None = None
    """The guide's main caveat about these servers (e.g. what they were validated on); shown first on the
    fleet's tab of the home page and in its section of the Fleets page. A warning about the document itself
    belongs on the source (`caveat` in `sources/`)."""
    gateway: GatewayId | None = None
    """Id of the gateway in `site.yaml` `gateways:` that fronts this fleet, if any."""
    servers: list[Server] = Field(default_factory=list)
    """Running engine instances the sources describe (ports, hardware, figures)."""
    quick_reference: list[QuickReferenceRow] = Field(default_factory=list)
    files: list[FleetFile] = Field(default_factory=list)
    """Files of the fleet's repository the sources name."""
    gateway_example: GatewayExample | None = None
    column_guide: dict[str, Prose] = Field(default_factory=dict)
    """How this fleet's guide says to read the columns of its served-models table."""
    order: int
    """Position among fleets on the pages, smallest first."""
    sources: list[SourceRef] = Field(default_factory=list)


class RoutingStrategy(StrEnum):
    """How LiteLLM picks a member of a group for each request (its `router_settings.routing_strategy`)."""

    simple_shuffle = "simple-shuffle"
    least_busy = "least-busy"
    usage_based_routing = "usage-based-routing"
    usage_based_routing_v2 = "usage-based-routing-v2"
    latency_based_routing = "latency-based-routing"
    cost_based_routing = "cost-based-routing"


class RouterSettings(Strict):
    """Gateway-wide routing: what LiteLLM reads from `router_settings`."""

    routing_strategy: RoutingStrategy | None = None
    num_retries: int | None = Field(default=None, ge=0, le=100)
    """Retries of a failed request, over the group's members."""
    timeout_s: float | None = Field(default=None, gt=0)
    """Seconds a request may take, retries included."""
    allowed_fails: int | None = Field(default=None, ge=0)
    """Failures a member may have in a minute before the gateway cools it down."""
    cooldown_s: float | None = Field(default=None, ge=0)
    """Seconds a failing member rests before it gets requests again."""
    retry_after_s: float | None = Field(default=None, ge=0)
    """Seconds to wait before a retry."""
    enable_pre_call_checks: bool | None = None
    """Whether the gateway checks a request fits a member's context window before sending it."""


class Fallback(Strict):
    """Where the gateway sends a request for `alias` when every member of it failed."""

    alias: GatewayAlias
    to: list[GatewayAlias] = Field(min_length=1)
    """Aliases of the same gateway, tried in this order."""


class Gateway(Strict):
    """An OpenAI-compatible proxy (e.g. LiteLLM) that routes aliases to deployments."""

    name: OneLine
    base_url: HttpUrl | None = None
    """Where clients send requests, including `/v1`; absent when the guides do not publish it."""
    api_key_env: EnvVarName | None = None
    """Environment variable with the key clients send to the gateway (its master key or a virtual key)."""
    master_key_env: EnvVarName | None = None
    """Environment variable with the proxy's admin key (LiteLLM's `general_settings.master_key`); by default
    `LITELLM_MASTER_KEY`, which LiteLLM reads by itself."""
    router: RouterSettings | None = None
    fallbacks: list[Fallback] = Field(default_factory=list)
    """After every member of an alias failed (LiteLLM's `litellm_settings.fallbacks`)."""
    context_window_fallbacks: list[Fallback] = Field(default_factory=list)
    """When a request is too long for the alias's context (`litellm_settings.context_window_fallbacks`)."""
    content_policy_fallbacks: list[Fallback] = Field(default_factory=list)
    """When the provider refused the content (`litellm_settings.content_policy_fallbacks`)."""
    description: Prose | None = None


class SiteInfo(Strict):
    """Site-wide text and facts that belong to no single entity (`site.yaml`)."""

    title: OneLine
    tagline: OneLine
    repo_url: HttpUrl | None = None
    """Repository the edit links point at."""
    edit_uri: EditUri = "edit/main/"
    """Path from `repo_url` to the catalog's files, for the edit buttons: relative, ending in `/`."""
    site_url: HttpUrl | None = None
    """Where the built site is published, e.g. `https://models.example.com/` (canonical URLs, the sitemap and
    instant navigation need it). `$SITE_URL` overrides it at build time; `mkdocs serve` uses its own address."""
    gateways: dict[EntityId, Gateway] = Field(default_factory=dict)
    """Gateways (e.g. LiteLLM proxies) that deployments sit behind, by id."""
    fleet_notes: list[Prose] = Field(default_factory=list)
    """Caveats that apply to every deployment."""
    cost_notes: list[OneLine] = Field(default_factory=list)
    context_notes: list[OneLine] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
