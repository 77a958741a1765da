"""The speed layer: what makes the build and `mkdocs serve` fast, and nothing else. Turning it off
(`SITE_SPEED_LAYER=off`) changes no byte of the site, only how long it takes (tests/site/test_speed_layer.py).

- render_cache.py: cards, page conversions and themed pages reused across builds, pages converted on every core,
  page HTML held compressed until the theme renders it;
- search_index.py: Pagefind behind Material's search box, its index reused while no page changed (the index
  itself is not optional: with the layer off it is built afresh every time);
- dev_server.py: what `mkdocs serve` keeps between rebuilds (only changed files written, agent files after the
  reload);
- patches.py: every reach into another package's internals, with the versions it was written for.
"""

from __future__ import annotations

import os

#: The one switch: `SITE_SPEED_LAYER=off` builds and serves without any of the above.
SWITCH = "SITE_SPEED_LAYER"


def speed_layer_on() -> bool:
    """Whether the build may use the speed layer (`$SITE_SPEED_LAYER` is not off, 0, no or false)."""
    return os.environ.get(SWITCH, "").strip().lower() not in {"off", "0", "no", "false"}
