"""Probe many deployments: plan the checks each claims, run them, and write the evidence."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from catalog.claims import ServerClaim, claim_name, claims_checked, eval_claim, generates_text
from catalog.evidence import RUN_CRASHED, ClaimRecord, EvalResult, EvidenceFile, HistoryLine, LatencySection, ServerInfo
from catalog.outbound import KeyGrants
from probes.checks import CLAIM_CHECKS, Check, CheckResult, Context
from probes.client import Client, ProbeOutcome, Timeouts, Unreachable, redact_paths, scrub
from probes.engines import server_version
from probes.evals import Suite, bundled_suites, run_suite
from probes.evidence import append_history, fold_history, history_lines, iso, utc_now, write_evidence
from probes.fleet import ServerIs, ServerQueue, by_server
from probes.import_report import carried_measurements
from probes.target import ProbeTarget
from probes.workload import Workload

LATENCY = claim_name(ServerClaim.latency)


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
    not_probed: str | None = None
    """Why nothing was checked (the run deadline passed before its turn); its previous evidence is kept."""


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
    run: Check


def plan(target: ProbeTarget, workload: Workload | None, suites: Sequence[Suite]) -> list[PlannedCheck]:
    """The checks a target calls for: what the registry says a probe checks on it (`claims_checked`, in
    registry order, the order of the evidence too; latency only when the run has a workload), then the eval
    suites where it generates text (`generates_text`)."""
    facts = target.facts
    checks = [
        PlannedCheck(claim, CLAIM_CHECKS[claim])
        for claim in claims_checked(facts)
        if claim != LATENCY or workload is not None
    ]
    if generates_text(facts):
        checks += [PlannedCheck(eval_claim(s.task), _eval_check(s)) for s in suites]
    return checks


def _eval_check(suite: Suite) -> Check:
    async def run(ctx: Context) -> CheckResult:
        result, outcome = await run_suite(ctx, suite)
        if outcome is not None:  # None: lm-eval scored nothing, and the record says why
            ctx.extras.setdefault("evals", []).append(outcome)
        return result

    return run


@dataclass(frozen=True)
class Deadlines:
    """Wall-clock limits above the per-request ones (``Timeouts``), in seconds; ``None`` for no limit."""

    deployment: float | None = 600.0
    """Every check of one deployment together. The latency workload and the evals of a slow but healthy
    server take a few minutes; ten minutes keep a server that answers every request just inside the
    per-request limits from holding the run for long."""
    run: float | None = 2700.0
    """The whole run: 45 minutes, inside the 60-minute limit of the scheduled job
    (`.github/workflows/probes.yml`), so what was probed by then is still written and proposed."""


@dataclass(frozen=True)
class _Limit:
    at: float
    """On the event loop's clock."""
    what: str
    """``the deployment deadline (600 s)``"""


def _limit(seconds: float | None, what: str) -> _Limit | None:
    if seconds is None:
        return None
    return _Limit(asyncio.get_running_loop().time() + seconds, f"the {what} deadline ({seconds:g} s)")


def _earliest(*limits: _Limit | None) -> _Limit | None:
    return min((limit for limit in limits if limit is not None), key=lambda limit: limit.at, default=None)


def _cleaner(target: ProbeTarget, evidence_dir: Path) -> Callable[[str], str]:
    """What every recorded reason goes through: the API key scrubbed, this machine's folders shortened."""
    folders = {str(evidence_dir.absolute()): "<evidence>", str(evidence_dir.resolve()): "<evidence>"}

    def clean(text: str) -> str:
        keys = (key,) if (key := target.api_key()) else ()
        return redact_paths(scrub(text, keys), folders)

    return clean


async def _run_one(
    planned: PlannedCheck, ctx: Context, limit: _Limit | None, clean: Callable[[str], str]
) -> ClaimRecord:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    result: CheckResult
    if ctx.client.down is not None:
        # The API host could not be connected to, or stopped answering in time, for an earlier request:
        # say so instead of waiting out the same timeout once per check.
        result = CheckResult("error", f"not attempted: {ctx.client.down.reason}")
    elif limit is not None and loop.time() >= limit.at:
        result = CheckResult("error", f"not checked: {limit.what} passed before this check started")
    else:
        timer = asyncio.timeout_at(limit.at if limit else None)
        try:
            async with timer:
                result = await planned.run(ctx)
        except TimeoutError:
            if limit is None or not timer.expired():
                raise
            spent = time.perf_counter() - started
            result = CheckResult("error", f"stopped: {limit.what} passed during this check, after {spent:.1f} s")
        except Unreachable as exc:
            result = CheckResult("error", exc.reason)
        except ProbeOutcome as exc:
            result = CheckResult("fail", exc.reason)
    return ClaimRecord(
        claim=planned.claim,
        status=result.status,
        date=utc_now(),
        reason=clean(result.reason) if result.reason is not None else None,
        value=result.value,
        unit=result.unit,
        workload=result.workload,
        details=result.details,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _not_probed(
    target: ProbeTarget, checks: Sequence[PlannedCheck], run_id: str, evidence_dir: Path, limit: _Limit
) -> DeploymentResult:
    """The run deadline passed before this deployment's turn: its previous evidence stays, and the run's
    summary and history say why nothing was checked."""
    now = utc_now()
    records = [
        ClaimRecord(
            claim=c.claim,
            status="error",
            date=now,
            reason=f"not checked: {limit.what} passed before this deployment was probed",
        )
        for c in checks
    ]
    note = f"not probed: {limit.what} passed before its turn; previous evidence kept"
    append_history(
        evidence_dir,
        [
            HistoryLine(
                run_id=run_id, deployment=target.deployment_id, claim=RUN_CRASHED, status="error", date=now, reason=note
            )
        ],
        fold=False,
    )
    return DeploymentResult(target, records, None, None, not_probed=note)


async def probe_deployment(
    target: ProbeTarget,
    *,
    run_id: str,
    evidence_dir: Path,
    workload: Workload | None,
    suites: Sequence[Suite],
    timeouts: Timeouts,
    progress: Progress | None,
    deadlines: Deadlines | None = None,
    run_limit: _Limit | None = None,
) -> DeploymentResult:
    """Run every planned check of one deployment and write its evidence.

    A server fault becomes a record and the checks go on; once the API host is down (no connection, or
    a timeout) the remaining checks are recorded as not attempted. When the deployment's or the run's
    deadline passes, the check in progress is stopped and the rest are recorded as not checked, and the
    evidence is written with what was checked before. An exception from the probes' own code (a bug)
    leaves the previous evidence file in place and is recorded in the history instead.
    """
    checks = plan(target, workload, suites)
    if progress:
        progress.deployment_started(target, [c.claim for c in checks])
    if run_limit is not None and asyncio.get_running_loop().time() >= run_limit.at:
        result = _not_probed(target, checks, run_id, evidence_dir, run_limit)
        if progress:
            for record in result.records:
                progress.record_done(target, record)
            progress.deployment_finished(result)
        return result
    limit = _earliest(_limit((deadlines or Deadlines()).deployment, "deployment"), run_limit)
    clean = _cleaner(target, evidence_dir)
    started_at = utc_now()
    records: list[ClaimRecord] = []
    max_connections = max(2, workload.concurrency if workload else 2)
    try:
        async with Client(target, timeouts, max_connections=max_connections) as client:
            ctx = Context(client, target, workload=workload)
            for planned in checks:
                record = await _run_one(planned, ctx, limit, clean)
                records.append(record)
                if progress:
                    progress.record_done(target, record)
            if client.server_version is None and client.down is None:
                # No answer carried a fingerprint: ask the engine's version route (vLLM's /version,
                # llama.cpp's /props build_info), within what is left of the deadline.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(limit.at if limit else None):
                        client.server_version = await server_version(client, target)
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
                # What other tools measured (python -m probes import-report) stays beside each new run's results.
                measured=carried_measurements(evidence_dir, target.deployment_id),
            )
        path = write_evidence(evidence_dir, evidence, client.secrets())
        append_history(evidence_dir, history_lines(evidence), client.secrets(), fold=False)
        result = DeploymentResult(target, records, evidence, path)
    except Exception as exc:  # a bug in one deployment's probing must not stop the others
        detail = clean("".join(traceback.format_exception_only(exc)).strip())
        crash = f"probing crashed, previous evidence kept: {detail}"
        crashed = HistoryLine(
            run_id=run_id,
            deployment=target.deployment_id,
            claim=RUN_CRASHED,
            status="error",
            date=utc_now(),
            reason=crash,
        )
        append_history(evidence_dir, [crashed], fold=False)
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
    deadlines: Deadlines | None = None,
    run_id: str | None = None,
    server_is: ServerIs = "host-port",
) -> RunSummary:
    """Probe ``targets`` and write their evidence: at most ``concurrency`` servers at once, and the
    deployments of one server one after another (``probes/fleet.py`` says what one server is).

    ``workload=None`` skips the latency check; ``suites=None`` runs every bundled eval suite (pass
    ``[]`` for none); ``deadlines=None`` applies the default ``Deadlines``. Results come back in the
    order of ``targets``.

    API keys go only where ``PROBES_KEYS`` allows them (``catalog/outbound.py``); a ``PROBES_KEYS`` that
    cannot be read raises ``KeyGrantsError`` before anything is probed.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    KeyGrants.from_environ()
    started = utc_now()
    # The second alone is not unique: two runs started in the same second must not share an id.
    run_id = run_id or f"{iso(started)}-{secrets.token_hex(3)}"
    chosen_suites = bundled_suites() if suites is None else list(suites)
    semaphore = asyncio.Semaphore(concurrency)
    limits = deadlines or Deadlines()
    run_limit = _limit(limits.run, "run")
    results: dict[int, DeploymentResult] = {}

    async def one_server(queue: ServerQueue) -> None:
        async with semaphore:
            for target in queue.targets:
                results[id(target)] = await probe_deployment(
                    target,
                    run_id=run_id,
                    evidence_dir=evidence_dir,
                    workload=workload,
                    suites=chosen_suites,
                    timeouts=timeouts or Timeouts(),
                    progress=progress,
                    deadlines=limits,
                    run_limit=run_limit,
                )

    await asyncio.gather(*(one_server(q) for q in by_server(targets, server_is)))
    # One fold for the whole run: each summary and the fold point written once, and no summary work between
    # probes (it would hold the event loop while another server's latency is measured). A run killed before
    # this loses nothing: readers fold the lines after the fold point, and the next run stores them.
    fold_history(evidence_dir)
    return RunSummary(run_id, iso(started), iso(utc_now()), [results[id(t)] for t in targets])
