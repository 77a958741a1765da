"""Every environment installs from a lock: the locks cover their inputs, pin every file by hash, and the
environment running these tests is the locked one (tools/lock.sh writes them, tools/venv_from_lock.sh installs)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCKS = REPO_ROOT / "locks"
#: One requirement of a lock: `name==version \` followed by its `--hash=sha256:` lines.
LOCKED = re.compile(r"(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)")


def locked(lock: Path) -> dict[str, tuple[str, int]]:
    """Canonical name -> (version, number of hashes), for every requirement in a lock file."""
    return {canonicalize_name(m[1]): (m[2], m[3].count("--hash=")) for m in LOCKED.finditer(lock.read_text())}


def requirement_lines(text: str) -> list[str]:
    return [line for raw in text.splitlines() if (line := raw.split("#", 1)[0].strip())]


def test_every_input_has_its_lock() -> None:
    inputs = {path.stem for path in LOCKS.glob("*.in")}
    assert inputs, "no lock inputs found"
    assert {path.stem for path in LOCKS.glob("*.txt")} == inputs | {"dev"}


@pytest.mark.parametrize("lock", sorted(LOCKS.glob("*.txt")), ids=lambda path: path.name)
def test_every_locked_requirement_is_exact_and_hashed(lock: Path) -> None:
    entries = locked(lock)
    lines = [line for line in requirement_lines(lock.read_text()) if not line.startswith(("--hash", "\\"))]
    # Every requirement line was understood as `name==version` (no ranges, URLs or editable paths in a lock).
    assert len(entries) == len([line for line in lines if re.match(r"[A-Za-z0-9]", line)]), lines
    assert {name: hashes for name, (_, hashes) in entries.items() if hashes == 0} == {}


@pytest.mark.parametrize("source", sorted(LOCKS.glob("*.in")), ids=lambda path: path.name)
def test_each_lock_satisfies_its_input(source: Path) -> None:
    entries = locked(source.with_suffix(".txt"))
    for line in requirement_lines(source.read_text()):
        requirement = Requirement(line)
        version = entries.get(canonicalize_name(requirement.name), (None, 0))[0]
        assert version is not None, f"{requirement.name} is in {source.name} but not in its lock: run `make lock`"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{source.name} asks for {requirement}, the lock holds {version}: run `make lock`"
        )


def test_the_project_lock_satisfies_pyproject() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    entries = locked(LOCKS / "dev.txt")
    for line in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        requirement = Requirement(line)
        version = entries.get(canonicalize_name(requirement.name), (None, 0))[0]
        assert version is not None and requirement.specifier.contains(version, prereleases=True), (
            f"pyproject.toml asks for {requirement}, locks/dev.txt holds {version}: run `make lock`"
        )


def test_the_environment_running_the_tests_is_the_locked_one() -> None:
    """`make install` syncs .venv to locks/dev.txt exactly: no package missing, none at another version."""
    expected = {name: version for name, (version, _) in locked(LOCKS / "dev.txt").items()}
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    differ = {
        name: (version, installed.get(name)) for name, version in expected.items() if installed.get(name) != version
    }
    assert differ == {}, "locked vs installed; run `make install`"


def test_every_environment_is_made_from_a_lock() -> None:
    """No Makefile target or install script creates a venv or installs a package but through the lock tool."""
    sources = [REPO_ROOT / "Makefile", *sorted((REPO_ROOT / "tools").glob("*.sh"))]
    offenders = [
        f"{path.name}: {line.strip()}"
        for path in sources
        if path.name != "venv_from_lock.sh"
        for line in path.read_text().splitlines()
        if not line.lstrip().startswith("#") and re.search(r"-m venv|pip install|npm install|uv venv", line)
    ]
    assert offenders == []


def test_llama_server_is_built_from_the_locked_sdist_and_cached_by_its_hash(tmp_path: Path) -> None:
    """tools/install-llamacpp.sh builds from the one sdist locks/llamacpp.txt pins (one sha256: the sdist, no
    wheel), and its cache folder is named by a key of that hash, so a changed lock never finds an old binary."""
    import subprocess

    entries = locked(LOCKS / "llamacpp.txt")
    assert list(entries) == ["llama-cpp-python"] and entries["llama-cpp-python"][1] == 1, entries
    lock_text = (LOCKS / "llamacpp.txt").read_text()

    def key_of(lock: Path | None) -> list[str]:
        script = REPO_ROOT / "tools" / "install-llamacpp.sh"
        if lock is not None:  # the same script, reading another lock
            copy = tmp_path / "tools" / "install-llamacpp.sh"
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(script.read_text())
            (tmp_path / "locks").mkdir(exist_ok=True)
            (tmp_path / "locks" / "llamacpp.txt").write_text(lock.read_text())
            script = copy
        done = subprocess.run(
            ["bash", str(script), "--print-key"],
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LLAMACPP_CACHE": str(tmp_path / "cache")},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    version, sha256, key, folder = key_of(None)
    assert (version, 1) == entries["llama-cpp-python"]
    assert f"--hash=sha256:{sha256}" in lock_text
    assert folder == str(tmp_path / "cache" / f"llama-server-{key}")
    other = tmp_path / "other.txt"
    other.write_text(lock_text.replace(sha256, "0" * 64))
    assert key_of(other)[2] != key, "another sdist, another cache folder"
