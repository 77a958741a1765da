"""Catalog text is data, never markup: a `<script>` in any field shows as text and never runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.site.sitebuild import build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAYLOAD = "<script>window.__xss=1</script>"
ATTRIBUTE_PAYLOAD = '"><img src=x onerror=window.__xss=1>'

EDITS = {
    "site.yaml": [("title: Small test catalog", f"title: 'Catalog {PAYLOAD}'")],
    "deployments/coder-chat.yaml": [
        ("summary: Coding chat on one L4.", f"summary: 'Coding {PAYLOAD}'"),
        ("HumanEval 18/20", f"{PAYLOAD} 18/20"),
    ],
    "choosers/coding.yaml": [("reason: Best coding help", f"reason: '{ATTRIBUTE_PAYLOAD} {PAYLOAD}'")],
    "trees/use-case.yaml": [
        ("question: How many users?", f"question: 'How many {PAYLOAD}'"),
        ("label: Few", f"label: 'Few {PAYLOAD}'"),
    ],
    "models/llama3.1-8b.yaml": [("description: General chat model.", f"description: '{PAYLOAD} **bold**'")],
    "glossary/base-model.yaml": [("definition: A pretrained", f"definition: {PAYLOAD} A pretrained")],
    "backends/vllm.yaml": [("strengths: [Batching]", f"strengths: ['{PAYLOAD}']")],
}


def test_script_in_any_field_is_shown_as_text(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    for relative, replacements in EDITS.items():
        path = catalog / relative
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, (relative, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")

    result = build_site(tmp_path, catalog)
    assert result.returncode == 0, result.output

    pages = list(result.site_dir.rglob("*.html"))
    assert len(pages) > 10
    shown = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>window.__xss" not in html, f"raw script in {page}"
        assert "<img src=x" not in html, f"raw attribute break-out in {page}"
        assert (
            "onerror=window" not in html or "&lt;img src=x onerror=window" in html or "\\u003cimg src=x onerror" in html
        ), f"attribute payload not escaped in {page}"
        shown += html.count("&lt;script&gt;window.__xss=1&lt;/script&gt;")
    # The payload is visible as text on the pages that show those fields.
    assert shown >= 6
