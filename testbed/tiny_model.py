"""Build a tiny random-weight Llama model and a byte-level BPE tokenizer, offline.

Model hubs cannot be reached from CI, so the real vLLM test server serves a model made here. This file
has two halves that run in different interpreters:

* ``ensure_tiny_model()`` runs in the project's own venv (which has no torch/transformers): it hashes this
  file, and if ``.cache/tiny-model/<hash>/`` is missing it runs this same file as a script under
  ``.venv-vllm/bin/python``, which has torch, tokenizers and transformers.
* ``main()`` (the script half) trains the tokenizer and saves the model.

Editing this file changes the hash, so a stale cached model is never served.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VLLM_PYTHON = REPO_ROOT / ".venv-vllm" / "bin" / "python"
CACHE_ROOT = REPO_ROOT / ".cache" / "tiny-model"
COMPLETE_MARKER = ".complete"

FIM_TOKENS = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
# Hermes-style tool tags: vLLM's hermes parser looks for these strings in the generated text.
TOOL_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>")
CONTROL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

# ChatML, close to Qwen2.5's template, reduced to what the probes exercise: a system prompt, tools
# listed in the system turn, assistant tool calls rendered as <tool_call> JSON, and tool results
# fed back as <tool_response> blocks.
CHAT_TEMPLATE = """\
{%- if tools %}<|im_start|>system
{% if messages[0].role == 'system' %}{{ messages[0].content }}{% else %}You are a helpful assistant.{% endif %}

# Tools
Function signatures are within <tools></tools>:
<tools>
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}
</tools>
For each function call, return a json object with function name and arguments within \
<tool_call></tool_call> tags.<|im_end|>
{% elif messages[0].role == 'system' %}<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif %}
{%- for message in messages %}
{%- if message.role == 'system' and loop.first %}
{%- elif message.role == 'assistant' %}<|im_start|>assistant
{% if message.content %}{{ message.content }}{% endif %}
{%- for tc in message.tool_calls or [] %}
<tool_call>
{"name": {{ tc.function.name | tojson }}, "arguments": \
{% if tc.function.arguments is string %}{{ tc.function.arguments }}\
{% else %}{{ tc.function.arguments | tojson }}{% endif %}}
</tool_call>
{%- endfor %}<|im_end|>
{% elif message.role == 'tool' %}<|im_start|>user
<tool_response>
{{ message.content }}
</tool_response><|im_end|>
{% else %}<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world! What is the weather in Paris today? It is sunny and 21 degrees.",
    "def add(a, b):\n    return a + b\n",
    "def is_even(n: int) -> bool:\n    return n % 2 == 0\n",
    "for i in range(10):\n    print(i * i)\n",
    '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
    '{"answer": 42, "ok": true, "items": [1, 2, 3], "text": "hello"}',
    "You are a helpful assistant. Answer briefly and return JSON when asked.",
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "class Stack:\n    def __init__(self):\n        self.items = []\n",
]


def source_hash() -> str:
    """Hash of this builder's source: the cache key for the built model."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def ensure_tiny_model(cache_root: Path = CACHE_ROOT) -> Path:
    """Return the directory of the tiny model, building it first if the cache lacks it.

    Raises RuntimeError naming ``tools/install-vllm.sh`` when ``.venv-vllm`` is missing, and with the
    builder's output when the build fails.
    """
    target = cache_root / source_hash()
    if (target / COMPLETE_MARKER).is_file():
        return target
    if not VLLM_PYTHON.exists():
        raise RuntimeError(
            f"{VLLM_PYTHON} is missing: run `make test` (or `bash tools/install-vllm.sh`) to create the "
            "vLLM venv that builds and serves the tiny test model"
        )
    cache_root.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so a concurrent or interrupted build never leaves a
    # half-written model where the server would load it.
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=cache_root))
    try:
        proc = subprocess.run(
            [str(VLLM_PYTHON), __file__, str(tmp)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tiny model build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        (tmp / COMPLETE_MARKER).write_text(source_hash() + "\n")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / COMPLETE_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def build(out: Path) -> None:  # pragma: no cover - runs under .venv-vllm
    """Train the tokenizer and save a random-weight Llama with it into ``out``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=list(CONTROL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS * 20, trainer=trainer)

    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
    )
    # Not "special": the FIM and tool tags must survive detokenization so that clients and vLLM's
    # hermes parser see them, as with Qwen2.5-Coder's tokenizer.
    hf_tok.add_tokens([*FIM_TOKENS, *TOOL_TOKENS], special_tokens=False)
    hf_tok.chat_template = CHAT_TEMPLATE
    hf_tok.model_max_length = 4096
    hf_tok.save_pretrained(out)

    config = LlamaConfig(
        vocab_size=len(hf_tok),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        # vLLM's CPU attention rejects head_dim 16; 64 works.
        head_dim=64,
        max_position_embeddings=4096,
        bos_token_id=hf_tok.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=hf_tok.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=hf_tok.convert_tokens_to_ids("<|endoftext|>"),
        tie_word_embeddings=True,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(out, safe_serialization=True)
    print(f"built tiny model in {out}: vocab {len(hf_tok)}")


def main() -> None:  # pragma: no cover - runs under .venv-vllm
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} OUT_DIR")
    build(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
