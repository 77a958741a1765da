"""Which folder of the catalog holds which kind of entity.

The folder layout is the catalog's table of contents: one YAML file per entity,
named after its id, in the folder of its kind.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import get_args, get_type_hints

from catalog.catalog import ENTITY_NOUN, Catalog, attribute_of
from catalog.schema import SiteInfo, Strict


@dataclass(frozen=True)
class EntityKind:
    """One kind of catalog entity: the folder its files live in and the model that validates them."""

    folder: str
    """Folder under the catalog root, e.g. `use-cases`; also the kind's name in messages and origins."""
    model: type[Strict]
    noun: str
    """One entity of this kind in messages, e.g. `glossary term` ("unknown glossary term `x`")."""

    @property
    def attribute(self) -> str:
        """The `Catalog` field and the `catalog.json` key holding these entities, e.g. `use_cases`."""
        return attribute_of(self.folder)


def _entity_kinds() -> tuple[EntityKind, ...]:
    """The kinds `Catalog` declares (its fields marked with a noun), in their order there."""
    hints = get_type_hints(Catalog)
    return tuple(
        EntityKind(f.name.replace("_", "-"), get_args(hints[f.name])[1], f.metadata[ENTITY_NOUN])
        for f in dataclasses.fields(Catalog)
        if ENTITY_NOUN in f.metadata
    )


#: Every kind of entity, in the order entities are loaded, checked and exported; derived from the fields of
#: `Catalog`, where the list is written once.
ENTITY_KINDS: tuple[EntityKind, ...] = _entity_kinds()

#: folder name -> entity model, derived from `ENTITY_KINDS`.
COLLECTIONS: dict[str, type[Strict]] = {kind.folder: kind.model for kind in ENTITY_KINDS}

#: Single files at the catalog root.
SINGLETONS: dict[str, type[Strict]] = {
    "site.yaml": SiteInfo,
}


#: The schema file each YAML names on its first line, relative to the YAML file.
def schema_ref(folder: str | None) -> str:
    """Return the `$schema` path a YAML file in `folder` (None = catalog root) must name."""
    if folder is None:
        return "schemas/site.json"
    return f"../schemas/{folder}.json"
