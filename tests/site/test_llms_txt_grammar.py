"""llms.txt and every llms file it leads to, read with the reference parser of the llmstxt.org format.

An agent's tooling reads these files with `llms_txt.parse_llms_file` (the package llmstxt.org publishes): an H1
title, an optional `>` summary and free prose, then H2 sections that hold nothing but a list of links
`- [name](url): notes`. Prose inside a section, or an H3, breaks that parser or turns into a section of its own,
so every file is checked with it here, for the bundled catalog and the small test catalog (which has gateways,
verified and failing evidence, and, in one case, a retired pick). The task files are checked for what an agent
fetches one for: per fleet, which deployment, where to send requests, under which model name, and how proven.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import posixpath
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from llms_txt import parse_llms_file  # type: ignore[import-untyped]

from catalog import load_catalog
from catalog.display import summary_line
from catalog.evidence_folder import load_evidence
from catalog.loader import BUNDLED_CATALOG
from hooks.generate import agent_files, card_pages, site_pages
from hooks.render.agents import markdown_url
from hooks.site_context import SiteContext
from hooks.site_layout import SiteLayout

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = FIXTURES.parent.parent
TODAY = dt.date(2026, 11, 21)

#: One item of a section's list, as the llmstxt.org format has it: `- [name](url)`, then `: notes` or nothing.
LINK_ITEM = re.compile(r"^- \[(?P<title>[^\]]+)\]\((?P<url>[^)\s]+)\)(?:: (?P<desc>.+))?$")


@dataclasses.dataclass(frozen=True)
class AgentSite:
    ctx: SiteContext
    files: dict[str, str]
    """Every agent file by its path in the built site (llms.txt, the llms/ files, the markdown copies)."""
    published: frozenset[str]
    """Every path the build publishes beside the pages, texts and copied files alike."""

    @property
    def llms_files(self) -> list[str]:
        return ["llms.txt", *sorted(p for p in self.files if p.startswith("llms/") and p.endswith(".md"))]


def _retire_first_pick(catalog: Path) -> None:
    """The small catalog with its Ollama pick retired in favour of another deployment (as tests/site/test_lifecycle.py
    does), so the files carry a retired pick and its successor."""
    path = catalog / "deployments/ollama-llama3.1-8b.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "retires_on: 2026-11-01\nsuccessor: coder-chat\n")


def _agent_site(catalog: Path, evidence: Path) -> AgentSite:
    layout = SiteLayout.read(REPO_ROOT / "mkdocs.yml")
    ctx = SiteContext(load_catalog(catalog), load_evidence(evidence), TODAY, REPO_ROOT, docs_dir=layout.docs_dir)
    pages = site_pages(ctx, layout, card_pages(ctx))
    agents = agent_files(ctx, pages, layout, None)
    return AgentSite(ctx, agents.texts, frozenset([*agents.texts, *agents.copies]))


@pytest.fixture(scope="module", params=["bundled", "small", "small-with-a-retired-pick"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AgentSite:
    if request.param == "bundled":
        return _agent_site(BUNDLED_CATALOG, REPO_ROOT / "evidence")
    catalog = FIXTURES / "small-catalog"
    if request.param == "small-with-a-retired-pick":
        catalog = tmp_path_factory.mktemp("retired") / "cat"
        shutil.copytree(FIXTURES / "small-catalog", catalog)
        _retire_first_pick(catalog)
    return _agent_site(catalog, FIXTURES / "small-evidence")


def _sections(text: str) -> dict[str, list[str]]:
    """H2 heading -> the non-blank lines under it, as a reader of the markdown sees them."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None and line.strip():
            current.append(line)
    return sections


def _resolve(file: str, url: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(file), url))


def test_the_reference_parser_reads_every_llms_file(site: AgentSite) -> None:
    for name in site.llms_files:
        text = site.files[name]
        try:
            parsed: Any = parse_llms_file(text)
        except Exception as exc:  # the parser's own failure (an AttributeError on a line it cannot read)
            pytest.fail(f"{name}: the reference llms_txt parser fails: {exc!r}")
        assert text.startswith(f"# {parsed.title}\n"), f"{name}: the H1 is not read as the title"
        headings = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
        assert list(parsed.sections) == headings, f"{name}: sections read as {list(parsed.sections)}"
        assert not any(line.startswith("###") for line in text.splitlines()), f"{name}: an H3 in {name}"


def test_every_section_is_a_list_of_links_to_published_files(site: AgentSite) -> None:
    for name in site.llms_files:
        text = site.files[name]
        parsed: Any = parse_llms_file(text)
        for heading, lines in _sections(text).items():
            assert lines, f"{name}: section {heading!r} is empty"
            for line in lines:
                item = LINK_ITEM.match(line)
                assert item, f"{name}: section {heading!r} holds a line that is no link item: {line!r}"
                assert _resolve(name, item["url"]) in site.published, f"{name}: {line!r} leads to no file"
            read = [(link["title"], link["url"]) for link in parsed.sections[heading]]
            written = [(m["title"], m["url"]) for m in map(LINK_ITEM.match, lines) if m]
            assert read == written, f"{name}: the parser reads section {heading!r} differently"


def _task_files(site: AgentSite) -> dict[str, str]:
    """Task id -> the path of its file, as llms.txt links it (by the task's title in the link)."""
    sections = parse_llms_file(site.files["llms.txt"]).sections
    links = [link for section in sections.values() for link in section]
    found: dict[str, str] = {}
    for task_id, task in site.ctx.catalog.tasks.items():
        files = {
            _resolve("llms.txt", link["url"])
            for link in links
            if link["title"] == task.title and _resolve("llms.txt", link["url"]).startswith("llms/")
        }
        assert len(files) == 1, f"llms.txt links {sorted(files)} for the task {task_id!r}"
        found[task_id] = files.pop()
    return found


def test_llms_txt_links_one_file_per_task(site: AgentSite) -> None:
    files = _task_files(site)
    assert len(set(files.values())) == len(site.ctx.catalog.tasks), "two tasks share a file"
    for task_id, path in files.items():
        assert path in site.files, f"llms.txt links the task {task_id!r} to {path}, which is not published"
        title = parse_llms_file(site.files[path]).title
        assert title.startswith(site.ctx.catalog.tasks[task_id].title), f"{path} is titled {title!r}"


def test_a_task_file_names_each_fleets_picks_with_base_url_model_and_evidence(site: AgentSite) -> None:
    """What an agent fetches a task file for: in the fleet it can reach, which deployment, at which base URL,
    under which model name, and how far the probes have proven it, without another fetch."""
    catalog, view = site.ctx.catalog, site.ctx.view
    files = _task_files(site)
    checked_with_endpoint = 0
    for answer in view.answers:
        record = view.record(answer.deployment)
        path = files[answer.task]
        sections = parse_llms_file(site.files[path]).sections
        fleet = catalog.fleets[answer.fleet].name
        assert fleet in sections, f"{path}: no section for the fleet {fleet!r} (sections: {list(sections)})"
        card = markdown_url(f"deployments/{answer.deployment}/")
        items = [link for link in sections[fleet] if _resolve(path, link["url"]) == card]
        assert items, f"{path}: {fleet} does not link the card of its pick {answer.deployment}"
        item = items[0]
        assert item["title"] == record.deployment.served_name, item
        notes = item["desc"] or ""
        if record.retired:
            assert f"retired on {record.deployment.retires_on}" in notes.lower(), notes
            if record.replacement:
                successor = catalog.deployments[record.replacement].served_name
                assert f"[{successor}](" in notes, f"{path}: the retired pick does not name its successor: {notes}"
            continue
        if record.client is None:
            assert "no published endpoint" in notes.lower(), notes
        else:
            checked_with_endpoint += 1
            assert f"base_url {record.client.base_url}" in notes, notes
            assert f"model `{record.client.model}`" in notes, notes
        assert f"Served as `{record.deployment.served_name}`" in notes, notes
        verdict = record.verdict
        last = verdict.last_verified.isoformat() if verdict.last_verified else "never"
        assert f"Evidence serving {verdict.serving.value}" in notes and f"last verified {last}" in notes, notes
    assert checked_with_endpoint, "no pick with a published endpoint was checked"


def test_every_deployment_is_a_link_in_its_family_files_section(site: AgentSite) -> None:
    """The per-family files keep one line per deployment, now inside an H2 section where the parser reads it."""
    linked: dict[str, str] = {}
    for name in site.llms_files:
        if not name.startswith("llms/families/"):
            continue
        for links in parse_llms_file(site.files[name]).sections.values():
            for link in links:
                linked[_resolve(name, link["url"])] = link["desc"] or ""
    for dep_id, dep in site.ctx.catalog.deployments.items():
        notes = linked.get(markdown_url(f"deployments/{dep_id}/"))
        assert notes is not None, f"no family file links the card of {dep_id}"
        assert (
            f"Status {dep.status.value}." in notes
            and f"Evidence {summary_line(site.ctx.record(dep_id).verdict)}" in notes
        )
