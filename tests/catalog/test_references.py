"""References are declared on the schema's fields and checked by one rule; violations are told apart by kind."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from catalog import check_catalog
from catalog.collections import ENTITY_KINDS, SINGLETONS
from catalog.json_schema import schema_files
from catalog.references import reference_paths
from catalog.rules import Known, ViolationKind, check_rules
from catalog.types import ENTITY_ID_PATTERN
from tests.catalog.test_rules import edit, errors

#: Id fields that name something inside their own file, not another entity: a tree's first question and an
#: option's next one (checked by `tree_nodes_connect`).
OWN_FILE_IDS = {"DecisionTree.root", "TreeOption.next"}


def _id_fields(schema: dict[str, Any]) -> dict[str, str | None]:
    """`Model.field` -> what it refers to, for every property of every schema whose value is an entity id."""
    found: dict[str, str | None] = {}

    def ids_in(node: Any) -> list[dict[str, Any]]:
        if not isinstance(node, dict):
            return []
        if node.get("pattern") == ENTITY_ID_PATTERN:
            return [node]
        return [
            *ids_in(node.get("items")),
            *(i for option in node.get("anyOf", []) for i in ids_in(option)),
        ]

    for name, definition in [(schema["title"], schema), *schema.get("$defs", {}).items()]:
        for prop, node in definition.get("properties", {}).items():
            for id_node in ids_in(node):
                found[f"{name}.{prop}"] = id_node.get("x-refers-to")
    return found


def test_every_id_field_declares_what_it_refers_to() -> None:
    """An id field is a declared reference (so `references_resolve` checks it), or names part of its own file."""
    fields: dict[str, str | None] = {}
    for path, content in schema_files().items():
        if path.parent.name == "schemas":
            fields |= _id_fields(json.loads(content))
    undeclared = {name for name, target in fields.items() if target is None}
    assert undeclared == OWN_FILE_IDS
    assert fields["Deployment.model"] == "models/<id>.yaml"
    assert fields["Deployment.gateway"] == "site.yaml gateways"
    assert fields["GlossaryTerm.see_also"] == "glossary/<id>.yaml"


def test_every_reference_names_a_kind_of_entity() -> None:
    targets = {kind.folder for kind in ENTITY_KINDS} | {"gateways"}
    models = [*(kind.model for kind in ENTITY_KINDS), *SINGLETONS.values()]
    assert {target for model in models for _steps, target in reference_paths(model)} <= targets


def test_a_reference_deep_in_a_file_is_checked_where_it_is_written(small_catalog: Path) -> None:
    """A fleet server's sources were not among the hand-listed references; declared on the field, they are."""
    edit(small_catalog, "fleets/team.yaml", "    sources: [{source: test-guide}]", "    sources: [{source: test-gide}]")
    assert errors(small_catalog) == [
        "cat/fleets/team.yaml:10:16: servers[0].sources[0].source: unknown source `test-gide`"
        " (hint: did you mean `test-guide`?)"
    ]


def test_an_id_that_mentions_a_gateway_is_still_reported_without_a_site(small_catalog: Path) -> None:
    """Without a valid site.yaml the gateway rules stay silent; which those are is the violation's kind, so an
    unknown model that merely has "gateway" in its id is reported (matching the message's words hid it)."""
    edit(small_catalog, "site.yaml", "tagline: A tiny catalog for end-to-end tests.\n", "")
    edit(small_catalog, "deployments/coder-chat.yaml", "model: qwen2.5-coder-7b-instruct-awq", "model: gateway-7b")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:2:1: model: unknown model `gateway-7b` (hint: add `models/gateway-7b.yaml`)",
        "cat/site.yaml:2:1: tagline: required field `tagline` is missing (hint: add `tagline:`)",
    ]


def test_violations_carry_their_kind(small_catalog: Path) -> None:
    catalog, found = check_catalog(small_catalog)
    assert catalog is not None, found
    deployment = catalog.deployments["coder-chat"].model_copy(update={"backend": "vlm", "gateway": "unifed"})
    broken = dataclasses.replace(catalog, deployments={**catalog.deployments, "coder-chat": deployment})
    known = Known({kind.folder: set(catalog.entities(kind.folder)) for kind in ENTITY_KINDS})
    found_kinds = {(v.kind, v.path, v.message) for v in check_rules(broken, known)}
    assert found_kinds == {
        (ViolationKind.unknown_reference, ("backend",), "unknown backend `vlm`"),
        (ViolationKind.unknown_gateway, ("gateway",), "unknown gateway `unifed`"),
    }
