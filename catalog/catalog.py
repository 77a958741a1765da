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


@dataclass(frozen=True)
class Catalog:
    """All entities, each dict sorted by id so every renderer's output is deterministic."""

    root: Path
    site: SiteInfo
    sources: dict[str, Source]
    tasks: dict[str, Task]
    fleets: dict[str, Fleet]
    hubs: dict[str, ModelHub]
    glossary: dict[str, GlossaryTerm]
    backends: dict[str, Backend]
    models: dict[str, Model]
    deployments: dict[str, Deployment]
    choosers: dict[str, ChooserCategory]
    trees: dict[str, DecisionTree]
    use_cases: dict[str, UseCase]
    workloads: dict[str, Workload]
    migrations: dict[str, Migration]
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
        entities: dict[str, BaseModel] = getattr(self, folder.replace("-", "_"))
        return entities

    @cached_property
    def served_name_counts(self) -> Counter[str]:
        """How many deployments serve each name; counted once, not once per card."""
        return Counter(d.served_name for d in self.deployments.values())
