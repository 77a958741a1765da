"""The parse cache: a file read before is not composed again, and errors still point at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import check_catalog, yaml_source


def test_a_cached_file_gives_the_same_values_and_is_not_composed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = b"name: x\nnumbers: [1, 2.5]\nwhen: 2026-11-22\n"
    first = yaml_source.read_catalog_yaml(raw)
    composed: list[str] = []
    monkeypatch.setattr(yaml_source, "_read_catalog_yaml", lambda raw: composed.append("again"))
    second = yaml_source.read_catalog_yaml(raw)
    assert composed == []
    assert second.data == first.data and second.data is not first.data
    assert second.locator.locate(("numbers", 1)) == first.locator.locate(("numbers", 1)) == (2, 14)


def test_errors_in_cached_files_point_at_their_lines(
    small_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_PARSE_CACHE", str(tmp_path / "values.pickle"))
    catalog, errors = check_catalog(small_catalog)
    assert catalog is not None and errors == []
    yaml_source.save_parse_cache()
    # The deployment file is unchanged (its values come from the cache); its model disappears.
    model = small_catalog / "models/qwen2.5-coder-1.5b.yaml"
    model.rename(small_catalog / "models/qwen2.5-coder-1.5.yaml")
    _catalog, errors = check_catalog(small_catalog)
    shown = [e.format() for e in errors]
    assert any(
        line.startswith("cat/deployments/coder-fim.yaml:2:1: model: unknown model `qwen2.5-coder-1.5b`")
        for line in shown
    ), shown
