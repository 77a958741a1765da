"""`python -m catalog mcp`: the catalog as an MCP server on stdio, for agents that call tools.

Tools answer from the same judged view as the site (catalog/view.py): picks, evidence states, where to send
requests and what replaces a retired deployment are its records, written as JSON by the same methods that
write catalog.json. So an agent asking here gets the answer a reader sees on the page the same day. The published `llms.txt` and `catalog.json` of a built site are
offered as resources.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer

from catalog.catalog import Catalog
from catalog.evidence import evidence_today
from catalog.evidence_folder import Evidence, load_evidence
from catalog.view import JudgedView, claim_json


class ToolError(ValueError):
    """A request the catalog cannot answer; the message says what would work instead."""


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

    def deployment_id(self, deployment_id: str) -> str:
        if deployment_id not in self.catalog.deployments:
            known = ", ".join(sorted(self.catalog.deployments))
            raise ToolError(f"unknown deployment {deployment_id!r}; known deployments: {known}")
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
                "summary": verdict.summary.value,
                "line": verdict.summary_line(),
                "last_verified": verdict.last_verified.isoformat() if verdict.last_verified else None,
            },
        }

    def pick(self, task: str, fleet: str | None) -> dict[str, Any]:
        if task not in self.catalog.tasks:
            raise ToolError(f"unknown task {task!r}; known tasks: {', '.join(sorted(self.catalog.tasks))}")
        if fleet is not None and fleet not in self.catalog.fleets:
            raise ToolError(f"unknown fleet {fleet!r}; known fleets: {', '.join(sorted(self.catalog.fleets))}")
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
        return {
            "task": {"id": task, "title": self.catalog.tasks[task].title},
            "note": "Each fleet is one team's servers with its own answer; pick within a fleet you can reach.",
            "fleets": [
                {"fleet": f, "name": self.catalog.fleets[f].name, "picks": picks}
                for f, picks in by_fleet.items()
                if picks
            ],
        }

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


def build_server(view: CatalogView, site_dir: Path) -> MCPServer:
    server = MCPServer(
        name="model-catalog",
        instructions=(
            "Which self-hosted model to use for a task, where to send requests, and what our probes proved. "
            "Start with pick_deployment(task); answers are grouped by fleet (whose servers they are)."
        ),
    )

    def answer(call: Any) -> Any:
        view.refresh()  # one evidence state and one day for the whole call
        try:
            return call()
        except ToolError as exc:
            return {"error": str(exc)}

    @server.tool()
    def list_tasks() -> dict[str, Any]:
        """The tasks the catalog's advice answers, with their ids for pick_deployment."""
        tasks = sorted(view.catalog.tasks.items(), key=lambda item: (item[1].order, item[0]))
        return {"tasks": [{"id": t, "title": task.title, "description": task.description} for t, task in tasks]}

    @server.tool()
    def pick_deployment(task: str, fleet: str | None = None) -> dict[str, Any]:
        """The deployments each fleet recommends for a task (first choice first), with base URL, model name and
        evidence. Retired deployments are replaced by their successor. `fleet` limits the answer to one fleet."""
        return answer(lambda: view.pick(task, fleet))  # type: ignore[no-any-return]

    @server.tool()
    def get_deployment(deployment_id: str) -> dict[str, Any]:
        """One deployment: its catalog entry, where to send requests, and the evidence state of every claim."""
        return answer(lambda: view.details(deployment_id))  # type: ignore[no-any-return]

    @server.tool()
    def compare_deployments(deployment_ids: list[str]) -> dict[str, Any]:
        """Two to four deployments side by side, with the facts that differ named."""
        return answer(lambda: view.compare(deployment_ids))  # type: ignore[no-any-return]

    @server.tool()
    def claims_changed_since(since: str) -> dict[str, Any]:
        """Claims whose probe result changed between passing and not passing after the date (YYYY-MM-DD)."""
        return answer(lambda: view.changes_since(since))  # type: ignore[no-any-return]

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
