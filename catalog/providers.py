"""What the catalog knows of LiteLLM's providers: the prefix a backend is routed under, which providers send
no key, and the variable that holds the key the gateway sends.

The cross-entity rules (catalog/rules.py: a routed deployment whose provider needs a key names its variable),
the gateway export (gateway/litellm_export.py) and the LiteLLM import (onboarding/litellm_import.py) all read
these, so each is defined here, once, inside the data model that the other two build on.
"""

from __future__ import annotations

from catalog.schema import Backend, Deployment
from catalog.types import BackendKind

#: LiteLLM provider prefix per backend kind, unless the backend names its own `litellm_provider`.
DEFAULT_PROVIDER = {
    BackendKind.vllm: "hosted_vllm",
    BackendKind.ollama: "ollama_chat",
    BackendKind.llama_cpp: "openai",
    BackendKind.tei: "openai",
    BackendKind.sglang: "openai",
    BackendKind.openai_compatible: "openai",
    BackendKind.gateway: "openai",
}


#: Providers whose LiteLLM client sends no API key when none is given. Every other provider (`openai`,
#: `anthropic`, `azure`, ...) needs one: without it the proxy starts and fails each request for the entry
#: (LiteLLM's OpenAI client refuses to build without a key, its Anthropic one sends no `x-api-key`).
KEYLESS_PROVIDERS = frozenset({"hosted_vllm", "vllm", "ollama", "ollama_chat"})


def provider_of(backend: Backend) -> str:
    """The LiteLLM provider prefix of a backend: its own `litellm_provider`, else its kind's default."""
    return backend.litellm_provider or DEFAULT_PROVIDER[backend.kind]


def gateway_key_env(deployment: Deployment) -> str | None:
    """The variable with the key the gateway sends to a deployment: its route's, else its endpoint's."""
    if deployment.route is not None and deployment.route.api_key_env:
        return deployment.route.api_key_env
    return deployment.endpoint.api_key_env if deployment.endpoint else None
