"""Templates only lay out rows built in Python: no template line is longer than a reader can take in."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from hooks.render.templating import MARKDOWN_ENV, TEMPLATES, one_line

#: The longest template line, in characters.
LINE_MAX = 200
#: Templates not yet brought under LINE_MAX, each with the lines still over it; this list may only shrink.
#: (Both belong to the agent files' work, issue 23: llms.txt and one family's file.)


def _long_lines(path: Path) -> set[int]:
    return {
        number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if len(line) > LINE_MAX
    }


def test_no_template_line_is_over_the_limit() -> None:
    found = [
        f"{path.relative_to(TEMPLATES).as_posix()}:{number}"
        for path in sorted(TEMPLATES.rglob("*.j2"))
        for number in sorted(_long_lines(path))
    ]
    assert found == [], (
        f"template lines over {LINE_MAX} characters: build the row or line in Python (hooks/render/, catalog/display.py), "
        "or split it where it is layout only ({%- ... %}, {{- ' ' }}, {% filter one_line %}):\n" + "\n".join(found)
    )


def test_one_line_joins_a_wrapped_paragraph_and_keeps_its_end() -> None:
    assert one_line("first part\n    second part\nthird\n") == "first part second part third\n"
    assert one_line("no break") == "no break"
    assert isinstance(one_line(Markup("a\nb")), Markup)


def test_a_paragraph_split_over_template_lines_renders_as_one_line() -> None:
    template = MARKDOWN_ENV.from_string(
        "{% filter one_line %}\nA long{% if x %} and conditional{% endif %} paragraph,\n`code` too.\n{% endfilter %}\nnext\n"
    )
    assert template.render(x=True) == "A long and conditional paragraph, `code` too.\nnext\n"
    assert template.render(x=False) == "A long paragraph, `code` too.\nnext\n"
