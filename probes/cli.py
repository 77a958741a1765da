"""``python -m probes run``: probe deployments and write evidence.

Exit codes: 0 every claim holds; 1 some claim failed; 2 some endpoint could not be reached (or probing
crashed); 3 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from catalog import CatalogInvalid
from catalog.claims import EVAL_PREFIX, ServerClaim
from catalog.evidence import ClaimRecord, default_evidence_dir
from catalog.outbound import KEYS_ENV, KeyGrants, KeyGrantsError
from probes.client import MAX_BODY_BYTES, Timeouts, redact_paths
from probes.evals import Suite, SuiteError, benchmark_suites, bundled_suites, find_suite
from probes.evidence import rebuild_summaries, rotate_history, utc_now
from probes.fleet import SERVER_IS, Shard, parse_shard, shard_targets
from probes.from_catalog import targets_from_catalog
from probes.merge import MergeError, merge_shards
from probes.runner import Deadlines, DeploymentResult, RunSummary, run_probes
from probes.target import ProbeTarget, TargetFileError, load_target_json
from probes.workload import Workload

EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE = 0, 1, 2, 3
#: Servers probed at once unless --concurrency says otherwise: parallel enough for a small fleet, while the
#: prober's own machine (which also runs the eval harness for each) is not swamped.
DEFAULT_SERVERS_AT_ONCE = 4

CatalogLoader = Callable[[Path], Sequence[ProbeTarget]]


class UsageError(Exception):
    """Bad arguments or inputs; exits 3 with the message."""


def load_catalog_targets(catalog_dir: Path) -> Sequence[ProbeTarget]:
    """The default loader: the catalog's active deployments with a base URL; an invalid catalog is a usage error."""
    try:
        return targets_from_catalog(catalog_dir)
    except CatalogInvalid as exc:
        raise UsageError(f"the catalog is invalid:\n{exc.report()}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _whole_number(text: str, minimum: int, rule: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} {rule}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1, "must be at least 1")


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0, "must be 0 or more")


def _shard(text: str) -> Shard:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value:g} must be more than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m probes", description="Probe the deployments a catalog names.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser(
        "run",
        help="check every claim of every deployment and write evidence",
        description="Check every claim of every deployment and write evidence. API keys: a deployment's key "
        f"(the variable its `api_key_env` names) is sent only to hosts that ${KEYS_ENV} lists for it, as "
        f"{KEYS_ENV}='NAME=HOST[:PORT][,HOST[:PORT]...] ...' (no wildcards; a host without a port allows every "
        "port). Where it is not allowed, the requests that need it are not sent, and their checks record an error "
        "that says so.",
    )
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--catalog",
        type=Path,
        default=Path(os.environ.get("CATALOG_DIR", "catalog")),
        help="catalog folder to read deployments from (default: $CATALOG_DIR or ./catalog)",
    )
    source.add_argument("--target-json", type=Path, help="read targets from this JSON list instead of a catalog")
    run.add_argument("--only", nargs="+", action="extend", metavar="ID", help="probe only these deployment ids")
    fleet = run.add_argument_group(
        "fleet",
        "Deployments on one server are probed one after another, so no check measures another's load; "
        "different servers are probed at the same time.",
    )
    fleet.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_SERVERS_AT_ONCE,
        metavar="N",
        help="servers probed at once (default %(default)s)",
    )
    fleet.add_argument(
        "--server-is",
        choices=SERVER_IS,
        default="host-port",
        help="what makes deployments one server: the same host and port (default: one engine process), or the "
        "same host (several engines sharing one machine's GPUs)",
    )
    fleet.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="probe only the K-th of N shards of the fleet (whole servers, the same split in every job); merge "
        "the shards' evidence folders with `python -m probes merge`",
    )
    run.add_argument(
        "--evidence",
        type=Path,
        default=None,
        help="evidence folder (default: $EVIDENCE_DIR, else the repository's evidence/)",
    )
    load = run.add_argument_group("latency workload")
    load.add_argument("--requests", type=_positive_int, default=Workload.requests)
    load.add_argument("--prompt-tokens", type=_positive_int, default=Workload.prompt_tokens)
    load.add_argument("--output-tokens", type=_positive_int, default=Workload.output_tokens)
    load.add_argument(
        "--load-concurrency", type=_positive_int, default=Workload.concurrency, help="requests in flight at once"
    )
    load.add_argument("--no-latency", action="store_true", help="skip the latency check")
    evals = run.add_argument_group("evals")
    evals.add_argument(
        "--eval",
        dest="evals",
        action="append",
        metavar="TASK",
        help="run only these eval tasks: a bundled task, a published benchmark (humaneval, which runs only when "
        "named here), or the first K items of either as TASK-first-K (humaneval-first-20); recorded as "
        "eval:TASK under the name given",
    )
    evals.add_argument("--no-evals", action="store_true", help="skip the evals")
    limits = run.add_argument_group(
        "time limits (seconds)",
        "Every request is bounded by the first three, every deployment and the whole run by the last two. "
        "Once a deployment's API host times out or refuses connections, its remaining checks are recorded "
        "as not attempted. When a deadline passes, the check in progress is stopped, what was not checked "
        "is recorded as error with the reason, and what was checked before is kept. (Bodies are capped "
        f"too: an answer over {MAX_BODY_BYTES // 1024 // 1024} MiB fails its check unread.)",
    )
    limits.add_argument(
        "--connect-timeout",
        type=_positive_float,
        default=Timeouts.connect,
        metavar="S",
        help="to open a connection (default %(default)g)",
    )
    limits.add_argument(
        "--read-timeout",
        type=_positive_float,
        default=Timeouts.read,
        metavar="S",
        help="longest silence while reading an answer (default %(default)g)",
    )
    limits.add_argument(
        "--request-timeout",
        type=_positive_float,
        default=Timeouts.request,
        metavar="S",
        help="deadline for a whole request, first byte sent to last byte read, so a server that drips "
        "bytes is cut off (default %(default)g)",
    )
    limits.add_argument(
        "--deployment-deadline",
        type=_positive_float,
        default=Deadlines.deployment,
        metavar="S",
        help="for all checks of one deployment together (default %(default)g)",
    )
    limits.add_argument(
        "--run-deadline",
        type=_positive_float,
        default=Deadlines.run,
        metavar="S",
        help="for the whole run; deployments not started by then keep their previous evidence "
        "(default %(default)g: inside the scheduled job's 60 minutes)",
    )
    discover = commands.add_parser(
        "discover",
        help="write catalog files and evidence from a live OpenAI-compatible server",
        description="Ask a live server what it serves, prove what its answers show (health, endpoints, "
        "streaming, the served context by request) and write a deployment and a model per served name, and the "
        "evidence. The engine (vLLM, llama.cpp, Ollama, TEI, SGLang) is recognised from its answers. Nothing is "
        "written unless every file validates; existing files are kept unless --force.",
    )
    discover.add_argument("url", help="the server's base URL including /v1, e.g. http://127.0.0.1:8000/v1")
    discover.add_argument(
        "--catalog",
        type=Path,
        default=Path(os.environ.get("CATALOG_DIR", "catalog")),
        help="catalog folder to write to (default: $CATALOG_DIR or ./catalog)",
    )
    discover.add_argument(
        "--fleet", default="discovered", help="fleet id for the new deployments (default: discovered)"
    )
    discover.add_argument("--evidence", type=Path, default=None, help="where to write what the requests proved")
    discover.add_argument("--api-key-env", default=None, help="environment variable holding the server's API key")
    discover.add_argument("--force", action="store_true", help="overwrite files that exist already")
    history = commands.add_parser(
        "history",
        help="keep the probe history's summaries and archives",
        description="rotate: move the lines of past months out of history.jsonl into evidence/history/<YYYY-MM>.jsonl "
        "and drop archives older than --keep-months (the site shows the same after). rebuild: write every summary "
        "anew from the archives and history.jsonl (after merging evidence by hand).",
    )
    history.add_argument("action", choices=["rotate", "rebuild"])
    history.add_argument(
        "--evidence", type=Path, default=None, help="evidence folder (default: $EVIDENCE_DIR or evidence/)"
    )
    history.add_argument(
        "--keep-months",
        type=_non_negative_int,
        default=13,
        help="rotate: months of archives kept, besides the current month (default %(default)s)",
    )
    merge = commands.add_parser(
        "merge",
        help="merge the evidence folders of shards into one",
        description="Merge the evidence folders that `python -m probes run --shard K/N` jobs wrote, each started "
        "from the commit being merged into, into --evidence: their new history lines and the evidence files of the "
        "deployments they probed. Nothing is written unless every shard checks out.",
    )
    merge.add_argument("shards", type=Path, nargs="+", metavar="SHARD_DIR", help="a shard job's evidence folder")
    merge.add_argument(
        "--evidence", type=Path, default=None, help="folder merged into (default: $EVIDENCE_DIR or evidence/)"
    )
    imports = commands.add_parser(
        "import-report",
        help="record a benchmark tool's report (vllm bench serve, GuideLLM, llm-d Benchmark Report) as evidence measured by that tool",
        description="Read a `vllm bench serve --save-result` JSON, a GuideLLM JSON report or an llm-d Benchmark Report 0.2 "
        "(YAML or JSON, checked first by that format's own validator from `make llmd-env`) and record its latency "
        "percentiles, throughput, goodput, workload, tool version, date and hardware (where the report states them) "
        "in the deployment's evidence file, as measured by that tool: the card shows them under the tool's name, "
        "beside our probe's latency, and they change no claim's state. The deployment needs a probe run first. "
        "Importing the same report again replaces it; nothing is written unless the whole report reads.",
    )
    imports.add_argument(
        "report", type=Path, metavar="FILE", help="the report the tool wrote (JSON; an llm-d report may be YAML)"
    )
    imports.add_argument("--deployment", required=True, metavar="ID", help="the deployment the tool measured")
    imports.add_argument(
        "--evidence", type=Path, default=None, help="evidence folder (default: $EVIDENCE_DIR or evidence/)"
    )
    return parser


def _import_report(args: argparse.Namespace) -> int:
    """`import-report`: one line per recorded measurement, or one error line and exit 3."""
    from probes.import_report import ReportError, import_report

    evidence_dir: Path = args.evidence or default_evidence_dir()
    try:
        found, path = import_report(args.report, args.deployment, evidence_dir, utc_now())
    except ReportError as exc:
        print(f"python -m probes import-report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for m in found:
        version = m.tool_version or "version not recorded"
        print(
            f"{m.tool} ({version}), ran {m.ran_on}: {m.workload.completed} of {m.workload.requests} requests completed"
        )
    print(f"recorded as measured by {found[0].tool} in {_shown(path.parent, args.evidence)}/{path.name}")
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    """`merge`: one line per shard, or one error line and exit 3."""
    evidence_dir: Path = args.evidence or default_evidence_dir()
    try:
        merged = merge_shards(evidence_dir, args.shards)
    except MergeError as exc:
        print(f"python -m probes merge: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for shard in merged:
        print(f"{shard.folder}: {len(shard.deployments)} deployments, {len(shard.lines)} history lines")
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    """`history rotate` and `history rebuild`: what moved, what was written."""
    evidence_dir: Path = args.evidence or default_evidence_dir()
    if args.action == "rebuild":
        written = rebuild_summaries(evidence_dir)
        print(f"wrote {len(written)} files under {evidence_dir / 'history'}")
        return EXIT_OK
    rotated = rotate_history(evidence_dir, today=utc_now().date(), keep_months=args.keep_months)
    for name, count in rotated.archived.items():
        print(f"archived {count} lines into {evidence_dir / 'history' / name}")
    for name in rotated.removed:
        print(f"removed {evidence_dir / 'history' / name} (older than {args.keep_months} months)")
    if rotated.unreadable:
        print(f"dropped {rotated.unreadable} unreadable lines (torn appends or another format)")
    return EXIT_OK


def _discover(args: argparse.Namespace) -> int:
    """`discover`: one line on stderr and exit 1 when nothing could be written; else what was written, whether
    the catalog validates, and the command to run next."""
    from catalog import check_catalog
    from onboarding.onboard import OnboardError
    from probes.discover import discover, next_command

    try:
        discovery, written = discover(
            args.url,
            args.catalog,
            fleet=args.fleet,
            evidence_dir=args.evidence,
            api_key_env=args.api_key_env,
            force=args.force,
        )
    except (OnboardError, KeyGrantsError) as exc:
        print(f"python -m probes discover: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"engine: {discovery.kind.value} (recognised by {discovery.detected_by})")
    for item in discovery.found:
        proved = ", ".join(f"{r.claim} {r.status}" for r in item.records)
        print(f"{item.name}: {proved}")
    for path in written:
        print(f"wrote {path}")
    catalog, errors = check_catalog(args.catalog)
    for error in errors:
        print(error.format())
    if catalog is None:
        print(f"{len(errors)} error(s): fix them, then run `python -m catalog validate`", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: the catalog in {args.catalog} validates ({len(catalog.deployments)} deployments)")
    print(f"next: {next_command(args.catalog, args.evidence)}")
    return EXIT_OK


def _select(targets: Sequence[ProbeTarget], only: Sequence[str] | None) -> list[ProbeTarget]:
    if not only:
        return list(targets)
    known = {t.deployment_id for t in targets}
    if unknown := sorted(set(only) - known):
        raise UsageError(f"--only names unknown deployments {unknown}; known: {sorted(known)}")
    return [t for t in targets if t.deployment_id in set(only)]


# -- display ------------------------------------------------------------------------------------------------
STATUS_STYLE = {"pass": "green", "fail": "red", "error": "magenta", "info": "cyan"}


class RichProgress:
    """A bar per deployment, advanced as each check finishes (only on a terminal)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None:
        self._tasks[target.deployment_id] = self._progress.add_task(target.deployment_id, total=len(claims), last="")

    def record_done(self, target: ProbeTarget, record: ClaimRecord) -> None:
        style = STATUS_STYLE.get(record.status, "")
        self._progress.update(
            self._tasks[target.deployment_id], advance=1, last=f"{record.claim} [{style}]{record.status}[/]"
        )

    def deployment_finished(self, result: DeploymentResult) -> None:
        task = self._tasks[result.target.deployment_id]
        self._progress.update(task, last="crashed" if result.crash else "not probed" if result.not_probed else "done")


class LineProgress:
    """One line per finished deployment on stderr, for logs (CI) where a live display would be noise."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def deployment_started(self, target: ProbeTarget, claims: Sequence[str]) -> None:
        print(f"probing {target.deployment_id}: {len(claims)} checks", file=self._stream, flush=True)

    def record_done(self, target: ProbeTarget, record: ClaimRecord) -> None:
        pass

    def deployment_finished(self, result: DeploymentResult) -> None:
        counts: dict[str, int] = {}
        for record in result.records:
            counts[record.status] = counts.get(record.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        note = f" ({result.crash or result.not_probed})" if result.crash or result.not_probed else ""
        print(f"probed {result.target.deployment_id}: {summary}{note}", file=self._stream, flush=True)


def format_value(record: ClaimRecord) -> str:
    value = record.value
    if record.claim == ServerClaim.latency and isinstance(record.details, dict):
        value = record.details
    if value is None:
        return ""
    if record.claim == ServerClaim.latency and isinstance(value, dict):
        parts = [
            f"{k.split('_')[0]} p95 {value[k]:.0f} ms"
            for k in ("ttft_p95_ms", "itl_p95_ms", "e2e_p95_ms")
            if isinstance(value.get(k), int | float)
        ]
        return " · ".join(parts)
    if record.claim.startswith(EVAL_PREFIX) and isinstance(value, int | float):
        return f"score {value:.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return f"{value} {record.unit}" if record.unit else str(value)


def summary_table(summary: RunSummary) -> Table:
    table = Table(title=f"probe run {summary.run_id}", show_lines=False)
    table.add_column("deployment", no_wrap=True)
    table.add_column("claim", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("value")
    table.add_column("reason", overflow="fold")
    for result in summary.results:
        name = result.target.deployment_id
        for record in result.records:
            style = STATUS_STYLE.get(record.status, "")
            table.add_row(name, record.claim, f"[{style}]{record.status}[/]", format_value(record), record.reason or "")
            name = ""
        if result.crash:
            table.add_row(name or result.target.deployment_id, "run", "[magenta]error[/]", "", result.crash)
    return table


def _shown(evidence_dir: Path, given: Path | None) -> str:
    """The evidence folder as the output names it: relative to the working directory when inside it,
    else as typed with ``--evidence``; a default folder elsewhere (the repository's, ``$EVIDENCE_DIR``)
    is never printed as an absolute path of this machine."""
    try:
        return str(evidence_dir.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(given) if given is not None else redact_paths(str(evidence_dir))


# -- entry point --------------------------------------------------------------------------------------------
def _targets(args: argparse.Namespace, catalog_loader: CatalogLoader) -> list[ProbeTarget]:
    if args.target_json is not None:
        try:
            loaded: Sequence[ProbeTarget] = load_target_json(args.target_json)
        except TargetFileError as exc:
            raise UsageError(str(exc)) from None
    else:
        if not args.catalog.is_dir():
            raise UsageError(f"catalog folder {args.catalog} does not exist (use --catalog DIR or --target-json FILE)")
        loaded = catalog_loader(args.catalog)
    selected = _select(loaded, args.only)
    if not selected:
        raise UsageError("no deployments to probe")
    if args.shard is not None:
        return shard_targets(selected, args.shard, args.server_is)
    return selected


def select_suites(names: Sequence[str] | None) -> list[Suite]:
    """The eval suites a run scores: every bundled suite when ``names`` is empty, else the ones named, each a
    bundled task, a published benchmark (``benchmark_suites``: only when named) or ``<task>-first-<k>`` of
    either (``find_suite``). The benchmarks are loaded only when a name is not a bundled task, so a default run
    never needs their package. ``UsageError`` names what is unknown or cannot load."""
    try:
        suites = bundled_suites()
        if not names:
            return suites
        wanted = list(dict.fromkeys(names))
        if any(find_suite(name, suites) is None for name in wanted):
            suites = suites + benchmark_suites()
    except SuiteError as exc:  # names a task file: by its place in the repository, not on this machine
        raise UsageError(redact_paths(str(exc))) from None
    found = {name: find_suite(name, suites) for name in wanted}
    if unknown := sorted(name for name, suite in found.items() if suite is None):
        known = sorted(s.task for s in suites)
        raise UsageError(
            f"--eval names unknown tasks {unknown}; known: {known}, or the first K items of one as TASK-first-K"
        )
    return [suite for suite in found.values() if suite is not None]


def _suites(args: argparse.Namespace) -> list[Suite]:
    return [] if args.no_evals else select_suites(args.evals)


def main(argv: Sequence[str] | None = None, *, catalog_loader: CatalogLoader = load_catalog_targets) -> int:
    """Parse ``argv``, run, print the summary, return the exit code. ``catalog_loader`` is pluggable."""
    args = build_parser().parse_args(argv)
    if args.command == "discover":
        return _discover(args)
    if args.command == "history":
        return _history(args)
    if args.command == "merge":
        return _merge(args)
    if args.command == "import-report":
        return _import_report(args)
    stdout_tty = sys.stdout.isatty()
    console = Console() if stdout_tty else Console(width=200, no_color=True, highlight=False)
    try:
        KeyGrants.from_environ()
        targets = _targets(args, catalog_loader)
        suites = _suites(args)
        workload = (
            None
            if args.no_latency
            else Workload(args.requests, args.prompt_tokens, args.output_tokens, args.load_concurrency)
        )
    except (UsageError, KeyGrantsError) as exc:
        print(f"python -m probes: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not targets:  # a CI matrix with more shards than servers: this job has nothing to do
        console.print(f"shard {args.shard} has no server to probe; nothing written")
        return EXIT_OK
    # Said before the run, once per deployment: its checks that need the key record the same reason.
    for target in targets:
        if (refused := target.key_refusal()) is not None:
            print(f"python -m probes: {target.deployment_id}: {refused}", file=sys.stderr)
    timeouts = Timeouts(connect=args.connect_timeout, read=args.read_timeout, request=args.request_timeout)
    deadlines = Deadlines(deployment=args.deployment_deadline, run=args.run_deadline)
    evidence_dir: Path = args.evidence or default_evidence_dir()

    async def go(progress: RichProgress | LineProgress) -> RunSummary:
        return await run_probes(
            targets,
            evidence_dir=evidence_dir,
            concurrency=args.concurrency,
            workload=workload,
            progress=progress,
            suites=suites,
            timeouts=timeouts,
            deadlines=deadlines,
            server_is=args.server_is,
        )

    if stdout_tty:
        with RichProgress(console) as rich_progress:
            summary = asyncio.run(go(rich_progress))
    else:
        summary = asyncio.run(go(LineProgress(sys.stderr)))
    console.print(summary_table(summary))
    code = summary.exit_code
    meaning = {
        EXIT_OK: "every claim holds",
        EXIT_FAILED: "some claims do not hold",
        EXIT_UNREACHABLE: "some endpoints could not be reached",
    }[code]
    console.print(f"evidence in {_shown(evidence_dir, args.evidence)}/ · exit {code}: {meaning}")
    return code
