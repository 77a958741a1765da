"""Ten questions an agent asks of the catalog, each measured on two routes: the built site read over HTTP from
`/llms.txt`, and the MCP server over Streamable HTTP with the official SDK client (issue 25, item 4).

`python -m bench.agent_questions [--site DIR]` prints the table that docs/agents.md holds (`--write-docs`
rewrites it there); tests/site/test_agent_questions.py runs the same measurement and holds the page to it.

**The expected answers** are computed here from the catalog and the evidence through the Python API (the judged
view, the verdict rules, the raw probe history), never read from a surface. A question counts as answered when
every expected value is found in one *unit* of what the route returned: a line, a fenced code block or a block
between blank lines (lists are split into their items) of a text file; one JSON object (at any depth) of a JSON
file or a tool result; the whole of an Atom feed. So a base URL on one deployment's line and a model name on
another's do not add up to an answer.

**The HTTP route** is an agent that has read `/llms.txt` and may then fetch only what the text it has read links
to: a Markdown link, an `href`, or a URL template the text documents (`deployments/<id>.json`, filled with the
deployment id the question names). It follows a link only when the line holding it names one of the question's
terms (the task, the fleet, the deployment id, the topic): an agent cannot know which model family a deployment
id belongs to, so it cannot pick a family file blind. It reads the agent files (`.md`, `.txt`, `.json`,
`.atom`), not the HTML pages, and leaves out the two files that hold the whole site (`catalog.json` and
`llms-full.txt`, each over 250 KB for the bundled catalog): one fetch of either holds most answers, at a cost
the table would hide (and their whole-file JSON object or text would make the one-unit check meaningless). The count is the fewest fetches after `llms.txt` along such links (up to three), then the
fewest bytes; bytes include `llms.txt`'s.

**The MCP route** makes the one tool call an agent reading the tool descriptions would make; the bytes are those
of the result's text content (what the model reads). Reading the tool list is the MCP counterpart of reading
`llms.txt` and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import heapq
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from testbed.mcp_http import serving_mcp_http

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = REPO_ROOT / "docs" / "agents.md"
#: The heading in docs/agents.md under which the measured table stands (the first table after it).
TABLE_HEADING = "## Measured: ten agent questions"
#: Files that hold the whole site: the HTTP route leaves them out (see the module's docstring).
WHOLE_SITE = frozenset({"catalog.json", "llms-full.txt"})
AGENT_SUFFIXES = (".md", ".txt", ".json", ".atom")
MAX_FETCHES = 3
"""Fetches after llms.txt the HTTP route tries before it calls a question unanswered."""
COMMAND = "python -m bench.agent_questions --write-docs"
"""The command that measures and rewrites the table in docs/agents.md."""


# --- the questions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    needles: tuple[tuple[str, ...], ...]
    """Each expected value as alternative regular expressions (how the surfaces write it); all must be in one unit."""
    terms: tuple[str, ...]
    """Words an agent asking this would look for in a link's line."""
    deployment: str | None
    """The deployment id the question names (fills URL templates), if any."""
    tool: str | None
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def call(self) -> str:
        if self.tool is None:
            return "no tool answers it"
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in self.arguments.items())
        return f"{self.tool}({args})"


def _id(dep_id: str) -> tuple[str, ...]:
    """A deployment id as a whole word: in a link, a JSON string or code, not inside a longer id."""
    return (rf"(?<![\w.-]){re.escape(dep_id)}(?![\w-])",)


def _model(name: str) -> tuple[str, ...]:
    """The model name to send: `model` in backticks (the llms files), JSON, or Python code."""
    quoted = re.escape(name)
    return (rf"model `{quoted}`", rf'"model": "{quoted}"', rf"model='{quoted}'")


def _literal(*values: str) -> tuple[str, ...]:
    return tuple(re.escape(v) for v in values)


def _json_number(key: str, value: float) -> tuple[str, ...]:
    forms = {json.dumps(float(value))}
    if float(value).is_integer():
        forms.add(json.dumps(int(value)))
    return tuple(rf'"{key}": {re.escape(f)}(?![\d.])' for f in sorted(forms))


def changed_since(evidence_dir: Path, since: dt.date, known: set[str]) -> list[str]:
    """Deployments with a claim whose outcome (passing or not) now differs from its outcome at the end of
    `since`, or that was first probed after it: from the raw history lines, not from the judged view."""
    from catalog.history import passing, read_every_line

    by_claim: dict[tuple[str, str], list[tuple[dt.datetime, bool]]] = {}
    for line in read_every_line(evidence_dir).lines:
        by_claim.setdefault((line.deployment, line.claim), []).append((line.date, passing(line.status)))
    changed = set()
    for (dep_id, _claim), outcomes in by_claim.items():
        outcomes.sort()
        before = [ok for moment, ok in outcomes if moment.date() <= since]
        if outcomes[-1][0].date() > since and (not before or before[-1] != outcomes[-1][1]):
            changed.add(dep_id)
    return sorted(changed & known)


def questions(catalog_dir: Path, evidence_dir: Path, today: dt.date) -> list[Question]:
    """The ten questions for this catalog, with the answers its evidence gives on `today`."""
    from catalog import load_catalog
    from catalog.display import token_prices_text
    from catalog.evidence_folder import load_evidence
    from catalog.schema import Deployment
    from catalog.verdicts import SUMMARY_RULES, SummaryState, summary_rule
    from catalog.view import JudgedView

    catalog = load_catalog(catalog_dir)
    view = JudgedView(catalog, load_evidence(evidence_dir), today)
    tasks, fleets = catalog.tasks, catalog.fleets
    records = [r for r in view.records() if not r.retired]
    found: list[Question] = []

    def state_needle(state: str) -> tuple[str, ...]:
        return (rf"Evidence {state}\b", rf'"state": "{state}"', rf'"summary": "{state}"')

    # 1-2: the first choice for a task in a fleet, with a published endpoint.
    order = {t: task.order for t, task in tasks.items()}
    firsts = sorted(
        (a for a in view.answers if a.rank == 1 and a.when is None and view.record(a.deployment).client is not None),
        key=lambda a: (order[a.task], fleets[a.fleet].order),
    )
    pick = firsts[0]
    rec = view.record(pick.deployment)
    assert rec.client is not None
    fleet = fleets[pick.fleet]
    task_terms = (pick.task, tasks[pick.task].title)
    args = {"task": pick.task, "fleet": pick.fleet}
    found.append(
        Question(
            1,
            f"Which deployment do I use for {tasks[pick.task].title} in fleet {pick.fleet}?",
            (_id(pick.deployment), (re.escape(fleet.name), rf'"id": "{re.escape(pick.fleet)}"')),
            task_terms,
            None,
            "pick_deployment",
            args,
        )
    )
    found.append(
        Question(
            2,
            f"Base URL and model name of that pick ({pick.deployment})?",
            (_id(pick.deployment), _literal(rec.client.base_url), _model(rec.client.model)),
            task_terms,
            None,
            "pick_deployment",
            args,
        )
    )

    # 3: is it verified, and since when (the day the evidence last verified it).
    probed = [r for r in records if r.verdict.last_verified is not None]
    verified = [r for r in probed if r.summary is SummaryState.verified] or probed
    three = verified[0]
    assert three.verdict.last_verified is not None
    found.append(
        Question(
            3,
            f"Is {three.id} verified, and since when (last verified)?",
            (_id(three.id), state_needle(three.summary.value), _literal(three.verdict.last_verified.isoformat())),
            (three.id,),
            three.id,
            "get_deployment",
            {"deployment_id": three.id},
        )
    )

    # 4: the context length, and whether a probe proved it.
    def context_proven(r: Any) -> bool:
        return r.deployment.serving.max_model_len is not None and any(
            c.claim == "context-length" and c.state.value == "verified" for c in r.verdict.claims
        )

    with_context = [r for r in records if context_proven(r)]
    four = next((r for r in with_context if r.id != three.id), with_context[0])
    length = four.deployment.serving.max_model_len
    assert length is not None
    found.append(
        Question(
            4,
            f"What context length does {four.id} serve, and is it proven?",
            (
                _id(four.id),
                (
                    r'"context-length": \{[^{}]*"state": "verified"',
                    r'"claim": "context-length"[^{}]*"state": "verified"',
                    r"Verified: [^.]*\bcontext-length\b",
                ),
                (*_json_number("max_model_len", length), re.escape(f"{length:,} tokens")),
            ),
            (four.id,),
            four.id,
            "get_deployment",
            {"deployment_id": four.id},
        )
    )

    # 5: which deployments changed this week.
    since = today - dt.timedelta(days=7)
    changed = changed_since(evidence_dir, since, set(catalog.deployments))
    found.append(
        Question(
            5,
            f"Which deployments' evidence changed in the week to {today.isoformat()}?",
            tuple(_id(d) for d in changed),
            ("evidence events", "start or stop passing", "changed"),
            None,
            "claims_changed_since",
            {"since": since.isoformat()},
        )
    )

    # 6: an embedding deployment in a fleet (one no fleet's advice names).
    def serves_embeddings(dep: Deployment, kind: str) -> bool:
        return any(e.value == "embeddings" for e in dep.endpoints) or kind == "embedding"

    rank = {"verified": 0, "partial": 1, "unverified": 2, "failing": 3}
    embedders = sorted(
        (r for r in records if r.client is not None and serves_embeddings(r.deployment, r.model.kind.value)),
        key=lambda r: (r.deployment.status.value != "active", rank.get(r.summary.value, 9), r.id),
    )
    six = embedders[0]
    assert six.client is not None
    emb_fleet = six.deployment.fleet
    found.append(
        Question(
            6,
            f"Which embedding deployment do I use in fleet {emb_fleet}, at which URL and model name?",
            (_id(six.id), _literal(six.client.base_url), _model(six.client.model)),
            ("embeddings", "embedding", emb_fleet, fleets[emb_fleet].name),
            None,
            "pick_deployment",
            {"task": "embeddings", "fleet": emb_fleet},
        )
    )

    # 7: how to call a deployment with curl.
    callable_ = [r for r in records if r.client is not None and any(e.value == "chat" for e in r.deployment.endpoints)]
    seven = next((r for r in callable_ if r.summary is not SummaryState.unverified), callable_[0])
    assert seven.client is not None
    found.append(
        Question(
            7,
            f"How do I call {seven.id}'s chat completions with curl?",
            (
                (r"\bcurl\b",),
                _literal(f"{seven.client.base_url}/chat/completions"),
                _model(seven.client.model),
            ),
            (seven.id,),
            seven.id,
            "get_deployment",
            {"deployment_id": seven.id},
        )
    )

    # 8: what a badge means.
    states = [rule.state for rule in SUMMARY_RULES]
    state = SummaryState.partial if SummaryState.partial in states else states[0]
    found.append(
        Question(
            8,
            f"What does the `{state.value}` evidence badge mean?",
            (_literal(summary_rule(state)), (rf"\b{state.value}\b",)),
            ("badge", state.value),
            None,
            "explain_evidence",
            {},
        )
    )

    # 9: is it still served; if retired, what replaces it.
    retired = [r for r in view.records() if r.retired]
    if retired:
        nine = retired[0]
        needles: tuple[tuple[str, ...], ...] = (_id(nine.id), _id(nine.replacement or "none"))
        text = f"{nine.id} is retired: what replaces it?"
    else:
        nine = next(r for r in records if r.deployment.status.value != "active")
        status = nine.deployment.status.value
        needles = (_id(nine.id), (rf"Status {status}\b", rf'"status": "{status}"', rf"mc-badge--{status}\b"))
        text = f"Is {nine.id} in service (status, retirement, successor)?"
    found.append(Question(9, text, needles, (nine.id,), nine.id, "get_deployment", {"deployment_id": nine.id}))

    # 10: what a deployment costs.
    priced = [r for r in records if token_prices_text(r.deployment.cost) is not None]
    ten = priced[0]
    cost = ten.deployment.cost
    assert cost is not None and cost.input_usd_per_mtok is not None and cost.output_usd_per_mtok is not None
    prices = _literal(
        token_prices_text(cost) or "", f"${cost.input_usd_per_mtok:g} in / ${cost.output_usd_per_mtok:g} out"
    )
    found.append(
        Question(
            10,
            f"What does {ten.id} cost per million tokens?",
            (
                _id(ten.id),
                (*prices, *_json_number("input_usd_per_mtok", cost.input_usd_per_mtok)),
                (*prices, *_json_number("output_usd_per_mtok", cost.output_usd_per_mtok)),
            ),
            (ten.id,),
            ten.id,
            "get_deployment",
            {"deployment_id": ten.id},
        )
    )
    return found


# --- answered? ---------------------------------------------------------------------------------------------------


def _json_units(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        yield json.dumps(value, ensure_ascii=False)
        for item in value.values():
            yield from _json_units(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_units(item)


def _text_units(text: str) -> Iterator[str]:
    lines = text.splitlines()
    yield from lines
    fence: list[str] | None = None
    for line in lines:
        if line.strip().startswith("```"):
            if fence is None:
                fence = [line]
            else:
                yield "\n".join([*fence, line])
                fence = None
        elif fence is not None:
            fence.append(line)
    for block in re.split(r"\n[ \t]*\n", text):
        if not any(re.match(r"\s*([-*+]|\d+\.)\s", line) for line in block.splitlines()):
            yield block


def units(name: str, text: str) -> Iterator[str]:
    """What one answer must sit in (see the module's docstring)."""
    if name.endswith(".json"):
        try:
            yield from _json_units(json.loads(text))
        except ValueError:
            yield from _text_units(text)
    elif name.endswith((".atom", ".xml")):
        yield text
    else:
        yield from _text_units(text)


def answers(question: Question, parts: Iterator[str]) -> bool:
    patterns = [[re.compile(p) for p in needle] for needle in question.needles]
    return any(all(any(p.search(part) for p in needle) for needle in patterns) for part in parts)


# --- the HTTP route ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    question: Question
    route: str
    """`HTTP` or `MCP`."""
    count: int | None
    """Fetches after llms.txt, or tool calls; None when not answered."""
    bytes: int
    used: str
    """The files read after llms.txt (`→`), or the tool call."""


_LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"")
_TEMPLATE = re.compile(r"`([^`\s]*<id>[^`\s]*)`")


def _links(url: str, text: str, question: Question, *, blind: bool = False) -> Iterator[tuple[str, str]]:
    """(absolute URL, how it was found) for every link in `text` that the question's agent would follow (every
    link at all when `blind`)."""
    terms = [t.lower() for t in question.terms]
    for line in text.splitlines():
        relevant = blind or any(t in line.lower() for t in terms)
        for match in _LINK.finditer(line):
            if relevant:
                yield urljoin(url, match.group(1) or match.group(2)).split("#")[0].split("?")[0], ""
        if question.deployment is not None:
            for template in _TEMPLATE.findall(line):
                yield urljoin(url, template.replace("<id>", question.deployment)), " (URL template)"


class Site:
    """The built site over HTTP: every fetch made once and kept, so the route search costs one read per file."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._cache: dict[str, str | None] = {}

    def get(self, url: str) -> str | None:
        if url not in self._cache:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    self._cache[url] = response.read().decode("utf-8")
            except OSError:
                self._cache[url] = None
        return self._cache[url]

    def name(self, url: str) -> str:
        return url.removeprefix(self.base)


def measure_http(site: Site, question: Question) -> Measured:
    """The fewest fetches after llms.txt, then the fewest bytes, after which one unit of the last file read
    holds the answer (llms.txt itself counts as zero fetches). Unanswered, it names the route an agent that
    followed links blind (knowing, say, which family file to open) would have taken."""
    found = _search(site, question, blind=False)
    if found.count is not None:
        return found
    blind = _search(site, question, blind=True)
    if blind.count is None:
        return found
    return Measured(
        question,
        "HTTP",
        None,
        found.bytes,
        f"no link names it; blind: {blind.used} ({blind.count} fetch{'es' * (blind.count != 1)})",
    )


def _search(site: Site, question: Question, *, blind: bool) -> Measured:
    start = site.base + "llms.txt"
    first = site.get(start)
    assert first is not None, f"no llms.txt at {start}"
    size = len(first.encode())
    # (fetches, bytes, url, path); a path's links are those of every file on it.
    queue: list[tuple[int, int, str, tuple[tuple[str, str], ...]]] = [(0, size, start, ((start, ""),))]
    done: set[str] = set()
    while queue:
        fetches, total, url, path = heapq.heappop(queue)
        if url in done:
            continue
        done.add(url)
        text = site.get(url)
        assert text is not None
        if answers(question, units(url, text)):
            used = " → ".join(site.name(u) + how for u, how in path[1:]) or "llms.txt alone"
            return Measured(question, "HTTP", fetches, total, used)
        if fetches >= MAX_FETCHES:
            continue
        read = {u for u, _ in path}
        for source, _how in path:
            source_text = site.get(source)
            assert source_text is not None
            for target, found_as in _links(source, source_text, question, blind=blind):
                name = site.name(target)
                if target in read or not target.startswith(site.base) or name in WHOLE_SITE:
                    continue
                if not name.endswith(AGENT_SUFFIXES):
                    continue
                body = site.get(target)
                if body is None or target in done:
                    continue
                heapq.heappush(queue, (fetches + 1, total + len(body.encode()), target, (*path, (target, found_as))))
    return Measured(question, "HTTP", None, size, f"not answered within {MAX_FETCHES} fetches after llms.txt")


# --- the MCP route -----------------------------------------------------------------------------------------------


async def measure_mcp(url: str, found: list[Question]) -> list[Measured]:
    from mcp import Client
    from mcp.types import TextContent

    results = []
    async with Client(url) as client:
        for question in found:
            if question.tool is None:
                results.append(Measured(question, "MCP", None, 0, question.call))
                continue
            result = await client.call_tool(question.tool, question.arguments)
            text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
            parts: Iterator[str] = (
                _json_units(result.structured_content) if result.structured_content is not None else iter([text])
            )
            ok = not result.is_error and answers(question, parts)
            results.append(Measured(question, "MCP", 1 if ok else None, len(text.encode()), question.call))
    return results


# --- running it --------------------------------------------------------------------------------------------------


def newest_evidence_day(evidence_dir: Path) -> dt.date:
    """The day of the newest probe line: the day the table is measured for, so it does not age."""
    from catalog.history import read_every_line

    lines = read_every_line(evidence_dir).lines
    return max(line.date for line in lines).date() if lines else dt.date(2026, 11, 22)


def epoch(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp()))


def generate_site(out: Path, catalog_dir: Path, evidence_dir: Path, day: dt.date) -> Path:
    """The agent files as a build publishes them (`python -m hooks.generate`), judged on `day`; their folder."""
    command = [sys.executable, "-m", "hooks.generate", str(out), "--catalog", str(catalog_dir)]
    command += ["--evidence", str(evidence_dir)]
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch(day)}
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=600)
    return out / "site"


@contextmanager
def serving_site(site_dir: Path) -> Iterator[str]:
    """The folder over HTTP on 127.0.0.1 (a thread of this process); its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def measure(site_dir: Path, catalog_dir: Path, evidence_dir: Path, day: dt.date) -> list[Measured]:
    """Both routes for every question, in question order, HTTP first."""
    found = questions(catalog_dir, evidence_dir, day)
    with serving_site(site_dir) as base:
        site = Site(base)
        http_rows = [measure_http(site, q) for q in found]
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving_mcp_http(catalog_dir, evidence_dir, site=site_dir, log=Path(tmp) / "mcp.log", epoch=epoch(day)) as url,
    ):
        mcp_rows = asyncio.run(measure_mcp(url, found))
    return [row for pair in zip(http_rows, mcp_rows, strict=True) for row in pair]


# --- the table ---------------------------------------------------------------------------------------------------

HEADER = (
    "| # | Question | Route | Fetches after llms.txt, or tool calls | Bytes read | Files read, or tool call |",
    "|---|---|---|---|---|---|",
)


@dataclass(frozen=True)
class Row:
    number: int
    route: str
    count: str
    bytes: int
    used: str


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(rows: list[Measured]) -> str:
    lines = list(HEADER)
    for row in rows:
        q = row.question
        count = "not answered" if row.count is None else str(row.count)
        lines.append(f"| {q.number} | {_cell(q.text)} | {row.route} | {count} | {row.bytes:,} | `{_cell(row.used)}` |")
    return "\n".join(lines) + "\n"


def rows_of(text: str) -> list[Row]:
    """The rows of a table as `table` writes it (the question text is left out: it names values that drift)."""
    found = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| # ", "|---")):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        number, _question, route, count, size, used = cells
        found.append(Row(int(number), route, count, int(size.replace(",", "")), used.strip("`").replace("\\|", "|")))
    return found


def measured_rows(rows: list[Measured]) -> list[Row]:
    return rows_of(table(rows))


def documented_table(page: str) -> str:
    """The first table after TABLE_HEADING in the page."""
    _, found, after = page.partition(TABLE_HEADING + "\n")
    if not found:
        raise ValueError(f"docs/agents.md has no `{TABLE_HEADING}` heading")
    lines = after.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| # "))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end]) + "\n"


def write_docs(page: Path, new_table: str) -> None:
    text = page.read_text(encoding="utf-8")
    old = documented_table(text)
    page.write_text(text.replace(old, new_table, 1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from catalog.loader import BUNDLED_CATALOG

    parser = argparse.ArgumentParser(prog="python -m bench.agent_questions", description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: generate the agent files into a temp dir)")
    parser.add_argument("--catalog", type=Path, default=BUNDLED_CATALOG)
    parser.add_argument("--evidence", type=Path, default=REPO_ROOT / "evidence")
    parser.add_argument(
        "--day",
        type=dt.date.fromisoformat,
        help="the day to judge on (default: the newest probe's); a --site must have been built with "
        "SOURCE_DATE_EPOCH on that day",
    )
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite the table in {DOCS_PAGE.name}")
    args = parser.parse_args(argv)
    day = args.day or newest_evidence_day(args.evidence)
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site or generate_site(Path(tmp) / "out", args.catalog, args.evidence, day)
        rows = measure(site, args.catalog, args.evidence, day)
    text = table(rows)
    print(text, end="")
    if args.write_docs:
        write_docs(DOCS_PAGE, text)
        print(f"written into {DOCS_PAGE.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
