"""The Gateway page's start-up commands, from the catalog's own export: its config files and their variables."""

from __future__ import annotations

from gateway.litellm_export import MASTER_KEY_ENV, gateway_variables
from hooks.render.templating import Links, fence, render_code
from hooks.site_context import SiteContext


def render_gateway_start(ctx: SiteContext, links: Links) -> str:
    """For each config the export writes with at least one entry: the variables it reads and the command."""
    blocks = []
    for name, variables in gateway_variables(ctx.catalog).items():
        if len(variables) < 2:
            continue  # the master key alone: a config with no entry, nothing to start
        # Code, not Markdown: nothing in it is escaped, every value is an id, a variable name or a comment.
        code = render_code(
            "snippets/gateway_start.sh.j2",
            file=name,
            master_key_env=MASTER_KEY_ENV,
            variables=[v for v in variables if v.name != MASTER_KEY_ENV],
        )
        blocks.append((name, code))
    parts = []
    for name, code in blocks:
        heading = f"For `{name}`:\n\n" if len(blocks) > 1 else ""
        parts.append(f"{heading}{fence(code)}bash\n{code.rstrip()}\n{fence(code)}\n")
    return "\n".join(parts)
