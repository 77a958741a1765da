"""Every kind of unreadable or misplaced file gets one clear FILE:LINE:COL message, never a traceback."""

from __future__ import annotations

from pathlib import Path

from catalog import check_catalog
from catalog.cli import main

HEADER = "# yaml-language-server: $schema=../schemas/deployments.json\n"


def errors(root: Path) -> list[str]:
    catalog, found = check_catalog(root)
    assert catalog is None or not found
    return [e.format() for e in found]


def write(root: Path, relative: str, content: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def test_the_fixture_catalog_is_valid(small_catalog: Path) -> None:
    assert errors(small_catalog) == []


def test_duplicate_key_names_both_lines(small_catalog: Path) -> None:
    path = small_catalog / "deployments/old-llama.yaml"
    path.write_text(path.read_text() + "status: active\n")
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:8:1: <file>: duplicate key `status` (first defined on line 5)"
        " (hint: keep one of the two)"
    ]


def test_alias_expansion_bomb_is_refused(small_catalog: Path) -> None:
    lines = [HEADER, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
        f"*a{i - 1}, *a{i - 1}]\n"
        for i in range(1, 9)
    ]
    write(small_catalog, "deployments/bomb.yaml", "".join(lines))
    found = errors(small_catalog)
    assert len(found) == 1
    assert found[0].startswith("cat/deployments/bomb.yaml:")
    assert found[0].endswith(
        ": <file>: anchors and aliases expand to more than 20000 values"
        " (hint: write the values out instead of nesting aliases)"
    )


def test_tab_indentation(small_catalog: Path) -> None:
    write(small_catalog, "deployments/tabbed.yaml", HEADER + "model: llama3.1-8b\nhardware:\n\tgpu: L4\n")
    assert errors(small_catalog) == [
        "cat/deployments/tabbed.yaml:4:1: <file>: tab character in the file"
        " (hint: YAML indents with spaces; replace tabs)"
    ]


def test_non_utf8_bytes(small_catalog: Path) -> None:
    write(small_catalog, "deployments/latin1.yaml", HEADER.encode() + b"summary: caf\xe9\n")
    assert errors(small_catalog) == [
        "cat/deployments/latin1.yaml:2:13: <file>: byte 0xe9 is not valid UTF-8 (hint: save the file as UTF-8)"
    ]


def test_empty_file(small_catalog: Path) -> None:
    write(small_catalog, "deployments/empty.yaml", HEADER)
    assert errors(small_catalog) == [
        "cat/deployments/empty.yaml:1:1: <file>: the file is empty"
        " (hint: a catalog file is a mapping of `field: value` lines)"
    ]


def test_list_instead_of_mapping(small_catalog: Path) -> None:
    write(small_catalog, "deployments/listed.yaml", HEADER + "- model: llama3.1-8b\n")
    assert errors(small_catalog) == [
        "cat/deployments/listed.yaml:2:1: <file>: the file holds a list, not a mapping"
        " (hint: write `field: value` lines at the top level)"
    ]


def test_invalid_yaml_syntax(small_catalog: Path) -> None:
    write(small_catalog, "deployments/broken.yaml", HEADER + "model: [unclosed\n")
    found = errors(small_catalog)
    assert len(found) == 1
    assert found[0].startswith("cat/deployments/broken.yaml:3:1: <file>: not valid YAML: ")


def test_wrong_type_points_at_the_field(small_catalog: Path) -> None:
    path = small_catalog / "deployments/coder-chat.yaml"
    path.write_text(path.read_text().replace("max_model_len: 16384", "max_model_len: lots"))
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:9:11: serving.max_model_len: Input should be a valid integer,"
        " unable to parse string as an integer"
    ]


def test_unknown_field_suggests_the_closest(small_catalog: Path) -> None:
    path = small_catalog / "deployments/old-llama.yaml"
    path.write_text(path.read_text().replace("served_name:", "servd_name:"))
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:2:1: served_name: required field `served_name` is missing"
        " (hint: add `served_name:`)",
        "cat/deployments/old-llama.yaml:4:1: servd_name: unknown field `servd_name`"
        " (hint: did you mean `served_name`?)",
    ]


def test_unknown_nested_field(small_catalog: Path) -> None:
    path = small_catalog / "deployments/coder-chat.yaml"
    path.write_text(path.read_text().replace("gpu_count: 1", "gpu_cnt: 1"))
    found = errors(small_catalog)
    assert (
        "cat/deployments/coder-chat.yaml:8:21: hardware.gpu_cnt: unknown field `gpu_cnt`"
        " (hint: did you mean `gpu_count`?)" in found
    )


def test_bad_enum_value_suggests_a_valid_one(small_catalog: Path) -> None:
    path = small_catalog / "deployments/old-llama.yaml"
    path.write_text(path.read_text().replace("status: disabled", "status: disabld"))
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:5:1: status: Input should be 'active', 'disabled', 'planned' or"
        " 'code-ready' (hint: did you mean `disabled`?)"
    ]


def test_filename_that_is_not_an_id(small_catalog: Path) -> None:
    source = small_catalog / "deployments/old-llama.yaml"
    source.rename(small_catalog / "deployments/Old Llama.yaml")
    assert (
        errors(small_catalog)
        == [
            "cat/deployments/Old Llama.yaml:1:1: <file>: file name `Old Llama.yaml` is not a valid id"
            " (lower-case letters, digits, '.', '_', '-') (hint: rename it to `old-llama.yaml`)",
            "cat/choosers/chat.yaml:7:6: unavailable[0].deployment: unknown deployment `old-llama`"
            " (hint: add `deployments/old-llama.yaml`)",
        ][::-1]
    )


def test_files_in_the_wrong_folder(small_catalog: Path) -> None:
    write(small_catalog, "deployment/extra.yaml", HEADER + "model: x\n")
    write(small_catalog, "stray.yaml", "title: x\n")
    write(small_catalog, "models/nested/deep.yaml", "name: x\n")
    write(small_catalog, "models/short.yml", "name: x\n")
    assert errors(small_catalog) == [
        "cat/deployment/extra.yaml:1:1: <file>: file in the wrong folder: `deployment/` is not a catalog folder"
        " (hint: did you mean `deployments`?)",
        "cat/models/nested/deep.yaml:1:1: <file>: file in the wrong folder: `models/nested/` is not a catalog"
        " folder (hint: did you mean `models`?)",
        "cat/models/short.yml:1:1: <file>: catalog files end in `.yaml` (hint: rename it to `short.yaml`)",
        "cat/stray.yaml:1:1: <file>: file in the wrong folder: only site.yaml sits at the catalog root"
        " (hint: move it into one of sources/, hubs/, glossary/, backends/, models/, deployments/, choosers/,"
        " trees/, use-cases/, workloads/, migrations/)",
    ]


def test_missing_schema_line(small_catalog: Path) -> None:
    path = small_catalog / "hubs/huggingface.yaml"
    path.write_text(path.read_text().split("\n", 1)[1])
    assert errors(small_catalog) == [
        "cat/hubs/huggingface.yaml:1:1: <file>: the first line must name the JSON Schema for editors"
        " (hint: make line 1 `# yaml-language-server: $schema=../schemas/hubs.json`)"
    ]


def test_every_error_in_one_pass(small_catalog: Path, capsys: object) -> None:
    write(small_catalog, "deployments/empty.yaml", HEADER)
    write(small_catalog, "deployments/tabbed.yaml", HEADER + "a:\n\tb: 1\n")
    path = small_catalog / "models/llama3.1-8b.yaml"
    path.write_text(path.read_text().replace("native_context: 131072", "native_context: -5"))
    assert main(["validate", "--catalog", str(small_catalog)]) == 1
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out.splitlines() == [
        "cat/deployments/empty.yaml:1:1: <file>: the file is empty"
        " (hint: a catalog file is a mapping of `field: value` lines)",
        "cat/deployments/tabbed.yaml:3:1: <file>: tab character in the file"
        " (hint: YAML indents with spaces; replace tabs)",
        "cat/models/llama3.1-8b.yaml:9:1: native_context: Input should be greater than 0",
    ]


def test_missing_catalog_directory(tmp_path: Path, capsys: object) -> None:
    assert main(["validate", "--catalog", str(tmp_path / "nope")]) == 1
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "catalog directory does not exist (hint: pass --catalog DIR or set CATALOG_DIR)" in out
