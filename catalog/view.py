"""The judged view: the catalog and its evidence, judged for one day, as the typed records every surface reads.

The site's pages, llms.txt and the other agent files, catalog.json, the MCP server and the gateway export all
read a deployment's verdict, its client target, whether it is retired and what replaces it from here; none of
them calls `judge` or `client_target` itself. Display text for those facts comes from `catalog.display`, and
their JSON for agents from the methods below, so two surfaces cannot say the same fact two ways.

A record is judged on first use and kept: a build that shows every deployment judges each once, and an MCP
call that asks about one deployment judges only that one (cheap enough to build a view per call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from catalog.advice import Answer, answers, successor
from catalog.catalog import Catalog
from catalog.claims import ClaimGroup, claim_group
from catalog.clients import Target, client_json, client_target
from catalog.evidence_folder import Evidence
from catalog.schema import Backend, Deployment, Model
from catalog.verdicts import ClaimVerdict, DeploymentVerdict, SummaryState, judge, state_word


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def claim_json(claim: ClaimVerdict) -> dict[str, Any]:
    """One claim's evidence state for agents: state, the day that decided it, why, a reported figure's source, and
    which summary it counts in (`serving` or `quality`)."""
    return {
        "state": claim.state.value,
        "date": _day(claim.date),
        "reason": claim.reason,
        "source": claim.source,
        "group": claim_group(claim.claim).value,
    }


def summaries_json(verdict: DeploymentVerdict) -> dict[str, str]:
    """`serving` and `quality` -> that summary's state word (`not-evaluated`: no evals), as catalog.json's
    `evidence_summary` and the MCP tools give them."""
    return {group.value: state_word(verdict.group(group)) for group in ClaimGroup}


@dataclass(frozen=True)
class DeploymentRecord:
    """Everything any surface shows or exports about one deployment that needs the evidence, the date or
    more than the deployment's own file."""

    id: str
    deployment: Deployment
    model: Model
    backend: Backend
    verdict: DeploymentVerdict
    client: Target | None
    """Where clients send requests (the gateway when routed through one that publishes its URL); None when
    nothing publishes a URL."""
    retired: bool
    """Its `retires_on` day has come."""
    replacement: str | None
    """When retired: the first deployment down its successor chain that is still served; else None."""

    @property
    def summary(self) -> SummaryState:
        return self.verdict.summary

    def client_json(self) -> dict[str, Any] | None:
        return client_json(self.client)

    def evidence_json(self) -> dict[str, dict[str, Any]]:
        """Claim -> its state (catalog.json's `evidence`)."""
        return {c.claim: claim_json(c) for c in self.verdict.claims}

    def availability_json(self) -> dict[str, dict[str, Any]]:
        """`7d` / `30d` -> runs, answered and their share: how often the server answered its probe runs."""
        return {
            f"{a.days}d": {"runs": a.runs, "answered": a.answered, "share": a.share} for a in self.verdict.availability
        }

    def evidence_summary_json(self) -> dict[str, Any]:
        """The deployment's summaries, last verified day and availability (catalog.json's `evidence_summary`):
        `serving` and `quality` (catalog/verdicts.py), and `state`, the overall summary, which is the serving one."""
        return {
            "state": self.verdict.summary.value,
            **summaries_json(self.verdict),
            "last_verified": _day(self.verdict.last_verified),
            "availability": self.availability_json(),
        }


@dataclass
class JudgedView:
    """The catalog and evidence judged for `today`. Records are made on first use and kept."""

    catalog: Catalog
    evidence: Evidence
    today: dt.date
    history_length: int = 10
    """How many of the newest runs each verdict keeps (0: none, for surfaces that show no history)."""
    _records: dict[str, DeploymentRecord] = field(default_factory=dict, repr=False, compare=False)
    _serving: dict[tuple[str, str | None], tuple[TaskFit, ...]] = field(default_factory=dict, repr=False, compare=False)

    def record(self, deployment_id: str) -> DeploymentRecord:
        found = self._records.get(deployment_id)
        if found is None:
            catalog = self.catalog
            dep = catalog.deployments[deployment_id]
            retired = dep.retired(self.today)
            found = DeploymentRecord(
                id=deployment_id,
                deployment=dep,
                model=catalog.models[dep.model],
                backend=catalog.backends[dep.backend],
                verdict=judge(deployment_id, dep, self.evidence, self.today, history_length=self.history_length),
                client=client_target(catalog, dep),
                retired=retired,
                replacement=successor(catalog, deployment_id, self.today) if retired else None,
            )
            self._records[deployment_id] = found
        return found

    def verdict(self, deployment_id: str) -> DeploymentVerdict:
        return self.record(deployment_id).verdict

    def records(self) -> list[DeploymentRecord]:
        """Every deployment's record, in catalog order."""
        return [self.record(dep_id) for dep_id in self.catalog.deployments]

    def replacements(self, deployment_id: str) -> list[tuple[dt.date, str | None]]:
        """Each day a retired deployment's replacement took effect, up to `today`: its retirement day with the
        successor to use from then (None: none is still served), then every later day a successor down its chain
        retired and the one to use changed. Empty while it is not retired (the day a successor was named is not
        recorded anywhere)."""
        dep = self.catalog.deployments[deployment_id]
        if dep.retires_on is None or not dep.retired(self.today):
            return []
        chain, current = [], dep
        while current.successor is not None and current.successor not in chain:
            chain.append(current.successor)
            current = self.catalog.deployments[current.successor]
        later = {
            day
            for member in chain
            if (day := self.catalog.deployments[member].retires_on) is not None and dep.retires_on < day <= self.today
        }
        found: list[tuple[dt.date, str | None]] = []
        for day in sorted({dep.retires_on, *later}):
            now = successor(self.catalog, deployment_id, day)
            if not found or found[-1][1] != now:
                found.append((day, now))
        return found

    @cached_property
    def answers(self) -> tuple[Answer, ...]:
        """Every answer to "what should I use for task X", with whose (which fleet) it is (catalog.advice)."""
        return tuple(answers(self.catalog))

    def serving_task(self, task: str, fleet: str | None = None) -> list[TaskFit]:
        """For a task no advice answers (embeddings, audio): the deployments whose endpoints, model kind or
        capabilities name it (`embeddings`, `audio` for `audio-input`), not retired; by fleet order, then active,
        then proven ones first. What MCP's `pick_deployment` and the task's llms file offer in place of picks.
        Computed once per task and fleet, like the records (the view does not change)."""
        found = self._serving.get((task, fleet))
        if found is None:
            found = self._serving[(task, fleet)] = tuple(self._serving_task(task, fleet))
        return list(found)

    def _serving_task(self, task: str, fleet: str | None) -> list[TaskFit]:
        order = {state: rank for rank, state in enumerate(SUMMARY_ORDER)}
        fits: list[tuple[tuple[object, ...], TaskFit]] = []
        for dep_id, dep in self.catalog.deployments.items():
            if fleet is not None and dep.fleet != fleet:
                continue
            record = self.record(dep_id)
            if record.retired:
                continue
            served = [f"the {e.value} endpoint" for e in dep.endpoints if _names(e.value, task)]
            if _names(kind := record.model.kind.value, task):
                served.append(f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} model")
            served += [f"the {c.value} capability" for c in dep.capabilities if _names(c.value, task)]
            if served:
                key = (
                    self.catalog.fleets[dep.fleet].order,
                    dep.status.value != "active",
                    order[record.summary],
                    dep_id,
                )
                fits.append((key, TaskFit(dep_id, dep.fleet, " and ".join(served))))
        return [fit for _, fit in sorted(fits, key=lambda pair: pair[0])]


#: Summaries from the most to the least proven: the order deployments that serve a task are offered in.
SUMMARY_ORDER = (SummaryState.verified, SummaryState.partial, SummaryState.unverified, SummaryState.failing)


@dataclass(frozen=True)
class TaskFit:
    """A deployment that serves a task by what it is, not because advice picks it."""

    deployment: str
    fleet: str
    served_by: str
    """What names the task, in words: `the embeddings endpoint and a embedding model`."""


def _names(word: str, task: str) -> bool:
    """`word` (an endpoint, model kind or capability) names the task: `embeddings`, `audio` in `audio-input`."""
    return word == task or word.split("-")[0] == task
