"""Onboarding: catalog files written from what a team already has (`python -m onboarding`).

`init` starts a new catalog (scaffold.py); `import-litellm` turns an existing LiteLLM proxy config into
catalog files (litellm_import.py); both, and the probes' `discover`, write through one all-or-nothing writer
(onboard.py). It writes the catalog's files and reads the gateway export's LiteLLM vocabulary
(gateway/litellm_export.py), so that an imported config exports back as it was; it never imports the site,
the probes or the MCP server (the probes import it for `python -m probes discover`).
"""
