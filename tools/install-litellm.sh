#!/usr/bin/env bash
# Create .cache/venv-litellm from locks/litellm.txt: a venv used only to run a real LiteLLM proxy from the
# exported gateway configs as a subprocess of the gateway test (tests/gateway/). The project's own code never
# imports litellm.
#
# Its own venv, not .venv: litellm[proxy] brings about 120 packages and 700 MB (polars, boto3, azure, granian
# among them) and would move versions the project's lock holds (openai, rich); none of it builds the site.
# Hash-checked from the lock: LiteLLM shipped two malicious releases (1.82.7, 1.82.8) in 2026.
set -euo pipefail
cd "$(dirname "$0")/.."

# The check fails here, not a minute into a test session, if the proxy cannot import.
exec tools/venv_from_lock.sh .cache/venv-litellm locks/litellm.txt -- \
    env LITELLM_LOCAL_MODEL_COST_MAP=True .cache/venv-litellm/bin/python - <<'PY'
import litellm.proxy.proxy_server  # noqa: F401
from importlib.metadata import version
print("litellm", version("litellm"))
PY
