"""The card's charts pass through Markdown unread (hooks/render/verbatim.py), and the page is what it was.

A reader must not be able to tell: the card of a deployment with a month of history converts to the same
HTML, byte for byte, as its Markdown without the markers converted the way every other raw HTML block is.
"""

from __future__ import annotations

import markdown

from hooks.render.deployment_card import render_deployment_card
from hooks.render.verbatim import VERBATIM_CLOSE, VERBATIM_OPEN, VerbatimHtml, stash_verbatim
from tests.site.test_charts import CONFIGS, EXTENSIONS, _ctx


def _convert(text: str, *, verbatim: bool) -> str:
    extensions = [*EXTENSIONS, VerbatimHtml()] if verbatim else EXTENSIONS
    return str(markdown.Markdown(extensions=extensions, extension_configs=CONFIGS).convert(text))


def _without_markers(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line not in (VERBATIM_OPEN, VERBATIM_CLOSE))


def test_a_card_with_charts_converts_to_the_same_html() -> None:
    card = render_deployment_card(_ctx("charts-month-evidence"), "coder-chat")
    # Each picture is marked (the strip with its 90-day strip, each latency chart): what Markdown skips is
    # exactly the figures.
    figures = card.count('<figure class="mc-chart-figure">')
    assert card.count(VERBATIM_OPEN) == card.count(VERBATIM_CLOSE) >= 2
    html = _convert(card, verbatim=True)
    assert html == _convert(_without_markers(card), verbatim=False)
    assert "verbatim html" not in html
    assert html.count('<figure class="mc-chart-figure">') == figures


def test_blocks_are_stashed_whole_and_in_order() -> None:
    stashed: list[str] = []

    def stash(block: str) -> str:
        stashed.append(block)
        return f"PLACEHOLDER{len(stashed)}"

    lines = ["# Title", VERBATIM_OPEN, "<figure>", "<b>one</b>", "</figure>", "", VERBATIM_CLOSE, "text"]
    lines += [VERBATIM_OPEN, "<svg/>", VERBATIM_CLOSE]
    assert stash_verbatim(lines, stash) == ["# Title", "", "PLACEHOLDER1", "", "text", "", "PLACEHOLDER2", ""]
    assert stashed == ["<figure>\n<b>one</b>\n</figure>\n", "<svg/>\n"]


def test_an_opening_marker_that_never_closes_is_left_to_markdown() -> None:
    lines = ["before", VERBATIM_OPEN, "<div>", "*not stashed*", "</div>"]
    assert stash_verbatim(lines, lambda block: "PLACEHOLDER") == lines
    html = _convert("\n".join(lines), verbatim=True)
    # Markdown reads it as it reads any raw HTML: the comment and the block are still on the page.
    assert VERBATIM_OPEN in html and "<div>" in html


def test_marker_lines_inside_a_code_block_stay_code() -> None:
    # Code is not escaped by the card's filters (a gateway entry, a shell command): if a catalog value put both
    # marker lines in a fence, what lies between them must still be shown as code, never passed on as HTML.
    source = "```yaml\n" + "\n".join([VERBATIM_OPEN, "<script>alert(1)</script>", VERBATIM_CLOSE]) + "\n```\n"
    html = _convert(source, verbatim=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html == _convert(source, verbatim=False)


def test_a_marker_inside_text_is_not_a_marker() -> None:
    # Only a line that is exactly the marker counts: catalog text is escaped (`&lt;!--`) and indented lines,
    # inside a tab or a list, are left to Markdown.
    lines = [f"  {VERBATIM_OPEN}", "<i>x</i>", f"  {VERBATIM_CLOSE}"]
    assert stash_verbatim(lines, lambda block: "PLACEHOLDER") == lines
