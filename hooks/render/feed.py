"""Atom feeds (RFC 4287) of evidence events: `feed.atom` for the whole site, `fleets/<fleet>.atom` per fleet.

An event is something a maintainer or a bot would subscribe to: a claim starts passing or starts failing, a
claim goes stale, a deployment appears (its first probe run), retires, or its successor changes. Events come
from what the build already holds, the judged view (catalog/view.py) and each deployment's bounded history
summary (catalog/history.py): no raw history line is read here. An event whose date is not known is left out
rather than dated by guess; the feed's own `updated` is its newest event's date, never the clock, so the same
catalog and evidence give the same bytes.

Each entry's id is a `urn:uuid:` (UUID version 5) of the site, the deployment, the claim, the kind of event and
its moment, so an event keeps its id from build to build. The XML is built with xml.etree, which escapes text
and attributes; characters XML 1.0 cannot hold at all (control characters) become U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from catalog.evidence import RUN_CRASHED
from catalog.history import ClaimHistory, DeploymentHistory
from catalog.verdicts import ClaimState, ClaimVerdict
from catalog.view import DeploymentRecord, JudgedView
from hooks.render.site_pages import SitePage

ATOM_NS = "http://www.w3.org/2005/Atom"
#: The site-wide feed, at the site root.
FEED_FILE = "feed.atom"
#: Newest events one feed holds.
MAX_ENTRIES = 50
#: A feed without any event still needs an `updated`; the clock would make the bytes differ per build.
NO_EVENTS = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def fleet_feed_file(fleet_id: str) -> str:
    """Where one fleet's feed is published, relative to the site root: beside the Fleets page's folder."""
    return f"{SitePage.fleets.url}{fleet_id}.atom"


@dataclass(frozen=True)
class FeedEvent:
    """One entry of a feed."""

    deployment: str
    fleet: str
    kind: str
    """`passing`, `failing`, `stale`, `appeared`, `retired` or `successor`."""
    claim: str | None
    date: dt.datetime
    """When it happened, in UTC (midnight for an event known to the day)."""
    title: str
    summary: str

    def key(self) -> str:
        """What makes the event itself: the same in every build that knows it."""
        return f"{self.deployment}/{self.claim or ''}/{self.kind}/{_stamp(self.date)}"


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _when(moment: dt.datetime) -> str:
    """`2026-11-20 10:00 UTC`, or `2026-11-20` for a day."""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _appeared(history: DeploymentHistory) -> dt.datetime | None:
    """When the deployment was first probed: the oldest line of any of its claims (always kept)."""
    return min((claim.first for claim in history.claims.values() if claim.first is not None), default=None)


def _status_at(kept: ClaimHistory, moment: dt.datetime) -> str | None:
    return next((line.status for line in kept.lines if line.date == moment), None)


def _claim_events(
    record: DeploymentRecord, history: DeploymentHistory, appeared: dt.datetime | None
) -> tuple[list[FeedEvent], list[str]]:
    """Every kept outcome change of the claims the deployment makes, and (second) what the first run said of
    each claim first probed on the day the deployment appeared (that run is one `appeared` event)."""
    dep_id, fleet = record.id, record.deployment.fleet
    verdicts = {c.claim: c for c in record.verdict.claims}
    events: list[FeedEvent] = []
    first_run: list[str] = []
    for claim, kept in sorted(history.claims.items()):
        verdict = verdicts.get(claim)
        if verdict is None:
            continue  # evidence of a claim the catalog no longer makes
        for index, change in enumerate(kept.changes):
            moment, passing, reason = change["date"], change["passing"], change.get("reason")
            first = index == 0 and kept.first is not None and moment == kept.first
            if first and appeared is not None and moment.date() == appeared.date():
                outcome = "passed" if passing else f"did not pass ({reason})" if reason else "did not pass"
                first_run.append(f"{verdict.label} {outcome}")
                continue
            if passing:
                kind, verb = "passing", "started passing"
            elif _status_at(kept, moment) == "info":
                kind, verb = "failing", "stopped passing"
            else:
                kind, verb = "failing", "started failing"
            how = "first probed and " if first else ""
            summary = f"{verdict.label} ({claim}) of {dep_id} {how}{verb} on {_when(moment)}"
            summary += f": {reason}." if reason else "."
            events.append(FeedEvent(dep_id, fleet, kind, claim, moment, f"{dep_id}: {verdict.label} {verb}", summary))
    return events, first_run


def _stale_event(record: DeploymentRecord, verdict: ClaimVerdict) -> FeedEvent | None:
    """A claim stale now: it went stale the day after its last pass grew older than `stale_after_days`."""
    if verdict.state is not ClaimState.stale or verdict.date is None:
        return None
    days = record.deployment.stale_after_days
    day = verdict.date + dt.timedelta(days=days + 1)
    return FeedEvent(
        record.id,
        record.deployment.fleet,
        "stale",
        verdict.claim,
        _midnight(day),
        f"{record.id}: {verdict.label} went stale",
        f"{verdict.label} ({verdict.claim}) of {record.id} last passed on {verdict.date.isoformat()} and has not "
        f"been checked since; a pass counts for {days} days.",
    )


def _lifecycle_events(view: JudgedView, record: DeploymentRecord) -> list[FeedEvent]:
    """Its retirement (with the successor to use from that day) and each later day its successor changed, as
    successors down its chain retired in turn (`JudgedView.replacements`). Only days that have come: a planned
    retirement has no event yet, and the day a successor was named is not recorded anywhere."""
    dep, dep_id = record.deployment, record.id
    events: list[FeedEvent] = []
    retired_on: dt.date | None = None
    before: str | None = None
    for day, now in view.replacements(dep_id):
        use = f"use {now} instead" if now else "no successor named"
        if retired_on is None:
            retired_on = day
            title, kind = f"{dep_id}: retired; {use}", "retired"
            summary = f"{dep_id} ({dep.served_name}) is no longer served from {day.isoformat()}; {use}."
        else:
            kind = "successor"
            title = f"{dep_id}: successor is now {now}" if now else f"{dep_id}: no successor left"
            why = f"{before} retired" if before else "its successor retired"
            text = use if now else "no successor in its chain is still served"
            summary = f"{dep_id} retired on {retired_on.isoformat()}; from {day.isoformat()} ({why}), {text}."
        events.append(FeedEvent(dep_id, dep.fleet, kind, None, _midnight(day), title, summary))
        before = now
    return events


def feed_events(view: JudgedView) -> list[FeedEvent]:
    """Every event the view knows a date for, newest first (ties in a fixed order)."""
    events: list[FeedEvent] = []
    for record in view.records():
        history = view.evidence.history.get(record.id)
        if history is not None:
            appeared = _appeared(history)
            changes, first_run = _claim_events(record, history, appeared)
            events += changes
            if appeared is not None:
                crashed = RUN_CRASHED in history.claims and not first_run
                said = "; ".join(first_run) if first_run else "no claim checked" if crashed else "no claim it makes now"
                events.append(
                    FeedEvent(
                        record.id,
                        record.deployment.fleet,
                        "appeared",
                        None,
                        appeared,
                        f"{record.id}: first probed",
                        f"{record.id} ({record.deployment.served_name}) was first probed on {_when(appeared)}: {said}.",
                    )
                )
        for verdict in record.verdict.claims:
            if (stale := _stale_event(record, verdict)) is not None:
                events.append(stale)
        events += _lifecycle_events(view, record)
    return sorted(events, key=lambda e: (-e.date.timestamp(), e.deployment, e.claim or "", e.kind))


#: Characters XML 1.0 cannot hold, escaped or not.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: _text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _id(site_key: str, name: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{site_key}#{name}").urn


@dataclass(frozen=True)
class FeedSite:
    """What every feed of one site shares."""

    title: str
    site_url: str | None
    card_url: Callable[[str], str]
    """Deployment id -> its card's URL relative to the site root (`deployments/coder-chat/`)."""

    @property
    def key(self) -> str:
        """What the ids are made in: the site's address, else its title."""
        return self.site_url or f"model-catalog:{self.title}"

    def url(self, path: str, feed_path: str) -> str:
        """`path` (relative to the site root) as linked from the feed at `feed_path`."""
        if self.site_url:
            return self.site_url + path
        return "../" * feed_path.count("/") + path


def render_feed(site: FeedSite, feed_path: str, title: str, subtitle: str, events: list[FeedEvent]) -> str:
    """One Atom feed of the newest `MAX_ENTRIES` of `events` (newest first)."""
    shown = events[:MAX_ENTRIES]
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", _id(site.key, f"feed/{feed_path}"))
    _sub(feed, "title", title)
    _sub(feed, "subtitle", subtitle)
    _sub(feed, "updated", _stamp(shown[0].date if shown else NO_EVENTS))
    _sub(_sub(feed, "author"), "name", site.title)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=site.url(feed_path, feed_path))
    _sub(feed, "link", rel="alternate", type="text/html", href=site.url("", feed_path) or "./")
    for event in shown:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _id(site.key, event.key()))
        _sub(entry, "title", event.title)
        _sub(entry, "updated", _stamp(event.date))
        _sub(
            entry, "link", rel="alternate", type="text/html", href=site.url(site.card_url(event.deployment), feed_path)
        )
        _sub(entry, "category", term=event.kind)
        _sub(entry, "summary", event.summary)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def render_feeds(view: JudgedView, site_url: str | None, card_url: Callable[[str], str]) -> dict[str, str]:
    """The site-wide feed and one per fleet, by their path in the built site."""
    site = FeedSite(view.catalog.site.title, site_url, card_url)
    events = feed_events(view)
    what = "claims that start or stop passing or go stale, deployments that appear, retire or get a successor"
    files = {
        FEED_FILE: render_feed(site, FEED_FILE, f"{site.title}: evidence events", f"Newest first: {what}.", events)
    }
    for fleet_id, fleet in sorted(view.catalog.fleets.items()):
        path = fleet_feed_file(fleet_id)
        files[path] = render_feed(
            site,
            path,
            f"{site.title}: {fleet.name} evidence events",
            f"The deployments of {fleet.name}, newest first: {what}.",
            [event for event in events if event.fleet == fleet_id],
        )
    return files
