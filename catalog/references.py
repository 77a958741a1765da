"""Where an entity names another: the fields its model declares as references (`catalog.types.RefersTo`).

A model's reference fields are found once, from its annotations, as paths through its fields, lists and
mappings; each entity is then walked along those paths only. `catalog.rules.references_resolve` checks
every value found this way, so a new reference field needs its type (`ModelId`, `DeploymentId`, ...) and
nothing else.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from catalog.errors import FieldPath
from catalog.types import RefersTo

#: A step of a reference path: a field name, or every item of a list (`_ITEMS`) or value of a mapping (`_VALUES`).
_ITEMS, _VALUES = 0, 1
Step = str | int


@functools.cache
def reference_paths(model: type[BaseModel]) -> tuple[tuple[tuple[Step, ...], str], ...]:
    """(steps, target) of every reference `model` declares, however deep; computed once per model."""
    found: list[tuple[tuple[Step, ...], str]] = []
    _collect_model(model, (), found, ())
    return tuple(found)


def _collect_model(
    model: type[BaseModel], steps: tuple[Step, ...], found: list[tuple[tuple[Step, ...], str]], seen: tuple[type, ...]
) -> None:
    if model in seen:
        return
    for name, info in model.model_fields.items():
        target = _target(info.metadata)
        if target is not None:
            found.append(((*steps, name), target))
        else:
            _collect(info.annotation, (*steps, name), found, (*seen, model))


def _collect(
    annotation: Any, steps: tuple[Step, ...], found: list[tuple[tuple[Step, ...], str]], seen: tuple[type, ...]
) -> None:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        target = _target(metadata)
        if target is not None:
            found.append((steps, target))
        else:
            _collect(inner, steps, found, seen)
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            _collect(arg, steps, found, seen)
    elif origin in (list, tuple, set, frozenset):
        for arg in get_args(annotation):
            if arg is not Ellipsis:
                _collect(arg, (*steps, _ITEMS), found, seen)
    elif origin is dict:
        # Keys are the mapping's own names (a tree's nodes, site.yaml's gateways), never references.
        _collect(get_args(annotation)[1], (*steps, _VALUES), found, seen)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _collect_model(annotation, steps, found, seen)


def _target(metadata: Any) -> str | None:
    return next((m.target for m in metadata if isinstance(m, RefersTo)), None)


def references(entity: BaseModel) -> Iterator[tuple[FieldPath, str, str]]:
    """(field path, target, id) of every reference the entity holds, e.g. `(("picks", 0, "deployment"),
    "deployments", "qwen3-8b")`; a reference left out (None) is no reference."""
    for steps, target in reference_paths(type(entity)):
        yield from _walk(entity, steps, (), target)


def _walk(value: Any, steps: tuple[Step, ...], path: FieldPath, target: str) -> Iterator[tuple[FieldPath, str, str]]:
    if value is None:
        return
    if not steps:
        if isinstance(value, str):
            yield path, target, value
        return
    step, rest = steps[0], steps[1:]
    if step == _ITEMS:
        for index, item in enumerate(value):
            yield from _walk(item, rest, (*path, index), target)
    elif step == _VALUES:
        for key, item in value.items():
            yield from _walk(item, rest, (*path, key), target)
    else:
        yield from _walk(getattr(value, str(step), None), rest, (*path, step), target)
