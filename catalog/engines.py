"""What each serving engine's API looks like: one adapter per backend kind (`catalog/types.py` `BackendKind`).

Static, pure knowledge only: where the OpenAI API and the engine's own routes live, which request counts
tokens and how its answer reads, where the served context and the version are reported, the metrics path
and prefix, and how to recognise the engine from its answers. The probes (`probes/engines.py` makes the
requests) and `discover` use it; the site may read it too (hooks import `catalog`, never `probes`).

Every parser takes a server's JSON as hostile: a value of the wrong type is "not reported" (None), never an
exception, and `true` is never a number.

Which parts were proven against a real server in this repository's tests, and which come only from the
engine's documentation, is stated per adapter in `Engine.proven` (and `PROVEN_AGAINST`):

* vLLM (CPU build; `tests/probes/test_engines_real.py`, `test_real_vllm.py`, `test_discover_real.py`): every
  part; the `vllm:` metric names by `bench/probe_accuracy.py` (the tests' server runs without stats).
* llama.cpp's native `llama-server` (built from the llama-cpp-python 0.3.36 sdist, build b1-0c1e570;
  `tests/probes/test_engines_real.py`, `test_real_llamacpp.py`, `test_discover_real.py`): every part.
* Ollama, TEI (text-embeddings-inference), SGLang: from their documented APIs only; no real server of
  theirs runs here (discover's Ollama recognition is tested against a loopback server answering as Ollama's
  documentation says, which proves this code, not Ollama).
* An OpenAI-compatible API or a gateway: only the OpenAI routes every such server has, which the vLLM and
  llama.cpp tests exercise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from catalog.types import BackendKind

#: The parts of an adapter, as `Engine.proven` names them.
Part = Literal["base-url", "health", "version", "token-count", "served-context", "metrics", "detect"]
PARTS: tuple[Part, ...] = ("base-url", "health", "version", "token-count", "served-context", "metrics", "detect")

#: Where the OpenAI-compatible routes live under an engine's root.
OPENAI_SUFFIX = "/v1"

#: How a prompt is counted: as plain text (what /v1/completions sees) or as chat messages, with the chat
#: template and its generation prompt (what /v1/chat/completions sees).
CountKind = Literal["prompt", "chat"]


@dataclass(frozen=True)
class Route:
    """One request to an engine: method and path relative to the engine's root (not the `/v1` base)."""

    method: Literal["GET", "POST"]
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Engine:
    kind: BackendKind
    name: str
    openai_suffix: str | None
    """What the OpenAI base adds to the engine's root (`/v1`); None when nothing is known about the URL's
    shape (an external API: its base is used as given)."""
    health: Route | None
    """Unauthenticated liveness at the root; None when the engine has none (then `GET /v1/models` stands in)."""
    version: Route | None
    version_field: tuple[str, ...]
    """Where in the version answer's JSON the version is."""
    count_prompt: Route | None
    count_chat: Route | None
    """Token counting of a plain prompt and of chat messages; None when the engine offers none."""
    served_context: Route | None
    served_context_field: str
    """How `served_context_from` reads it, for messages: `default_generation_settings.n_ctx`."""
    metrics: Route | None
    metrics_prefix: str | None
    proven: frozenset[Part]
    """The parts proven against a real server of this engine in this repository's tests; the rest follow the
    engine's documentation."""
    docs: str
    """Where the documented parts come from."""
    base_url_hint: str
    """What to tell someone whose base URL lacks the OpenAI suffix."""

    @property
    def documented_only(self) -> tuple[Part, ...]:
        return tuple(part for part in PARTS if part not in self.proven)


_ALL = frozenset(PARTS)


def _openai_routes_only(kind: BackendKind, name: str, *, docs: str, base_url_hint: str) -> Engine:
    """An API known only by the OpenAI routes: no engine-specific health, version, token counting, context or
    metrics. Those routes were exercised against vLLM and llama.cpp."""
    return Engine(
        kind=kind,
        name=name,
        openai_suffix=None,
        health=None,
        version=None,
        version_field=(),
        count_prompt=None,
        count_chat=None,
        served_context=None,
        served_context_field="",
        metrics=None,
        metrics_prefix=None,
        proven=frozenset({"base-url", "health"}),
        docs=docs,
        base_url_hint=base_url_hint,
    )


ENGINES: Mapping[BackendKind, Engine] = {
    BackendKind.vllm: Engine(
        kind=BackendKind.vllm,
        name="vLLM",
        openai_suffix=OPENAI_SUFFIX,
        health=Route("GET", "/health"),
        version=Route("GET", "/version"),
        version_field=("version",),
        count_prompt=Route("POST", "/tokenize"),
        count_chat=Route("POST", "/tokenize"),
        served_context=Route("GET", "/v1/models"),
        served_context_field="data[].max_model_len",
        metrics=Route("GET", "/metrics"),
        metrics_prefix="vllm:",
        proven=_ALL,
        docs="https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
        base_url_hint="vLLM serves the OpenAI API under /v1: use http://HOST:PORT/v1",
    ),
    BackendKind.llama_cpp: Engine(
        kind=BackendKind.llama_cpp,
        name="llama.cpp server",
        openai_suffix=OPENAI_SUFFIX,
        health=Route("GET", "/health"),
        # build_info (`b1-<commit>`); the chat answers' system_fingerprint carries the same.
        version=Route("GET", "/props"),
        version_field=("build_info",),
        # `content`, not vLLM's `prompt`; add_special counts the BOS a completion request adds too.
        count_prompt=Route("POST", "/tokenize"),
        # The chat body as sent, template applied: `{"input_tokens": N}`.
        count_chat=Route("POST", "/v1/chat/completions/input_tokens"),
        # The runtime context (`-c`), not the model's n_ctx_train.
        served_context=Route("GET", "/props"),
        served_context_field="default_generation_settings.n_ctx",
        metrics=Route("GET", "/metrics"),  # only with --metrics
        metrics_prefix="llamacpp:",
        proven=_ALL,
        docs="https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md",
        base_url_hint="llama.cpp's server serves the OpenAI API under /v1: use http://HOST:PORT/v1",
    ),
    BackendKind.ollama: Engine(
        kind=BackendKind.ollama,
        name="Ollama",
        openai_suffix=OPENAI_SUFFIX,
        # The root answers 200 "Ollama is running"; there is no /health.
        health=Route("GET", "/"),
        version=Route("GET", "/api/version"),
        version_field=("version",),
        # No token-counting route: a context claim cannot be sized by the server's count, and Ollama cuts a
        # prompt longer than its context (num_ctx, small by default) without an error.
        count_prompt=None,
        count_chat=None,
        # The context of a loaded model (newer releases); the model's native one is in /api/show.
        served_context=Route("GET", "/api/ps"),
        served_context_field="models[].context_length",
        metrics=None,
        metrics_prefix=None,
        proven=frozenset(),
        docs="https://github.com/ollama/ollama/blob/main/docs/api.md and docs/openai.md",
        base_url_hint="Ollama's OpenAI API is under /v1 (its native API is at the root): use http://HOST:11434/v1",
    ),
    BackendKind.tei: Engine(
        kind=BackendKind.tei,
        name="Text Embeddings Inference",
        openai_suffix=OPENAI_SUFFIX,
        health=Route("GET", "/health"),
        version=Route("GET", "/info"),
        version_field=("version",),
        # `{"inputs": "..."}` answers a list of token lists.
        count_prompt=Route("POST", "/tokenize"),
        count_chat=None,
        served_context=Route("GET", "/info"),
        served_context_field="max_input_length",
        metrics=Route("GET", "/metrics"),
        metrics_prefix="te_",
        proven=frozenset(),
        docs="https://huggingface.github.io/text-embeddings-inference/",
        base_url_hint="TEI serves its OpenAI-compatible embeddings under /v1: use http://HOST:PORT/v1",
    ),
    BackendKind.sglang: Engine(
        kind=BackendKind.sglang,
        name="SGLang",
        openai_suffix=OPENAI_SUFFIX,
        health=Route("GET", "/health"),
        version=Route("GET", "/get_server_info"),
        version_field=("version",),
        count_prompt=None,
        count_chat=None,
        served_context=Route("GET", "/v1/models"),
        served_context_field="data[].max_model_len",
        metrics=Route("GET", "/metrics"),  # only with --enable-metrics
        metrics_prefix="sglang:",
        proven=frozenset(),
        docs="https://docs.sglang.ai/basic_usage/openai_api.html and native_api.html",
        base_url_hint="SGLang serves the OpenAI API under /v1: use http://HOST:PORT/v1",
    ),
    BackendKind.openai_compatible: _openai_routes_only(
        BackendKind.openai_compatible,
        "OpenAI-compatible API",
        docs="https://platform.openai.com/docs/api-reference",
        base_url_hint="the base URL is what an OpenAI client takes as base_url, usually ending in /v1",
    ),
    BackendKind.gateway: _openai_routes_only(
        BackendKind.gateway,
        "external API behind a gateway",
        docs="https://docs.litellm.ai/docs/proxy/health",
        base_url_hint="the gateway's base URL is what an OpenAI client takes as base_url, usually ending in /v1",
    ),
}


def engine(kind: BackendKind | str) -> Engine:
    """The adapter of a backend kind; raises ValueError naming the known kinds for an unknown one."""
    try:
        return ENGINES[BackendKind(kind)]
    except ValueError:
        raise ValueError(f"unknown backend kind {kind!r} (known: {[k.value for k in BackendKind]})") from None


#: What each engine was proven against here, for the docs and the site.
PROVEN_AGAINST: Mapping[BackendKind, str] = {
    BackendKind.vllm: "a real CPU vLLM server on loopback (tests/probes/test_real_vllm.py)",
    BackendKind.llama_cpp: (
        "a real llama-server built from the llama-cpp-python 0.3.36 sdist, on loopback (tests/probes/test_real_llamacpp.py)"
    ),
}


# -- base URLs ------------------------------------------------------------------------------------------
def root_of(base_url: str, adapter: Engine) -> str:
    """The engine's root (where its own routes live) from the OpenAI base URL: the base without its suffix."""
    base = base_url.rstrip("/")
    suffix = adapter.openai_suffix
    if suffix and base.endswith(suffix):
        return base[: -len(suffix)]
    if suffix is None:  # an external API: its routes are relative to the host
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}"
    return base


def missing_suffix(base_url: str, adapter: Engine | None = None) -> str | None:
    """The message for a base URL that lacks the OpenAI suffix (`/v1`), or None when it has it (or the engine
    has no rule). Without an adapter, the rule every self-hosted engine here shares: the API is under /v1."""
    suffix = adapter.openai_suffix if adapter is not None else OPENAI_SUFFIX
    if suffix is None:
        return None
    path = urlsplit(base_url).path.rstrip("/")
    if path.endswith(suffix):
        return None
    hint = adapter.base_url_hint if adapter is not None else f"the OpenAI API is under {suffix}"
    fixed = base_url.rstrip("/") + suffix
    return f"add {suffix}: {base_url} has no {suffix} at its end, try {fixed} ({hint})"


# -- token counting -------------------------------------------------------------------------------------
def count_request(
    adapter: Engine, kind: CountKind, served_name: str, text: str, *, special: bool = True
) -> tuple[Route, dict[str, Any]] | None:
    """The request that makes the engine count ``text`` as a prompt (or as one user message), or None when
    the engine cannot count it. ``special=False`` leaves out the BOS a request would add, where the engine
    lets a count choose (llama.cpp): what asks whether one string is one token."""
    messages = [{"role": "user", "content": text}]
    if adapter.kind is BackendKind.vllm:
        route = adapter.count_chat if kind == "chat" else adapter.count_prompt
        assert route is not None
        body: dict[str, Any] = {"model": served_name}
        return route, body | ({"messages": messages} if kind == "chat" else {"prompt": text})
    if adapter.kind is BackendKind.llama_cpp:
        if kind == "chat":
            assert adapter.count_chat is not None
            return adapter.count_chat, {"model": served_name, "messages": messages}
        assert adapter.count_prompt is not None
        return adapter.count_prompt, {"content": text, "add_special": special}
    if adapter.kind is BackendKind.tei and kind == "prompt" and adapter.count_prompt is not None:
        return adapter.count_prompt, {"inputs": text}
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def parse_count(adapter: Engine, data: Any) -> int | None:
    """The token count in a counting request's answer, or None when the answer does not hold one."""
    if adapter.kind is BackendKind.vllm:
        return _int(data.get("count")) if isinstance(data, dict) else None
    if adapter.kind is BackendKind.llama_cpp:
        if not isinstance(data, dict):
            return None
        if "input_tokens" in data:
            return _int(data.get("input_tokens"))
        tokens = data.get("tokens")
        return len(tokens) if isinstance(tokens, list) else None
    if adapter.kind is BackendKind.tei:
        first = data[0] if isinstance(data, list) and data else None
        return len(first) if isinstance(first, list) else None
    return None


def count_response_limit(adapter: Engine, text: str) -> int:
    """Extra bytes a counting answer may take for ``text``: vLLM and llama.cpp list every token id (a few
    bytes each), TEI every token as an object."""
    return (64 if adapter.kind is BackendKind.tei else 16) * len(text)


# -- served context, version ----------------------------------------------------------------------------
def _path(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _listed(
    data: Any, served_name: str, key: str = "data", name_keys: Sequence[str] = ("id",)
) -> dict[str, Any] | None:
    items = data.get(key) if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and any(item.get(k) == served_name for k in name_keys):
            return item
    return None


def served_context_from(adapter: Engine, data: Any, served_name: str) -> int | None:
    """The context the engine serves ``served_name`` with, from the answer of ``adapter.served_context``."""
    if adapter.kind in (BackendKind.vllm, BackendKind.sglang):
        return _int(_path(_listed(data, served_name), "max_model_len"))
    if adapter.kind is BackendKind.llama_cpp:
        # /props; /v1/models' data[].meta.n_ctx says the same, n_ctx_train is the model's native context.
        return _int(_path(data, "default_generation_settings", "n_ctx")) or _int(
            _path(_listed(data, served_name), "meta", "n_ctx")
        )
    if adapter.kind is BackendKind.ollama:
        return _int(_path(_listed(data, served_name, "models", ("name", "model")), "context_length"))
    if adapter.kind is BackendKind.tei:
        return _int(_path(data, "max_input_length"))
    return None


#: Longest version string kept.
VERSION_MAX = 64


def version_from(adapter: Engine, data: Any) -> str | None:
    """The engine's version from the answer of ``adapter.version``: a short printable line, else None."""
    if not adapter.version_field:
        return None
    value = _path(data, *adapter.version_field)
    if isinstance(value, str) and 0 < len(value) <= VERSION_MAX and value.isprintable():
        return value
    return None


# -- recognising an engine ------------------------------------------------------------------------------
def detect_from_models(data: Any) -> BackendKind | None:
    """The engine behind a `GET /v1/models` answer, when its shape gives it away; None when it does not.

    vLLM lists `max_model_len` and `owned_by: vllm`; llama.cpp adds an Ollama-style `models` list and a
    `meta` with `n_ctx_train` (`owned_by: llamacpp`); SGLang says `owned_by: sglang`.
    """
    items = data.get("data") if isinstance(data, dict) else None
    entries = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    owners = {item.get("owned_by") for item in entries}
    if "llamacpp" in owners or any(isinstance(_path(item, "meta", "n_ctx_train"), int) for item in entries):
        return BackendKind.llama_cpp
    if "vllm" in owners:
        return BackendKind.vllm
    if "sglang" in owners:
        return BackendKind.sglang
    return None


#: Requests that tell engines apart when `/v1/models` does not, in order, each with what must answer.
PROBES_FOR_DETECTION: tuple[tuple[BackendKind, Route], ...] = (
    (BackendKind.llama_cpp, Route("GET", "/props")),
    (BackendKind.vllm, Route("GET", "/version")),
    (BackendKind.ollama, Route("GET", "/api/version")),
    (BackendKind.tei, Route("GET", "/info")),
)


def detect_from_answer(kind: BackendKind, data: Any) -> bool:
    """Whether the answer to ``kind``'s detection request is that engine's."""
    if not isinstance(data, dict):
        return False
    if kind is BackendKind.llama_cpp:
        return isinstance(data.get("default_generation_settings"), dict) and "build_info" in data
    if kind is BackendKind.vllm:
        return isinstance(data.get("version"), str) and set(data) == {"version"}
    if kind is BackendKind.ollama:
        return isinstance(data.get("version"), str) and set(data) == {"version"}
    if kind is BackendKind.tei:
        return isinstance(data.get("model_id"), str) and "max_input_length" in data
    return False
