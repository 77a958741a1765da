#!/usr/bin/env bash
# Create .cache/venv-litellm: a venv used only to run a real LiteLLM proxy from the exported gateway configs
# as a subprocess of the gateway test (tests/gateway/). The project's own code never imports litellm.
#
# Its own venv, not .venv: litellm[proxy] brings about 120 packages and 700 MB (polars, boto3, azure, granian
# among them) and would move versions the project pins loosely (openai, rich); none of it is needed to build
# the site. Idempotent: a stamp keyed by this script's hash makes a second run a no-op; editing this script
# (say, bumping the version) forces a rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.cache/venv-litellm
PYTHON=${PYTHON:-python3}
LITELLM_SPEC="litellm[proxy]==1.106.2"
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
# -qq hides the warnings pip prints for every configured index that lacks a package; errors still show.
"$VENV/bin/python" -m pip install -qq "$LITELLM_SPEC"

# Fail here, not a minute into a test session, if the proxy cannot import.
LITELLM_LOCAL_MODEL_COST_MAP=True "$VENV/bin/python" - <<'PY'
import litellm.proxy.proxy_server  # noqa: F401
from importlib.metadata import version
print("litellm", version("litellm"))
PY

rm -f "$VENV"/.installed-*
touch "$STAMP"
echo "$VENV installed in $(( $(date +%s) - start )) s ($(du -sh "$VENV" | cut -f1))"
