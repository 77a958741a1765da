"""Reading one catalog YAML file safely, keeping line numbers for every value.

PyYAML accepts duplicate keys silently and expands aliases without limit, so the
file is *composed* into nodes (which keep their marks) and turned into Python
values here, with those checks added. The node tree stays around as a
`Locator`, so any later error (pydantic's or a cross-entity rule's) can point
at the line of the value it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from catalog.errors import FieldPath

# The C parser keeps marks too and is several times faster on large catalogs.
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_scalar_constructor = yaml.constructor.SafeConstructor()

#: Values an anchor/alias expansion may produce per file before it counts as a "billion laughs" attack.
MAX_EXPANDED_NODES = 20_000


class YamlProblem(Exception):
    """A file that cannot be read as a catalog mapping."""

    def __init__(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Locator:
    """Finds the line and column of a field path inside one composed file."""

    root: yaml.Node

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


def read_catalog_yaml(raw: bytes) -> tuple[dict[str, Any], Locator]:
    """Parse one file into a mapping and its locator, or raise `YamlProblem`."""
    text = _decode(raw)
    _reject_tabs(text)
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise YamlProblem(1, 1, "the file is empty", "a catalog file is a mapping of `field: value` lines")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(line, column, f"not valid YAML: {exc.problem or exc}") from None
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
    budget = [MAX_EXPANDED_NODES]
    data = _to_python(root, budget)
    assert isinstance(data, dict)
    return data, Locator(root)


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


def _to_python(node: yaml.Node, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
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
        return _scalar_constructor.construct_object(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, budget) for item in node.value]
    assert isinstance(node, yaml.MappingNode)
    result: dict[str, Any] = {}
    first_seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line, column = _position(key_node)
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise YamlProblem(line, column, "merge keys (`<<`) are not supported", "write the keys out")
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlProblem(line, column, "a mapping key must be a plain value")
        key = str(key_node.value)
        if key in first_seen:
            raise YamlProblem(
                line,
                column,
                f"duplicate key `{key}` (first defined on line {first_seen[key]})",
                "keep one of the two",
            )
        first_seen[key] = line
        result[key] = _to_python(value_node, budget)
    return result
