"""The Jinja environments and the small filters every template shares.

One rule for text. Catalog and evidence text is *plain text*: the `inline` and `cell` filters make every
character show as itself, whatever Markdown, the site's extensions (attribute lists, emoji, tabs,
admonitions) or HTML would make of it, in a paragraph, a table cell, an admonition or inside the raw HTML
some templates write. They use numeric character references (`&#42;` for `*`), which mean the same
whether or not Markdown reads the text, so the result is safe in both. Only `code spans` in backticks
keep their meaning: they render as code, and Markdown escapes their content itself.

The one exception is the `Prose` type (catalog/types.py), declared as Markdown: the `prose` filter renders
it with a restricted Markdown (paragraphs and inline markup only, no raw HTML, no attribute lists), passes
the HTML through nh3's allow-list sanitizer, and writes the result back in a form the page's Markdown
cannot change: sanitized tags as raw inline HTML, text as plain text.

Code snippets use a separate environment without HTML escaping, because inside a fenced code block entities
would show literally; there every value goes through `sh` (one shell word) or `py` (a Python literal).
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from catalog.clients import key_unknown
from catalog.display import gated_text, gpu_text, quantization_text, recommended_text
from hooks.render.site_pages import SitePage, deployment_url
from hooks.render.verbatim import VERBATIM_CLOSE, VERBATIM_OPEN

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


#: Control characters, and the Unicode line and paragraph separators: Markdown reads a lone `\r` as a line
#: break, so plain text loses them all (each becomes a space) before anything else happens.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

#: Characters that start Markdown syntax anywhere in a line (with the site's extensions), and how each is
#: shown instead: a numeric reference means the same to a browser whether or not Markdown read the text.
_ANYWHERE = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
}
_ANYWHERE_RE = re.compile("[" + re.escape("".join(_ANYWHERE)) + "]")
#: `_x_` is emphasis but `snake_case` is not; `:name:` is an emoji shortcode (pymdownx.emoji).
_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")
_SHORTCODE = re.compile(r":(?![0-9]+:)(?=[+\-\w]+:)")  # not in times such as 10:00:00
#: What starts a block at the beginning of a line: a heading (`#`), a list item (`- `, `+ `, `1. `), a rule
#: (`---`), a tab (`===`), an admonition (`!!!`, `???`) or a fence (`~~~`). Only the first character needs
#: disarming; `>`, `|`, `*` and backticks are disarmed everywhere.
_LINE_START = re.compile(r"^(?:#|([-+=!?~])(?=\1|\s|$)|\d+(?=\.\s))")


def _flatten(value: object) -> str:
    """The value on one line: control characters and line separators become single spaces."""
    return _BREAKS.sub(" ", str(value))


def _plain_part(text: str, line_start: bool) -> str:
    text = _ANYWHERE_RE.sub(lambda m: _ANYWHERE[m.group()], text)
    text = _UNDERSCORE.sub("&#95;", text)
    text = _SHORTCODE.sub("&#58;", text)
    if line_start:
        text = text.lstrip(" ")
        start = _LINE_START.match(text)
        if start:
            at = start.end() if text[0].isdigit() else 0  # `1. x`: the dot; otherwise the first character
            text = f"{text[:at]}&#{ord(text[at])};{text[at + 1 :]}"
    return text


def _text(value: object) -> str:
    """Plain text for HTML and Markdown alike: every character shows as itself, on one line."""
    return _plain_part(_flatten(value), line_start=True)


#: A Markdown code span as Python-Markdown's BACKTICK_RE finds it: a run of one or two backticks not escaped
#: by a backslash, its text, the same run again. Longer runs (```` ``` ````) would open a fence at the start
#: of a line, so they stay text. When in doubt it does not match, and the text is escaped.
_CODE_SPAN = re.compile(r"(?<![\\`])(`{1,2})(?!`)(.+?)(?<!`)\1(?!`)", re.S)


def _outside_code(text: str, escape: Callable[[str, bool], str]) -> str:
    """Apply `escape` to the text between code spans only (`escape(part, at_line_start)`).

    Markdown escapes a code span's content itself; escaping it here too would show `&lt;key&gt;` where the
    catalog says `<key>`. So each character is escaped exactly once, by whichever of the two owns it.
    """
    parts, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts += [escape(text[position : match.start()], position == 0), match.group(0)]
        position = match.end()
    parts.append(escape(text[position:], position == 0))
    return "".join(parts)


def _plain_with_code(value: object) -> str:
    return _outside_code(_flatten(value).lstrip(" "), _plain_part)


def cell(value: object) -> Markup:
    """Plain text for a Markdown table cell (pipes included); `—` when there is none."""
    if value is None or value == "":
        return Markup("—")
    return Markup(_plain_with_code(value))


def inline(value: object) -> Markup:
    """Catalog or evidence text as plain text on one line; only `code spans` render (as code).

    Safe in a paragraph, a list item, a heading, a table cell, an admonition, and inside raw HTML whether or
    not Markdown reads it. For Markdown-declared fields (`Prose`) use `prose`; in attributes, autoescaping.
    """
    return Markup(_plain_with_code(value))


def text(value: object) -> Markup:
    """Plain text without code spans: backticks show as backticks (e.g. inside `<code>` or a link's text)."""
    return Markup(_text(value))


def quoted_title(value: object) -> Markup:
    """Plain text for inside a double-quoted admonition or tab title."""
    return Markup(_text(value).replace('"', "&quot;"))


def code(value: object) -> Markup:
    """The value as one Markdown code span, whatever backticks it holds (for Markdown contexts only)."""
    content = _flatten(value)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return Markup(f"{ticks}{pad}{content}{pad}{ticks}")


def fence(*contents: str) -> Markup:
    """A code fence longer than any run of backticks in `contents`, so no line of them can close it."""
    longest = max((len(run) for content in contents for run in re.findall(r"`+", str(content))), default=0)
    return Markup("`" * max(3, longest + 1))


# --------------------------------------------------------------------------- Markdown prose


def _prose_markdown() -> markdown.Markdown:
    """Python-Markdown with only paragraphs and inline markup: no raw HTML, headings, lists or references."""
    md = markdown.Markdown(extensions=[])
    md.preprocessors.deregister("html_block")
    for name in ("indent", "code", "hashheader", "setextheader", "hr", "olist", "ulist", "quote", "reference"):
        md.parser.blockprocessors.deregister(name)
    for name in (
        "reference",
        "image_link",
        "image_reference",
        "short_reference",
        "short_image_ref",
        "automail",
        "linebreak",
        "html",
    ):
        md.inlinePatterns.deregister(name)
    return md


_PROSE = _prose_markdown()
#: What the sanitizer lets through: paragraphs, emphasis, code and links; links only to http(s) or relative
#: URLs. Everything else (tags, attributes, other URL schemes) is removed, keeping its text.
PROSE_TAGS = frozenset({"p", "em", "strong", "code", "a"})
PROSE_ATTRIBUTES = {"a": {"href"}}
PROSE_URL_SCHEMES = frozenset({"http", "https"})


def sanitize_prose_html(rendered: str) -> str:
    """nh3 (the ammonia sanitizer) with this site's allow-list."""
    return nh3.clean(
        rendered,
        tags=set(PROSE_TAGS),
        attributes={tag: set(names) for tag, names in PROSE_ATTRIBUTES.items()},
        url_schemes=set(PROSE_URL_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def _attribute(value: str) -> str:
    """An attribute value that Markdown's inline patterns cannot reach into: the usual HTML escapes, plus
    references for the characters a pattern that runs before raw HTML is stashed would act on."""
    return str(escape(value)).replace("`", "&#96;").replace("[", "&#91;").replace("]", "&#93;").replace("\\", "&#92;")


class _ProseWriter(HTMLParser):
    """Sanitized prose HTML back into the page's Markdown: tags raw, code as code spans, text as plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[str]] = []
        self.code: list[str] | None = None

    def _out(self, piece: str) -> None:
        if not self.paragraphs:
            self.paragraphs.append([])
        self.paragraphs[-1].append(piece)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self.paragraphs.append([])
        elif tag == "code":
            self.code = []
        elif tag in ("em", "strong"):
            self._out(f"<{tag}>")
        elif tag == "a":
            href = dict(attrs).get("href")
            self._out(f'<a href="{_attribute(href)}" rel="noopener noreferrer">' if href else "<a>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self.code is not None:
            self._out(str(code("".join(self.code))))
            self.code = None
        elif tag in ("em", "strong", "a"):
            self._out(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.code is not None:
            self.code.append(data)
        else:
            at_start = not self.paragraphs or not self.paragraphs[-1]
            self._out(_plain_part(_flatten(data), line_start=at_start))

    def markdown(self) -> str:
        return "\n\n".join(text for text in ("".join(p).strip() for p in self.paragraphs) if text)


def prose(value: object) -> Markup:
    """Markdown-declared catalog text (`Prose`): rendered, sanitized, and written back for the page.

    Paragraphs are separated by a blank line; in an admonition or a list item, indent the result.
    """
    rendered = _PROSE.reset().convert(str(value))
    writer = _ProseWriter()
    writer.feed(sanitize_prose_html(rendered))
    writer.close()
    return Markup(writer.markdown())


def to_json(value: Any) -> str:
    """Compact, sorted JSON as plain text, for code snippets."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def json_attribute(value: Any) -> Markup:
    """Compact, sorted JSON for an HTML attribute, even where Markdown reads the raw HTML around it.

    Data for scripts travels in `data-` attributes rather than inline `<script>` blocks, because
    Material's instant navigation re-creates inline scripts without their `type` and runs them.
    """
    return Markup(_attribute(to_json(value)))


# --------------------------------------------------------------------------- code snippets


def shell_quoted(value: object) -> str:
    """One shell word, whatever the value holds: safe to paste into bash or zsh.

    `shlex.quote` (single quotes) when the value is printable; ANSI-C quoting (`$'…'`) when it holds control
    characters or line separators, so the word stays on one line and no fence or prompt can be broken.
    """
    text = str(value)
    if text.isprintable():  # False for control characters and U+0085, U+2028, U+2029
        return shlex.quote(text)
    out: list[str] = []
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            code_point = ord(char)
            out.append(
                f"\\x{code_point:02x}"
                if code_point <= 0xFF
                else f"\\u{code_point:04x}"
                if code_point <= 0xFFFF
                else f"\\U{code_point:08x}"
            )
    return "$'" + "".join(out) + "'"


def python_literal(value: object) -> str:
    """A Python literal of the value (`repr`), so text lands in code as data, never as code.

    `repr` escapes quotes, backslashes and everything not printable, so a string literal is always one line.
    """
    return repr(value)


def json_in_single_quotes(value: object) -> str:
    """A JSON value for inside a single-quoted shell string (`-d '{…}'`): `'` becomes `\\u0027`, and anything
    not printable is a `\\u` escape, so the string can neither end early nor break its line."""
    text = json.dumps(value, ensure_ascii=False)
    out: list[str] = []
    for char in text:
        if char == "'" or not char.isprintable():
            out.extend(f"\\u{unit:04x}" for unit in _utf16(char))
        else:
            out.append(char)
    return "".join(out)


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_name(value: object) -> str:
    """An environment variable's name for `${NAME}` or `os.environ`; anything else is refused, not quoted."""
    text = str(value)
    if not _ENV_NAME.match(text):
        raise ValueError(f"not an environment variable name: {text!r}")
    return text


def comment(value: object) -> str:
    """Text for a `#` comment in a snippet: on one line, so it cannot end the comment or the fence."""
    return _flatten(value)


def _one_line_unless_markup(value: Any) -> Any:
    return _flatten(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def written(value: object) -> Markup:
    """What `{{ value }}` writes in a page template: HTML-escaped, on one line unless it is Markup already.
    For display rows built in Python that must read exactly as the template wrote them."""
    return escape(_one_line_unless_markup(value))


#: A line break inside a `{% filter one_line %}` block, with the next line's indentation.
_WRAPPED = re.compile(r"\n[ \t]*(?=[^\n])")


def one_line(value: str) -> str:
    """A paragraph written over several template lines, on one line: each break (and the next line's
    indentation) becomes one space; a final line break stays. Layout only: templates keep lines short.

    Break a line after text or `}}`, not after a block tag: `trim_blocks` removes the break that follows
    `%}` before this filter sees it, so the two lines would join without a space."""
    joined = _WRAPPED.sub(" ", value)
    return Markup(joined) if isinstance(value, Markup) else joined


def indented_code(value: str, width: int = 4) -> Markup:
    """Code a snippet template wrote, taken as it is and indented for a tab's body: what
    `value | safe | indent(width, first=True)` writes (blank lines stay blank), on plain text rather than
    Markup, whose every join escapes again (Jinja's `indent` was a tenth of a card's rendering)."""
    indention = " " * width
    lines = (str(value) + "\n").splitlines()
    rest = "\n".join(indention + line if line else line for line in lines[1:])
    return Markup(indention + lines[0] + ("\n" + rest if len(lines) > 1 else ""))


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # In pages, no value goes in with a line break (or a lone `\r`, which Markdown reads as one) unless a
        # filter made it Markup on purpose: a break would end a raw HTML block, a table row or a list item.
        finalize=_one_line_unless_markup if autoescape else None,
    )
    env.filters.update(
        cell=cell,
        inline=inline,
        text=text,
        prose=prose,
        code=code,
        attr=lambda value: Markup(_attribute(_flatten(value))),
        quoted_title=quoted_title,
        # In Markdown pages JSON only goes into attributes; in snippets it is code.
        to_json=json_attribute if autoescape else to_json,
        sh=shell_quoted,
        py=python_literal,
        json_sq=json_in_single_quotes,
        env=env_name,
        comment=comment,
        one_line=one_line,
        indented_code=indented_code,
    )
    env.globals.update(
        fence=fence,
        gpu_text=gpu_text,
        quantization_text=quantization_text,
        gated_text=gated_text,
        recommended_text=recommended_text,
        # The snippets' one question about the key (what text they say about it comes from catalog/display.py).
        key_unknown=key_unknown,
        # Links to pages name them (`links.page(SitePage.decide)`), never spell their URLs.
        SitePage=SitePage,
        # Around finished HTML (the charts) that Markdown passes on without reading (hooks/render/verbatim.py).
        verbatim_open=Markup(VERBATIM_OPEN),
        verbatim_close=Markup(VERBATIM_CLOSE),
    )
    return env


#: The two template environments, made once per process (Jinja compiles each template once in each).
MARKDOWN_ENV = _environment(autoescape=True)
CODE_ENV = _environment(autoescape=False)


def render(template: str, **data: Any) -> str:
    return MARKDOWN_ENV.get_template(template).render(**data)


def render_code(template: str, **data: Any) -> str:
    return CODE_ENV.get_template(template).render(**data)


def _relative_path(path: str, start: str) -> str:
    """`posixpath.relpath` for two paths relative to the same root, without its `abspath`: a getcwd system
    call per link, and thousands of links per build."""
    path_parts = [part for part in posixpath.normpath(path).split("/") if part not in ("", ".")]
    start_parts = [part for part in posixpath.normpath(start).split("/") if part not in ("", ".")]
    common = 0
    for mine, theirs in zip(path_parts, start_parts, strict=False):
        if mine != theirs:
            break
        common += 1
    return "/".join([".."] * (len(start_parts) - common) + path_parts[common:]) or "."


@dataclass(frozen=True)
class Links:
    """Relative URLs from one page, so links work under any site prefix and offline."""

    page_url: str
    """The page's own URL, e.g. `catalog/` or `` for the home page."""

    def to(self, target: str) -> str:
        start = self.page_url if self.page_url.endswith("/") or not self.page_url else posixpath.dirname(self.page_url)
        relative = _relative_path(target or ".", start or ".")
        if target.endswith("/") and not relative.endswith("/"):
            relative += "/"
        return "./" if relative == "./" or relative == "." else relative

    def deployment(self, deployment_id: str) -> str:
        return self.to(deployment_url(deployment_id))

    def page(self, page: SitePage | str) -> str:
        """The link to one of the site's pages (hooks/render/site_pages.py); a name (`compare`) is the old
        spelling, kept for callers not yet moved to the registry."""
        return self.to(page.url if isinstance(page, SitePage) else f"{page}/")


#: The most links a page prints inline, in one paragraph or list item; a longer run is printed as a list,
#: one link per item. Python-Markdown matches a paragraph's links in time that grows with the square of
#: their number (3.11: 1,600 links took 20 s in one paragraph and 0.13 s as list items), so a run that
#: grows with the catalog (every deployment of a kind, on an engine, on a server) must never share one.
INLINE_LINKS_MAX = 12


@dataclass(frozen=True)
class LinkRun:
    """Links to deployments, in order: `(served name, href)` pairs, printed inline when few, else as a list."""

    links: tuple[tuple[str, str], ...]

    @property
    def as_list(self) -> bool:
        return len(self.links) > INLINE_LINKS_MAX


def built_href(left_out: Mapping[str, str], links: Links, page: SitePage) -> str | None:
    """The link to `page` from `links`' page, or None where this catalog leaves the page out (`left_out`:
    page file -> why, hooks/render/pages.py), so that no link leads to a page that was not built."""
    return None if page.src in left_out else links.page(page)
