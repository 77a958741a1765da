"""The catalog as an MCP server for agents that call tools (`python -m mcp_server`, stdio or Streamable HTTP).

A surface beside the site: it reads the judged view (catalog/view.py) for every answer, as the pages do, and
shows a deployment's request examples with the site's own renderer (hooks/render/snippets.py), so an agent gets
the same curl and Python a reader copies from the card.
"""
