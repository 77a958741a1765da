"""Every surface says the same thing about the same claim on the same day.

One real build of the small catalog with an evidence set holding every state (verified, failing, stale through
SOURCE_DATE_EPOCH, reported, unverified; serving summaries verified, partial, failing, unverified; quality summaries
unverified and not evaluated). The expected states are written out below by hand, so a broken rule fails here as
well as a surface that disagrees with the others. tests/site/test_serving_quality.py holds a deployment that serves
well and scores badly (the demo).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.claims import claim_label
from tests.site.sitebuild import REPO_ROOT, SOURCE_DATE_EPOCH, BuildResult, build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EVIDENCE = FIXTURES / "every-state-evidence"

#: deployment -> (serving summary, last verified, {claim: state}) as of 2026-11-22 (SOURCE_DATE_EPOCH in sitebuild).
#: The serving summary is also the overall one (catalog/verdicts.py); the quality summary is in QUALITY.
EXPECTED: dict[str, tuple[str, str, dict[str, str]]] = {
    "coder-chat": (
        "failing",
        "2026-11-20",
        {
            "health": "verified",
            "served-name": "verified",
            "context-length": "failing",
            "endpoint:chat": "verified",
            "endpoint:completions": "failing",
            "capability:streaming": "verified",
            "capability:tools": "unverified",
            "latency": "failing",
            "eval:code-20": "reported",
        },
    ),
    "coder-fim": ("verified", "2026-11-20", {"endpoint:fim": "verified"}),
    "ollama-llama3.1-8b": (
        "partial",
        "2026-11-20",
        {
            "health": "verified",
            "served-name": "verified",
            "context-length": "unverified",
            "endpoint:chat": "verified",
        },
    ),
    # Passed on 2026-10-01: 52 days before the build, past the 14-day limit.
    "old-llama": ("unverified", "2026-10-01", {"endpoint:chat": "stale"}),
}

#: deployment -> its quality summary: coder-chat's one eval claim is a reported figure; the others have none.
QUALITY = {
    "coder-chat": "unverified",
    "coder-fim": "not-evaluated",
    "ollama-llama3.1-8b": "not-evaluated",
    "old-llama": "not-evaluated",
}
#: What a badge says for each quality summary (catalog/display.py).
QUALITY_TEXT = {"unverified": "quality unverified", "not-evaluated": "quality not evaluated"}


def _quality(claims: dict[str, str]) -> dict[str, str]:
    return {c: s for c, s in claims.items() if c.startswith("eval:")}


def _serving(claims: dict[str, str]) -> dict[str, str]:
    return {c: s for c, s in claims.items() if not c.startswith("eval:")}


#: deployment -> (answered in the last 7 days, in the last 30 days). coder-chat's run of 2026-11-18 reached
#: nothing (every check `error`); old-llama's only run is older than both windows.
AVAILABILITY = {
    "coder-chat": ((3, 2), (3, 2)),
    "coder-fim": ((1, 1), (1, 1)),
    "ollama-llama3.1-8b": ((1, 1), (1, 1)),
    "old-llama": ((0, 0), (0, 0)),
}


def availability_text(runs: int, answered: int) -> str:
    return f"{round(100 * answered / runs)}% of {runs} run{'s' if runs != 1 else ''}" if runs else "no runs"


BADGE = re.compile(r'mc-badge mc-badge--([a-z-]+)"[^>]*>')


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    result = build_site(tmp_path_factory.mktemp("agree"), FIXTURES / "small-catalog", EVIDENCE)
    assert result.returncode == 0, result.output
    return result


def _read(built: BuildResult, path: str) -> str:
    return (built.site_dir / path).read_text(encoding="utf-8")


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _claims_in_card_table(card_html: str) -> dict[str, str]:
    after = card_html.split('id="claims-and-evidence"', 1)[1]
    # The claims table is the one headed Claim / Evidence / Detail (the availability strip's day table may come first).
    section = next(table for table in after.split("</table>") if re.search(r"<th[^>]*>Claim</th>", table))
    states = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        states[_text(cells[0])] = BADGE.search(cells[1]).group(1)  # type: ignore[union-attr]
    return states


def _labels(claims: dict[str, str]) -> dict[str, str]:
    return {_text(claim_label(claim).replace("`", "")): state for claim, state in claims.items()}


@pytest.mark.parametrize("dep_id", sorted(EXPECTED))
def test_card(built: BuildResult, dep_id: str) -> None:
    summary, last, claims = EXPECTED[dep_id]
    card = _read(built, f"deployments/{dep_id}/index.html")
    head = card.split("Evidence:", 1)[1].split("</p>", 1)[0]
    assert BADGE.findall(head) == [summary, QUALITY[dep_id]]
    text = _text(head)
    serving = _serving(claims)
    verified = sum(1 for s in serving.values() if s == "verified")
    assert text.startswith(
        f"serving {summary} {verified} of {len(serving)} claims verified · {QUALITY_TEXT[QUALITY[dep_id]]}"
    )
    assert f"last verified {last}" in head
    assert _claims_in_card_table(card) == _labels(claims)
    week, month = AVAILABILITY[dep_id]
    answered = _text(card.split("Answered its probes:", 1)[1].split("</p>", 1)[0])
    assert (
        answered == f"{availability_text(*week)} in the last 7 days · {availability_text(*month)} in the last 30 days"
    )


def test_catalog_table(built: BuildResult) -> None:
    page = _read(built, "catalog/index.html")
    seen = {}
    for row in re.findall(r"<tr data-fleet.*?</tr>", page, re.S):
        dep_id = re.search(r'href="\.\./deployments/([^/]+)/"', row).group(1)  # type: ignore[union-attr]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        seen[dep_id] = (BADGE.findall(cells[-3]), _text(cells[-3]), _text(cells[-2]), _text(cells[-1]))
    assert seen == {
        dep: (
            [summary, QUALITY[dep]],
            f"serving {summary} {QUALITY_TEXT[QUALITY[dep]]}",
            last,
            availability_text(*AVAILABILITY[dep][1]),
        )
        for dep, (summary, last, _claims) in EXPECTED.items()
    }


def test_compare(built: BuildResult) -> None:
    page = _read(built, "compare/index.html")
    data = json.loads(html.unescape(re.search(r'data-compare="([^"]*)"', page).group(1)))  # type: ignore[union-attr]
    serving, quality = data["rows"].index("Serving"), data["rows"].index("Quality")
    last_row = data["rows"].index("Last verified")
    seen = {
        dep: (d["values"][serving], d["values"][quality], d["values"][last_row])
        for dep, d in data["deployments"].items()
    }
    assert seen == {
        dep: (summary, QUALITY_TEXT[QUALITY[dep]].removeprefix("quality "), last)
        for dep, (summary, last, _claims) in EXPECTED.items()
    }


def test_quick_chooser(built: BuildResult) -> None:
    page = _read(built, "index.html")
    picks = re.findall(r'<li><a href="deployments/([^/]+)/">.*?</li>', page, re.S)
    assert sorted(picks) == ["coder-chat", "coder-fim", "ollama-llama3.1-8b"]
    for dep_id in picks:
        item = re.search(rf'<li><a href="deployments/{re.escape(dep_id)}/">(.*?)</li>', page, re.S).group(1)  # type: ignore[union-attr]
        _status, evidence = BADGE.findall(item)
        assert evidence == EXPECTED[dep_id][0]


#: deployment -> the claims its catalog file files a reported figure under (tests/fixtures/small-catalog).
REPORTED = {"coder-chat": ["eval:code-20"], "coder-fim": []}


def test_served_models(built: BuildResult) -> None:
    page = _read(built, "served-models/index.html")
    for dep_id in ("coder-chat", "coder-fim"):
        row = re.search(rf'<tr>\s*<td><a href="\.\./deployments/{dep_id}/".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
        # The summary badge, then each reported figure with its claim's state: the one the card shows
        # ("reported"), not only the deployment's summary beside the figure.
        claims = EXPECTED[dep_id][2]
        assert BADGE.findall(row) == [EXPECTED[dep_id][0], QUALITY[dep_id], *(claims[c] for c in REPORTED[dep_id])]
        evidence = _text(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1])
        for claim in REPORTED[dep_id]:
            assert f"{_text(claim_label(claim).replace('`', ''))}: {claims[claim]}" in evidence, evidence


def test_served_models_and_catalog_table_say_which_context(built: BuildResult) -> None:
    """A served limit and the model's native context never look alike: each context cell says which it is."""
    served = _read(built, "served-models/index.html")
    table = _read(built, "catalog/index.html")
    for dep_id, expected in (("coder-chat", "16,384 served"), ("coder-fim", "32,768 native (served not stated)")):
        row = re.search(rf'<tr>\s*<td><a href="\.\./deployments/{dep_id}/".*?</tr>', served, re.S).group(0)  # type: ignore[union-attr]
        assert _text(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[5]) == expected
        row = next(r for r in re.findall(r"<tr data-fleet.*?</tr>", table, re.S) if f"deployments/{dep_id}/" in r)
        assert _text(re.search(r'data-label="Context">(.*?)</td>', row, re.S).group(1)) == expected  # type: ignore[union-attr]


def test_llms_txt(built: BuildResult) -> None:
    text = _read(built, "llms.txt")
    # The per-deployment lines live in one file per model family, linked from llms.txt.
    families = "".join(_read(built, path) for path in re.findall(r"\]\((llms/families/[^)]+)\)", text))
    for dep_id, (summary, last, claims) in EXPECTED.items():
        pick = next((x for x in text.splitlines() if f"(deployments/{dep_id}/index.md)" in x), None)
        if pick is not None:  # a "Pick by task" line: its evidence summaries, the family file carries the detail
            assert pick.endswith(f"evidence serving {summary}, {QUALITY_TEXT[QUALITY[dep_id]]}")
        line = next(x for x in families.splitlines() if x.startswith("- [") and f"deployments/{dep_id}/index.md)" in x)
        parts = []
        for text, group in (
            (f"serving {summary}", _serving(claims)),
            (QUALITY_TEXT[QUALITY[dep_id]], _quality(claims)),
        ):
            if not group:
                parts.append(text)
                continue
            verified = [c for c, s in group.items() if s == "verified"]
            parts.append(f"{text}: {len(verified)} of {len(group)} claims verified")
            if failing := [c for c, s in group.items() if s == "failing"]:
                parts.append("failing " + ", ".join(failing))
        assert f"Evidence {'; '.join(parts)}; last verified {last}." in line, line


def test_llms_full_txt(built: BuildResult) -> None:
    text = _read(built, "llms-full.txt")
    for dep_id, (_summary, _last, claims) in EXPECTED.items():
        page = re.split(rf"^Page: \[[^\n]*\]\([^)\s]*/deployments/{dep_id}/\)$", text, maxsplit=1, flags=re.M)[1]
        page = page.split("\nPage: [", 1)[0]
        for claim, state in claims.items():
            label = claim_label(claim).replace("|", "\\|")  # the copy is plain Markdown: a badge's text in bold
            assert re.search(rf"^\| {re.escape(label)} \| \*\*{state}\*\*", page, re.M), (dep_id, claim)


def test_catalog_json(built: BuildResult) -> None:
    data = json.loads(_read(built, "catalog.json"))
    for dep_id, (summary, last, claims) in EXPECTED.items():
        dep = data["deployments"][dep_id]
        week, month = AVAILABILITY[dep_id]
        assert dep["evidence_summary"] == {
            "state": summary,
            "serving": summary,
            "quality": QUALITY[dep_id],
            "last_verified": last,
            "availability": {
                f"{days}d": {"runs": runs, "answered": answered, "share": answered / runs if runs else None}
                for days, (runs, answered) in ((7, week), (30, month))
            },
        }
        assert {claim: e["state"] for claim, e in dep["evidence"].items()} == claims
        assert {claim: e["group"] for claim, e in dep["evidence"].items()} == {
            claim: "quality" if claim in _quality(claims) else "serving" for claim in claims
        }


def test_gateway_export_comments(tmp_path: Path) -> None:
    out = tmp_path / "gateway"
    command = [sys.executable, "-m", "gateway", "export", "--catalog", str(FIXTURES / "small-catalog")]
    subprocess.run(
        [*command, "--evidence", str(EVIDENCE), "--output", str(out)],
        cwd=REPO_ROOT,
        env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    text = (out / "unified.yaml").read_text()
    comments = re.findall(
        r"^# evidence on 2026-11-22: serving (\w+): .*; (quality [a-z ]+)\b.*\n(?:.*\n)*?    id: (\S+)$", text, re.M
    )
    assert comments == [(EXPECTED[dep][0], QUALITY_TEXT[QUALITY[dep]], dep) for dep in ("coder-chat", "coder-fim")]
