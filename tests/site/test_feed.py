"""The Atom feeds of evidence events (issue 24, item 2): `feed.atom` and `fleets/<fleet>.atom`.

Each feed is read back as XML (xml.etree: well-formed, or it does not parse) and checked for what RFC 4287
requires of a feed and its entries. Every outcome change in the fixture histories, read here from the raw
lines, must appear exactly once with its title and date; ids must not change between two builds; and catalog
or probe text that looks like markup must arrive as text. A real feed reader (`feedparser`, as a subscriber's
client) reads every feed without complaint and sees the same entries, links and dates.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import feedparser
import pytest

from catalog import load_catalog
from catalog.evidence_folder import load_evidence
from hooks.generate import agent_files, card_pages, site_pages
from hooks.render.feed import FEED_FILE, MAX_ENTRIES, fleet_feed_file, render_feeds
from hooks.site_context import SiteContext
from hooks.site_layout import SiteLayout

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = FIXTURES.parent.parent
CATALOG = FIXTURES / "small-catalog"
TODAY = dt.date(2026, 11, 21)
A = "{http://www.w3.org/2005/Atom}"
HOSTILE = "<script>alert(1)</script> ]]> & <![CDATA[x]]>"


def _ctx(catalog: Path, evidence: Path) -> SiteContext:
    return SiteContext(load_catalog(catalog), load_evidence(evidence), TODAY, REPO_ROOT)


def _feeds(catalog: Path, evidence: Path, site_url: str | None = None) -> dict[str, str]:
    return render_feeds(_ctx(catalog, evidence).view, site_url, lambda dep_id: f"deployments/{dep_id}/")


def _parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))  # raises on anything not well-formed
    assert root.tag == f"{A}feed"
    return root


def _one(parent: ET.Element, tag: str) -> str:
    found = parent.findall(f"{A}{tag}")
    assert len(found) == 1, f"{tag}: {len(found)} elements"
    return found[0].text or ""


def _term(entry: ET.Element) -> str:
    category = entry.find(f"{A}category")
    assert category is not None
    return category.get("term", "")


def _date(text: str) -> dt.datetime:
    assert len(text) == 20 and text.endswith("Z"), text  # RFC 3339, UTC
    return dt.datetime.fromisoformat(text)


def _check_rfc4287(root: ET.Element) -> list[ET.Element]:
    """What RFC 4287 section 4.1 requires; returns the entries."""
    assert _one(root, "id").startswith("urn:uuid:")
    assert _one(root, "title")
    updated = _date(_one(root, "updated"))
    assert root.find(f"{A}author/{A}name") is not None  # required unless every entry has an author
    assert [link.get("rel") for link in root.findall(f"{A}link")].count("self") == 1
    entries = root.findall(f"{A}entry")
    assert len(entries) <= MAX_ENTRIES
    dates = []
    for entry in entries:
        assert _one(entry, "id").startswith("urn:uuid:")
        assert _one(entry, "title")
        dates.append(_date(_one(entry, "updated")))
        assert _one(entry, "summary")
        alternates = [link for link in entry.findall(f"{A}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1 and alternates[0].get("href")
    assert dates == sorted(dates, reverse=True), "newest first"
    if dates:
        assert updated == dates[0], "the feed's updated is its newest entry's"
    ids = [_one(entry, "id") for entry in entries]
    assert len(ids) == len(set(ids))
    return entries


def _raw_changes(evidence: Path) -> list[tuple[str, str, bool, str]]:
    """(deployment, claim, passing now, date) of every outcome change after a claim's first line, from the raw
    history (the test's own reading; the feed reads only the summaries)."""
    by_claim: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for line in (evidence / "history.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue  # the damaged line small-evidence holds on purpose
        by_claim[(data["deployment"], data["claim"])].append((data["date"], data["status"]))
    changes = []
    for (dep, claim), lines in sorted(by_claim.items()):
        lines.sort()
        for (_, before), (date, now) in itertools.pairwise(lines):
            if (before == "pass") != (now == "pass"):
                changes.append((dep, claim, now == "pass", date))
    return changes


@pytest.mark.parametrize("evidence", ["charts-month-evidence", "every-state-evidence", "small-evidence"])
def test_every_state_change_of_the_history_is_one_entry_with_its_title_and_date(evidence: str) -> None:
    ctx = _ctx(CATALOG, FIXTURES / evidence)
    files = _feeds(CATALOG, FIXTURES / evidence)
    assert set(files) == {FEED_FILE, *(fleet_feed_file(f) for f in ctx.catalog.fleets)}
    entries = {name: _check_rfc4287(_parse(text)) for name, text in files.items()}
    expected = _raw_changes(FIXTURES / evidence)
    assert expected, "the fixture has state changes"
    for name, found in entries.items():
        listed = [(_one(e, "title"), _one(e, "updated")) for e in found]
        for dep, claim, passing, date in expected:
            if name != FEED_FILE and fleet_feed_file(ctx.catalog.deployments[dep].fleet) != name:
                continue
            label = next(c.label for c in ctx.record(dep).verdict.claims if c.claim == claim)
            title = f"{dep}: {label} {'started passing' if passing else 'started failing'}"
            assert listed.count((title, date)) == 1, f"{name}: {title} on {date} in {listed}"
        changes = [e for e in found if _term(e) in ("passing", "failing")]
        # First probes are part of the deployment's "first probed" entry, unless a claim came later.
        later_firsts = sum("first probed and" in _one(e, "summary") for e in changes)
        assert len(changes) == len(expected) + later_firsts


@pytest.mark.parametrize("evidence", ["charts-month-evidence", "every-state-evidence"])
def test_a_feed_reader_reads_every_feed_as_the_xml_says(evidence: str) -> None:
    for name, text in _feeds(CATALOG, FIXTURES / evidence, "https://models.example/").items():
        read = feedparser.parse(text)
        assert not read.bozo, f"{name}: {read.get('bozo_exception')}"
        assert read.version == "atom10", name
        root = _parse(text)
        assert read.feed.title == _one(root, "title")
        entries = root.findall(f"{A}entry")
        assert [(e.id, e.title, e.link) for e in read.entries] == [
            (_one(x, "id"), _one(x, "title"), x.find(f"{A}link").get("href"))  # type: ignore[union-attr]
            for x in entries
        ], name
        for entry, xml_entry in zip(read.entries, entries, strict=True):
            updated = dt.datetime.fromisoformat(_one(xml_entry, "updated").replace("Z", "+00:00"))
            assert dt.datetime(*entry.updated_parsed[:6], tzinfo=dt.UTC) == updated
            assert entry.summary == _one(xml_entry, "summary")


def test_the_failing_entry_reads_as_a_person_would_want_it() -> None:
    root = _parse(_feeds(CATALOG, FIXTURES / "charts-month-evidence")[FEED_FILE])
    newest = root.findall(f"{A}entry")[0]
    assert _one(newest, "title") == "coder-chat: Latency within SLO started failing"
    assert _one(newest, "updated") == "2026-11-20T10:00:09Z"
    assert "ttft p95 260.4 ms > target 250 ms" in _one(newest, "summary")
    assert newest.find(f"{A}link").get("href") == "deployments/coder-chat/"  # type: ignore[union-attr]


def test_ids_and_bytes_stay_the_same_across_builds_and_links_follow_the_site_url() -> None:
    evidence = FIXTURES / "charts-month-evidence"
    first, second = _feeds(CATALOG, evidence), _feeds(CATALOG, evidence)
    assert first == second
    ids = [_one(e, "id") for e in _parse(first[FEED_FILE]).findall(f"{A}entry")]
    # One more day of evidence (a later build) keeps every id of the events it still shows.
    later = render_feeds(
        SiteContext(load_catalog(CATALOG), load_evidence(evidence), TODAY + dt.timedelta(days=1), REPO_ROOT).view,
        None,
        lambda dep_id: f"deployments/{dep_id}/",
    )
    assert ids == [_one(e, "id") for e in _parse(later[FEED_FILE]).findall(f"{A}entry")]
    fleet = _parse(first[fleet_feed_file("team")])
    assert fleet.find(f"{A}entry/{A}link").get("href") == "../deployments/coder-chat/"  # type: ignore[union-attr]
    absolute = _parse(_feeds(CATALOG, evidence, "https://models.example.com/docs/")[fleet_feed_file("team")])
    hrefs = [link.get("href") for link in absolute.iter(f"{A}link")]
    assert "https://models.example.com/docs/deployments/coder-chat/" in hrefs
    assert "https://models.example.com/docs/fleets/team.atom" in hrefs


def test_a_catalog_without_history_gives_valid_empty_feeds(tmp_path: Path) -> None:
    files = _feeds(CATALOG, tmp_path)
    for text in files.values():
        root = _parse(text)
        assert _check_rfc4287(root) == []
        assert _one(root, "updated") == "1970-01-01T00:00:00Z"  # never the clock


def test_retirements_and_successors_are_dated_and_hostile_text_is_escaped(tmp_path: Path) -> None:
    catalog, evidence = tmp_path / "catalog", tmp_path / "evidence"
    shutil.copytree(CATALOG, catalog)
    shutil.copytree(FIXTURES / "every-state-evidence", evidence)
    site = catalog / "site.yaml"
    site.write_text(site.read_text().replace("title: Small test catalog", f"title: '{HOSTILE}'"))
    fleet = catalog / "fleets/team.yaml"
    fleet.write_text(fleet.read_text().replace("name: Test team", "name: 'Team ]]> &amp; <b>'"))
    for name, extra in (
        ("old-llama", "retires_on: 2026-11-01\nsuccessor: coder-fim\n"),
        ("coder-fim", "retires_on: 2026-11-10\nsuccessor: coder-chat\n"),
        ("coder-chat", "retires_on: 2026-12-01\n"),  # not yet: no event, and no invented date
    ):
        path = catalog / f"deployments/{name}.yaml"
        path.write_text(path.read_text() + extra)
    hostile = {
        "claim": "endpoint:chat",
        "date": "2026-11-21T08:00:02Z",
        "deployment": "coder-chat",
        "format_version": 2,
        "reason": f"{HOSTILE} \x1b[31m",
        "run_id": "2026-11-21T08:00:00Z",
        "status": "error",
        "ttft_p95_ms": None,
    }
    with (evidence / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(hostile) + "\n")
    files = _feeds(catalog, evidence)
    for text in files.values():
        assert "<script>" not in text and "<b>" not in text and "\x1b" not in text
    root = _parse(files[FEED_FILE])
    entries = {_one(e, "title"): e for e in _check_rfc4287(root)}
    assert _one(root, "title") == f"{HOSTILE}: evidence events"
    failing = entries["coder-chat: Chat completions (`/v1/chat/completions`) started failing"]
    assert f"{HOSTILE} \ufffd[31m" in _one(failing, "summary")  # text as written; a control character replaced
    assert _one(entries["old-llama: retired; use coder-fim instead"], "updated") == "2026-11-01T00:00:00Z"
    assert _one(entries["coder-fim: retired; use coder-chat instead"], "updated") == "2026-11-10T00:00:00Z"
    assert _one(entries["old-llama: successor is now coder-chat"], "updated") == "2026-11-10T00:00:00Z"
    assert _one(entries["old-llama: Chat completions (`/v1/chat/completions`) went stale"], "updated") == (
        "2026-10-16T00:00:00Z"  # passed 2026-10-01, stale after 14 days
    )
    assert not [title for title in entries if title.startswith("coder-chat: retired")]
    fleet_root = _parse(files[fleet_feed_file("team")])
    assert _one(fleet_root, "title") == f"{HOSTILE}: Team ]]> &amp; <b> evidence events"
    # A feed reader shows the hostile title as the text it is (feedparser sanitizes HTML it finds; there is none).
    read = feedparser.parse(files[FEED_FILE])
    assert not read.bozo and read.feed.title == f"{HOSTILE}: evidence events"
    assert read.feed.title_detail.type == "text/plain"


def test_the_build_publishes_the_feeds_and_llms_txt_links_them() -> None:
    layout = SiteLayout.read(REPO_ROOT / "mkdocs.yml")
    ctx = SiteContext(
        load_catalog(CATALOG),
        load_evidence(FIXTURES / "every-state-evidence"),
        TODAY,
        REPO_ROOT,
        docs_dir=layout.docs_dir,
    )
    agents = agent_files(ctx, site_pages(ctx, layout, card_pages(ctx)), layout, None)
    assert FEED_FILE in agents.texts and fleet_feed_file("team") in agents.texts
    assert "- [Atom feed](feed.atom): evidence events" in agents.texts["llms.txt"]
    optional = agents.texts["llms.txt"].split("## Optional", 1)[1]
    assert "(feed.atom)" in optional
    _check_rfc4287(_parse(agents.texts[FEED_FILE]))
