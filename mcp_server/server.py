"""The MCP server's tools and resources (`python -m mcp_server`, on stdio or Streamable HTTP).

Tools answer from the same judged view as the site (catalog/view.py): picks, evidence states, where to send
requests and what replaces a retired deployment are its records, written as JSON by the same methods that
write catalog.json, and a deployment's curl and Python examples are the card's (hooks/render/snippets.py). So an
agent asking here gets the answer a reader sees on the page the same day. The published `llms.txt` and
`catalog.json` of a built site are offered as resources.

Every tool is read-only and idempotent and says so in its annotations; a request the catalog cannot answer (an
unknown deployment, task or fleet) comes back as a tool error (`isError: true`) naming the nearest ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError as SDKToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field

from catalog.catalog import Catalog
from catalog.display import summary_line
from catalog.evidence import evidence_today
from catalog.evidence_folder import Evidence, load_evidence
from catalog.verdicts import rules_json
from catalog.view import JudgedView, claim_json, summaries_json
from hooks.render.snippets import examples_to

PACKAGE = "model-catalog-site"
"""The distribution whose version the server reports as `serverInfo.version` (and server.json repeats)."""

NEAREST = 5
"""At most this many ids are suggested for an unknown one: never the whole catalog."""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
"""Every tool only reads the catalog and the evidence folder: nothing outside them, nothing changed."""


class ToolError(SDKToolError, ValueError):
    """A request the catalog cannot answer; the message says what would work instead. Raised from a tool, the
    SDK returns it as a tool error (`isError: true`) with this message, which the agent reads and corrects."""


def unknown(kind: str, given: str, known: Iterable[str], hint: str) -> ToolError:
    """An unknown id, answered with the (at most five) nearest known ids rather than every one."""
    near = difflib.get_close_matches(given.strip().lower(), sorted(known), n=NEAREST)
    if near:
        return ToolError(f"unknown {kind} {given!r}; nearest: {', '.join(near)}. {hint}")
    return ToolError(f"unknown {kind} {given!r}; no {kind} id is close to it. {hint}")


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


@dataclass
class CatalogView:
    """The loaded catalog and evidence, judged for `today` (catalog/view.py); each deployment at most once.

    With `evidence_dir`, every tool call answers from that folder's evidence as it is at the call, judged for
    the day of the call (`refresh`): the evidence is read again only when a file in it changed or the day did.
    """

    catalog: Catalog
    evidence: Evidence
    today: dt.date
    evidence_dir: Path | None = None
    _judged: JudgedView | None = field(default=None, repr=False)
    _state: tuple[object, ...] | None = field(default=None, repr=False)

    @property
    def judged(self) -> JudgedView:
        if self._judged is None:
            self._judged = JudgedView(self.catalog, self.evidence, self.today)
        return self._judged

    def refresh(self) -> None:
        """Judge anew when the evidence folder or the day changed since the last call (no-op without a folder)."""
        if self.evidence_dir is None:
            return
        today = evidence_today()
        state = (today, _folder_state(self.evidence_dir))
        if state != self._state:
            self.evidence, self.today, self._state = load_evidence(self.evidence_dir, today), today, state
            self._judged = None

    def task_ids(self) -> list[str]:
        """Task ids in the catalog's order (the order list_tasks answers in)."""
        return [t for t, _ in sorted(self.catalog.tasks.items(), key=lambda item: (item[1].order, item[0]))]

    def fleet_ids(self) -> list[str]:
        return [f for f, _ in sorted(self.catalog.fleets.items(), key=lambda item: (item[1].order, item[0]))]

    def deployment_id(self, deployment_id: str) -> str:
        if deployment_id not in self.catalog.deployments:
            hint = "pick_deployment(task) names the deployments for a task."
            raise unknown("deployment", deployment_id, self.catalog.deployments, hint)
        return deployment_id

    def summary(self, deployment_id: str) -> dict[str, Any]:
        """What an agent needs to call a deployment and judge it: scope, endpoint, evidence."""
        record = self.judged.record(deployment_id)
        dep, verdict = record.deployment, record.verdict
        fleet = self.catalog.fleets[dep.fleet]
        return {
            "deployment": deployment_id,
            "served_name": dep.served_name,
            "summary": dep.summary,
            "status": dep.status.value,
            "fleet": {"id": dep.fleet, "name": fleet.name},
            "retires_on": dep.retires_on.isoformat() if dep.retires_on else None,
            "client": record.client_json(),
            "evidence": {
                # `summary` is the serving summary (kept for clients that read it); `serving` and `quality` apart,
                # so failing evals never read as an endpoint that fails (catalog/verdicts.py).
                "summary": verdict.summary.value,
                **summaries_json(verdict),
                "line": summary_line(verdict),
                "last_verified": verdict.last_verified.isoformat() if verdict.last_verified else None,
            },
        }

    def pick(self, task: str, fleet: str | None) -> dict[str, Any]:
        if task not in self.catalog.tasks:
            raise unknown("task", task, self.catalog.tasks, "list_tasks lists every task.")
        if fleet is not None and fleet not in self.catalog.fleets:
            hint = "Leave `fleet` out for every fleet's answer."
            raise unknown("fleet", fleet, self.catalog.fleets, hint)
        found = [a for a in self.judged.answers if a.task == task and (fleet is None or a.fleet == fleet)]
        by_fleet: dict[str, list[dict[str, Any]]] = {}
        for answer in sorted(found, key=lambda a: (self.catalog.fleets[a.fleet].order, a.rank, a.when or "")):
            picks = by_fleet.setdefault(answer.fleet, [])
            chosen = answer.deployment
            replaced = None
            if (record := self.judged.record(chosen)).retired:
                replaced, chosen = chosen, record.replacement or ""
                if not chosen:
                    continue  # retired with no successor still served: nothing to offer
            if any(p["deployment"] == chosen for p in picks):
                continue
            picks.append(
                {
                    **self.summary(chosen),
                    "rank": answer.rank,
                    "when": answer.when,
                    "reason": answer.reason,
                    "replaces_retired": replaced,
                }
            )
        basis = "advice"
        note = "Each fleet is one team's servers with its own answer; pick within a fleet you can reach."
        if not any(by_fleet.values()):
            basis, by_fleet = "served", self._serving(task, fleet)
            note = (
                "No fleet's advice names a deployment for this task, so these are the deployments that serve it "
                "(by endpoint, model kind or capability), served and proven ones first; pick within a fleet you "
                "can reach."
                if by_fleet
                else "Nothing in the catalog answers this task yet: no fleet's advice names a deployment for it and "
                "no deployment serves it."
            )
        return {
            "task": {"id": task, "title": self.catalog.tasks[task].title},
            "basis": basis,
            "note": note,
            "fleets": [
                {"fleet": f, "name": self.catalog.fleets[f].name, "picks": picks}
                for f, picks in by_fleet.items()
                if picks
            ],
        }

    def _serving(self, task: str, fleet: str | None) -> dict[str, list[dict[str, Any]]]:
        """For a task no advice answers: the deployments that serve it (`JudgedView.serving_task`), by fleet."""
        by_fleet: dict[str, list[dict[str, Any]]] = {}
        for fit in self.judged.serving_task(task, fleet):
            picks = by_fleet.setdefault(fit.fleet, [])
            picks.append(
                {
                    **self.summary(fit.deployment),
                    "rank": len(picks) + 1,
                    "when": None,
                    "reason": f"serves {fit.served_by}",
                    "replaces_retired": None,
                }
            )
        return by_fleet

    def details(self, deployment_id: str) -> dict[str, Any]:
        dep_id = self.deployment_id(deployment_id)
        record = self.judged.record(dep_id)
        return {
            **self.summary(dep_id),
            "claims": [
                {"claim": c.claim, "label": c.label, **claim_json(c), "since": c.since.isoformat() if c.since else None}
                for c in record.verdict.claims
            ],
            # The same shape as catalog.json's `evidence_summary.availability`.
            "availability": record.availability_json(),
            # The card's examples, sent where the card sends them (none when nothing publishes a URL).
            "examples": [dataclasses.asdict(e) for e in examples_to(record.client, record.deployment)],
            "catalog": record.deployment.model_dump(mode="json", exclude_defaults=True),
        }

    def compare(self, deployment_ids: list[str]) -> dict[str, Any]:
        if not 2 <= len(deployment_ids) <= 4:
            raise ToolError("compare 2 to 4 deployments")
        rows: dict[str, dict[str, Any]] = {}
        for dep_id in map(self.deployment_id, deployment_ids):
            record = self.judged.record(dep_id)
            dep, model, verdict = record.deployment, record.model, record.verdict
            rows[dep_id] = {
                "fleet": dep.fleet,
                "status": dep.status.value,
                "evidence": verdict.summary.value,
                **summaries_json(verdict),
                "last_verified": verdict.last_verified.isoformat() if verdict.last_verified else None,
                "backend": record.backend.name,
                "model": model.name,
                "kind": model.kind.value,
                "served_context": dep.serving.max_model_len,
                "native_context": model.native_context,
                "gpu": dep.hardware.gpu,
                "endpoints": [e.value for e in dep.endpoints],
                "capabilities": [c.value for c in dep.capabilities],
                "cost": dep.cost.model_dump(mode="json") if dep.cost else None,
            }
        differ = sorted(
            key for key in next(iter(rows.values())) if len({json.dumps(r[key]) for r in rows.values()}) > 1
        )
        return {"deployments": rows, "differ": differ}

    def changes_since(self, since: str) -> dict[str, Any]:
        """Claims whose probe result changed (passing <-> not passing) after `since`, from the history."""
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            raise ToolError(f"`since` must be a date like 2026-11-01, not {since!r}") from None
        changes = []
        for dep_id, history in sorted(self.judged.evidence.history.items()):
            if dep_id not in self.catalog.deployments:
                continue  # evidence of a deployment the catalog no longer has
            made = {c.claim for c in self.judged.verdict(dep_id).claims}
            for claim, kept in sorted(history.claims.items()):
                if claim not in made or (changed := kept.changed_after(day)) is None:
                    continue
                was = kept.passing_on(day)
                changes.append(
                    {
                        "deployment": dep_id,
                        "claim": claim,
                        "was": "never probed" if was is None else _outcome(was),
                        "now": _outcome(changed.passing),
                        "changed_on": changed.date.date().isoformat(),
                        "reason": kept.lines[-1].reason,
                    }
                )
        return {"since": day.isoformat(), "changes": changes}


def _folder_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every file in the evidence folder and its history/: what a probe run
    or a fold changes. About a millisecond per thousand files."""
    found = []
    for directory in (folder, folder / "history"):
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        stat = entry.stat(follow_symlinks=False)
                        found.append((entry.path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            continue
    return tuple(sorted(found))


def _outcome(passing: bool) -> str:
    return "passing" if passing else "not passing"


# Parameter types: the description is each parameter's `description` in the tool's input schema. The closed sets
# (tasks, fleets) get their `enum` from the loaded catalog in `build_server`.
TaskId = Annotated[str, Field(description="Task id, as list_tasks gives it, e.g. `coding` or `embeddings`.")]
FleetId = Annotated[
    str | None,
    Field(description="Fleet id (whose servers) to limit the answer to; leave it out for every fleet's answer."),
]
DeploymentId = Annotated[
    str, Field(description="Deployment id, as pick_deployment or catalog.json name it, e.g. `coder-chat`.")
]
DeploymentIds = Annotated[
    list[str], Field(description="Two to four deployment ids to compare.", min_length=2, max_length=4)
]
SinceDay = Annotated[
    str, Field(description="A day as YYYY-MM-DD; changes after it are listed.", json_schema_extra={"format": "date"})
]


def _closed_set(tool: Tool, parameter: str, values: list[str]) -> None:
    """Give a string parameter of the tool's input schema the `enum` of its known values (a nullable one keeps
    `null` through its other `anyOf` branch). Validation stays the tool's own, so an unknown value still gets
    the nearest-ids answer from a client that does not read the enum."""
    schema = tool.parameters["properties"][parameter]
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["enum"] = list(values)


def build_server(view: CatalogView, site_dir: Path) -> MCPServer:
    def answer(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        view.refresh()  # one evidence state and one day for the whole call
        return call()  # a ToolError goes back to the agent as a tool error (isError: true)

    def list_tasks() -> dict[str, Any]:
        """Every task the catalog knows, in its order, with the id pick_deployment takes."""
        tasks = view.catalog.tasks
        return {
            "tasks": [{"id": t, "title": tasks[t].title, "description": tasks[t].description} for t in view.task_ids()]
        }

    def pick_deployment(task: TaskId, fleet: FleetId = None) -> dict[str, Any]:
        """The deployments each fleet recommends for a task (first choice first), with base URL, model name and
        evidence: `serving` (is the endpoint up and doing what the catalog says) apart from `quality` (how its
        evals scored; `not-evaluated` when none ran). Retired deployments are replaced by their successor. A task no fleet's advice names a deployment
        for (embeddings, say) is answered with the deployments that serve it (`basis: served`). `fleet` limits
        the answer to one fleet."""
        return answer(lambda: view.pick(task, fleet))

    def get_deployment(deployment_id: DeploymentId) -> dict[str, Any]:
        """One deployment: its catalog entry, where to send requests with curl and Python examples, and the evidence
        state of every claim."""
        return answer(lambda: view.details(deployment_id))

    def compare_deployments(deployment_ids: DeploymentIds) -> dict[str, Any]:
        """Two to four deployments side by side, with the facts that differ named."""
        return answer(lambda: view.compare(deployment_ids))

    def claims_changed_since(since: SinceDay) -> dict[str, Any]:
        """Claims whose probe result changed between passing and not passing after the date (YYYY-MM-DD)."""
        return answer(lambda: view.changes_since(since))

    def explain_evidence() -> dict[str, Any]:
        """What each evidence state means (verified, partial, failing, stale, reported, unverified, not-evaluated)
        and when it holds: a claim's states, and the serving and quality summaries built from them."""
        return rules_json()

    titles: dict[Callable[..., dict[str, Any]], str] = {
        list_tasks: "List tasks",
        pick_deployment: "Pick a deployment for a task",
        get_deployment: "Get one deployment",
        compare_deployments: "Compare deployments",
        claims_changed_since: "Claims changed since a day",
        explain_evidence: "What the evidence states mean",
    }
    tools = {
        # The title in the annotations too, where clients of the 2025-03-26 protocol read it.
        fn.__name__: Tool.from_function(fn, title=title, annotations=READ_ONLY.model_copy(update={"title": title}))
        for fn, title in titles.items()
    }
    _closed_set(tools["pick_deployment"], "task", view.task_ids())
    _closed_set(tools["pick_deployment"], "fleet", view.fleet_ids())

    server = MCPServer(
        name="model-catalog",
        title="Model catalog",
        version=package_version(),
        instructions=(
            "Which self-hosted model to use for a task, where to send requests, and what our probes proved. "
            "Start with pick_deployment(task); answers are grouped by fleet (whose servers they are)."
        ),
        tools=list(tools.values()),
    )

    def published(name: str) -> str:
        path = site_dir / name
        if not path.is_file():
            return f"{name} is not built yet: run `make build` (or pass --site DIR of a built site)."
        return path.read_text(encoding="utf-8")

    @server.resource("catalog://llms.txt", name="llms.txt", mime_type="text/markdown")
    def llms_txt() -> str:
        """The site's llms.txt: picks by task per fleet, deployments, guides."""
        return published("llms.txt")

    @server.resource("catalog://catalog.json", name="catalog.json", mime_type="application/json")
    def catalog_json() -> str:
        """The whole catalog with the evidence state of every claim, as the site publishes it."""
        return published("catalog.json")

    return server
