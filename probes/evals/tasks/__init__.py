"""lm-eval task folder (``--include_path``): the YAMLs, their local data, ``utils.py`` (lm-eval's hooks) and
``code_runner.py`` (the program the sandbox runs to score a code item); all pinned in ``probes/evals/pins.py``."""
