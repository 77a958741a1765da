"""Files in the render cache are hostile: a planted or edited entry is never published and never runs.

Each rendered page, each indented JSON file, the Pagefind index and Jinja's compiled theme templates are
kept in `.cache/site-render/` under a seal (catalog/cache_seal.py). A build that finds a file whose seal
does not match renders it again, and publishes what the catalog says.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import jinja2
import jinja2.bccache

from catalog import cache_seal
from hooks.speed.render_cache import SealedBytecodeCache
from tests.site.sitebuild import BuildResult, build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
POISON = "POISONED-BY-A-CACHE-FILE"


def _site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _build(folder: Path, cache: Path) -> BuildResult:
    folder.mkdir()
    result = build_site(
        folder, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env={"SITE_RENDER_CACHE": str(cache)}
    )
    assert result.returncode == 0, result.output
    return result


def _poison_keeping_the_seal(path: Path, old: bytes, new: bytes) -> bool:
    """Rewrite the payload of one sealed file and keep its old seal, as an attacker without the key would."""
    data = path.read_bytes()
    seal, payload = data[:65], data[65:]
    if old not in payload:
        return False
    path.write_bytes(seal + payload.replace(old, new))
    return True


def test_edited_and_planted_cache_files_are_not_published(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _build(tmp_path / "first", cache)
    expected = _site_files(first.site_dir)
    entries = sorted(cache.rglob("*.json")) + sorted(cache.rglob("*.txt"))
    assert entries, "the first build stored nothing"
    # Every cached page and JSON file that names the deployment now names the attacker's text instead.
    poisoned = [path for path in entries if _poison_keeping_the_seal(path, b"coder-chat", POISON.encode())]
    assert len(poisoned) > 5
    # A file planted without any seal, where the next build looks for one.
    for path in entries[:3]:
        path.write_text('"<script>alert(1)</script>' + POISON + '"', encoding="utf-8")
    # One file of the cached search index edited: JavaScript the site would serve.
    indexes = sorted(cache.glob("pagefind/pagefind-*"))
    assert indexes, "no search index was cached"
    script = next(indexes[0].rglob("pagefind.js"))
    script.write_text(script.read_text(encoding="utf-8") + f"\n/*{POISON}*/\n", encoding="utf-8")

    second = _build(tmp_path / "second", cache)

    published = _site_files(second.site_dir)
    assert [path for path, data in published.items() if POISON.encode() in data] == []
    assert published == expected


class _Marker:
    """Unpickled, it creates a file: the proof that a cache file ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        return (Path.write_text, (self.path, "ran"))


def _bucket(environment: jinja2.Environment) -> jinja2.bccache.Bucket:
    return jinja2.bccache.Bucket(environment, "main.html", "source-checksum")


def test_a_planted_compiled_template_runs_nothing(tmp_path: Path) -> None:
    """Jinja's bytecode format starts with a pickle: loaded unsealed, a planted file would run code."""
    marker = tmp_path / "ran"
    bomb = jinja2.bccache.bc_magic + pickle.dumps(_Marker(marker), 2)
    environment = jinja2.Environment()
    cache = SealedBytecodeCache(tmp_path / "jinja")
    (tmp_path / "jinja").mkdir()
    target = tmp_path / "jinja" / f"{_bucket(environment).key}.sealed"

    for planted in (bomb, b"0" * 64 + b"\n" + bomb):
        target.write_bytes(planted)
        bucket = _bucket(environment)
        cache.load_bytecode(bucket)
        assert bucket.code is None and not marker.exists()

    # The control: the same bytes under this machine's seal are what Jinja loads, and they would run.
    sealed = cache_seal.seal(bomb)
    assert sealed is not None
    target.write_bytes(sealed)
    cache.load_bytecode(_bucket(environment))
    assert marker.exists()


def test_compiled_templates_are_reused_when_sealed(tmp_path: Path) -> None:
    environment = jinja2.Environment()
    cache = SealedBytecodeCache(tmp_path)
    bucket = _bucket(environment)
    bucket.code = compile("x = 1", "<template>", "exec")
    cache.dump_bytecode(bucket)
    again = _bucket(environment)
    cache.load_bytecode(again)
    assert again.code is not None
