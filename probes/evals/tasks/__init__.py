"""lm-eval task folder (``--include_path``): the YAMLs, their local data, and ``utils.py``."""
