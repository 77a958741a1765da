"""Every kind of unreadable or misplaced file gets one clear FILE:LINE:COL message, never a traceback."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from catalog import check_catalog
from catalog.cli import main
from catalog.collections import COLLECTIONS
from tests.conftest import REPO_ROOT

HEADER = "# yaml-language-server: $schema=../schemas/deployments.json\n"


def errors(root: Path) -> list[str]:
    """Every error as a maintainer reads it; `check_catalog` itself must never raise."""
    catalog, found = check_catalog(root)
    assert catalog is None or not found
    for error in found:
        assert error.hint, f"no hint: {error.format()}"
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
    path.write_text(path.read_text().replace("endpoints: [chat]", "endpoints: [chat]\nstatus: active"))
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:7:1: status: duplicate key `status` (first defined on line 5)"
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
    assert found[0].endswith(" (hint: close the `[` or `{` opened above, and separate items with `, `)")


def test_wrong_type_points_at_the_field(small_catalog: Path) -> None:
    path = small_catalog / "deployments/coder-chat.yaml"
    path.write_text(path.read_text().replace("max_model_len: 16384", "max_model_len: lots"))
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:9:11: serving.max_model_len: must be a whole number"
        " (hint: write a whole number such as `8`, without quotes or units)"
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
        "cat/deployments/old-llama.yaml:5:1: status: must be one of `active`, `disabled`, `planned`,"
        " `code-ready` (hint: did you mean `disabled`?)"
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
        f" (hint: move it into one of {', '.join(f'{folder}/' for folder in COLLECTIONS)})",
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
        "cat/models/llama3.1-8b.yaml:9:1: native_context: must be greater than 0 (hint: use a number greater than 0)",
    ]


def test_missing_catalog_directory(tmp_path: Path, capsys: object) -> None:
    assert main(["validate", "--catalog", str(tmp_path / "nope")]) == 1
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "catalog directory does not exist (hint: pass --catalog DIR or set CATALOG_DIR)" in out


# --------------------------------------------------------------------------- hostile input (issue 9, item 5)


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_ten_thousand_levels_of_flow_nesting(small_catalog: Path) -> None:
    write(small_catalog, "deployments/deep.yaml", HEADER + "notes: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert errors(small_catalog) == [
        # Reported where the limit is crossed: the top-level mapping is level 1, so at the 64th `[` (column 8 + 63).
        "cat/deployments/deep.yaml:2:71: <file>: mappings and lists are nested more than 64 levels deep"
        " (hint: catalog entries nest a few levels at most; look for an unclosed `[` or `{`, runaway indentation,"
        " or an alias (`*name`) inside its own anchor)"
    ]


def test_two_thousand_levels_of_block_and_mapping_nesting(small_catalog: Path) -> None:
    # Beyond the nesting limit libyaml (0.2.6 and later) has of its own: the reader still gets the catalog's
    # limit at the level where it is crossed, whichever libyaml is installed.
    write(small_catalog, "deployments/deep.yaml", HEADER + "notes:\n" + "- " * 2000 + "x\n")
    write(small_catalog, "deployments/deeper.yaml", HEADER + "notes: {" + "a: {" * 2000 + "}" * 2001 + "\n")
    assert [line.split(": <file>: ")[0] for line in errors(small_catalog)] == [
        # Block: the top-level mapping is level 1, `notes` the sequence at level 2, the 64th `- ` nests level 65.
        "cat/deployments/deep.yaml:3:127",
        # Flow: level 2 is the `{` at column 8, the 63rd `a: {` opens level 65 (column 8 + 62 * 4 + 4).
        "cat/deployments/deeper.yaml:2:260",
    ]
    assert all("nested more than 64 levels deep" in line for line in errors(small_catalog))


def test_deep_block_nesting(small_catalog: Path) -> None:
    # Below the pre-scan threshold: the composer builds it, the conversion stops at the limit.
    lines = "".join(" " * level + f"k{level}:\n" for level in range(100))
    write(small_catalog, "deployments/deep.yaml", HEADER + lines + " " * 100 + "x: 1\n")
    assert errors(small_catalog) == [
        "cat/deployments/deep.yaml:66:65: <file>: mappings and lists are nested more than 64 levels deep"
        " (hint: catalog entries nest a few levels at most; look for an unclosed `[` or `{`, runaway indentation,"
        " or an alias (`*name`) inside its own anchor)"
    ]


def test_an_anchor_that_contains_itself(small_catalog: Path) -> None:
    write(small_catalog, "deployments/cycle.yaml", HEADER + "notes: &loop [*loop]\n")
    found = errors(small_catalog)
    assert len(found) == 1
    assert found[0].startswith("cat/deployments/cycle.yaml:2:")
    assert ": <file>: mappings and lists are nested more than 64 levels deep (hint: " in found[0]


def test_too_many_values(small_catalog: Path) -> None:
    write(small_catalog, "deployments/wide.yaml", HEADER + "notes: [" + "a, " * 25_000 + "a]\n")
    found = errors(small_catalog)
    assert len(found) == 1
    assert found[0].startswith("cat/deployments/wide.yaml:2:")
    assert found[0].endswith(
        ": <file>: the file holds more than 20000 values (hint: a catalog entry holds a few hundred values at most;"
        " check that this is the right file, or split it)"
    )


def test_file_over_the_size_limit_is_not_read(small_catalog: Path) -> None:
    write(small_catalog, "deployments/huge.yaml", HEADER + "summary: " + "x" * (2 * 1024 * 1024) + "\n")
    assert errors(small_catalog) == [
        "cat/deployments/huge.yaml:1:1: <file>: the file is 2.0 MiB; a catalog file may be at most 1 MiB,"
        " so it was not read (hint: a catalog entry is a few KiB of YAML; check that this is the right file,"
        " or split it into several entries)"
    ]


def test_nul_byte(small_catalog: Path) -> None:
    write(small_catalog, "deployments/nul.yaml", HEADER.encode() + b"model: llama\x00\n")
    assert errors(small_catalog) == [
        "cat/deployments/nul.yaml:2:13: <file>: NUL byte (U+0000) in the file"
        " (hint: the file looks binary or corrupted; delete the character, or re-save the file as UTF-8 text)"
    ]


def test_other_control_character(small_catalog: Path) -> None:
    write(small_catalog, "deployments/bell.yaml", HEADER + "model: x\nsummary: ring \x07 ring\n")
    assert errors(small_catalog) == [
        "cat/deployments/bell.yaml:3:15: <file>: control character U+0007 is not allowed in YAML"
        " (hint: delete it; catalog files hold printable UTF-8 text only)"
    ]


def test_four_hundred_digit_integer(small_catalog: Path) -> None:
    # It used to pass the schema (`ge=1`) and overflow in the VRAM rule's float arithmetic.
    edit(
        small_catalog,
        "deployments/coder-chat.yaml",
        "gpu_count: 1}",
        "gpu_count: " + "9" * 400 + ", gpu_memory_gb: 24}",
    )
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:8:32: hardware.gpu_count: the number `99999999999999999999… (400 characters)`"
        " is too large: catalog numbers must fit in 64 bits (hint: check the value for a typo (extra digits);"
        " no catalog field needs a number this large)"
    ]


def test_integer_just_past_64_bits_and_infinity(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "max_model_len: 16384", f"max_model_len: {2**63}")
    edit(small_catalog, "deployments/coder-chat.yaml", "input_usd_per_mtok: 0.5", "input_usd_per_mtok: .inf")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:9:26: serving.max_model_len: the number `9223372036854775808` is too large:"
        " catalog numbers must fit in 64 bits (hint: check the value for a typo (extra digits);"
        " no catalog field needs a number this large)",
        "cat/deployments/coder-chat.yaml:13:28: cost.input_usd_per_mtok: `.inf` is not a finite number"
        " (hint: write the actual figure; infinity and NaN are not catalog values)",
    ]


def test_symlink_loop(small_catalog: Path) -> None:
    (small_catalog / "deployments/loop.yaml").symlink_to("loop.yaml")
    assert errors(small_catalog) == [
        "cat/deployments/loop.yaml:1:1: <file>: symlink loop: `loop.yaml` -> `loop.yaml` never reaches a file"
        " (hint: replace the link with the file it should point to)"
    ]


def test_dangling_symlink(small_catalog: Path) -> None:
    (small_catalog / "deployments/gone.yaml").symlink_to("deleted.yaml")
    assert errors(small_catalog) == [
        "cat/deployments/gone.yaml:1:1: <file>: dangling symlink: it points to `deleted.yaml`, which does not exist"
        " (hint: point the link at an existing file inside the catalog, or delete it)"
    ]


def test_symlink_inside_the_catalog_is_followed(small_catalog: Path) -> None:
    (small_catalog / "models/llama-copy.yaml").symlink_to("llama3.1-8b.yaml")
    assert errors(small_catalog) == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_symlink_to_dev_zero_is_refused_without_reading(small_catalog: Path) -> None:
    # It used to read until memory ran out (3.7 GB, then MemoryError).
    (small_catalog / "models/zero.yaml").symlink_to("/dev/zero")
    assert errors(small_catalog) == [
        "cat/models/zero.yaml:1:1: <file>: symlink leaves the catalog directory: it points to `/dev/zero`"
        " (a character device) (hint: copy the file into the catalog; links may only point inside it)"
    ]


def test_symlink_leaving_the_catalog(small_catalog: Path) -> None:
    outside = (small_catalog.parent / "elsewhere.yaml").resolve()
    outside.write_text((small_catalog / "deployments/old-llama.yaml").read_text())
    (small_catalog / "deployments/outside.yaml").symlink_to(outside)
    (small_catalog / "shared").symlink_to(small_catalog.parent.resolve())
    assert errors(small_catalog) == [
        f"cat/deployments/outside.yaml:1:1: <file>: symlink leaves the catalog directory: it points to `{outside}`"
        " (hint: copy the file into the catalog; links may only point inside it)",
        "cat/shared:1:1: <file>: symlink leaves the catalog directory: the folder link points to"
        f" `{outside.parent}` (hint: copy the folder into the catalog; links may only point inside it)",
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_by_name(small_catalog: Path) -> None:
    # Reading a FIFO blocks until a writer comes; the loader must not even open it.
    os.mkfifo(small_catalog / "deployments/pipe.yaml")
    os.mkfifo(small_catalog / "sources/pipe.fifo")
    (small_catalog / "deployments/piped.yaml").symlink_to("../sources/pipe.fifo")
    assert errors(small_catalog) == [
        "cat/deployments/pipe.yaml:1:1: <file>: not a regular file: it is a FIFO (named pipe), so it was not read"
        " (hint: catalog entries are regular YAML files; delete it or replace it with one)",
        "cat/deployments/piped.yaml:1:1: <file>: not a regular file: it is a FIFO (named pipe) (through the symlink"
        " to `cat/sources/pipe.fifo`), so it was not read"
        " (hint: catalog entries are regular YAML files; delete it or replace it with one)",
    ]


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_socket_is_refused_by_name(small_catalog: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(small_catalog / "deployments/sock.yaml"))
        assert errors(small_catalog) == [
            "cat/deployments/sock.yaml:1:1: <file>: not a regular file: it is a socket, so it was not read"
            " (hint: catalog entries are regular YAML files; delete it or replace it with one)"
        ]


def test_unknown_yaml_tag_keeps_the_other_errors(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "backend: vllm", "backend: !foo vllm")
    edit(small_catalog, "deployments/coder-chat.yaml", "status: active", "status: activ")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:3:10: backend: unknown YAML tag `!foo`"
        " (hint: remove `!foo`; catalog files use plain YAML values without tags)",
        "cat/deployments/coder-chat.yaml:6:1: status: must be one of `active`, `disabled`, `planned`,"
        " `code-ready` (hint: did you mean `active`?)",
    ]


def test_python_tags_are_unknown_tags(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/old-llama.yaml", "summary: Retired", "summary: !!python/object:os.system Retired")
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:7:10: summary: unknown YAML tag `!!python/object:os.system`"
        " (hint: remove `!!python/object:os.system`; catalog files use plain YAML values without tags)"
    ]


def test_impossible_date(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "deployments/coder-chat.yaml",
        "    source: {source: test-guide}\n",
        "    source: {source: test-guide}\n    date: 2024-13-45\n",
    )
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:19:5: reported[0].date: is not a valid date"
        " (hint: write the date as YYYY-MM-DD, e.g. `2024-06-30`)"
    ]


def test_date_shaped_text_stays_text(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/old-llama.yaml", "summary: Retired chat deployment.", "summary: 2024-13-45")
    assert errors(small_catalog) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(small_catalog: Path) -> None:
    (small_catalog / "deployments/old-llama.yaml").chmod(0)
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:1:1: <file>: cannot read the file: permission denied"
        " (hint: make it readable (`chmod a+r FILE`))"
    ]


def test_unreadable_file_simulated(small_catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, where chmod 000 does not stop reading; make the open fail as it would for a user.
    real_open = os.open

    def deny(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("old-llama.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:1:1: <file>: cannot read the file: permission denied"
        " (hint: make it readable (`chmod a+r FILE`))"
    ]


def test_unlistable_folder_simulated(small_catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_scandir = os.scandir

    def deny(path: Any) -> Any:
        if str(path).endswith("glossary"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    assert errors(small_catalog) == [
        "cat/glossary:1:1: <file>: cannot list the folder: Permission denied"
        " (hint: make the folder readable (`chmod a+rx`), or remove it)"
    ]


def test_byte_order_mark_is_accepted(small_catalog: Path) -> None:
    path = small_catalog / "deployments/coder-chat.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert errors(small_catalog) == []


def test_schema_errors_do_not_hide_reference_errors(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", "max_model_len: 16384", "max_model_len: lots")
    edit(small_catalog, "deployments/coder-chat.yaml", "backend: vllm", "backend: vlm")
    edit(small_catalog, "deployments/coder-chat.yaml", "sources: [{source: test-guide}]", "sources: [{source: nope}]")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:3:1: backend: unknown backend `vlm` (hint: did you mean `vllm`?)",
        "cat/deployments/coder-chat.yaml:9:11: serving.max_model_len: must be a whole number"
        " (hint: write a whole number such as `8`, without quotes or units)",
        "cat/deployments/coder-chat.yaml:19:12: sources[0].source: unknown source `nope`"
        " (hint: add `sources/nope.yaml`)",
    ]


def test_yaml_value_errors_do_not_hide_schema_errors(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/old-llama.yaml", "status: disabled", "status: disabled\nstatus: active")
    edit(small_catalog, "deployments/old-llama.yaml", "endpoints: [chat]", "endpoints: chat")
    assert errors(small_catalog) == [
        "cat/deployments/old-llama.yaml:6:1: status: duplicate key `status` (first defined on line 5)"
        " (hint: keep one of the two)",
        "cat/deployments/old-llama.yaml:7:1: endpoints: must be a list"
        " (hint: write a list: `[a, b]`, or one `- item` line per entry)",
    ]


def test_a_broken_site_file_does_not_hide_other_errors(small_catalog: Path) -> None:
    edit(small_catalog, "site.yaml", "title: Small test catalog", "title: Small test catalog\nbogus: 1")
    edit(small_catalog, "migrations/scale-up.yaml", "to_backend: vllm", "to_backend: sglang")
    assert errors(small_catalog) == [
        "cat/migrations/scale-up.yaml:5:1: to_backend: unknown backend `sglang` (hint: add `backends/sglang.yaml`)",
        "cat/site.yaml:3:1: bogus: unknown field `bogus` (hint: remove it; the schema lists every field)",
    ]


def test_wrong_schema_line_and_broken_yaml_in_one_pass(small_catalog: Path) -> None:
    write(small_catalog, "deployments/both.yaml", "model: [unclosed\n")
    found = errors(small_catalog)
    assert found[0] == (
        "cat/deployments/both.yaml:1:1: <file>: the first line must name the JSON Schema for editors"
        " (hint: make line 1 `# yaml-language-server: $schema=../schemas/deployments.json`)"
    )
    assert found[1].startswith("cat/deployments/both.yaml:2:1: <file>: not valid YAML: ")


def test_catalog_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "catalog").write_text("not a folder")
    assert errors(tmp_path / "catalog") == [
        f"{tmp_path / 'catalog'}:1:1: <file>: the catalog path is not a directory"
        " (hint: pass --catalog DIR or set CATALOG_DIR)"
    ]


def test_an_unexpected_failure_is_still_a_message(small_catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> list[object]:
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr("catalog.loader.check_rules", broken)
    edit(small_catalog, "deployments/old-llama.yaml", "status: disabled", "status: disabld")
    assert errors(small_catalog) == [
        "cat:1:1: <file>: the cross-file checks could not run: OverflowError: int too large to convert to float"
        " (hint: this is a bug in the catalog loader; report it together with the file)",
        "cat/deployments/old-llama.yaml:5:1: status: must be one of `active`, `disabled`, `planned`,"
        " `code-ready` (hint: did you mean `disabled`?)",
    ]
    monkeypatch.setattr("catalog.loader._load_file", broken)
    assert errors(small_catalog)[0] == (
        "cat/backends/ollama.yaml:1:1: <file>: the file could not be checked: OverflowError: int too large to"
        " convert to float (hint: this is a bug in the catalog loader; report it together with the file)"
    )


# --------------------------------------------------------------------------- every message has a hint


def test_hints_for_schema_errors_without_a_close_match(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/old-llama.yaml", "status: disabled", "status: zzz")
    edit(small_catalog, "deployments/old-llama.yaml", "served_name: llama-3.1-8b-old", "served_name: -bad-")
    edit(small_catalog, "deployments/coder-chat.yaml", "summary: Coding chat on one L4.", "summary: " + "x" * 301)
    edit(small_catalog, "models/qwen2.5-coder-7b-instruct-awq.yaml", "type: dense", "type: moe")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:12:1: summary: must be at most 300 characters long"
        " (hint: shorten it to at most 300 characters)",
        "cat/deployments/old-llama.yaml:4:1: served_name: the name starts with `-`"
        " (hint: start it with a letter or a digit)",
        "cat/deployments/old-llama.yaml:5:1: status: must be one of `active`, `disabled`, `planned`, `code-ready`"
        " (hint: use one of `active`, `disabled`, `planned`, `code-ready`)",
        "cat/models/qwen2.5-coder-7b-instruct-awq.yaml:8:1: architecture: a `moe` architecture needs"
        " `active_params_b` (parameters used per token)"
        " (hint: add `active_params_b:`)",
    ]


def test_hints_for_yaml_keys_and_tree_references(small_catalog: Path) -> None:
    write(small_catalog, "deployments/keyed.yaml", HEADER + "? [a, b]\n: value\n")
    edit(small_catalog, "trees/use-case.yaml", "root: use-case", "root: zzz")
    found = errors(small_catalog)
    assert (
        "cat/deployments/keyed.yaml:2:3: <file>: a mapping key must be a plain value"
        " (hint: write the key as a plain word such as `name:`; lists and mappings cannot be keys)"
    ) in found
    assert (
        "cat/trees/use-case.yaml:4:1: root: root `zzz` is not a node of this tree"
        " (hint: set `root` to the id of one of the questions under `nodes:`)"
    ) in found


def test_hint_for_an_unknown_tree_node(small_catalog: Path) -> None:
    edit(small_catalog, "trees/use-case.yaml", "next: concurrency", "next: zzz")
    assert errors(small_catalog)[0] == (
        "cat/trees/use-case.yaml:10:9: nodes.use-case.options[0].next: unknown node `zzz`"
        " (hint: point `next` at the id of a question under `nodes:`, or answer with `recommend:` instead)"
    )


# --------------------------------------------------------------------------- the command line


def test_validate_command_on_a_hostile_catalog(small_catalog: Path) -> None:
    """The real command, in its own process: a crash (even a segfault in the C parser) shows as a wrong exit code."""
    write(small_catalog, "deployments/deep.yaml", HEADER + "notes: " + "[" * 200_000 + "]" * 200_000 + "\n")
    write(small_catalog, "deployments/nul.yaml", HEADER.encode() + b"model: \x00\n")
    write(small_catalog, "deployments/tagged.yaml", HEADER + "model: !foo x\n")
    edit(small_catalog, "deployments/coder-chat.yaml", "gpu_count: 1}", "gpu_count: " + "9" * 400 + "}")
    (small_catalog / "deployments/loop.yaml").symlink_to("loop.yaml")
    (small_catalog / "deployments/gone.yaml").symlink_to("deleted.yaml")
    if Path("/dev/zero").exists():
        (small_catalog / "models/zero.yaml").symlink_to("/dev/zero")
    if hasattr(os, "mkfifo"):
        os.mkfifo(small_catalog / "models/pipe.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "catalog", "validate", "--catalog", str(small_catalog.resolve())],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"{result.stdout.count(chr(10))} error(s) in ")
    lines = result.stdout.splitlines()
    assert all("(hint: " in line for line in lines), lines
    assert {Path(line.split(":", 1)[0]).name for line in lines} >= {
        "deep.yaml",
        "nul.yaml",
        "tagged.yaml",
        "coder-chat.yaml",
        "loop.yaml",
        "gone.yaml",
    }


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs a file system that stores any bytes")
def test_undecodable_file_name_prints(small_catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (small_catalog / "deployments" / os.fsdecode(b"bad\xff\x1b.yaml")).write_bytes(b"")
    assert main(["validate", "--catalog", str(small_catalog)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "cat/deployments/bad\\udcff\\x1b.yaml:1:1: <file>: file name `bad\\udcff\\x1b.yaml` is not a valid id"
        " (lower-case letters, digits, '.', '_', '-') (hint: rename it to `bad.yaml`)"
    ]
