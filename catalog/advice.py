"""Every answer the catalog gives to "what should I use for task X?", with whose answer it is.

Advice lives in several kinds of files (chooser categories, a fleet's quick reference, use cases); each names
its fleet and, where it answers a task, the task. `answers` flattens them into one list, so the validation
rule "one answer per task in a fleet", the home page, llms.txt and the MCP server all read the same answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from catalog.catalog import Catalog
from catalog.errors import FieldPath


@dataclass(frozen=True)
class Answer:
    fleet: str
    task: str
    deployment: str
    rank: int
    """1 for the first choice; chooser categories rank several picks."""
    when: str | None
    """The condition it holds under (`development`); None for the fleet's plain answer."""
    reason: str
    folder: str
    """Where it is written: folder and id of the file, and the field path inside it."""
    entity_id: str
    path: FieldPath

    @property
    def is_default(self) -> bool:
        """The fleet's own answer for the task: first choice, no condition."""
        return self.rank == 1 and self.when is None


def answers(catalog: Catalog) -> Iterator[Answer]:
    """Every answer naming a deployment, chooser picks first, each file in id order."""
    for cat_id, cat in sorted(catalog.choosers.items()):
        for rank, pick in enumerate(cat.picks, start=1):
            yield Answer(
                cat.fleet, cat.task, pick.deployment, rank, None, pick.reason, "choosers", cat_id, ("picks", rank - 1)
            )
    for fleet_id, fleet in sorted(catalog.fleets.items()):
        for index, row in enumerate(fleet.quick_reference):
            dep_id = row.recommendation.deployment
            if row.task and dep_id:
                path = ("quick_reference", index, "recommendation")
                yield Answer(fleet_id, row.task, dep_id, 1, row.when, row.why, "fleets", fleet_id, path)
    for uc_id, uc in sorted(catalog.use_cases.items()):
        if uc.task is None:
            continue
        for index, rec in enumerate(uc.recommendations):
            if rec.deployment:
                reason = rec.note or uc.scenario
                where: FieldPath = ("recommendations", index)
                yield Answer(uc.fleet, uc.task, rec.deployment, 1, rec.label, reason, "use-cases", uc_id, where)


def successor(catalog: Catalog, deployment_id: str, today: dt.date) -> str | None:
    """The deployment to use instead of a retired one: its successor, or that one's, until one is not retired.

    None when the deployment is not retired, or no successor in its chain is still served. Validation rejects
    unknown successors and cycles, so the chain always ends.
    """
    current = catalog.deployments[deployment_id]
    if not current.retired(today):
        return None
    while current.successor is not None:
        deployment_id = current.successor
        current = catalog.deployments[deployment_id]
        if not current.retired(today):
            return deployment_id
    return None
