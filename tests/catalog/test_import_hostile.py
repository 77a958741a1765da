"""`import-litellm` against configs and catalog folders written to hurt: a credential in a header or a URL
is never written or printed, two keys never share a variable, nothing is written outside `--catalog`, and a
killed run leaves nothing a re-run refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog import check_catalog
from catalog.schema import ExtraHeader
from onboarding.litellm_import import import_litellm
from onboarding.onboard import OnboardError, Plan
from tests.site.sitebuild import REPO_ROOT


def _config(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(config: Path, root: Path, **options: Any) -> tuple[list[Path], list[str]]:
    said: list[str] = []
    written = import_litellm(config, root, notes=said.append, **options)
    return written, said


def _everything(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def _deployment(root: Path, dep_id: str) -> dict[str, Any]:
    data = yaml.safe_load((root / "deployments" / f"{dep_id}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ------------------------------------------------------------------------------------------- 1. header secrets

SECRET_HEADERS = [
    ("X-Authorization", "plainsecretvalue"),
    ("Authentication", "plainsecretvalue"),
    ("X-ApiKey", "plainsecretvalue"),
    ("Helicone-Auth", "Bearer plainsecretvalue"),
    ("X-Forward", "Bearer plainsecretvalue"),
    ("X-Auth", "plainsecretvalue"),
    ("X-Custom-Auth", "plainsecretvalue"),
    ("Cookie2", "plainsecretvalue"),
    ("X-Session", "plainsecretvalue"),
    ("X-Access-Key-Id", "plainsecretvalue"),
    ("X-Passwd", "plainsecretvalue"),
    ("X-Credential", "plainsecretvalue"),
    ("X-Jwt", "plainsecretvalue"),
    # A harmless header's name does not make a key harmless.
    ("X-Title", "Bearer plainsecretvalue"),
    ("User-Agent", "sk-plainsecretvalue"),
    ("X-Tenant", "a8F3kQ9zL2mX7vB4nR6tY1wE5"),
]


@pytest.mark.parametrize(("name", "value"), SECRET_HEADERS)
def test_a_literal_header_credential_is_neither_written_nor_printed(
    tmp_path: Path, name: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(
        tmp_path,
        f"""model_list:
  - model_name: chat
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      extra_headers: {{"{name}": "{value}", anthropic-version: 2023-06-01}}
""",
    )
    root = tmp_path / "cat"
    _, said = _import(config, root)
    assert "plainsecretvalue" not in _everything(root)
    assert value not in "\n".join(said) + capsys.readouterr().err
    assert (
        f"not carried: model_list[0].litellm_params.extra_headers.{name} (a literal credential is never written; "
        "set it in a variable and reference it as os.environ/NAME)"
    ) in said
    # The harmless header stays, so the export still sends it.
    assert _deployment(root, "chat")["route"]["extra_headers"] == [{"name": "anthropic-version", "value": "2023-06-01"}]


@pytest.mark.parametrize(("name", "value"), SECRET_HEADERS)
def test_the_schema_refuses_a_literal_header_credential_in_a_hand_written_file(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="carries a credential, so its value is never written"):
        ExtraHeader.model_validate({"name": name, "value": value})
    assert ExtraHeader.model_validate({"name": name, "env": "HEADER_VALUE"}).env == "HEADER_VALUE"


@pytest.mark.parametrize(
    ("name", "value"),
    [("User-Agent", "team-tool/1.2"), ("anthropic-version", "2023-06-01"), ("X-Title", "My app"), ("Accept", "*/*")],
)
def test_a_harmless_header_keeps_its_value(name: str, value: str) -> None:
    assert ExtraHeader.model_validate({"name": name, "value": value}).value == value


# ------------------------------------------------------------------------------------------ 2. URL credentials


@pytest.mark.parametrize(
    ("query", "secret"),
    [("code=FUNCKEYvalue123", "FUNCKEYvalue123"), ("sv=2022-11-02&sp=r&sig=SASsignatureXYZ", "SASsignatureXYZ")],
)
def test_an_azure_function_key_or_sas_signature_in_the_url_is_stripped_and_said(
    tmp_path: Path, query: str, secret: str
) -> None:
    config = _config(
        tmp_path,
        f"""model_list:
  - model_name: chat
    litellm_params:
      model: openai/gpt-4o
      api_base: https://fn.example.com/api/v1?{query}
      api_key: os.environ/OPENAI_API_KEY
""",
    )
    root = tmp_path / "cat"
    _, said = _import(config, root)
    assert secret not in _everything(root)
    assert secret not in "\n".join(said)
    assert any("removed" in line and "from the URL" in line for line in said), said


# --------------------------------------------------------------------------------------- 3. key variable names

TENANTS = """model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: "https://tenant-a.example.com/v1", api_key: sk-TENANT-A}
  - model_name: gpt.4o
    litellm_params: {model: openai/gpt-4o, api_base: "https://tenant-b.example.com/v1", api_key: sk-TENANT-B}
  - model_name: GPT_4O_API_KEY-user
    litellm_params: {model: openai/gpt-4o, api_base: "https://tenant-c.example.com/v1", api_key: os.environ/GPT_4O_API_KEY}
"""


def test_two_literal_keys_for_two_hosts_never_share_a_variable(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    _, said = _import(_config(tmp_path, TENANTS), root)
    variables = [_deployment(root, d)["route"]["api_key_env"] for d in ("gpt-4o", "gpt.4o")]
    assert len(set(variables)) == 2, variables
    # The config's own os.environ/GPT_4O_API_KEY is another host's key: no literal key is given that name.
    assert "GPT_4O_API_KEY" not in variables
    for variable in variables:
        assert any(f"names the variable {variable} instead" in line for line in said), said
    assert "sk-TENANT" not in _everything(root) + "\n".join(said)


def test_a_non_ascii_alias_gets_a_stable_id_of_its_own_and_it_is_said(tmp_path: Path) -> None:
    text = """model_list:
  - model_name: 日本
    litellm_params: {model: anthropic/claude-x, api_key: sk-ANTH}
  - model_name: 中文
    litellm_params: {model: groq/llama-x, api_key: sk-GROQ}
  - model_name: 4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-MINI}
"""
    root = tmp_path / "cat"
    _, said = _import(_config(tmp_path, text), root)
    names = sorted(p.stem for p in (root / "deployments").glob("*.yaml"))
    assert "unnamed" not in names and len(names) == 3, names
    aliases = {_deployment(root, n)["gateway_alias"]: _deployment(root, n) for n in names}
    assert set(aliases) == {"日本", "中文", "4o-mini"}
    variables = {alias: d["route"]["api_key_env"] for alias, d in aliases.items()}
    assert len(set(variables.values())) == 3 and "_API_KEY" not in variables.values(), variables
    assert variables["4o-mini"][0].isalpha(), variables
    assert sum("holds characters a file name does not take" in line for line in said) == 2, said
    # The same config gives the same ids again.
    again = tmp_path / "again"
    _import(_config(tmp_path, text), again)
    assert sorted(p.stem for p in (again / "deployments").glob("*.yaml")) == names


# ------------------------------------------------------------------------------ 4. nothing written outside

SIMPLE = """model_list:
  - model_name: chat
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
"""


def _catalog(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    _import(_config(tmp_path, SIMPLE.replace("chat", "first"), "first.yaml"), root)
    return root


def test_a_dangling_link_where_a_file_would_go_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    elsewhere = tmp_path / "elsewhere.yaml"
    (root / "deployments" / "chat.yaml").symlink_to(elsewhere)
    before = _everything(root)
    with pytest.raises(OnboardError, match=r"chat\.yaml: is a symbolic link .*nothing was written"):
        _import(_config(tmp_path, SIMPLE), root)
    assert not elsewhere.exists()
    assert _everything(root) == before


def test_a_linked_folder_is_refused_and_nothing_is_written_outside(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "deployments").rename(tmp_path / "real-deployments")
    (root / "deployments").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OnboardError, match=r"deployments: is a symbolic link"):
        _import(_config(tmp_path, SIMPLE), root)
    assert list(outside.iterdir()) == []


def test_discover_s_plan_refuses_a_link_too(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    (root / "models").mkdir(parents=True)
    (root / "site.yaml").write_text("title: x\n", encoding="utf-8")
    (root / "models" / "m.yaml").symlink_to(tmp_path / "away.yaml")
    plan = Plan(root)
    plan.entity("models", "m", {"name": "m"})
    with pytest.raises(OnboardError, match="is a symbolic link"):
        plan.commit()
    assert not (tmp_path / "away.yaml").exists()


# -------------------------------------------------------------------------------------- 5. a killed import


def test_temporary_files_a_killed_import_left_are_removed_by_the_next(tmp_path: Path) -> None:
    root = _catalog(tmp_path)
    stale = root / "deployments" / ".chat.yaml.ab12_xyz.tmp"
    stale.write_text("half", encoding="utf-8")
    mine = root / "deployments" / ".notes.tmp"
    mine.write_text("a user's own file", encoding="utf-8")
    _import(_config(tmp_path, SIMPLE), root, force=True)
    assert not stale.exists()
    assert mine.exists()
    assert check_catalog(root)[1] == []


def test_a_new_catalog_is_renamed_into_place_whole_and_leaves_no_staging(tmp_path: Path) -> None:
    root = tmp_path / "new"
    stale = tmp_path / ".new-import-killed"
    stale.mkdir()
    (stale / "site.yaml").write_text("half", encoding="utf-8")
    _import(_config(tmp_path, SIMPLE), root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "new"]
    assert check_catalog(root)[1] == []


def test_a_kill_before_the_rename_leaves_no_catalog_and_a_rerun_completes(tmp_path: Path) -> None:
    """The import is killed (SIGKILL) while it writes the staging folder: no half catalog, and the re-run works."""
    config = _config(tmp_path, SIMPLE)
    root = tmp_path / "new"
    script = f"""
import os, signal
from pathlib import Path
import onboarding.onboard as onboard
real = Path.write_text
count = [0]
def write_text(self, *a, **k):
    count[0] += "/.new-import-" in str(self)
    if count[0] == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, *a, **k)
Path.write_text = write_text
from onboarding.litellm_import import import_litellm
import_litellm(Path({str(config)!r}), Path({str(root)!r}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, check=False)
    assert done.returncode == -9, done.stderr
    assert not root.exists()
    _import(config, root)
    assert check_catalog(root)[1] == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".new-import-")] == []


# ---------------------------------------------------------------------------------------- 6. api_version env


def test_an_api_version_read_from_a_variable_is_said_not_fatal(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        """model_list:
  - model_name: chat
    litellm_params:
      model: azure/gpt-4o
      api_base: https://x.openai.azure.com
      api_key: os.environ/AZURE_API_KEY
      api_version: os.environ/AZURE_API_VERSION
""",
    )
    root = tmp_path / "cat"
    _, said = _import(config, root)
    assert check_catalog(root)[1] == []
    assert any("api_version (read from AZURE_API_VERSION" in line for line in said), said


# ------------------------------------------------------------------------------------- 7. the bundled catalog


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CATALOG_DIR"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "onboarding", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=environ,
    )


def test_import_without_a_catalog_folder_is_refused_and_the_bundled_catalog_is_untouched(tmp_path: Path) -> None:
    site = (REPO_ROOT / "catalog" / "site.yaml").read_text(encoding="utf-8")
    done = _cli("import-litellm", str(_config(tmp_path, SIMPLE)))
    assert done.returncode == 2
    assert "--catalog" in done.stderr
    assert (REPO_ROOT / "catalog" / "site.yaml").read_text(encoding="utf-8") == site
    assert not (REPO_ROOT / "catalog" / "deployments" / "chat.yaml").exists()


def test_the_bundled_catalog_is_refused_even_when_named(tmp_path: Path) -> None:
    site = (REPO_ROOT / "catalog" / "site.yaml").read_text(encoding="utf-8")
    done = _cli("import-litellm", str(_config(tmp_path, SIMPLE)), "--catalog", str(REPO_ROOT / "catalog"))
    assert done.returncode == 2
    assert "bundled catalog" in done.stderr
    assert (REPO_ROOT / "catalog" / "site.yaml").read_text(encoding="utf-8") == site


def test_importing_into_an_existing_catalog_keeps_the_comments_of_its_site_yaml(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    (root / "site.yaml").write_text(
        "# yaml-language-server: $schema=schemas/site.json\n"
        "# Our site: ask #platform before changing the title.\n"
        "title: Team models  # shown in the header\n"
        "tagline: What we run.\n",
        encoding="utf-8",
    )
    _import(_config(tmp_path, SIMPLE), root, fleet="platform")
    text = (root / "site.yaml").read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=schemas/site.json\n# Our site: ask #platform before changing the title.\ntitle: Team models  # shown in"
    )
    assert yaml.safe_load(text)["gateways"]["litellm"]["base_url"] == "http://localhost:4000/v1"
    assert check_catalog(root)[1] == []


# ------------------------------------------------------------------------------------ 9. a group that shrank


def test_a_reimport_after_a_group_shrank_names_the_members_it_would_leave(tmp_path: Path) -> None:
    member = "  - model_name: grp\n    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}\n"
    root = tmp_path / "cat"
    _import(_config(tmp_path, "model_list:\n" + member * 3), root)
    assert (root / "deployments" / "grp-3.yaml").exists()
    with pytest.raises(OnboardError, match=r"wrote deployments/grp-3\.yaml, which the config no longer lists.*delete"):
        _import(_config(tmp_path, "model_list:\n" + member * 2), root, force=True)
    (root / "deployments" / "grp-3.yaml").unlink()
    _import(_config(tmp_path, "model_list:\n" + member * 2), root, force=True)
    assert sorted(p.name for p in (root / "deployments").iterdir()) == ["grp-1.yaml", "grp-2.yaml"]


def test_an_import_into_the_current_empty_folder_fills_it_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "team"
    here.mkdir()
    (here / ".catalog-import-k1ll3d00").mkdir()  # a staging folder a killed import left
    inode = here.stat().st_ino
    config = _config(tmp_path, SIMPLE)
    monkeypatch.chdir(here)
    _import(config, Path())
    assert here.stat().st_ino == inode, "the folder was replaced: a shell inside it would be in a deleted folder"
    assert check_catalog(here)[1] == []
    assert [p.name for p in here.iterdir() if p.name.startswith(".")] == []
