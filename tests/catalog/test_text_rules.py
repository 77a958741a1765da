"""What the schema refuses so that text stays text: control characters in one-line fields, URLs that are not
http(s), an `edit_uri` that is not a relative path, FIM tokens that could break a code fence, and icons that
are not icon names. Each refusal names the problem and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog import check_catalog
from catalog.types import _CONTROL_CHAR
from tests.support.hostile_catalog import schema_text_fields


def errors(root: Path) -> list[str]:
    _catalog, found = check_catalog(root)
    return [e.format() for e in found]


def replace(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def yaml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar, escapes included


ONE_LINE = "one-line text holds {what} at character {at}"
ONE_LINE_HINT = "(hint: write it on one line without line breaks, tabs or other control characters)"


@pytest.mark.parametrize(
    ("value", "what", "at"),
    [
        ("a\r\r## Injected heading", "a carriage return (\\r)", 2),
        ("a\nb", "a line break (\\n)", 2),
        ("tab\there", "a tab (\\t)", 4),
        ("x\u2028y", "a line separator (U+2028)", 2),
        ("nul\x00", "the control character U+0000", 4),
        ("next\x85line", "the control character U+0085", 5),
    ],
)
def test_one_line_fields_refuse_control_characters(small_catalog: Path, value: str, what: str, at: int) -> None:
    replace(
        small_catalog,
        "deployments/coder-fim.yaml",
        "summary: Fill-in-the-middle completion.",
        f"summary: {yaml_string(value)}",
    )
    (error,) = errors(small_catalog)
    assert error == (
        f"cat/deployments/coder-fim.yaml:9:1: summary: {ONE_LINE.format(what=what, at=at)} {ONE_LINE_HINT}"
    )


def test_prose_keeps_line_breaks_but_refuses_carriage_returns(small_catalog: Path) -> None:
    replace(
        small_catalog, "hubs/huggingface.yaml", "description: The default open model hub.", 'description: "a\\n\\nb"'
    )
    assert errors(small_catalog) == []
    replace(small_catalog, "hubs/huggingface.yaml", 'description: "a\\n\\nb"', 'description: "a\\r\\rb"')
    (error,) = errors(small_catalog)
    assert (
        "description: the text holds a carriage return (\\r) at character 2 (hint: remove it: prose may hold" in error
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "`javascript:` URLs are not allowed"),
        ("data:text/html,<script>x</script>", "`data:` URLs are not allowed"),
        ("JavaScript://x/%0Aalert(1)", "`javascript:` URLs are not allowed"),
        ("//evil.example/x", "not an http(s) URL"),
        ("http://h/v1$(touch${IFS}pwned)", "the URL holds `$`, which a catalog URL may not hold"),
        ('http://h/v1"+__import__("os")', 'the URL holds `"`, which a catalog URL may not hold'),
        ("http://gw/v1;touch pwned", "the URL holds `;`, which a catalog URL may not hold"),
        ("http://h/v1 x", "the URL holds a space, which a catalog URL may not hold"),
        ("http://h/<img>", "the URL holds `<`, which a catalog URL may not hold"),
        ("http:///v1", "the URL has no valid host"),
    ],
)
def test_url_fields_take_only_http_urls(small_catalog: Path, url: str, message: str) -> None:
    replace(small_catalog, "hubs/huggingface.yaml", "url: https://huggingface.co", f"url: {yaml_string(url)}")
    (error,) = errors(small_catalog)
    assert error.startswith(f"cat/hubs/huggingface.yaml:3:1: url: {message}"), error
    assert "(hint: " in error


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/v1", "https://[::1]:8443/v1/x?a=1&b=2#f", "https://h.example/a%20b"]
)
def test_ordinary_urls_still_pass(small_catalog: Path, url: str) -> None:
    replace(small_catalog, "hubs/huggingface.yaml", "url: https://huggingface.co", f"url: {yaml_string(url)}")
    assert errors(small_catalog) == []


def test_repo_url_must_be_http(small_catalog: Path) -> None:
    replace(
        small_catalog,
        "site.yaml",
        "repo_url: https://git.example.com/team/catalog",
        'repo_url: "javascript:alert(document.domain)//"',
    )
    (error,) = errors(small_catalog)
    assert error.startswith("cat/site.yaml:4:1: repo_url: `javascript:` URLs are not allowed (hint: write an http")


@pytest.mark.parametrize(
    "edit_uri", ["javascript:alert(1)/", "/edit/main/", "edit/main", "../../elsewhere/", 'e"/><script>/']
)
def test_edit_uri_is_a_relative_path_ending_in_a_slash(small_catalog: Path, edit_uri: str) -> None:
    replace(
        small_catalog,
        "site.yaml",
        "repo_url: https://git.example.com/team/catalog",
        f"repo_url: https://git.example.com/team/catalog\nedit_uri: {yaml_string(edit_uri)}",
    )
    (error,) = errors(small_catalog)
    assert (
        f"edit_uri: `{edit_uri}` is not a relative path ending in `/` (hint: write the repository's edit path" in error
    )


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("<|fim_prefix|>```", "a backtick"),
        ("<|fim\n_prefix|>", "a line break (\\n)"),
        ("<|fim\r|>", "a carriage return (\\r)"),
    ],
)
def test_fim_tokens_cannot_hold_what_breaks_a_code_fence(small_catalog: Path, token: str, what: str) -> None:
    replace(small_catalog, "deployments/coder-fim.yaml", '"<|fim_prefix|>"', yaml_string(token))
    (error,) = errors(small_catalog)
    assert f"fim.prefix: a FIM token holds {what}" in error
    assert "(hint: write the token as the model's tokenizer spells it, on one line and without backticks)" in error


def test_fim_tokens_have_a_sane_length(small_catalog: Path) -> None:
    replace(small_catalog, "deployments/coder-fim.yaml", '"<|fim_prefix|>"', yaml_string("<" + "x" * 70 + ">"))
    (error,) = errors(small_catalog)
    assert "fim.prefix: must be at most 64 characters long (hint: shorten it to at most 64 characters)" in error


def test_chooser_icons_are_icon_names(small_catalog: Path) -> None:
    path = small_catalog / "choosers/coding.yaml"
    path.write_text(path.read_text(encoding="utf-8") + 'icon: "x *y*{: onclick=alert(1) }"\n', encoding="utf-8")
    (error,) = errors(small_catalog)
    assert "icon: does not match the pattern" in error and "(hint: expected: Material icon shortcode" in error


def test_every_one_line_field_refuses_a_carriage_return() -> None:
    """The rule sits in the type: every `OneLine` field (most of the schema's text) refuses `\\r`."""
    from pydantic import TypeAdapter, ValidationError

    from catalog.types import OneLine

    with pytest.raises(ValidationError, match="carriage return"):
        TypeAdapter(OneLine).validate_python("a\rb")
    assert _CONTROL_CHAR.search("\r") and not _CONTROL_CHAR.search("plain text: `code` <b> [x](y)")
    assert len(schema_text_fields()) > 150
