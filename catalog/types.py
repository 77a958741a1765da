"""Reusable field types shared by every catalog entity.

Each type carries its own pattern and description, so the JSON Schema tells an
editor exactly what a valid value looks like, and a bad value fails with the
pattern in the message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

#: The id of any catalog entity. It is also the file's name (without `.yaml`).
EntityId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$", max_length=80),
    Field(
        description="Lower-case id: letters, digits, '.', '_' and '-'; the entity's file name without .yaml.",
    ),
]

#: The name a server lists in /v1/models, e.g. `gpt-oss-20b` or Ollama's `llama3.1:8b`.
ServedName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$", max_length=200),
    Field(description="Model name as the server lists it in /v1/models (Ollama tags such as llama3.1:8b allowed)."),
]

#: A gateway (LiteLLM) alias that clients send as `model`.
GatewayAlias = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$", max_length=200),
    Field(description="Name clients send as `model` to the gateway; unique across the catalog."),
]

#: `org/name` on a model hub.
HubRepoId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"),
    Field(description="Repository id on the hub, as `organisation/name`."),
]

#: The name of an environment variable; the catalog never holds a secret itself.
EnvVarName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$"),
    Field(description="Name of the environment variable that holds the API key (never the key itself)."),
]

HttpUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s/$.?#][^\s]*$"),
    Field(description="An http:// or https:// URL."),
]

UrlPath = Annotated[
    str,
    StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$"),
    Field(description="A URL path starting with '/'."),
]

NonNegativeUsd = Annotated[float, Field(ge=0, description="US dollars; 0 or more.")]
PositiveMs = Annotated[float, Field(gt=0, description="Milliseconds; greater than 0.")]
Rating = Annotated[int, Field(ge=1, le=5, description="Star rating from 1 (worst) to 5 (best).")]
Tokens = Annotated[int, Field(gt=0, le=100_000_000, description="A number of tokens; greater than 0.")]
OneLine = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300, pattern=r"^[^\n]+$"),
    Field(description="One line of prose, without line breaks."),
]
Prose = Annotated[str, StringConstraints(min_length=1), Field(description="Markdown prose written for this catalog.")]


class ModelKind(StrEnum):
    """What a model was trained to do; the glossary explains each kind."""

    base = "base"
    instruct = "instruct"
    chat = "chat"
    reasoning = "reasoning"
    embedding = "embedding"
    ocr = "ocr"
    vision_language = "vision-language"
    audio = "audio"
    multimodal = "multimodal"


class Modality(StrEnum):
    text = "text"
    image = "image"
    audio = "audio"
    video = "video"
    embedding = "embedding"


class DeploymentStatus(StrEnum):
    active = "active"
    disabled = "disabled"
    planned = "planned"
    code_ready = "code-ready"
    """The serving code exists but nothing is deployed; deploy on demand."""


class BackendKind(StrEnum):
    vllm = "vllm"
    ollama = "ollama"
    llama_cpp = "llama-cpp"
    tei = "tei"
    gateway = "gateway"
    """An external provider reached through a gateway such as LiteLLM."""


class Quantization(StrEnum):
    """How the served weights are stored. `none` means the original precision (bf16/fp16)."""

    none = "none"
    awq_4bit = "awq-4bit"
    nvfp4 = "nvfp4"
    fp8 = "fp8"
    mxfp4 = "mxfp4"
    gguf_q4 = "gguf-q4"
    """GGUF Q4_K_M, the usual 4-bit default of Ollama and llama.cpp."""
    gguf_q8 = "gguf-q8"
    """GGUF Q8_0."""
    gguf = "gguf"
    """GGUF at a level chosen per model (Q2_K to Q8_0)."""


#: Bytes per parameter of each quantization, used by the VRAM estimate. 4-bit formats carry
#: scales: AWQ stores a 16-bit scale and a 4-bit zero point per group of 128 weights (4.16 bits),
#: NVFP4 an 8-bit scale per 16 (4.5 bits), MXFP4 an 8-bit scale per 32 (4.25 bits); GGUF
#: Q4_K_M averages about 4.85 bits and Q8_0 8.5 bits.
BYTES_PER_PARAM: dict[Quantization, float] = {
    Quantization.none: 2.0,
    Quantization.awq_4bit: 0.52,
    Quantization.nvfp4: 0.5625,
    Quantization.fp8: 1.0,
    Quantization.mxfp4: 0.53125,
    Quantization.gguf_q4: 0.606,
    Quantization.gguf_q8: 1.0625,
    Quantization.gguf: 0.606,
}
