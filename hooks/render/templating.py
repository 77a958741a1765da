"""The Jinja environments and the small filters every template shares.

Catalog text goes into markdown pages that may also hold raw HTML, so every
value is HTML-escaped on the way in: a `<script>` in a catalog field shows up
as text. Code snippets use a separate environment without escaping, because
inside a fenced code block entities would show literally; their values are
restricted by the schema's patterns instead.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from hooks.render.format import cost_text, gated_text, gpu_text, quantization_text, recommended_text, usd, usd_per_hour

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _text(value: object) -> str:
    """Escape for HTML *text* (not attributes): `&`, `<`, `>`. Quotes stay readable in the markdown copies."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: A Markdown code span as Python-Markdown's BACKTICK_RE finds it: a run of backticks not escaped by a
#: backslash, its text, the same run again. When in doubt it does not match, and the text is escaped.
_CODE_SPAN = re.compile(r"(?<!\\)(`+)(.+?)(?<!`)\1(?!`)", re.S)


def _outside_code(text: str, escape: Callable[[str], str]) -> str:
    """Apply `escape` to the text between code spans only.

    Markdown escapes a code span's content itself; escaping it here too would show `&lt;key&gt;` where the
    catalog says `<key>`. So each character is escaped exactly once, by whichever of the two owns it.
    """
    parts, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts += [escape(text[position : match.start()]), match.group(0)]
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def cell(value: object) -> Markup:
    """Escape for a markdown table cell: HTML-escaped, pipes and line breaks neutralised."""
    if value is None or value == "":
        return Markup("—")
    text = _outside_code(str(value), lambda part: _text(part).replace("|", "&#124;"))
    return Markup(text.replace("\n", " "))


def _disarm_links(text: str) -> str:
    # Python-Markdown passes `javascript:` URLs through, so catalog text never makes a link.
    return _text(text).replace("[", "&#91;").replace("]", "&#93;")


def inline(value: object) -> Markup:
    """Escape catalog prose for markdown: HTML-escaped and links disarmed, emphasis and `code` kept.

    Only for text: attribute values go through Jinja's autoescape, which also escapes quotes.
    """
    return Markup(_outside_code(str(value), _disarm_links))


def quoted_title(value: object) -> Markup:
    """Text for inside a double-quoted admonition title."""
    return Markup(_text(value).replace('"', "&quot;"))


def to_json(value: Any) -> str:
    """Compact, sorted JSON as plain text; autoescaping makes it safe inside an HTML attribute.

    Data for scripts travels in `data-` attributes rather than inline `<script>` blocks, because
    Material's instant navigation re-creates inline scripts without their `type` and runs them.
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def shell_quoted(value: object) -> str:
    """One shell word, whatever the value holds: safe to paste into bash or zsh."""
    return shlex.quote(str(value))


def python_literal(value: object) -> str:
    """A Python literal of the value (`repr`), so text lands in code as data, never as code."""
    return repr(value)


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        cell=cell, inline=inline, to_json=to_json, quoted_title=quoted_title, sh=shell_quoted, py=python_literal
    )
    env.globals.update(
        gpu_text=gpu_text,
        quantization_text=quantization_text,
        gated_text=gated_text,
        cost_text=cost_text,
        recommended_text=recommended_text,
        usd=usd,
        usd_per_hour=usd_per_hour,
    )
    return env


markdown_env = _environment(autoescape=True)
code_env = _environment(autoescape=False)


def render(template: str, **data: Any) -> str:
    return markdown_env.get_template(template).render(**data)


def render_code(template: str, **data: Any) -> str:
    return code_env.get_template(template).render(**data)


@dataclass(frozen=True)
class Links:
    """Relative URLs from one page, so links work under any site prefix and offline."""

    page_url: str
    """The page's own URL, e.g. `catalog/` or `` for the home page."""

    def to(self, target: str) -> str:
        start = self.page_url if self.page_url.endswith("/") or not self.page_url else posixpath.dirname(self.page_url)
        relative = posixpath.relpath(target or ".", start or ".")
        if target.endswith("/") and not relative.endswith("/"):
            relative += "/"
        return "./" if relative == "./" or relative == "." else relative

    def deployment(self, deployment_id: str) -> str:
        return self.to(f"deployments/{deployment_id}/")

    def page(self, name: str) -> str:
        return self.to(f"{name}/")
