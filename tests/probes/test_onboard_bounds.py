"""Bounded onboarding: a hostile config costs `import-litellm` a bounded time and memory, and ends in one line
that says what was wrong, never a traceback or a half-written catalog. The configs are real files: an alias
bomb, a 5,000-character id. (Hostile servers against `discover`: tests/probes/test_discover_bounds.py.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog import check_catalog
from catalog.outbound import KEYS_ENV
from testbed.tiny_model import REPO_ROOT


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(KEYS_ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "onboarding", *args],
        cwd=cwd or REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str], prefix: str = "import-litellm") -> str:
    """The command failed with exactly one line on stderr, no traceback, nothing on stdout."""
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"python -m onboarding {prefix}: "), done.stderr
    return done.stderr.removeprefix(f"python -m onboarding {prefix}: ").removesuffix("\n")


# -- the catalog itself -------------------------------------------------------------------------------------
def test_the_catalog_refuses_a_boolean_where_a_number_belongs(small_catalog: Path) -> None:
    path = small_catalog / "deployments" / "coder-chat.yaml"
    text = path.read_text().replace("max_model_len: 16384", "max_model_len: true")
    path.write_text(text.replace("stale_after_days", "x") + "stale_after_days: false\n")
    assert [e.format() for e in check_catalog(small_catalog)[1]] == [
        "cat/deployments/coder-chat.yaml:9:11: serving.max_model_len: `true` is a boolean, not a number (hint: write "
        "a number such as `8`, or leave the field out)",
        "cat/deployments/coder-chat.yaml:22:1: stale_after_days: `false` is a boolean, not a number (hint: write a "
        "number such as `8`, or leave the field out)",
    ]


@pytest.mark.parametrize(
    ("family", "message"),
    [
        (
            "F" * 270,
            "family: the family name is 270 characters long, over the 80 a family may have (hint: shorten it to at "
            "most 80 characters: the site names a file after each family)",
        ),
        (
            "Llama/3",
            "family: the family name holds `/`, which a family name may not hold (hint: write it with letters, "
            "digits, spaces and `.` `_` `:` `+` `(` `)` `-`: the site names a file after it)",
        ),
        ("-Llama", "family: the family name starts with `-` (hint: start it with a letter or a digit)"),
    ],
)
def test_a_family_that_cannot_name_a_file_is_refused(small_catalog: Path, family: str, message: str) -> None:
    """Before: a valid catalog with a 270-character family crashed the build with "File name too long"
    (llms/families/<family>.md)."""
    path = small_catalog / "models" / "llama3.1-8b.yaml"
    path.write_text(path.read_text().replace("family: Llama 3.1", f"family: {family!r}"))
    assert [e.format() for e in check_catalog(small_catalog)[1]] == [f"cat/models/llama3.1-8b.yaml:3:1: {message}"]


def test_the_longest_family_builds(small_catalog: Path, tmp_path: Path) -> None:
    from tests.site.sitebuild import build_site

    path = small_catalog / "models" / "llama3.1-8b.yaml"
    family = "Llama " + "3" * 74
    path.write_text(path.read_text().replace("family: Llama 3.1", f"family: '{family}'"))
    built = build_site(tmp_path, small_catalog)
    assert built.returncode == 0, built.output
    assert (built.site_dir / "llms" / "families" / f"llama-{'3' * 74}.md").is_file()


# -- hostile configs -----------------------------------------------------------------------------------------
def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_alias_bomb_in_a_config_is_one_line(tmp_path: Path) -> None:
    """Before: yaml.safe_load expanded 10^9 values (memory and minutes) before anything was checked."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)]
    lines += ["model_list:\n", "  - {model_name: m, litellm_params: {model: openai/m}}\n"]
    config = write_config(tmp_path, "".join(lines))
    started = time.monotonic()
    message = one_line_error(cli("import-litellm", str(config), "--catalog", str(tmp_path / "cat")))
    assert time.monotonic() - started < 60
    assert re.fullmatch(
        rf"{re.escape(str(config))}:\d+:\d+: <file>: anchors and aliases expand to more than 20000 values "
        r"\(hint: write the values out instead of nesting aliases\)",
        message,
    ), message
    assert not (tmp_path / "cat").exists()


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        (
            "{model_name: " + "a" * 5000 + ", litellm_params: {model: openai/gpt}}",
            "3:6: model_list[0].model_name",
            f"the alias `{'a' * 40}…` is 5000 characters long; the catalog takes at most 200",
        ),
        (
            "{model_name: ok, litellm_params: {model: openai/" + "b" * 5000 + "}}",
            "3:39: model_list[0].litellm_params.model",
            f"the model `{'b' * 40}…` is 5000 characters long; the catalog takes at most 200",
        ),
        (
            "{model_name: " + "c" * 90 + ", litellm_params: {model: openai/gpt}}",
            "3:6: model_list[0].model_name",
            f"the alias `{'c' * 40}…` would give the id `{'c' * 40}…` of 90 characters, longer than the 80 an id may "
            "have: an id is also its file's name",
        ),
    ],
)
def test_an_id_that_cannot_be_a_file_name_is_one_line(tmp_path: Path, entry: str, where: str, message: str) -> None:
    config = write_config(tmp_path, f"model_list:\n  # one entry\n  - {entry}\n")
    got = one_line_error(cli("import-litellm", str(config), "--catalog", str(tmp_path / "cat")))
    assert got == (
        f"{config}:{where}: {message}; nothing was written (hint: shorten it, or use letters, digits and `._:/-`; "
        "the catalog names a file after it)"
    )
    assert not (tmp_path / "cat").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[1, 2]\n",
            "1:1: <file>: the file holds a list, not a mapping (hint: write `field: value` lines at the top level)",
        ),
        (
            "model_list:\n  - !!python/object:os.system {}\n",
            "2:5: model_list[0]: unknown YAML tag `!!python/object:os.system`",
        ),
    ],
)
def test_other_hostile_configs_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path, text)
    got = one_line_error(cli("import-litellm", str(config), "--catalog", str(tmp_path / "cat")))
    assert got.startswith(f"{config}:{message}"), got


def test_a_config_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    config = write_config(tmp_path, "model_list: []\n" + "#" * (2 * 1024 * 1024) + "\n")
    got = one_line_error(cli("import-litellm", str(config), "--catalog", str(tmp_path / "cat")))
    assert got == (
        f"{config}: the file is 2.0 MiB; a config is read up to 1 MiB (hint: check that this is the proxy's "
        "config.yaml)"
    )
