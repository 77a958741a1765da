"""Which folder of the catalog holds which kind of entity.

The folder layout is the catalog's table of contents: one YAML file per entity,
named after its id, in the folder of its kind.
"""

from __future__ import annotations

from catalog.schema import (
    Backend,
    ChooserCategory,
    DecisionTree,
    Deployment,
    GlossaryTerm,
    Migration,
    Model,
    ModelHub,
    SiteInfo,
    Source,
    Strict,
    UseCase,
    Workload,
)

#: folder name -> entity model. Order is the order entities are loaded and listed.
COLLECTIONS: dict[str, type[Strict]] = {
    "sources": Source,
    "hubs": ModelHub,
    "glossary": GlossaryTerm,
    "backends": Backend,
    "models": Model,
    "deployments": Deployment,
    "choosers": ChooserCategory,
    "trees": DecisionTree,
    "use-cases": UseCase,
    "workloads": Workload,
    "migrations": Migration,
}

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
