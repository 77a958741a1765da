"""Reading one catalog YAML file safely, keeping line numbers for every value.

PyYAML accepts duplicate keys silently, expands aliases without limit, recurses
once per nesting level and constructs any tag it knows, so the file is
*composed* into nodes (which keep their marks) and turned into Python values
here, with those checks added. The node tree stays around as a `Locator`, so
any later error (pydantic's or a cross-entity rule's) can point at the line of
the value it is about.

Two kinds of problem come out of a file:

- A problem that stops reading (not UTF-8, not YAML, too big, too deep, ...) is
  raised as `YamlProblem`.
- A problem with one value (an unknown tag, a number too large, a duplicate key)
  is collected in `YamlDocument.problems` with the value's field path, and
  reading goes on, so the schema can still report every other error of the file.
  The value is replaced by `INVALID`, which no schema field accepts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from catalog import cache_seal
from catalog.errors import FieldPath
from catalog.forking import forked_map, usable_cores

# The C parser keeps marks too and is several times faster on large catalogs.
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_INT_TAG = _YAML_TAG + "int"
_FLOAT_TAG = _YAML_TAG + "float"
_TIMESTAMP_TAG = _YAML_TAG + "timestamp"
_SEQ_TAG = _YAML_TAG + "seq"
_MAP_TAG = _YAML_TAG + "map"
_MERGE_TAG = _YAML_TAG + "merge"
_scalar_constructor = yaml.constructor.SafeConstructor()
#: The plain scalar types a catalog uses. Anything else (`!foo`, `!!binary`, `!!python/...`) is refused.
#: The constructors are called directly: `construct_object` would cache every node for the life of the process.
_SCALAR_CONSTRUCTORS: dict[str, Callable[[yaml.constructor.SafeConstructor, yaml.ScalarNode], Any]] = {
    _YAML_TAG + kind: yaml.constructor.SafeConstructor.yaml_constructors[_YAML_TAG + kind]
    for kind in ("null", "bool", "int", "float", "timestamp")
}
_TYPE_NAMES = {
    _YAML_TAG + "null": "null",
    _YAML_TAG + "bool": "a boolean",
    _INT_TAG: "an integer",
    _FLOAT_TAG: "a number",
    _TIMESTAMP_TAG: "a date",
}

#: Largest file read. The biggest bundled file (site.yaml) is under 5 KiB and a generated 3000-model
#: catalog's biggest under 3 KiB; 1 MiB is 200 times that, still parses in a fraction of a second,
#: and keeps a file that is really a log, a dump or a disk image from being read into memory.
MAX_FILE_BYTES = 1024 * 1024
#: Deepest nesting of mappings and lists, counting the file's top-level mapping as 1. The deepest
#: bundled file (a decision tree: nodes.<id>.options[i].recommend[j]) nests 7; 64 leaves room for any
#: sane structure and stays far below the depth at which Python (1000 frames) or the C composer
#: (it segfaults at about 4000 levels on a 1 MiB thread stack, 40000 on the 8 MiB main stack) crashes.
MAX_DEPTH = 64
#: Values an anchor/alias expansion may produce per file before it counts as a "billion laughs" attack.
MAX_EXPANDED_NODES = 20_000
#: Integers must fit in 64 bits: no catalog field needs more, and bigger ones overflow float arithmetic later.
MAX_INT = 2**63 - 1
#: Nesting depth and node count can never exceed the number of characters that open a collection or
#: entry (`[ { - : ? ,`). Files with at most this many skip the event pre-scan: even at this depth the
#: C composer is safe, and `_to_python` enforces `MAX_DEPTH` afterwards. Every bundled or generated
#: file has at most 170, so the pre-scan (about 70% of a parse) only runs for unusual files.
_PRESCAN_ABOVE = 256
_INDICATORS = "[{-:?,"
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Invalid:
    """Stands in for a value that was already reported; every schema field rejects it."""

    def __repr__(self) -> str:
        return "<invalid value>"


INVALID: Any = _Invalid()


class YamlProblem(Exception):
    """A file, or one value in it, that cannot be read as part of a catalog mapping."""

    def __init__(self, line: int, column: int, message: str, hint: str, path: FieldPath = ()) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
        self.path = path


class Locator:
    """Finds the line and column of a field path inside one composed file.

    Made from the composed root, or from the file's text alone when the values came from the parse cache:
    the text is composed again only if an error needs a position, which a valid file never does.
    """

    def __init__(self, root: yaml.Node | None = None, text: str | None = None) -> None:
        if root is None and text is None:
            raise ValueError("a Locator needs the composed root or the text")
        self._root = root
        self._text = text

    @property
    def root(self) -> yaml.Node:
        if self._root is None:
            assert self._text is not None
            self._root = yaml.compose(self._text, Loader=_Loader)
        assert self._root is not None, "the file composed to a mapping when it was first read"
        return self._root

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """1-based position of the deepest node the path reaches (the key, for mapping entries)."""
        node = self.root
        position = _position(node)
        for part in path:
            found = _child(node, part)
            if found is None:
                break
            key_node, node = found
            # Point at the key: "unknown field" and "wrong type" both read best there.
            position = _position(key_node or node)
        return position


class YamlDocument(NamedTuple):
    """A file read as a mapping, its locator, and the problems found in single values."""

    data: dict[str, Any]
    locator: Locator
    problems: list[YamlProblem]


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


#: Values of files read before, by a digest of their bytes, as JSON text, so each read gets its own copy.
#: Only files without any problem are kept (their values hold no `INVALID`). Filled from and saved to
#: `.cache/catalog-parse/` by `load_parse_cache` / `save_parse_cache` (the loader calls both), so that
#: `python -m catalog validate` and every build compose only the files that changed since the last run.
#: The file is JSON (nothing in it runs when read) under a seal (catalog/cache_seal.py), and names the code
#: that wrote it: a planted, tampered or stale file is ignored and written anew, never trusted.
_parsed: dict[str, str] = {}
_parsed_new = 0
#: Keys read or added by this process: kept first when the saved cache is trimmed to `_PARSE_CACHE_ENTRIES`.
_parsed_used: set[str] = set()
_PARSE_CACHE_FORMAT = "catalog-parse-2"
#: About two 3000-model catalogs (two files per model) plus the bundled one; older entries are dropped.
_PARSE_CACHE_ENTRIES = 16_000
#: Dates and times, which JSON lacks, are written as one-key objects under these names. A file whose values
#: would not come back equal (a key spelled like a marker) is simply not cached.
_DATE_MARK, _DATETIME_MARK = "\x00date", "\x00datetime"


@functools.cache
def _code_version() -> str:
    """What produced the cached values: this module's source, PyYAML's version and which parser ran."""
    source = Path(__file__).read_bytes()
    parts = [source, yaml.__version__.encode(), _Loader.__name__.encode()]
    return hashlib.blake2b(b"\0".join(parts), digest_size=16).hexdigest()


def parse_cache_file() -> Path | None:
    """`$CATALOG_PARSE_CACHE` (a file; `off` disables), else .cache/catalog-parse/values.json in the repo."""
    setting = os.environ.get("CATALOG_PARSE_CACHE", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    if setting:
        return Path(setting)
    return Path(__file__).resolve().parent.parent / ".cache" / "catalog-parse" / "values.json"


def load_parse_cache() -> None:
    """Read the parse cache once per process; a file that is not sealed, current and whole is ignored."""
    global _parse_cache_loaded
    if _parse_cache_loaded:
        return
    _parse_cache_loaded = True
    path = parse_cache_file()
    if path is None or not path.is_file():
        return
    try:
        payload = cache_seal.unseal(path.read_bytes())
        stored = json.loads(payload) if payload is not None else None
    except (OSError, ValueError):
        return
    if not (
        isinstance(stored, dict)
        and stored.get("format") == _PARSE_CACHE_FORMAT
        and stored.get("code") == _code_version()
        and isinstance(stored.get("entries"), dict)
    ):
        return
    for key, value in stored["entries"].items():
        if isinstance(value, str):
            _parsed.setdefault(key, value)


_parse_cache_loaded = False


def save_parse_cache() -> None:
    """Write the parse cache if this process parsed files it did not hold (atomically; errors ignored)."""
    global _parsed_new
    path = parse_cache_file()
    if path is None or not _parsed_new:
        return
    kept = {key: _parsed[key] for key in _parsed if key in _parsed_used}
    for key, value in _parsed.items():
        if len(kept) >= _PARSE_CACHE_ENTRIES:
            break
        kept.setdefault(key, value)
    payload = json.dumps({"format": _PARSE_CACHE_FORMAT, "code": _code_version(), "entries": kept})
    sealed = cache_seal.seal(payload.encode("utf-8"))
    if sealed is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as tmp:
            tmp.write(sealed)
        Path(tmp.name).replace(path)
        _parsed_new = 0
    except OSError:
        pass


def _encode_dates(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {_DATETIME_MARK: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE_MARK: value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not a catalog value")


def _decode_dates(mapping: dict[str, Any]) -> Any:
    if len(mapping) == 1:
        if _DATE_MARK in mapping:
            return dt.date.fromisoformat(mapping[_DATE_MARK])
        if _DATETIME_MARK in mapping:
            return dt.datetime.fromisoformat(mapping[_DATETIME_MARK])
    return mapping


def _values_from_json(text: str) -> Any:
    # Only text that holds a marker needs the (slower) hook; most catalog files hold no date.
    return json.loads(text, object_hook=_decode_dates) if '"\\u0000date' in text else json.loads(text)


def _values_to_json(data: Any) -> str | None:
    """The JSON text that gives `data` back, or None when it would not come back equal."""
    try:
        text = json.dumps(data, ensure_ascii=False, default=_encode_dates)
    except (TypeError, ValueError):
        return None
    return text if _values_from_json(text) == data else None


def read_catalog_yaml(raw: bytes) -> YamlDocument:
    """Parse one file into a mapping, its locator and its value problems, or raise `YamlProblem`."""
    global _parsed_new
    key = hashlib.blake2b(raw, digest_size=20).hexdigest()
    cached = _parsed.get(key)
    if cached is None and (cached := _parsed_ahead.pop(key, None)) is not None:
        _parsed[key] = cached  # used: from now on it is the cache's, and saved with it
        _parsed_new += 1
    _parsed_used.add(key)
    if cached is not None:
        text = raw.decode("utf-8")
        return YamlDocument(_values_from_json(cached), Locator(text=text.removeprefix("\ufeff")), [])
    document = _read_catalog_yaml(raw)
    if not document.problems and (encoded := _values_to_json(document.data)) is not None:
        _parsed[key] = encoded
        _parsed_new += 1
    return document


#: Fewer files than this are parsed in the loader's own pass: starting workers would cost more than it saves.
PARSE_AHEAD_MIN_FILES = 256
#: At most this many bytes of files go to the workers (all of them travel there and back at once); the
#: loader's own pass reads the rest one at a time. A 3000-model catalog is about 12 MB.
PARSE_AHEAD_MAX_BYTES = 64 * 1024 * 1024
#: What the workers parsed, by digest, until the loader reads the file: only then does a value join
#: `_parsed` (and the saved cache), so a value the loader never used is never kept.
_parsed_ahead: dict[str, str] = {}


def parse_workers() -> int:
    """How many processes `parse_ahead` may use: `$CATALOG_PARSE_WORKERS`, else this machine's cores (at most 4)."""
    setting = os.environ.get("CATALOG_PARSE_WORKERS", "")
    return max(1, int(setting)) if setting.isdigit() else min(usable_cores(), 4)


def parse_ahead(raws: Sequence[bytes], workers: int) -> int:
    """Parse the files the parse cache lacks on `workers` forked processes, ready for the loader; how many.

    The loader's own pass, one file at a time and in order, then finds them parsed: every check it makes, and
    every error it reports, stays where it was (a file with any problem is not kept, so it is read again
    there, with its positions). Only the values travel back, as the JSON the cache holds. Where workers
    cannot run (`catalog/forking.py`), nothing is parsed ahead and the loader reads every file itself.
    """
    global _chunks
    _parsed_ahead.clear()
    todo: dict[str, bytes] = {}
    budget = PARSE_AHEAD_MAX_BYTES
    for raw in raws:
        key = hashlib.blake2b(raw, digest_size=20).hexdigest()
        if key not in _parsed and len(raw) <= budget:
            todo[key] = raw
            budget -= len(raw)
    if workers < 2 or len(todo) < PARSE_AHEAD_MIN_FILES:
        return 0
    pending = list(todo.values())
    _chunks = [pending[n::workers] for n in range(workers)]
    try:
        parsed = forked_map(_parse_chunk, len(_chunks), workers)
    finally:
        _chunks = []
    added = 0
    for values in parsed or []:
        for key, encoded in values:
            if key not in _parsed:
                _parsed_ahead[key] = encoded
                added += 1
    return added


#: The files `parse_ahead` hands its workers, set before they are forked (each inherits them).
_chunks: list[list[bytes]] = []


def _parse_chunk(index: int) -> list[tuple[str, str]]:
    """In a worker: the cacheable values of each file of chunk `index` that reads without a problem."""
    values = []
    for raw in _chunks[index]:
        try:
            document = _read_catalog_yaml(raw)
        except Exception:
            continue
        if not document.problems and (encoded := _values_to_json(document.data)) is not None:
            values.append((hashlib.blake2b(raw, digest_size=20).hexdigest(), encoded))
    return values


def discard_parsed_ahead() -> None:
    """Forget what the workers parsed and the loader did not read (files it refused or never reached)."""
    _parsed_ahead.clear()


def _read_catalog_yaml(raw: bytes) -> YamlDocument:
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(len(raw))
    text = _decode(raw)
    if text.startswith("\ufeff"):
        # A byte order mark is legal in YAML and some Windows editors write one; it is not content.
        text = text[1:]
    if "\t" in text:
        _reject_tabs(text)
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise YamlProblem(1, 1, "the file is empty", "a catalog file is a mapping of `field: value` lines")
    if sum(map(text.count, _INDICATORS)) > _PRESCAN_ABOVE:
        _prescan(text)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _syntax_problem(exc, text) from None
    if root is None:
        raise YamlProblem(1, 1, "the file is empty", "a catalog file is a mapping of `field: value` lines")
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        line, column = _position(root)
        raise YamlProblem(
            line,
            column,
            f"the file holds {kind}, not a mapping",
            "write `field: value` lines at the top level",
        )
    state = _State()
    data = _to_python(root, 1, state)
    if not isinstance(data, dict):
        # A top-level mapping with a tag such as `--- !foo`: reported as a value problem at the file.
        data = {}
    problems = [_located(root, node, message, hint) for node, message, hint in state.problems]
    return YamlDocument(data, Locator(root=root), problems)


def _too_large(size: int) -> YamlProblem:
    return YamlProblem(
        1,
        1,
        f"the file is {size / 1024 / 1024:.1f} MiB; a catalog file may be at most {MAX_FILE_BYTES // 1024 // 1024} MiB",
        "a catalog entry is a few KiB of YAML; check that this is the right file, or split it into several entries",
    )


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            line,
            column,
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
            "save the file as UTF-8",
        ) from None


def _reject_tabs(text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line:
            raise YamlProblem(
                number,
                line.index("\t") + 1,
                "tab character in the file",
                "YAML indents with spaces; replace tabs",
            )


def _prescan(text: str) -> None:
    """Check nesting depth and size on the parser's events, before the (recursive) composer sees the file.

    The parsers keep their own stacks, but the composer recurses (in C, and crashes the whole process with a
    segmentation fault on deep enough input). libyaml's scanner also has a nesting limit of its own since
    0.2.6 (PyYAML 6.0.4: 1000 levels), and it reads a run of `[` far ahead of the events it has handed out,
    so on such a file it stops with its own error before the count below reaches `MAX_DEPTH`. When the fast
    parser fails, the pure-Python one (no limit of its own, never more than 1024 characters ahead) reads the
    file again to say which limit is crossed first: ours, at the position the reader needs, whatever the
    installed libyaml does.
    """
    try:
        _count_events(text, _Loader)
    except yaml.YAMLError as exc:
        if _Loader is not yaml.SafeLoader:
            # A limit crossed raises `YamlProblem`; the Python parser's own error adds nothing to libyaml's.
            with contextlib.suppress(yaml.YAMLError):
                _count_events(text, yaml.SafeLoader)
        raise _syntax_problem(exc, text) from None


def _count_events(text: str, loader: type[Any]) -> None:
    depth = 0
    values = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            values += 1
            if depth > MAX_DEPTH:
                raise _too_deep(*_mark_position(event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent):
            values += 1
        if values > MAX_EXPANDED_NODES:
            raise YamlProblem(
                *_mark_position(event.start_mark),
                f"the file holds more than {MAX_EXPANDED_NODES} values",
                "a catalog entry holds a few hundred values at most; check that this is the right file, or split it",
            )


def _mark_position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _too_deep(line: int, column: int) -> YamlProblem:
    return YamlProblem(
        line,
        column,
        f"mappings and lists are nested more than {MAX_DEPTH} levels deep",
        "catalog entries nest a few levels at most; look for an unclosed `[` or `{`, runaway indentation,"
        " or an alias (`*name`) inside its own anchor",
    )


def _syntax_problem(exc: yaml.YAMLError, text: str) -> YamlProblem:
    """A parser error as a problem at its line, with a hint for the usual causes."""
    if isinstance(exc, yaml.reader.ReaderError):
        # The reader's position is not reliable across the C and Python parsers; find the character again.
        bad = _NOT_PRINTABLE.search(text)
        index = bad.start() if bad else 0
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        char = text[index] if bad else "\x00"
        if char == "\x00":
            return YamlProblem(
                line,
                column,
                "NUL byte (U+0000) in the file",
                "the file looks binary or corrupted; delete the character, or re-save the file as UTF-8 text",
            )
        return YamlProblem(
            line,
            column,
            f"control character U+{ord(char):04X} is not allowed in YAML",
            "delete it; catalog files hold printable UTF-8 text only",
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        return YamlProblem(line, column, f"not valid YAML: {problem}", _syntax_hint(problem))
    return YamlProblem(1, 1, f"not valid YAML: {exc}", _syntax_hint(str(exc)))


def _syntax_hint(problem: str) -> str:
    if "found undefined alias" in problem:
        return "define the anchor (`&name`) before the alias (`*name`) that uses it, or write the value out"
    if "mapping values are not allowed" in problem:
        return "put the value in quotes: a `: ` inside a plain value starts a new mapping"
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return "close the `[` or `{` opened above, and separate items with `, `"
    if "cannot start any token" in problem:
        return "put the value in quotes: it starts with a character YAML reserves (`@`, `` ` ``, `%`, `|`, `>`)"
    return "check indentation and quoting on this line and the one above; quote values that contain `: ` or ` #`"


@dataclass
class _State:
    budget: int = MAX_EXPANDED_NODES
    problems: list[tuple[yaml.Node, str, str]] = field(default_factory=list)


def _to_python(node: yaml.Node, depth: int, state: _State) -> Any:
    state.budget -= 1
    if state.budget < 0:
        line, column = _position(node)
        raise YamlProblem(
            line,
            column,
            f"anchors and aliases expand to more than {MAX_EXPANDED_NODES} values",
            "write the values out instead of nesting aliases",
        )
    if isinstance(node, yaml.ScalarNode):
        # Most values are plain strings; skipping the constructor for them halves the parse time.
        if node.tag == _STR_TAG:
            return node.value
        return _scalar(node, state)
    if depth > MAX_DEPTH:
        # Reached only through aliases (an anchor that contains itself) or files small enough to skip
        # the pre-scan; either way the recursion stops here, long before Python's own limit.
        raise _too_deep(*_position(node))
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            return _unknown_tag(node, state)
        return [_to_python(item, depth + 1, state) for item in node.value]
    assert isinstance(node, yaml.MappingNode)
    if node.tag != _MAP_TAG:
        return _unknown_tag(node, state)
    result: dict[str, Any] = {}
    first_seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == _MERGE_TAG:
            state.problems.append((key_node, "merge keys (`<<`) are not supported", "write the keys out"))
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            state.problems.append(
                (
                    key_node,
                    "a mapping key must be a plain value",
                    "write the key as a plain word such as `name:`; lists and mappings cannot be keys",
                )
            )
            continue
        if key_node.tag != _STR_TAG and key_node.tag not in _SCALAR_CONSTRUCTORS:
            _unknown_tag(key_node, state)
            continue
        key = str(key_node.value)
        if key in first_seen:
            state.problems.append(
                (key_node, f"duplicate key `{key}` (first defined on line {first_seen[key]})", "keep one of the two")
            )
            continue
        first_seen[key] = line
        result[key] = _to_python(value_node, depth + 1, state)
    return result


def _unknown_tag(node: yaml.Node, state: _State) -> Any:
    tag = node.tag.replace(_YAML_TAG, "!!")
    state.problems.append(
        (node, f"unknown YAML tag `{tag}`", f"remove `{tag}`; catalog files use plain YAML values without tags")
    )
    return INVALID


def _scalar(node: yaml.ScalarNode, state: _State) -> Any:
    construct = _SCALAR_CONSTRUCTORS.get(node.tag)
    if construct is None:
        return _unknown_tag(node, state)
    text = node.value
    shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
    # An integer of hundreds of digits (or a long `1:2:3...` sexagesimal one) costs quadratic time to build.
    if node.tag == _INT_TAG and len(text) > 100:
        return _too_big(node, shown, state)
    try:
        value = construct(_scalar_constructor, node)
    except Exception:
        if node.tag == _TIMESTAMP_TAG:
            # `2024-13-45` looks like a date but is none: keep the text, so a date field reports it
            # with its path (and a text field simply keeps it).
            return text
        state.problems.append(
            (node, f"`{shown}` is not {_TYPE_NAMES[node.tag]}", "write the value without a tag, or quote it as text")
        )
        return INVALID
    if node.tag == _INT_TAG and not -MAX_INT - 1 <= value <= MAX_INT:
        return _too_big(node, shown, state)
    if node.tag == _FLOAT_TAG and not math.isfinite(value):
        state.problems.append(
            (
                node,
                f"`{shown}` is not a finite number",
                "write the actual figure; infinity and NaN are not catalog values",
            )
        )
        return INVALID
    return value


def _too_big(node: yaml.Node, shown: str, state: _State) -> Any:
    state.problems.append(
        (
            node,
            f"the number `{shown}` is too large: catalog numbers must fit in 64 bits",
            "check the value for a typo (extra digits); no catalog field needs a number this large",
        )
    )
    return INVALID


def _located(root: yaml.Node, target: yaml.Node, message: str, hint: str) -> YamlProblem:
    line, column = _position(target)
    return YamlProblem(line, column, message, hint, _path_to(root, target))


def _path_to(root: yaml.Node, target: yaml.Node) -> FieldPath:
    """The field path of a node (or of the key a key node names); searched only when there is a problem."""
    stack: list[tuple[yaml.Node, FieldPath]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
                if key_node is target:
                    return path if key is None else (*path, key)
                stack.append((value_node, path if key is None else (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return ()
