#!/usr/bin/env bash
# Create .venv-evals: lm-evaluation-harness (`lm-eval` from PyPI), which the probes run as a subprocess
# (probes/evals/driver.py) to score a deployment on the tasks in probes/evals/tasks/.
#
# Its own venv, not .venv: lm-eval brings datasets, pyarrow, pandas, scipy and scikit-learn (about 760 MB,
# 90 to 140 s to install on 2 cores), which neither the site nor the tests' own code needs, and whose pins
# must not move the project's. Not .venv-vllm either: that one only runs the test server, and the
# scheduled probe job has no vLLM. The `api` extra is what the OpenAI-compatible `local-completions` and
# `local-chat-completions` models need; no torch.
#
# Idempotent: a stamp file keyed by this script's hash makes a second run a no-op; editing this script
# (say, bumping the lm-eval version) forces a rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-evals
PYTHON=${PYTHON:-python3}
LM_EVAL_SPEC="lm-eval[api]==0.4.13"
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
# Keeps the venv out of `git status` without an entry in the repository's .gitignore.
echo '*' > "$VENV/.gitignore"
"$VENV/bin/python" -m pip install -qq --upgrade pip
"$VENV/bin/python" -m pip install -qq "$LM_EVAL_SPEC"

# Fail here, not in the middle of a probe run, if the harness or the API models cannot import.
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 "$VENV/bin/python" - <<'PY'
import datasets  # noqa: F401  (the tasks' local documents become a datasets.Dataset)
import lm_eval
from lm_eval.api.registry import get_model
from importlib.metadata import version
get_model("local-completions"), get_model("local-chat-completions")
print("lm-eval", version("lm_eval"), "datasets", datasets.__version__)
PY

rm -f "$VENV"/.installed-*
touch "$STAMP"
echo "$VENV installed in $(( $(date +%s) - start )) s"
