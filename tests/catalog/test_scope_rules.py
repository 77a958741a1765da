"""Advice belongs to a fleet: one plain answer per task in a fleet, a fleet's advice names its own servers,
and values marked as inferred exist. Each rule fails with its own message at the offending line."""

from __future__ import annotations

from pathlib import Path

from catalog import check_catalog


def errors(root: Path) -> list[str]:
    _catalog, found = check_catalog(root)
    return [e.format() for e in found]


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_fixture_is_valid(small_catalog: Path) -> None:
    assert errors(small_catalog) == []


def test_two_plain_answers_for_one_task_in_one_fleet_conflict(small_catalog: Path) -> None:
    # The chooser's first coding pick is coder-chat; a quick-reference row now says coder-fim.
    edit(
        small_catalog,
        "fleets/team.yaml",
        "recommendation: {deployment: coder-chat}",
        "recommendation: {deployment: coder-fim}",
    )
    assert errors(small_catalog) == [
        "cat/fleets/team.yaml:14:22: quick_reference[0].recommendation.deployment: fleet `team` already answers"
        " task `coding` with `coder-chat` (choosers/coding); this says `coder-fim` (hint: give one answer per task"
        " in a fleet, or state the condition this answer holds under (`when:` on a quick-reference row,"
        " `label:` on a recommendation))"
    ]


def test_a_stated_condition_makes_it_an_alternative(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "fleets/team.yaml",
        "    task: coding\n    recommendation: {deployment: coder-chat}",
        "    task: coding\n    when: autocomplete\n    recommendation: {deployment: coder-fim}",
    )
    assert errors(small_catalog) == []


def test_advice_names_deployments_of_its_own_fleet(small_catalog: Path) -> None:
    (small_catalog / "fleets/other.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/fleets.json\nname: Other\norder: 2\nsummary: Another team.\n"
    )
    edit(small_catalog, "deployments/coder-fim.yaml", "fleet: team", "fleet: other")
    edit(small_catalog, "deployments/coder-fim.yaml", "gateway: unified\n", "")
    edit(small_catalog, "deployments/coder-fim.yaml", "gateway_alias: coder-fim\n", "")
    found = errors(small_catalog)
    assert found == [
        "cat/choosers/coding.yaml:6:6: picks[1].deployment: deployment `coder-fim` belongs to fleet `other`,"
        " not `team` (hint: recommend a deployment of the same fleet, or move this advice to the other fleet)"
    ]


def test_a_deployment_routes_through_its_fleets_gateway(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "site.yaml",
        "gateways:\n",
        "gateways:\n  side:\n    name: Side gateway\n",
    )
    edit(small_catalog, "deployments/coder-chat.yaml", "gateway: unified", "gateway: side")
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:20:1: gateway: gateway `side` is not the gateway of fleet `team`"
        " (`unified`) (hint: route it through `unified`, or move the deployment to the fleet that owns `side`)"
    ]


def test_unknown_fleet_and_task(small_catalog: Path) -> None:
    edit(small_catalog, "choosers/chat.yaml", "task: general-chat", "task: chat")
    edit(small_catalog, "workloads/development.yaml", "fleet: team", "fleet: teams")
    assert errors(small_catalog) == [
        "cat/choosers/chat.yaml:9:1: task: unknown task `chat` (hint: add `tasks/chat.yaml`)",
        "cat/workloads/development.yaml:6:1: fleet: unknown fleet `teams` (hint: did you mean `team`?)",
    ]


def test_inferred_must_name_a_field_that_is_set(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "deployments/coder-fim.yaml",
        "fleet: team",
        "fleet: team\ninferred:\n  - {field: endpoint.base_url, reason: port from the guide}",
    )
    assert errors(small_catalog) == [
        "cat/deployments/coder-fim.yaml:13:6: inferred[0].field: `endpoint.base_url` is not set in this"
        " file, so there is nothing to mark as inferred (hint: name a field this file sets, such as"
        " `endpoint.base_url`)"
    ]
