"""The tests' tiny Llama (`testbed/tiny_model.py`) as a GGUF file, for the real llama.cpp server.

No model hub is reachable, so the GGUF is converted here from the tiny random-weight Llama, with the converter
that ships in the same llama-cpp-python sdist as the server (`tools/install-llamacpp.sh` keeps it beside the
binary, under `.cache/llamacpp/convert/`). Like `tiny_model.py`, this file has two halves in two interpreters:

* ``ensure_tiny_gguf()`` runs in the project's venv: it keys the cache by the tiny model's hash, the
  converter's hash and this file's hash, and runs this file as a script under ``.venv-vllm/bin/python`` (which
  has torch and transformers, which the converter needs) when the cache lacks the file.
* ``main()`` runs the converter. The converter refuses the tiny byte-level BPE tokenizer ("BPE pre-tokenizer
  was not recognized": its table knows only published tokenizers by a hash of their output), so the script
  tells it the pre-tokenizer is GPT-2's, which is what the tiny tokenizer's byte-level split is.

The file is written beside its final place and renamed, so a server never loads a half-written model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from testbed.tiny_model import REPO_ROOT, VLLM_PYTHON, ensure_tiny_model

#: `tools/install-llamacpp.sh` links this to the built folder: bin/llama-server, convert/.
LLAMACPP_DIR = REPO_ROOT / ".cache" / "llamacpp"
LLAMA_SERVER = LLAMACPP_DIR / "bin" / "llama-server"
CONVERTER = LLAMACPP_DIR / "convert" / "convert_hf_to_gguf.py"
CACHE_ROOT = REPO_ROOT / ".cache" / "tiny-gguf"
GGUF_NAME = "tiny.gguf"
COMPLETE_MARKER = ".complete"
INSTALL_HINT = "run `make llamacpp-env` (or `bash tools/install-llamacpp.sh`) to build llama-server"


def require_llamacpp() -> None:
    """Raise (never skip) when the llama.cpp build is missing: `make test` builds it."""
    for path in (LLAMA_SERVER, CONVERTER):
        if not path.is_file():
            raise RuntimeError(f"{path} not found: {INSTALL_HINT}")


def _key(model_dir: Path) -> str:
    digest = hashlib.sha256()
    digest.update(model_dir.name.encode())  # the tiny model's own source hash
    digest.update(CONVERTER.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def ensure_tiny_gguf(cache_root: Path = CACHE_ROOT) -> Path:
    """The tiny model as an f32 GGUF (about 1.4 MB), converted first if the cache lacks it."""
    require_llamacpp()
    model_dir = ensure_tiny_model()
    target = cache_root / _key(model_dir)
    if (target / COMPLETE_MARKER).is_file():
        return target / GGUF_NAME
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=cache_root))
    try:
        proc = subprocess.run(
            [
                str(VLLM_PYTHON),
                "-m",
                "testbed.tiny_gguf",
                str(CONVERTER.resolve().parent),
                str(model_dir),
                str(tmp / GGUF_NAME),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
            check=False,
        )
        if proc.returncode != 0 or not (tmp / GGUF_NAME).is_file():
            raise RuntimeError(
                f"GGUF conversion failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
        (tmp / COMPLETE_MARKER).write_text(_key(model_dir) + "\n")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / COMPLETE_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target / GGUF_NAME


def main() -> None:  # pragma: no cover - runs under .venv-vllm
    if len(sys.argv) != 4:
        raise SystemExit(f"usage: {sys.argv[0]} CONVERTER_DIR MODEL_DIR OUT_FILE")
    converter_dir, model_dir, out = sys.argv[1:]
    # The converter imports its `conversion` package and the gguf-py beside it.
    sys.path[:0] = [converter_dir, str(Path(converter_dir) / "gguf-py")]
    import conversion  # type: ignore[import-not-found]  # the converter's model classes, from the sdist
    import conversion.base  # type: ignore[import-not-found]
    import convert_hf_to_gguf  # type: ignore[import-not-found]

    def gpt2_pre(self: object, tokenizer: object) -> str:
        return "gpt-2"

    # Every text model class inherits the lookup from one base; replacing it there covers them all.
    for module in (conversion, conversion.base):
        for name in dir(module):
            cls = getattr(module, name)
            if isinstance(cls, type) and "get_vocab_base_pre" in vars(cls):
                setattr(cls, "get_vocab_base_pre", gpt2_pre)  # noqa: B010 (a class found at run time)
    sys.argv = ["convert_hf_to_gguf.py", model_dir, "--outfile", out, "--outtype", "f32"]
    convert_hf_to_gguf.main()


if __name__ == "__main__":
    main()
