"""Probe many deployments: plan the checks each claims, run them, and write the evidence."""

from __future__ import annotations

import asyncio
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from catalog.claims import EndpointKind, eval_claim
from catalog.evidence import RUN_CRASHED, ClaimRecord, EvalResult, EvidenceFile, HistoryLine, LatencySection, ServerInfo
from probes.checks import CLAIM_CHECKS, CheckResult, Context
from probes.client import Client, ProbeOutcome, Timeouts, Unreachable, scrub
from probes.evals import Suite, bundled_suites, run_suite
from probes.evidence import append_history, history_lines, iso, utc_now, write_evidence
from probes.latency import Workload, measure
from probes.target import ProbeTarget


class Progress(Protocol):
    """What a run reports as it goes; the CLI draws it, tests use it to act mid-run."""

    def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None: ...

    def record_done(self, target: ProbeTarget, record: ClaimRecord) -> None: ...

    def deployment_finished(self, result: DeploymentResult) -> None: ...


@dataclass
class DeploymentResult:
    target: ProbeTarget
    records: list[ClaimRecord]
    evidence: EvidenceFile | None
    """What was written; None when probing crashed and the previous file was kept."""
    evidence_file: Path | None
    crash: str | None = None


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
    """The checks a target's claims call for, in registry order (the order of the evidence too).

    Latency is measured for every deployment that generates text, with or without SLO targets (without
    them the record is `info`: measured, nothing to hold it against); evals run on the same ones.
    """
    checks = [PlannedCheck(claim, CLAIM_CHECKS[claim]) for claim in target.claims if claim in CLAIM_CHECKS]
    generates = bool({EndpointKind.chat, EndpointKind.completions} & target.endpoints)
    if generates and workload is not None:
        checks.append(PlannedCheck("latency", _latency_check(workload)))
    if generates:
        checks += [PlannedCheck(eval_claim(s.task), _eval_check(s)) for s in suites]
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
) -> tuple[ClaimRecord, Unreachable | None]:
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
    record = ClaimRecord(
        claim=planned.claim,
        status=result.status,
        date=utc_now(),
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
    started_at = utc_now()
    records: list[ClaimRecord] = []
    if progress:
        progress.deployment_started(target, [c.claim for c in checks])
    max_connections = max(2, workload.concurrency if workload else 2)
    try:
        async with Client(target, timeouts, max_connections=max_connections) as client:
            ctx = Context(client, target)
            unreachable: Unreachable | None = None
            for planned in checks:
                record, unreachable = await _run_one(planned, ctx, unreachable)
                records.append(record)
                if progress:
                    progress.record_done(target, record)
            latency = ctx.extras.get("latency")
            evals: list[EvalResult] = ctx.extras.get("evals", [])
            evidence = EvidenceFile(
                deployment=target.deployment_id,
                run_id=run_id,
                started_at=started_at,
                finished_at=utc_now(),
                server=ServerInfo(version=client.server_version, max_model_len=ctx.max_model_len),
                records=records,
                latency=LatencySection.model_validate(latency) if latency else None,
                evals=evals,
            )
        path = write_evidence(evidence_dir, evidence, client.secrets())
        append_history(evidence_dir, history_lines(evidence), client.secrets())
        result = DeploymentResult(target, records, evidence, path)
    except Exception as exc:  # a bug in one deployment's probing must not stop the others
        secrets = (key,) if (key := target.api_key()) else ()
        detail = scrub("".join(traceback.format_exception_only(exc)).strip(), secrets)
        crash = f"probing crashed, previous evidence kept: {detail}"
        crashed = HistoryLine(
            run_id=run_id,
            deployment=target.deployment_id,
            claim=RUN_CRASHED,
            status="error",
            date=utc_now(),
            reason=crash,
        )
        append_history(evidence_dir, [crashed])
        result = DeploymentResult(target, records, None, None, crash=crash)
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
    # The second alone is not unique: two runs started in the same second must not share an id.
    run_id = run_id or f"{iso(started)}-{secrets.token_hex(3)}"
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
