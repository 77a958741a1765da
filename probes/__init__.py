"""Probes: call the live OpenAI-compatible endpoints a catalog names, check every claim, write evidence.

Entry points: ``python -m probes run`` (``probes.cli``) and ``probes.runner.run_probes``. The evidence
format is documented in ``probes.evidence``. Nothing here imports the site, and the site never imports
this package.
"""
