"""The validated catalog: every entity by id, plus where each came from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel

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
    Task,
    UseCase,
    Workload,
)
from catalog.types import DeploymentStatus
from catalog.yaml_source import Locator


@dataclass(frozen=True)
class Origin:
    """The file an entity was read from, and how to find lines inside it."""

    path: Path
    locator: Locator


#: The key of a `Catalog` field's metadata that marks it as an entity kind and holds the noun that names one
#: entity of that kind in messages ("unknown glossary term `x`").
ENTITY_NOUN = "entity_noun"


@dataclass(frozen=True)
class Catalog:
    """All entities, each dict sorted by id so every renderer's output is deterministic."""

    root: Path
    site: SiteInfo
    # The entity kinds, each once: the folder is the field's name with `-` for `_`, the model is the dict's
    # value type, and the noun names one entity in messages. `catalog.collections.ENTITY_KINDS` (the load
    # order, the JSON Schema files, `catalog.json`) is derived from these fields, in this order.
    sources: dict[str, Source] = field(metadata={ENTITY_NOUN: "source"})
    tasks: dict[str, Task] = field(metadata={ENTITY_NOUN: "task"})
    fleets: dict[str, Fleet] = field(metadata={ENTITY_NOUN: "fleet"})
    hubs: dict[str, ModelHub] = field(metadata={ENTITY_NOUN: "hub"})
    glossary: dict[str, GlossaryTerm] = field(metadata={ENTITY_NOUN: "glossary term"})
    backends: dict[str, Backend] = field(metadata={ENTITY_NOUN: "backend"})
    models: dict[str, Model] = field(metadata={ENTITY_NOUN: "model"})
    deployments: dict[str, Deployment] = field(metadata={ENTITY_NOUN: "deployment"})
    choosers: dict[str, ChooserCategory] = field(metadata={ENTITY_NOUN: "chooser category"})
    trees: dict[str, DecisionTree] = field(metadata={ENTITY_NOUN: "decision tree"})
    use_cases: dict[str, UseCase] = field(metadata={ENTITY_NOUN: "use case"})
    workloads: dict[str, Workload] = field(metadata={ENTITY_NOUN: "workload"})
    migrations: dict[str, Migration] = field(metadata={ENTITY_NOUN: "migration"})
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict, compare=False, repr=False)
    """(folder, id) -> origin; the site file is ("", "site")."""

    def source_file(self, folder: str, entity_id: str) -> Path:
        """The YAML file an entity was read from (for "edit this page" links)."""
        return self.origins[(folder, entity_id)].path

    def active_deployments(self) -> dict[str, Deployment]:
        return {k: d for k, d in self.deployments.items() if d.status is DeploymentStatus.active}

    def entities(self, folder: str) -> dict[str, BaseModel]:
        """The entities of one kind by id, e.g. `entities("use-cases")`; `""` is the site file."""
        if folder == "":
            return {"site": self.site}
        entities: dict[str, BaseModel] = getattr(self, attribute_of(folder))
        return entities

    @cached_property
    def served_name_counts(self) -> Counter[str]:
        """How many deployments serve each name; counted once, not once per card."""
        return Counter(d.served_name for d in self.deployments.values())


def attribute_of(folder: str) -> str:
    """The `Catalog` field holding a folder's entities, e.g. `use_cases` for `use-cases`."""
    return folder.replace("-", "_")
