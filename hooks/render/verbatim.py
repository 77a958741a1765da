"""Finished HTML blocks that Markdown passes through without reading them: the card's charts and strips.

A chart is a few kilobytes of SVG made by `_charts.svg.j2` from numbers, with nothing for Markdown to do
in it. Given to Python-Markdown as a raw HTML block, every tag of it still goes through `md_in_html`'s
HTML parser, and with a year of probe history the figures were half of a card's Markdown and the part that
grew with history. A template wraps such a block in `VERBATIM_OPEN` and `VERBATIM_CLOSE` lines (the
`verbatim_open` and `verbatim_close` globals of hooks/render/templating.py); `VerbatimHtml` puts the block in
Markdown's own raw-HTML stash before the raw HTML reader sees it (fenced code is set aside first), the same place
a raw HTML block ends up, so the page's HTML is byte for byte what it was, without the parse. The build's HTML
guard (hooks/html_guard.py) still reads the finished page.

The markers are HTML comments, so a reader of the page's source (or of Markdown rendered anywhere else)
sees the block as ordinary raw HTML; the Markdown copies drop comments (hooks/render/plain_markdown.py).
"""

from __future__ import annotations

from collections.abc import Callable

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

VERBATIM_OPEN = "<!-- verbatim html -->"
VERBATIM_CLOSE = "<!-- /verbatim html -->"


def stash_verbatim(lines: list[str], stash: Callable[[str], str]) -> list[str]:
    """`lines` with each block between a `VERBATIM_OPEN` and a `VERBATIM_CLOSE` line replaced by the
    placeholder `stash(block)` returns, as a paragraph of its own. An opening line with no closing line
    after it is left as it is (Markdown then reads it as the raw HTML it is)."""
    out: list[str] = []
    index, count = 0, len(lines)
    while index < count:
        line = lines[index]
        if line != VERBATIM_OPEN:
            out.append(line)
            index += 1
            continue
        try:
            end = lines.index(VERBATIM_CLOSE, index + 1)
        except ValueError:
            out.extend(lines[index:])
            break
        # Ending in one newline, as Markdown stores a raw HTML block that a blank line ends.
        out.extend(["", stash("\n".join(lines[index + 1 : end]).strip("\n") + "\n"), ""])
        index = end + 1
    return out


class _StashVerbatim(Preprocessor):  # type: ignore[misc]  # Python-Markdown ships no types
    def run(self, lines: list[str]) -> list[str]:
        if VERBATIM_OPEN not in lines:
            return lines
        return stash_verbatim(lines, self.md.htmlStash.store)


class VerbatimHtml(Extension):  # type: ignore[misc]  # Python-Markdown ships no types
    """Registers the step after fenced code is set aside (superfences' `fenced_code_block`, 25) and before the raw
    HTML reader (20): a marker line inside a code block is code, and stays escaped code on the page."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_StashVerbatim(md), "verbatim_html", 22)
