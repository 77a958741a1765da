"""A page's MkDocs markdown made plain CommonMark (with GFM tables), for its markdown copy and llms-full.txt.

The pages are written for MkDocs with Material: content tabs (`=== "curl"`), admonitions (`!!! note "x"`) and
collapsible blocks (`??? info "x"`) with indented bodies, icons (`:material-star:`), attribute lists
(`{ #id }`, `{: .class }`), raw HTML (lists of picks, badges, charts, form controls, tables) and HTML entities.
An agent reading the copy with a CommonMark parser sees none of that as intended, so `plain_markdown` rewrites it:

- a tab becomes a bold label line, then its content, un-indented; a tab left empty (an interactive widget
  only) is left out;
- an admonition becomes a block quote, `> **Warning: title**` then its body; a collapsible block (`???`), like
  an HTML `<details>`, becomes a bold line (its title or summary) then its body;
- icons and attribute lists are removed;
- raw HTML becomes its Markdown equivalent where it carries content (`<ol>`/`<ul>` lists, links, `<code>`,
  emphasis, `<details>`/`<summary>`, headings, `<table>` as a GFM table, `<br>` as `; ` in a table) and is
  dropped where it is decoration or a script's input: `<span>` (a badge's text in bold), `<small>`, `<div>`
  and `<p>` keep their text; `<svg>` charts (every chart has its numbers in a table beside it), legends
  (`<figcaption>`), buttons, form controls, elements marked `hidden` or `aria-hidden`, scripts and comments go
  with their content, and the data a script reads from an attribute (the decide page's trees, the compare
  page's table) goes with its tag;
- entities are decoded to characters, escaped where Markdown would read them as syntax (`&#42;` -> `\\*`), and
  text that was raw HTML (which MkDocs shows literally) has its Markdown punctuation escaped the same way.

Fenced code blocks and code spans pass through untouched. The work is one pass over the lines for the block
structure (each nesting level of tabs and admonitions once more) and one left-to-right scan of each text run for
tags, so the time grows with the size of the page: a backtick run, comment or element that never closes is
looked for once, not once more for every later opening like it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["plain_markdown"]

# ----------------------------------------------------------------------------------------------- block structure

#: A fence opening a code block: its indentation, then three or more backticks (no backtick after them on the
#: line: that is a code span) or tildes.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}(?![^\n]*`)|~{3,})")
#: A content tab: `=== "Label"` (`===+` selects it, `===!` starts a new tab set).
_TAB = re.compile(r'^(?P<indent> *)===[+!]* +"(?P<title>(?:[^"\\]|\\.)*)" *$')
#: An admonition (`!!!`) or a collapsible block (`???`, `???+`): its kinds, then its title in quotes or nothing.
_ADMONITION = re.compile(
    r'^(?P<indent> *)(?P<mark>!!!|\?\?\?\+?) +(?P<kind>[\w-]+)(?: +[\w-]+)*(?: +"(?P<title>(?:[^"\\]|\\.)*)")? *$'
)
_BLANK = re.compile(r"^[ \t]*$")
#: The first characters (after any indentation) of a line that opens a fence, a tab or an admonition.
_BLOCK_STARTS = frozenset("`~=!?")
_CLOSING_FENCES: dict[str, re.Pattern[str]] = {}


def _closing_fence(opening: str) -> re.Pattern[str]:
    """The line that closes a fenced code block opened with `opening` (as many of its character, or more)."""
    pattern = _CLOSING_FENCES.get(opening)
    if pattern is None:
        pattern = _CLOSING_FENCES[opening] = re.compile(rf"^[ \t]*{re.escape(opening[0])}{{{len(opening)},}}[ \t]*$")
    return pattern


def plain_markdown(markdown: str) -> str:
    """`markdown` (a page as MkDocs reads it, markers expanded) as plain CommonMark with GFM tables."""
    lines = _blocks(markdown.split("\n"))
    return "\n".join(_tidy(lines)).strip("\n") + "\n"


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blocks(lines: list[str]) -> list[str]:
    """Fenced code copied as it is; tabs and admonitions rewritten (their bodies in turn); the text between
    them through `_text`."""
    out: list[str] = []
    text: list[str] = []

    def flush() -> None:
        if text:
            out.extend(_text("\n".join(text)).split("\n"))
            text.clear()

    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line[:1] not in _BLOCK_STARTS and line.lstrip(" \t")[:1] not in _BLOCK_STARTS:
            text.append(line)  # most lines: no fence, tab or admonition can start here
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            closing = _closing_fence(fence.group("fence"))
            out.append(line)
            i += 1
            while i < n:
                out.append(lines[i])
                i += 1
                if closing.match(out[-1]):
                    break
            continue
        block = _TAB.match(line) or _ADMONITION.match(line)
        if block:
            flush()
            indent = len(block.group("indent"))
            body, i = _body(lines, i + 1, indent + 4)
            converted = _tidy(_blocks(body))
            out.extend(_block(block, converted, " " * indent))
            continue
        text.append(line)
        i += 1
    flush()
    return out


def _body(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The lines from `start` indented by at least `indent` (and the blank lines among them), un-indented, and
    the index of the first line after them."""
    end = start
    last = start  # one past the last line that is not blank: trailing blank lines are not the body's
    in_fence: re.Pattern[str] | None = None
    while end < len(lines):
        line = lines[end]
        if in_fence is None and not _BLANK.match(line) and _indent_of(line) < indent:
            break
        if _indent_of(line) >= indent:
            fence = _FENCE.match(line[indent:])
            if in_fence is not None and in_fence.match(line):
                in_fence = None
            elif in_fence is None and fence:
                in_fence = _closing_fence(fence.group("fence"))
        end += 1
        if not _BLANK.match(line):
            last = end
    return [line[indent:] for line in lines[start:last]], last


def _block(match: re.Match[str], body: list[str], indent: str) -> list[str]:
    """A tab, admonition or collapsible block with its converted `body`, at `indent`."""
    title = _inline_title(match.group("title") or "")
    content = body if any(line.strip() for line in body) else []
    if "mark" not in match.groupdict():  # a tab: its label, then its content; nothing when it shows nothing
        if not content:
            return []
        return [
            "",
            f"{indent}**{title}**" if title else "",
            "",
            *(indent + line if line else "" for line in content),
            "",
        ]
    kind = match.group("kind").replace("-", " ").capitalize()
    if match.group("mark").startswith("?"):  # collapsible: like <details>, its title in bold, then its body
        head = [f"{indent}**{title or kind}**", ""] if match.group("title") != "" else []
        return ["", *head, *(indent + line if line else "" for line in content), ""]
    if match.group("title") == "":
        head = []
    else:
        head = [f"**{kind}: {title}**" if title and title.lower() != kind.lower() else f"**{kind}**"]
    quoted = [*head, *([""] if head and content else []), *content]
    return ["", *(f"{indent}> {line}" if line else f"{indent}>" for line in quoted), ""]


def _inline_title(title: str) -> str:
    """A tab's or admonition's title, as Markdown text (its quotes unescaped, entities and icons handled)."""
    return _text(title.replace('\\"', '"')).strip()


def _tidy(lines: list[str]) -> list[str]:
    """Trailing spaces removed and runs of blank lines made one, outside fenced code."""
    out: list[str] = []
    fence: re.Pattern[str] | None = None
    for line in lines:
        if fence is not None:
            out.append(line)
            if fence.match(line):
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = _closing_fence(opening.group("fence"))
            out.append(line)
            continue
        line = line.rstrip()
        if out and line == out[-1] and not line.strip(" >"):
            continue  # a second blank line, or a second empty line of a quote
        out.append(line)
    while out and not out[0].strip():
        out.pop(0)
    return out


# ----------------------------------------------------------------------------------------------- text and HTML

#: What a run of text holds that is not plain text: a run of backticks (which may open a code span), the start of
#: an HTML comment, a tag. No `<` inside a tag: a stray `<` then costs a scan to the next `<`, not to the end.
_TOKEN = re.compile(
    r"(?P<ticks>`+)|(?P<comment><!--)"
    r"|(?P<tag><(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?P<attrs>(?:\s+[^\s\"'>/=<]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s\"'=<>`]+))?)*)\s*(?P<self>/)?>)"
)
#: What `_text` may change: without any of these, a run of text is already plain.
_ANYTHING_TO_DO = re.compile(r"[<&{]|:(?:material|fontawesome|octicons|simple)-")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
#: Material's icon shortcodes, with the space after one.
_ICON = re.compile(r":(?:material|fontawesome|octicons|simple)-[a-z0-9-]+:[ \t]?")
#: An attribute list: `{ #id }`, `{: .class }`, `{ #id .class key="value" }`.
_ATTR_LIST = re.compile(
    r"[ \t]*\{:?[ \t]*(?:[#.][\w.:-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
    r"(?:[ \t]+(?:[#.][\w.:-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+)))*[ \t]*\}"
)
#: What Markdown would read as syntax in text from raw HTML or a decoded entity: escaped with a backslash. An
#: underscore inside a word (`snake_case`) is no emphasis, a `<` before a space no tag, an `&` no entity without `;`.
_SPECIAL = re.compile(r"[\\`*\[\]|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)")
_SPACE = re.compile(r"\s+")
_TAG_START = re.compile(r"[A-Za-z/!?]")
_ENTITY_START = re.compile(r"#?[A-Za-z0-9]+;")

#: Elements dropped with everything inside them: pictures, controls, scripts and what only they read.
_DROP = frozenset(
    {"svg", "button", "select", "option", "label", "input", "textarea", "output", "script", "style", "template"}
    | {"figcaption", "canvas", "iframe", "video", "audio", "object", "math", "head", "title", "dialog", "form"}
)
#: Elements with no closing tag.
_VOID = frozenset({"br", "wbr", "hr", "img", "input", "meta", "link", "source", "col", "area", "base", "embed"})
#: Block-level elements: one starting a line opens raw HTML (MkDocs shows its text as it is, not as Markdown).
_BLOCK = frozenset(
    {"address", "article", "aside", "blockquote", "details", "dialog", "dd", "div", "dl", "dt", "fieldset"}
    | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr"}
    | {"main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul", "li", "noscript", "summary", "center"}
    | {"tbody", "thead", "tfoot", "tr", "td", "th", "canvas", "video", "output", "progress", "iframe", "math"}
)
_TABLE_PARTS = frozenset({"td", "th", "tr", "tbody", "thead", "tfoot"})
_EMPHASIS = {"em": "*", "i": "*", "strong": "**", "b": "**"}
#: The class of the site's badges (`active`, `verified`, ...): their text in bold, so that two badges side by
#: side, or a badge before a sentence, read as separate words.
_BADGE = "mc-badge"


def _attrs(text: str) -> dict[str, str]:
    if not text:
        return {}
    found = {}
    for match in _ATTR.finditer(text):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        found[match.group(1).lower()] = html.unescape(value) if "&" in value else value
    return found


def _escape(text: str) -> str:
    """`text` (characters, not Markdown) as Markdown that shows them."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _decode(match: re.Match[str]) -> str:
    """An entity as its character, escaped when Markdown would read it (with what follows it) as syntax."""
    char = html.unescape(match.group(0))
    if char == match.group(0):  # no such entity: its `&` escaped, so it stays text
        return "\\" + char
    following = match.string[match.end() : match.end() + 1]
    if (char == "<" and _TAG_START.match(following)) or (
        char == "&" and _ENTITY_START.match(match.string, match.end())
    ):
        return "\\" + char
    return _escape(char)


def _markdown_text(text: str) -> str:
    """A run of Markdown text: icons and attribute lists removed, entities decoded."""
    if "&" in text:
        text = _ENTITY.sub(_decode, text)
    if ":" in text:
        text = _ICON.sub("", text)
    if "{" in text:
        text = _ATTR_LIST.sub("", text)
    return text


def _raw_text(text: str) -> str:
    """A run of text inside raw HTML: its whitespace collapsed, entities decoded, Markdown punctuation escaped."""
    return _escape(_ICON.sub("", html.unescape(_SPACE.sub(" ", text))))


def _code_span(content: str) -> str:
    """`content` (characters) as a code span."""
    content = _SPACE.sub(" ", content)
    if not content.strip():
        return ""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if content.startswith(("`", " ")) or content.endswith(("`", " ")) else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


def _link_target(href: str) -> str:
    return href.strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _strip_tags(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", fragment))


_SAME_NAME: dict[str, re.Pattern[str]] = {}
_CLOSING_TICKS: dict[int, re.Pattern[str]] = {}


class _Closer:
    """Finds where things opened in one text close, remembering where a search found nothing: one that fails
    fails again from any later place, so a text full of unclosed openings is still read once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.nothing_after: dict[str, int] = {}
        self.paragraph_end = -1

    def element(self, pos: int, name: str) -> tuple[int, int] | None:
        """(start, end) of the closing tag of the element `name` whose opening tag ends at `pos`, nested
        elements of that name counted; None when it never closes."""
        if pos >= self.nothing_after.get(name, len(self.text) + 1):
            return None
        pattern = _SAME_NAME.get(name)
        if pattern is None:
            pattern = _SAME_NAME[name] = re.compile(rf"<(/?){re.escape(name)}\b[^<>]*?(/?)>", re.I)
        depth = 1
        for match in pattern.finditer(self.text, pos):
            if match.group(1):
                depth -= 1
                if depth == 0:
                    return match.start(), match.end()
            elif not match.group(2):
                depth += 1
        self.nothing_after[name] = pos
        return None

    def comment(self, pos: int) -> int | None:
        """The end of the comment whose `<!--` ends at `pos`, or None."""
        if pos >= self.nothing_after.get("-->", len(self.text) + 1):
            return None
        end = self.text.find("-->", pos)
        if end < 0:
            self.nothing_after["-->"] = pos
            return None
        return end + 3

    def code(self, pos: int, ticks: int) -> int | None:
        """The end of the code span whose opening run of `ticks` backticks ends at `pos` (a run as long, in the
        same paragraph), or None: the run is then literal."""
        key = f"`{ticks}"
        if pos < self.nothing_after.get(key, -1):
            return None
        if pos > self.paragraph_end:  # the paragraph's end, found once for all the spans in it
            paragraph = _PARAGRAPH_END.search(self.text, pos)
            self.paragraph_end = paragraph.start() if paragraph else len(self.text)
        limit = self.paragraph_end
        pattern = _CLOSING_TICKS.get(ticks)
        if pattern is None:
            pattern = _CLOSING_TICKS[ticks] = re.compile(rf"(?<!`)`{{{ticks}}}(?!`)")
        found = pattern.search(self.text, pos, limit)
        if found is None:
            self.nothing_after[key] = limit
            return None
        return found.end()


@dataclass
class _Open:
    name: str
    raw: bool
    """Whether this element made its content raw HTML (a block-level element starting a line)."""
    wrapped_at: int = -1
    """For an element written as Markdown around its text (a link, emphasis, a badge): where its opening
    mark is in the output; -1 otherwise."""
    after: str = ""
    """What closes that Markdown: `](href)`, `*`, `**`."""


_FIRST_NON_SPACE = re.compile(r"[^ \t]")


@dataclass
class _Out:
    parts: list[str] = field(default_factory=list)
    first: str = ""
    """The first character of the current line that is not a space ("" while there is none)."""
    newlines: int = 0
    """How many newlines end the output, spaces between them not counted."""

    def write(self, text: str) -> None:
        if not text:
            return
        self.parts.append(text)
        newline = text.rfind("\n")
        if newline >= 0 or not self.first:
            found = _FIRST_NON_SPACE.search(text, newline + 1)
            self.first = found.group(0) if found else ""
        trimmed = text.rstrip(" \t")
        if trimmed and not trimmed.strip("\n \t"):
            self.newlines += trimmed.count("\n")
        elif trimmed:
            self.newlines = len(trimmed) - len(trimmed.rstrip("\n"))

    def newline(self, count: int = 1) -> None:
        """End the current line, then leave `count - 1` blank lines (fewer when the output already ends so)."""
        if self.parts:
            self.write("\n" * max(0, count - self.newlines))

    def truncate(self, length: int) -> None:
        """Drop what was written after the first `length` parts (rare: a link with no text)."""
        kept = self.parts[:length]
        self.parts, self.first, self.newlines = [], "", 0
        start = len(kept)
        while start > 0 and "\n" not in kept[start - 1]:
            start -= 1
        self.parts = kept[: max(0, start - 1)]
        for part in kept[max(0, start - 1) :]:
            self.write(part)

    def text(self) -> str:
        return "".join(self.parts)


def _text(text: str, cell: bool = False) -> str:
    """A run of Markdown text (no fenced code in it), its raw HTML made Markdown. In a table `cell`, everything
    stays on one line."""
    if not cell and not _ANYTHING_TO_DO.search(text):
        return text  # no tag, entity, icon or attribute list: nothing changes
    out = _Out()
    closer = _Closer(text)
    stack: list[_Open] = []
    open_names: dict[str, int] = {}
    raw_depth = 1 if cell else 0  # open elements that made their content raw HTML (a cell's always is)
    lists: list[list[int]] = []  # each open list: [kind (0 bullet, 1 numbered), items so far]
    line_start = 0  # where the input's current line starts
    pos = 0

    def consumed(start: int, end: int) -> None:
        nonlocal line_start
        newline = text.rfind("\n", start, end)
        if newline >= 0:
            line_start = newline + 1

    def at_line_start(start: int) -> bool:
        return start - line_start <= 3 and not text[line_start:start].strip()

    def write_text(start: int, end: int) -> None:
        if start >= end:
            return
        chunk = text[start:end]
        consumed(start, end)
        if raw_depth:
            chunk = _raw_text(chunk)
            if not out.first and not cell:
                chunk = chunk.lstrip()
        else:
            chunk = _markdown_text(chunk)
            if cell:
                chunk = _SPACE.sub(" ", chunk)
        out.write(chunk)

    def block_break(count: int = 2) -> None:
        if cell:
            out.write(" ")
        elif lists and count > 1:
            out.newline(1)
        else:
            out.newline(count)

    def close(element: _Open) -> None:
        nonlocal raw_depth
        open_names[element.name] -= 1
        raw_depth -= element.raw
        _close(element, out, lists, block_break)

    while pos < len(text):
        match = _TOKEN.search(text, pos)
        if match is None:
            write_text(pos, len(text))
            break
        write_text(pos, match.start())
        pos = match.end()
        consumed(match.start(), pos)
        if match.group("ticks") is not None:
            end = closer.code(pos, len(match.group("ticks")))
            if end is None:  # no closing run: the backticks are text
                out.write(match.group("ticks"))
                continue
            span = text[match.start() : end]
            consumed(pos, end)
            pos = end
            out.write(span.replace("|", "\\|") if cell else span)
            continue
        if match.group("comment") is not None:
            end = closer.comment(pos)
            if end is None:
                out.write("\\<!--")
                continue
            consumed(pos, end)
            pos = end
            continue
        name = match.group("name").lower()
        closing = bool(match.group("close"))
        attrs = _attrs(match.group("attrs")) if not closing else {}
        if not closing and (name in _DROP or "hidden" in attrs or attrs.get("aria-hidden") == "true"):
            if name not in _VOID and not match.group("self"):
                found = closer.element(pos, name)
                if found is not None:
                    consumed(pos, found[1])
                    pos = found[1]
            continue
        if not closing and name in ("code", "pre", "table"):
            found = closer.element(pos, name)
            if found is None:
                continue  # never closed: the tag is dropped, what follows it read as usual
            inner = text[pos : found[0]]
            consumed(pos, found[1])
            pos = found[1]
            if name == "code":
                span = _code_span(_strip_tags(inner))
                out.write(span.replace("|", "\\|") if cell else span)
            elif name == "pre":
                body = _strip_tags(inner).strip("\n")
                longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
                fence = "`" * (longest + 1)
                block_break()
                out.write(f"{fence}\n{body}\n{fence}")
                block_break()
            else:
                block_break()
                out.write(_table(inner))
                block_break()
            continue
        if closing:
            if not open_names.get(name):
                continue  # a closing tag with nothing open to close: dropped
            while stack:
                element = stack.pop()
                close(element)
                if element.name == name:
                    break
            continue
        if name in _VOID or match.group("self"):
            if name == "br":
                if cell or out.first == "|":
                    out.write("; ")
                else:
                    out.newline(1)
            elif name == "img" and attrs.get("src"):
                out.write(f"![{_escape(attrs.get('alt', ''))}]({_link_target(attrs['src'])})")
            continue
        opens_raw = name in _BLOCK and not raw_depth and "markdown" not in attrs and at_line_start(match.start())
        element = _Open(name, opens_raw)
        if opens_raw:
            block_break()
        if name in ("ol", "ul"):
            block_break(1 if lists else 2)
            lists.append([1 if name == "ol" else 0, 0])
        elif name == "li":
            out.newline(1)
            if lists:
                kind = lists[-1]
                kind[1] += 1
                indent = "    " * (len(lists) - 1)
                out.write(f"{indent}{kind[1]}. " if kind[0] else f"{indent}- ")
            else:
                out.write("- ")
        elif (name == "a" and attrs.get("href")) or name in _EMPHASIS or _BADGE in attrs.get("class", "").split():
            before, element.after = (
                ("[", f"]({_link_target(attrs['href'])})") if name == "a" else (_EMPHASIS.get(name, "**"),) * 2
            )
            element.wrapped_at = len(out.parts)
            out.write(before)
        elif name == "summary":
            block_break()
            out.write("**")
        elif len(name) == 2 and name[0] == "h" and name[1] in "123456":
            block_break()
            out.write("#" * int(name[1]) + " ")
        elif name in _BLOCK and name not in _TABLE_PARTS and (raw_depth or not at_line_start(match.start())):
            block_break()
        stack.append(element)
        open_names[name] = open_names.get(name, 0) + 1
        raw_depth += opens_raw
    while stack:
        close(stack.pop())
    return out.text()


def _close(element: _Open, out: _Out, lists: list[list[int]], block_break: Callable[..., None]) -> None:
    """What closing `element` writes."""
    name = element.name
    if element.wrapped_at >= 0:
        if not "".join(out.parts[element.wrapped_at + 1 :]).strip():  # nothing inside: no empty link or `****`
            out.truncate(element.wrapped_at)
        else:
            out.write(element.after)
    elif name in ("ol", "ul"):
        if lists:
            lists.pop()
        block_break(1 if lists else 2)
    elif name == "summary":
        out.write("**")
        block_break()
    elif name in _BLOCK and name != "li" and name not in _TABLE_PARTS:
        block_break()
    if element.raw:
        block_break()


_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<(t[dh])\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_HEAD = re.compile(r"<thead\b[^>]*>(.*?)</thead\s*>", re.S | re.I)


def _table(inner: str) -> str:
    """An HTML table's rows and cells as a GFM table; nothing for a table with no rows (one a script fills)."""
    head = _HEAD.search(inner)
    head_rows = [_row(row) for row in _ROW.findall(head.group(1))] if head else []
    body = inner[: head.start()] + inner[head.end() :] if head else inner
    rows = [_row(row) for row in _ROW.findall(body)]
    rows = [row for row in rows if row]
    if not head_rows:
        if not rows:
            return ""
        head_rows, rows = rows[:1], rows[1:]
    header = head_rows[-1]
    width = max(len(row) for row in [header, *rows])

    def line(cells: list[str]) -> str:
        cells = cells + [""] * (width - len(cells))
        return "| " + " | ".join(cell or " " for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * width, *(line(row) for row in rows)])


def _row(row: str) -> list[str]:
    return [_text(cell, cell=True).strip() for _tag, cell in _CELL.findall(row)]
