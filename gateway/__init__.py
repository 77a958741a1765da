"""The gateway: the LiteLLM proxy configs generated from the catalog (`python -m gateway export`).

A surface beside the site. The export (litellm_export.py) reads the judged view (catalog/view.py) for the
evidence comment above each entry, and the catalog's provider facts (catalog/providers.py) for its routing; the
site's cards and Gateway page show its entries and variables. The folder also holds what the export writes:
one `<gateway id>.yaml` per gateway, and `fail_closed.py`, the guard every config loads.

Being a Python package changes nothing for the proxy: LiteLLM loads a config's callback (`fail_closed.guard`)
from the `.py` file beside the config, by its path and under its own module name, never through this package,
and the guard imports only LiteLLM and the standard library, so the copy the export puts beside configs
written anywhere else runs on its own.
"""
