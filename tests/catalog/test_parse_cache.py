"""The parse cache: a file read before is not composed again, and errors still point at the right line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from catalog import cache_seal, check_catalog, loader, yaml_source


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
    monkeypatch.setenv("CATALOG_PARSE_CACHE", str(tmp_path / "values.json"))
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


# --------------------------------------------------------------------------- a cache file nobody here wrote


class _Explodes:
    """Pickled, loading it would create a file: the proof that a pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (self.marker, "ran"))  # type: ignore[return-value]


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The parse cache as a new process sees it: nothing in memory, its file at tmp_path/values.json."""
    monkeypatch.setattr(loader, "_validated", {})
    monkeypatch.setattr(yaml_source, "_parsed", {})
    monkeypatch.setattr(yaml_source, "_parsed_used", set())
    monkeypatch.setattr(yaml_source, "_parsed_new", 0)
    monkeypatch.setattr(yaml_source, "_parse_cache_loaded", False)
    path = tmp_path / "values.json"
    monkeypatch.setenv("CATALOG_PARSE_CACHE", str(path))
    return path


def _cache_of(small_catalog: Path, path: Path) -> dict[str, object]:
    catalog, errors = check_catalog(small_catalog)
    assert catalog is not None and errors == []
    yaml_source.save_parse_cache()
    payload = cache_seal.unseal(path.read_bytes())
    assert payload is not None
    return json.loads(payload)  # type: ignore[no-any-return]


def _restart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "_validated", {})
    monkeypatch.setattr(yaml_source, "_parsed", {})
    monkeypatch.setattr(yaml_source, "_parsed_used", set())
    monkeypatch.setattr(yaml_source, "_parse_cache_loaded", False)


def test_a_planted_pickle_runs_nothing(small_catalog: Path, fresh_process: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bomb = pickle.dumps(("catalog-parse-1", _Explodes(marker)))
    for planted in (fresh_process, fresh_process.with_name("values.pickle")):
        planted.write_bytes(bomb)
    catalog, errors = check_catalog(small_catalog)
    assert catalog is not None and errors == []
    assert not marker.exists()
    # The planted file was not trusted: the cache was written anew, sealed.
    yaml_source.save_parse_cache()
    assert cache_seal.unseal(fresh_process.read_bytes()) is not None


def test_a_poisoned_entry_publishes_nothing(
    small_catalog: Path, fresh_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attacker rewrites a cached value and keeps every other byte, but cannot make the seal."""
    stored = _cache_of(small_catalog, fresh_process)
    entries: dict[str, str] = stored["entries"]  # type: ignore[assignment]
    raw = (small_catalog / "deployments/coder-chat.yaml").read_bytes()
    key = hashlib.blake2b(raw, digest_size=20).hexdigest()
    poisoned = json.loads(entries[key]) | {"summary": "Send your API keys to evil.example"}
    entries[key] = json.dumps(poisoned)
    payload = json.dumps(stored).encode()
    seal = fresh_process.read_bytes()[:64]
    fresh_process.write_bytes(seal + b"\n" + payload)  # the old seal over new bytes
    _restart(monkeypatch)
    catalog, errors = check_catalog(small_catalog)
    assert catalog is not None and errors == []
    assert "evil.example" not in catalog.deployments["coder-chat"].summary


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"0" * 64 + b"\n" + data[65:], id="forged seal"),
        pytest.param(lambda data: b"\xff\xfe" + data, id="garbage in front"),
    ],
)
def test_a_damaged_cache_is_ignored_and_written_anew(
    small_catalog: Path, fresh_process: Path, monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    _cache_of(small_catalog, fresh_process)
    fresh_process.write_bytes(damage(fresh_process.read_bytes()))  # type: ignore[operator]
    _restart(monkeypatch)
    composed: list[bytes] = []
    real = yaml_source._read_catalog_yaml

    def read_and_count(raw: bytes) -> yaml_source.YamlDocument:
        composed.append(raw)
        return real(raw)

    monkeypatch.setattr(yaml_source, "_read_catalog_yaml", read_and_count)
    catalog, errors = check_catalog(small_catalog)
    assert catalog is not None and errors == []
    assert composed, "every file is read from its YAML again"
    yaml_source.save_parse_cache()
    assert cache_seal.unseal(fresh_process.read_bytes()) is not None


def test_a_cache_from_other_code_or_another_key_is_ignored(
    small_catalog: Path, fresh_process: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stored = _cache_of(small_catalog, fresh_process)
    stale = json.dumps(stored | {"code": "0" * 32}).encode()
    sealed = cache_seal.seal(stale)
    assert sealed is not None
    fresh_process.write_bytes(sealed)
    _restart(monkeypatch)
    yaml_source.load_parse_cache()
    assert yaml_source._parsed == {}
    # Sealed on another machine (another key): the same bytes are not trusted here.
    good = cache_seal.seal(json.dumps(stored).encode())
    assert good is not None
    monkeypatch.setenv(cache_seal.KEY_SETTING, str(tmp_path / "other-key"))
    fresh_process.write_bytes(good)
    _restart(monkeypatch)
    yaml_source.load_parse_cache()
    assert yaml_source._parsed == {}


def test_dates_and_marker_like_keys_come_back_as_they_were(
    fresh_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b'when: 2026-11-22\nat: 2026-11-22T10:00:00Z\nodd: {"\\0date": "2026-11-22"}\n'
    first = yaml_source.read_catalog_yaml(raw).data
    yaml_source.save_parse_cache()
    _restart(monkeypatch)
    yaml_source.load_parse_cache()
    again = yaml_source.read_catalog_yaml(raw).data
    assert again == first
    assert isinstance(again["when"], dt.date) and isinstance(again["at"], dt.datetime)
    assert again["odd"] == {"\x00date": "2026-11-22"}  # a string key, never turned into a date


# -- parsing ahead on several processes -----------------------------------------------------------------------
def _large_catalog(tmp_path: Path) -> Path:
    """300 synthetic models (600 files, over PARSE_AHEAD_MIN_FILES), three of them broken three ways."""
    from bench.synth_catalog import generate

    root = tmp_path / "large"
    generate(root, 300)
    deployments = sorted((root / "deployments").glob("*.yaml"))
    deployments[0].write_text(deployments[0].read_text() + "status: [unclosed\n")  # not YAML
    deployments[1].write_text(deployments[1].read_text().replace("status:", "status: active\nstatus:", 1))
    models = sorted((root / "models").glob("*.yaml"))
    models[0].write_text(models[0].read_text() + "context_window: many\n")  # YAML, wrong type
    return root


def test_files_parsed_ahead_on_workers_report_exactly_what_one_process_reports(tmp_path: Path) -> None:
    root = _large_catalog(tmp_path)
    runs = {}
    for workers in ("1", "2"):
        env = {**os.environ, "CATALOG_PARSE_CACHE": "off", "CATALOG_PARSE_WORKERS": workers}
        runs[workers] = subprocess.run(
            [sys.executable, "-m", "catalog", "validate", "--catalog", str(root)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
    one, two = runs["1"], runs["2"]
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stderr == two.stderr
    shown = one.stdout.splitlines()
    assert len(shown) >= 3 and any("duplicate key `status`" in line for line in shown), shown


#: Run in a fresh interpreter: forking a test runner that may hold other threads could copy a held lock.
_PARSE_AHEAD_SCRIPT = """
import sys
from pathlib import Path
from catalog import yaml_source
raws = [p.read_bytes() for p in sorted(Path(sys.argv[1]).rglob("*.yaml"))]
first = yaml_source.parse_ahead(raws, workers=2)
for raw in raws:  # the loader's own pass: what was parsed ahead joins the cache as it is read
    try:
        yaml_source.read_catalog_yaml(raw)
    except yaml_source.YamlProblem:
        pass
print(len(raws), first, yaml_source.parse_ahead(raws, workers=2))
print(yaml_source.parse_ahead(raws[: yaml_source.PARSE_AHEAD_MIN_FILES - 1], workers=2))
"""


def test_workers_parse_every_readable_file_and_leave_broken_ones_to_the_loader(tmp_path: Path) -> None:
    root = _large_catalog(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_AHEAD_SCRIPT, str(root)],
        capture_output=True,
        text=True,
        env={**os.environ, "CATALOG_PARSE_CACHE": "off"},
        check=True,
        timeout=300,
    )
    (files, first, second), (few,) = (map(int, line.split()) for line in done.stdout.splitlines())
    # Everything but the two files YAML itself refuses (one not YAML, one with a duplicate key); the file
    # with a wrong type reads as YAML, so its values are kept and the schema reports it in the loader.
    assert first == files - 2
    assert second == 0, "once read, they are all in the cache"
    assert few == 0, "too few files to be worth the workers"


def test_files_the_loader_refuses_are_never_parsed_ahead_into_the_saved_cache(tmp_path: Path) -> None:
    root = _large_catalog(tmp_path)
    (root / "notes").mkdir()
    (root / "notes" / "secret.yaml").write_text("token: SECRET-IN-AN-UNKNOWN-FOLDER\n")
    (root / "models" / "Bad_Name.yaml").write_text("token: SECRET-UNDER-A-BAD-NAME\n")
    cache = tmp_path / "values.json"
    env = {**os.environ, "CATALOG_PARSE_CACHE": str(cache), "CATALOG_PARSE_WORKERS": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "catalog", "validate", "--catalog", str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 1 and "notes/secret.yaml" in done.stdout and "Bad_Name.yaml" in done.stdout
    saved = cache.read_bytes()
    assert b"Synthetic" in saved, "the files the loader read are cached"
    assert b"SECRET-IN-AN-UNKNOWN-FOLDER" not in saved and b"SECRET-UNDER-A-BAD-NAME" not in saved
