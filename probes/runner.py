"""Probe many deployments: plan the checks each claims, run them, and write the evidence."""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from probes.checks import (
    CAPABILITY_CHECKS,
    ENDPOINT_CHECKS,
    CheckResult,
    Context,
    capability_claim,
    check_context_length,
    check_health,
    check_served_name,
)
from probes.client import Client, ProbeOutcome, Timeouts, Unreachable, scrub
from probes.evals import Suite, bundled_suites, run_suite
from probes.evidence import (
    DeploymentEvidence,
    EvalResult,
    Record,
    append_history,
    history_lines,
    iso,
    utc_now,
    write_evidence,
)
from probes.latency import Workload, measure
from probes.target import CAPABILITIES, ENDPOINTS, ProbeTarget


class Progress(Protocol):
    """What a run reports as it goes; the CLI draws it, tests use it to act mid-run."""

    def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None: ...

    def record_done(self, target: ProbeTarget, record: Record) -> None: ...

    def deployment_finished(self, result: DeploymentResult) -> None: ...


@dataclass
class DeploymentResult:
    target: ProbeTarget
    evidence: DeploymentEvidence
    evidence_file: Path | None
    """None when probing crashed and the previous file was kept."""
    crash: str | None = None

    @property
    def records(self) -> list[Record]:
        return self.evidence.records


@dataclass
class RunSummary:
    run_id: str
    started_at: str
    finished_at: str
    results: list[DeploymentResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """2 when something could not be reached (or probing crashed), 1 when a claim failed, else 0."""
        statuses = {r.status for result in self.results for r in result.records}
        if "error" in statuses or any(result.crash for result in self.results):
            return 2
        if "fail" in statuses:
            return 1
        return 0


@dataclass(frozen=True)
class PlannedCheck:
    claim: str
    run: Callable[[Context], Awaitable[CheckResult]]


def plan(target: ProbeTarget, workload: Workload | None, suites: Sequence[Suite]) -> list[PlannedCheck]:
    """The checks a target's claims call for, in the order they run (and appear in the evidence)."""
    checks = [PlannedCheck("health", check_health), PlannedCheck("served-name", check_served_name)]
    if target.served_context is not None:
        checks.append(PlannedCheck("context-length", check_context_length))
    checks += [PlannedCheck(f"endpoint:{e}", ENDPOINT_CHECKS[e]) for e in ENDPOINTS if e in target.endpoints]
    checks += [
        PlannedCheck(capability_claim(c), CAPABILITY_CHECKS[c]) for c in CAPABILITIES if c in target.capabilities
    ]
    generates = bool({"chat", "completions"} & target.endpoints)
    if generates and workload is not None:
        checks.append(PlannedCheck("latency", _latency_check(workload)))
    if generates:
        checks += [PlannedCheck(f"eval:{s.task}", _eval_check(s)) for s in suites]
    return checks


def _latency_check(workload: Workload) -> Callable[[Context], Awaitable[CheckResult]]:
    async def run(ctx: Context) -> CheckResult:
        result, section = await measure(ctx, workload)
        ctx.extras["latency"] = section
        return result

    return run


def _eval_check(suite: Suite) -> Callable[[Context], Awaitable[CheckResult]]:
    async def run(ctx: Context) -> CheckResult:
        result, outcome = await run_suite(ctx, suite)
        ctx.extras.setdefault("evals", []).append(outcome)
        return result

    return run


async def _run_one(
    planned: PlannedCheck, ctx: Context, unreachable: Unreachable | None
) -> tuple[Record, Unreachable | None]:
    started = time.perf_counter()
    if unreachable is not None:
        # The connection itself failed for an earlier check: say so instead of waiting out every timeout.
        result = CheckResult("error", f"not attempted: {unreachable.reason}")
    else:
        try:
            result = await planned.run(ctx)
        except Unreachable as exc:
            result = CheckResult("error", exc.reason)
            # Only a failure to reach the API's own host speaks for the checks still to come.
            if exc.connect_phase and exc.netloc == urlsplit(ctx.target.base_url).netloc:
                unreachable = exc
        except ProbeOutcome as exc:
            result = CheckResult("fail", exc.reason)
    reason = ctx.client.scrub(result.reason) if result.reason is not None else None
    record = Record(
        claim=planned.claim,
        status=result.status,
        date=iso(utc_now()),
        reason=reason,
        value=result.value,
        unit=result.unit,
        workload=result.workload,
        details=result.details,
        duration_ms=(time.perf_counter() - started) * 1000,
    )
    return record, unreachable


async def probe_deployment(
    target: ProbeTarget,
    *,
    run_id: str,
    evidence_dir: Path,
    workload: Workload | None,
    suites: Sequence[Suite],
    timeouts: Timeouts,
    progress: Progress | None,
) -> DeploymentResult:
    """Run every planned check of one deployment and write its evidence.

    A server fault becomes a record and the checks go on. An exception from the probes' own code
    (a bug) leaves the previous evidence file in place and is recorded in the history instead.
    """
    checks = plan(target, workload, suites)
    evidence = DeploymentEvidence(deployment=target.deployment_id, run_id=run_id, started_at=iso(utc_now()))
    if progress:
        progress.deployment_started(target, [c.claim for c in checks])
    max_connections = max(2, workload.concurrency if workload else 2)
    try:
        async with Client(target, timeouts, max_connections=max_connections) as client:
            ctx = Context(client, target)
            unreachable: Unreachable | None = None
            for planned in checks:
                record, unreachable = await _run_one(planned, ctx, unreachable)
                evidence.records.append(record)
                if progress:
                    progress.record_done(target, record)
            evidence.server_version = client.server_version
            evidence.max_model_len = ctx.max_model_len
            evidence.latency = ctx.extras.get("latency")
            evals: list[EvalResult] = ctx.extras.get("evals", [])
            evidence.evals = evals
        evidence.finished_at = iso(utc_now())
        path = write_evidence(evidence_dir, evidence, client.secrets())
        append_history(evidence_dir, history_lines(evidence), client.secrets())
        result = DeploymentResult(target, evidence, path)
    except Exception as exc:  # a bug in one deployment's probing must not stop the others
        secrets = (key,) if (key := target.api_key()) else ()
        detail = scrub("".join(traceback.format_exception_only(exc)).strip(), secrets)
        crash = f"probing crashed, previous evidence kept: {detail}"
        evidence.finished_at = iso(utc_now())
        append_history(
            evidence_dir,
            [
                {
                    "run_id": run_id,
                    "deployment": target.deployment_id,
                    "claim": "run",
                    "status": "error",
                    "date": evidence.finished_at,
                    "reason": crash,
                }
            ],
        )
        result = DeploymentResult(target, evidence, None, crash=crash)
    if progress:
        progress.deployment_finished(result)
    return result


async def run_probes(
    targets: Sequence[ProbeTarget],
    *,
    evidence_dir: Path,
    concurrency: int,
    workload: Workload | None,
    progress: Progress | None = None,
    suites: Sequence[Suite] | None = None,
    timeouts: Timeouts | None = None,
    run_id: str | None = None,
) -> RunSummary:
    """Probe ``targets`` (at most ``concurrency`` deployments at once) and write their evidence.

    ``workload=None`` skips the latency check; ``suites=None`` runs every bundled eval suite (pass
    ``[]`` for none). Results come back in the order of ``targets``.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started = utc_now()
    run_id = run_id or iso(started)
    chosen_suites = bundled_suites() if suites is None else list(suites)
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded(target: ProbeTarget) -> DeploymentResult:
        async with semaphore:
            return await probe_deployment(
                target,
                run_id=run_id,
                evidence_dir=evidence_dir,
                workload=workload,
                suites=chosen_suites,
                timeouts=timeouts or Timeouts(),
                progress=progress,
            )

    results = await asyncio.gather(*(guarded(t) for t in targets))
    return RunSummary(run_id, iso(started), iso(utc_now()), list(results))
