"""The last check before a page is written: no markup in its content can run script or load a foreign scheme.

The renderers already make catalog and evidence text inert (plain text, or Markdown through an allow-list
sanitizer). This check looks at the page content as the browser will, after Markdown and every extension
have run, so a template that forgets a filter fails the build instead of shipping script. It is a deny-list
on purpose: hand-written pages and the theme's extensions add markup the catalog text never may.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Elements that run script, embed other documents, change where links go, or restyle the page.
FORBIDDEN_ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link", "style", "form"}
)
#: Attributes that hold a URL the browser may follow or load.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "xlink:href", "action", "formaction", "poster", "background", "cite", "data"}
)
#: Attributes that run script or bring in markup whatever their value looks like.
FORBIDDEN_ATTRIBUTES = frozenset({"style", "srcdoc", "formaction", "action"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]+")


class _Guard(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on") or name in FORBIDDEN_ATTRIBUTES:
                self.problems.append(f"`{name}` attribute on <{tag}>")
            elif name in URL_ATTRIBUTES and value:
                # Browsers drop whitespace and control characters from URLs before reading the scheme.
                scheme = _SCHEME.match(_IGNORED_IN_URLS.sub("", value).lower())
                if scheme and scheme.group(1) not in SAFE_SCHEMES:
                    self.problems.append(f"`{scheme.group(1)}:` URL in `{name}` of <{tag}>")

    handle_startendtag = handle_starttag


def unsafe_markup(html: str) -> list[str]:
    """What in `html` could run script or load a foreign scheme; empty when nothing does."""
    guard = _Guard()
    guard.feed(html)
    guard.close()
    return guard.problems
