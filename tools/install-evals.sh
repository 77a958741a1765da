#!/usr/bin/env bash
# Create .venv-evals from locks/evals.txt: lm-evaluation-harness (`lm-eval`), which the probes run as a
# subprocess (probes/evals/driver.py) to score a deployment on the tasks in probes/evals/tasks/.
#
# Its own venv, not .venv: lm-eval brings datasets, pyarrow, pandas, scipy and scikit-learn (about 760 MB),
# which neither the site nor the tests' own code needs, and whose pins must not move the project's. Not
# .venv-vllm either: that one only runs the test server, and the scheduled probe job has no vLLM. The `api`
# extra is what the OpenAI-compatible `local-completions` and `local-chat-completions` models need; no torch.
set -euo pipefail
cd "$(dirname "$0")/.."

# The check fails here, not in the middle of a probe run, if the harness or the API models cannot import.
exec tools/venv_from_lock.sh .venv-evals locks/evals.txt -- \
    env HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 .venv-evals/bin/python - <<'PY'
import datasets  # noqa: F401  (the tasks' local documents become a datasets.Dataset)
import lm_eval
from lm_eval.api.registry import get_model
from importlib.metadata import version
get_model("local-completions"), get_model("local-chat-completions")
print("lm-eval", version("lm_eval"), "datasets", datasets.__version__)
PY
