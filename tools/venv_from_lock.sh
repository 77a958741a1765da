#!/usr/bin/env bash
# Create (or bring up to date) one virtual environment from its locks, hash-checked:
#
#   tools/venv_from_lock.sh VENV LOCK [LOCK...] [-- COMMAND...]
#
# Every environment the project creates comes through here (make install, vllm-env, evals-env, gateway-env,
# guidellm-env). `uv pip sync --require-hashes` installs exactly the locked files, each checked against its
# sha256, and removes anything else; a file whose hash differs stops the install. COMMAND, if given, runs
# after the install as a smoke test (a failure removes the stamp, so the next run installs again).
#
# Idempotent: a stamp keyed by the locks' and this script's hashes makes a second run a no-op; a changed lock
# (tools/lock.sh) re-syncs the environment. The project's own .venv is bootstrapped with pip from locks/uv.txt
# (hash-checked too), since uv is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=$1
shift
LOCKS=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
    LOCKS+=("$1")
    shift
done
[[ "${1:-}" == "--" ]] && shift
SMOKE=("$@")
PYTHON=${PYTHON:-python3}

# The project's own .venv also installs the project, whose entry points (the MkDocs plugin) pyproject.toml names.
STAMPED=("$0" "${LOCKS[@]}")
[[ "$VENV" == .venv ]] && STAMPED+=(pyproject.toml)
HASH=$(cat "${STAMPED[@]}" | sha256sum | cut -c1-16)
STAMP="$VENV/.installed-$HASH"
if [[ -f "$STAMP" ]]; then
    echo "$VENV is up to date (${LOCKS[*]})"
    exit 0
fi

UV=.venv/bin/uv
if [[ ! -x "$UV" ]]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r locks/uv.txt
fi
# The CPU build of torch (2.13.0+cpu) lies in this machine kind's wheel folder, not on PyPI.
WHEELS=()
[[ -d /opt/wheels ]] && WHEELS=(--find-links /opt/wheels)

start=$(date +%s)
[[ -x "$VENV/bin/python" ]] || "$UV" venv --quiet --python "$PYTHON" "$VENV"
# Keeps the venv out of `git status` without an entry in the repository's .gitignore.
echo '*' > "$VENV/.gitignore"
rm -f "$VENV"/.installed-*
# Hard links where the uv cache and the checkout share a file system: every CI clone would otherwise hold its own
# copy of torch, vLLM and the rest (about 5 GB; a full disk once failed CI). Copies where they do not, since
# hard links across file systems fail with a warning.
CACHE_DIR=$("$UV" cache dir)
mkdir -p "$CACHE_DIR"
if [[ $(stat -c %d "$CACHE_DIR") == $(stat -c %d "$VENV") ]]; then
    export UV_LINK_MODE=hardlink
else
    export UV_LINK_MODE=copy
fi
"$UV" pip sync --quiet --require-hashes --python "$VENV/bin/python" "${WHEELS[@]}" "${LOCKS[@]}"
if [[ "$VENV" == .venv ]]; then
    # The project itself, editable, built by the locked setuptools (no unpinned isolated build environment).
    "$UV" pip install --quiet --no-deps --no-build-isolation --python "$VENV/bin/python" -e .
fi
if [[ ${#SMOKE[@]} -gt 0 ]]; then
    "${SMOKE[@]}"
fi
touch "$STAMP"
echo "$VENV installed from ${LOCKS[*]} in $(( $(date +%s) - start )) s ($(du -sh "$VENV" | cut -f1))"
