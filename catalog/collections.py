"""Which folder of the catalog holds which kind of entity.

The folder layout is the catalog's table of contents: one YAML file per entity,
named after its id, in the folder of its kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.schema import (
    Backend,
    ChooserCategory,
    DecisionTree,
    Deployment,
    Fleet,
    GlossaryTerm,
    Migration,
    Model,
    ModelHub,
    SiteInfo,
    Source,
    Strict,
    Task,
    UseCase,
    Workload,
)


@dataclass(frozen=True)
class EntityKind:
    """One kind of catalog entity: the folder its files live in and the model that validates them."""

    folder: str
    """Folder under the catalog root, e.g. `use-cases`; also the kind's name in messages and origins."""
    model: type[Strict]

    @property
    def attribute(self) -> str:
        """The `Catalog` field and the `catalog.json` key holding these entities, e.g. `use_cases`."""
        return self.folder.replace("-", "_")


#: Every kind of entity, in the order entities are loaded, checked and exported.
ENTITY_KINDS: tuple[EntityKind, ...] = (
    EntityKind("sources", Source),
    EntityKind("tasks", Task),
    EntityKind("fleets", Fleet),
    EntityKind("hubs", ModelHub),
    EntityKind("glossary", GlossaryTerm),
    EntityKind("backends", Backend),
    EntityKind("models", Model),
    EntityKind("deployments", Deployment),
    EntityKind("choosers", ChooserCategory),
    EntityKind("trees", DecisionTree),
    EntityKind("use-cases", UseCase),
    EntityKind("workloads", Workload),
    EntityKind("migrations", Migration),
)

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
