"""Run one lm-eval task against an OpenAI-compatible endpoint; run by ``.venv-evals``'s Python, not imported.

    python -I probes/evals/driver.py SPEC.json OUT.json

SPEC holds the task, the folder of task YAMLs (a private copy of the task's pinned, hash-checked files, made
by ``probes.evals.stage_task``), lm-eval's model type and ``model_args``, whether to apply the chat template,
and the ``limit``. The API key comes from ``OPENAI_API_KEY`` in the environment (never
from the arguments, which lm-eval logs and writes into its results). OUT receives::

    {"results": <what lm_eval.simple_evaluate returned, minus the samples>, "sandbox_refusal": str | None}

or ``{"error": "<type>: <message>"}`` when the harness raised (with ``http_status`` and ``http_body`` when
it gave up on an HTTP error status); the exit status is then 3.

This is ``lm_eval run --include_path DIR --tasks TASK ...`` through lm-eval's Python API, for one reason:
the command line indexes every one of lm-eval's ~15,000 bundled task files first (9 s on a 2-core
machine, per task, per deployment); a task manager built with ``include_defaults=False`` sees only ours.
The results are the same dictionary the command line writes to ``--output_path``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

SANDBOX_MODULE = "probes_eval_sandbox"  # as in tasks/utils.py, which loads the sandbox under this name
SANDBOX_FILE = Path(__file__).resolve().parent.parent / "sandbox.py"


def load_sandbox() -> None:
    """Load ``probes/sandbox.py`` under the name the task's ``utils.py`` looks for: the task folder lm-eval
    reads is a copy elsewhere, where the sandbox is not beside it."""
    spec = importlib.util.spec_from_file_location(SANDBOX_MODULE, SANDBOX_FILE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the sandbox from {SANDBOX_FILE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[SANDBOX_MODULE] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)


def evaluate(spec: dict[str, Any]) -> dict[str, Any]:
    load_sandbox()
    lm_eval = importlib.import_module("lm_eval")
    tasks = importlib.import_module("lm_eval.tasks")
    handle = importlib.import_module("lm_eval.utils").handle_non_serializable
    manager = tasks.TaskManager(include_path=spec["tasks_dir"], include_defaults=False)
    results = lm_eval.simple_evaluate(
        model=spec["model"],
        model_args=spec["model_args"],
        tasks=[spec["task"]],
        task_manager=manager,
        limit=spec.get("limit"),
        apply_chat_template=bool(spec.get("apply_chat_template")),
        log_samples=False,
        bootstrap_iters=0,
    )
    if results is None:
        raise RuntimeError("lm-eval returned no results")
    results.pop("samples", None)
    refusal = None
    if (sandbox := sys.modules.get(SANDBOX_MODULE)) is not None and sandbox.availability.cache_info().currsize:
        refusal = sandbox.availability().reason
    # Through JSON and back, the way lm-eval's command line writes its results file.
    return {"results": json.loads(json.dumps(results, default=handle)), "sandbox_refusal": refusal}


def _http_answer(exc: BaseException) -> dict[str, Any]:
    """What the server answered when lm-eval gave up on an HTTP error status (``requests``' HTTPError
    carries the response; aiohttp's ClientResponseError the status), so the probe can tell a server that
    answered wrongly from one that could not be reached."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None) or getattr(exc, "status", None)
    if not isinstance(code, int):
        return {}
    body = getattr(response, "text", None)
    return {
        "http_status": code,
        "http_body": body[:4000] if isinstance(body, str) else str(getattr(exc, "message", "")),
    }


def main(argv: list[str]) -> int:
    spec_path, out_path = (Path(a) for a in argv)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    try:
        out, status = evaluate(spec), 0
    except BaseException as exc:  # every failure of the harness becomes a recorded reason
        out, status = {"error": f"{type(exc).__name__}: {exc}".strip(), **_http_answer(exc)}, 3
    out_path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
