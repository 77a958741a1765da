"""GPU memory a deployment needs: weights + KV cache + runtime overhead.

    weights   = parameters x bytes per parameter at the served quantization
                (embeddings and output head stay 16-bit under 4-bit quantizers)
    KV cache  = layers x KV heads x head dim x 2 (K and V) x bytes per value x context x sequences
    overhead  = a fixed allowance for the CUDA context, activations and the engine

Results are in GiB (2^30 bytes), the unit `nvidia-smi` and most guides call "GB".
It is an estimate of the minimum: vLLM reserves `--gpu-memory-utilization` of the
card up front and fills the rest with KV cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.schema import Architecture, Model
from catalog.types import BYTES_PER_PARAM, Quantization

GIB = 2**30
#: Bytes per KV-cache value: the engines here default to a 16-bit cache.
KV_BYTES = 2
#: CUDA context, activations and engine buffers; a round allowance, not a measurement.
RUNTIME_OVERHEAD_GIB = 1.0
#: Quantizations that leave the embeddings and output head in 16-bit (GGUF quantizes them too).
_EMBEDDINGS_KEPT_16BIT = {Quantization.awq_4bit, Quantization.nvfp4, Quantization.mxfp4}


@dataclass(frozen=True)
class VramEstimate:
    weights_gib: float
    kv_bytes_per_token: int | None
    """KV-cache bytes for one token of one sequence; None when the architecture lacks the fields."""
    overhead_gib: float

    def kv_gib(self, context: int, sequences: int = 1) -> float | None:
        if self.kv_bytes_per_token is None:
            return None
        return self.kv_bytes_per_token * context * sequences / GIB

    def total_gib(self, context: int, sequences: int = 1) -> float | None:
        kv = self.kv_gib(context, sequences)
        return None if kv is None else self.weights_gib + kv + self.overhead_gib


def weight_bytes(arch: Architecture, quantization: Quantization) -> float:
    params = arch.total_params_b * 1e9
    per_param = BYTES_PER_PARAM[quantization]
    if quantization in _EMBEDDINGS_KEPT_16BIT and arch.hidden_size and arch.vocab_size:
        embedding_params = arch.hidden_size * arch.vocab_size * (1 if arch.tied_embeddings else 2)
        return (params - embedding_params) * per_param + embedding_params * 2
    return params * per_param


def estimate(model: Model, quantization: Quantization | None = None) -> VramEstimate | None:
    """The estimate at the model's own (or another) quantization; None without parameter counts or quantization."""
    arch = model.architecture
    quant = quantization or model.quantization
    if arch is None or quant is None:
        return None
    kv = (
        arch.layers * arch.kv_heads * arch.head_dim * 2 * KV_BYTES
        if arch.layers and arch.kv_heads and arch.head_dim
        else None
    )
    return VramEstimate(weight_bytes(arch, quant) / GIB, kv, RUNTIME_OVERHEAD_GIB)
