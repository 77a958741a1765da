"""How the prober splits a fleet: one server's deployments one at a time, shards of whole servers.

The scheduling against real servers, and shards merged after a real run, are in test_fleet_real.py.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from catalog.claims import EndpointKind
from catalog.evidence import ClaimRecord, EvidenceFile, ServerInfo
from probes.cli import EXIT_USAGE, main
from probes.evidence import append_history, history_lines, rebuild_summaries, write_evidence
from probes.fleet import Shard, assign_shards, by_server, parse_shard, server_of, shard_targets
from probes.target import ProbeTarget
from tests.conftest import REPO_ROOT

BASE = ProbeTarget(
    deployment_id="base",
    base_url="http://127.0.0.1:8000/v1",
    health_url=None,
    served_name="m",
    api_key_env=None,
    endpoints=frozenset({EndpointKind.chat}),
    capabilities=frozenset(),
    served_context=None,
    fim_tokens=None,
    slo={},
)


def at(deployment_id: str, base_url: str) -> ProbeTarget:
    return replace(BASE, deployment_id=deployment_id, base_url=base_url)


@pytest.mark.parametrize(
    ("base_url", "host_port", "host"),
    [
        ("http://127.0.0.1:8000/v1", "127.0.0.1:8000", "127.0.0.1"),
        ("http://GPU-1.example:8000/v1", "gpu-1.example:8000", "gpu-1.example"),
        ("https://api.example/v1", "api.example:443", "api.example"),
        ("http://api.example/v1", "api.example:80", "api.example"),
        ("http://[::1]:8000/v1", "[::1]:8000", "::1"),
        ("http://[0:0::1]:8000/v1", "[::1]:8000", "::1"),
        ("http://gpu-1.example.:8000/v1", "gpu-1.example:8000", "gpu-1.example"),
    ],
)
def test_a_server_is_its_host_and_port_or_its_host(base_url: str, host_port: str, host: str) -> None:
    target = at("one", base_url)
    assert server_of(target) == host_port
    assert server_of(target, "host") == host


def test_two_paths_on_one_port_are_one_server_and_two_ports_are_two() -> None:
    fleet = [
        at("d-a", "http://10.0.0.5:8000/v1"),
        at("d-b", "http://10.0.0.6:8000/v1"),
        at("d-c", "http://10.0.0.5:8000/other/v1"),
        at("d-d", "http://10.0.0.5:8001/v1"),
    ]
    queues = by_server(fleet)
    assert [(q.server, [t.deployment_id for t in q.targets]) for q in queues] == [
        ("10.0.0.5:8000", ["d-a", "d-c"]),
        ("10.0.0.6:8000", ["d-b"]),
        ("10.0.0.5:8001", ["d-d"]),
    ]
    # Engines on one machine share its GPUs: --server-is host puts them in one queue.
    by_host = by_server(fleet, "host")
    assert [[t.deployment_id for t in q.targets] for q in by_host] == [["d-a", "d-c", "d-d"], ["d-b"]]


def _fleet(sizes: list[int]) -> list[ProbeTarget]:
    return [at(f"s{s}-d{d}", f"http://127.0.0.1:{9000 + s}/v1") for s, size in enumerate(sizes) for d in range(size)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shards_split_whole_servers_with_every_deployment_exactly_once(count: int) -> None:
    fleet = _fleet([5, 1, 3, 3, 2, 4, 1])
    shards = [shard_targets(fleet, Shard(k, count)) for k in range(1, count + 1)]
    assert sorted(t.deployment_id for t in itertools.chain(*shards)) == sorted(t.deployment_id for t in fleet)
    servers = [{server_of(t) for t in shard} for shard in shards]
    for one, other in itertools.combinations(servers, 2):
        assert not one & other, "a server in two shards would be loaded by two jobs at once"
    # Each shard keeps the order the deployments were given in.
    for shard in shards:
        assert shard == [t for t in fleet if t in shard]
    # Greedy longest-first: no shard over the average plus the busiest server.
    loads = [len(shard) for shard in shards]
    assert max(loads) <= len(fleet) / count + 5


def test_the_split_is_the_same_in_every_job_and_balanced_for_equal_servers() -> None:
    fleet = _fleet([4, 4, 4, 4])
    first = [[q.server for q in shard] for shard in assign_shards(by_server(fleet), 4)]
    again = [[q.server for q in shard] for shard in assign_shards(by_server(list(fleet)), 4)]
    assert first == again
    assert [len(shard) for shard in first] == [1, 1, 1, 1]
    # More shards than servers: the extra shards are empty, not an error.
    assert [len(shard_targets(fleet, Shard(k, 6))) for k in range(1, 7)] == [4, 4, 4, 4, 0, 0]


@pytest.mark.parametrize(("text", "message"), [("0/4", "between 1 and N"), ("5/4", "between 1 and N"), ("2", "K/N")])
def test_a_bad_shard_is_a_usage_error_naming_the_form(
    text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard(text)
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--shard", text, "--no-latency", "--no-evals"], catalog_loader=lambda _: [BASE])
    assert exit_info.value.code == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_a_shard_with_no_server_writes_nothing_and_succeeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fleet = _fleet([2])
    code = main(
        ["run", "--shard", "2/2", "--evidence", str(tmp_path / "ev"), "--no-latency", "--no-evals"],
        catalog_loader=lambda _: fleet,
    )
    assert code == 0
    assert "shard 2/2 has no server to probe" in capsys.readouterr().out
    assert not (tmp_path / "ev").exists()


# -- merging the shards' evidence folders: what another job wrote is checked before anything is written ----
def _run(deployment: str, run_id: str, minute: int) -> EvidenceFile:
    date = datetime(2026, 12, 1, 5, minute, tzinfo=UTC)
    return EvidenceFile(
        deployment=deployment,
        run_id=run_id,
        started_at=date,
        finished_at=date,
        server=ServerInfo(version="x", max_model_len=1024),
        records=[ClaimRecord(claim="health", status="pass", date=date)],
    )


def _probed(folder: Path, evidence: EvidenceFile) -> None:
    """What the prober leaves for one deployment (probes/runner.py writes these two in this order)."""
    write_evidence(folder, evidence)
    append_history(folder, history_lines(evidence))


def _shards(tmp_path: Path) -> tuple[Path, Path, Path]:
    base = tmp_path / "evidence"
    for deployment in ("alpha", "beta", "gamma"):
        _probed(base, _run(deployment, "run-0", 0))
    one, two = tmp_path / "shard-1", tmp_path / "shard-2"
    shutil.copytree(base, one)
    shutil.copytree(base, two)
    _probed(one, _run("alpha", "run-1", 10))
    _probed(one, _run("beta", "run-1", 11))
    _probed(two, _run("gamma", "run-2", 12))
    return base, one, two


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_merged_shards_hold_every_new_run_and_the_summaries_a_rebuild_gives(tmp_path: Path) -> None:
    base, one, two = _shards(tmp_path)
    assert main(["merge", "--evidence", str(base), str(one), str(two)]) == 0
    assert {d: json.loads((base / f"{d}.json").read_text())["run_id"] for d in ("alpha", "beta", "gamma")} == {
        "alpha": "run-1",
        "beta": "run-1",
        "gamma": "run-2",
    }
    lines = [json.loads(line) for line in (base / "history.jsonl").read_text().splitlines()]
    assert [(line["deployment"], line["run_id"]) for line in lines] == [
        ("alpha", "run-0"), ("beta", "run-0"), ("gamma", "run-0"),
        ("alpha", "run-1"), ("beta", "run-1"), ("gamma", "run-2"),
    ]  # fmt: skip
    merged = _snapshot(base)
    rebuild_summaries(base)
    assert _snapshot(base) == merged, "the folded summaries must equal those folded anew from every line"


def _refused(tmp_path: Path, base: Path, shards: list[Path], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(base)
    assert main(["merge", "--evidence", str(base), *map(str, shards)]) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert _snapshot(base) == before, "a refused merge writes nothing"


def test_a_deployment_probed_by_two_shards_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, one, two = _shards(tmp_path)
    _probed(two, _run("alpha", "run-2", 13))
    _refused(tmp_path, base, [one, two], "deployment 'alpha' was probed by two shards", capsys)


def test_a_shard_from_another_commit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, one, two = _shards(tmp_path)
    _probed(base, _run("gamma", "run-9", 30))  # the folder moved on after the shards started
    _refused(tmp_path, base, [one, two], "does not begin with the history it merges into", capsys)


def test_a_shard_with_a_damaged_line_or_a_bad_evidence_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, one, two = _shards(tmp_path)
    with (two / "history.jsonl").open("a") as history:
        history.write('{"not": "a history line"}\n')
    _refused(tmp_path, base, [one, two], "not all readable", capsys)
    base, one, two = _shards(tmp_path / "again")
    (one / "alpha.json").write_text(json.dumps({**json.loads((one / "alpha.json").read_text()), "deployment": "beta"}))
    _refused(tmp_path, base, [one, two], "the file must be named after it", capsys)


def test_a_link_in_a_shard_is_refused_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, one, two = _shards(tmp_path)
    secret = tmp_path / "elsewhere.json"
    secret.write_text((one / "alpha.json").read_text())
    (one / "alpha.json").unlink()
    (one / "alpha.json").symlink_to(secret)
    _refused(tmp_path, base, [one, two], "is a symbolic link", capsys)


def test_the_scheduled_workflow_runs_every_shard_once_and_merges_them() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "probes.yml").read_text(encoding="utf-8"))
    probe, merge = workflow["jobs"]["probe"], workflow["jobs"]["merge"]
    count = int(probe["env"]["SHARDS"])
    assert probe["strategy"]["matrix"]["shard"] == list(range(1, count + 1)), "a shard left out is a server not probed"
    assert '--shard "$SHARD/$SHARDS"' in next(s["run"] for s in probe["steps"] if s.get("name") == "Probe")
    assert merge["needs"] == "probe"
    assert any("python -m probes merge --evidence evidence shards/*" in s.get("run", "") for s in merge["steps"])


def _line(deployment: str, run_id: str, claim: str = "health", status: str = "pass") -> str:
    return json.dumps(
        {"format_version": 2, "run_id": run_id, "deployment": deployment, "claim": claim, "status": status,
         "date": "2026-12-01T06:00:00Z", "reason": None}
    ) + "\n"  # fmt: skip


@pytest.mark.parametrize(
    ("deployment", "message"),
    [
        # The evidence contract refuses a name that is a path (catalog/types.py EvidenceDeployment) ...
        ("../escaped", "not all readable"),
        ("/tmp/absolute", "not all readable"),
        ("_folded", "not all readable"),
        ("bad\u0000id", "not all readable"),
        # ... and a merge takes catalog ids only.
        ("UPPER", "is not a deployment id"),
    ],
)
def test_a_line_naming_no_deployment_id_is_refused_before_anything_is_written(
    tmp_path: Path, deployment: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Summaries are written under the deployment's id: an id that is a path would write anywhere."""
    base, one, two = _shards(tmp_path)
    with (two / "history.jsonl").open("a") as history:
        history.write(_line(deployment, "run-2", claim="run", status="error"))
    _refused(tmp_path, base, [one, two], message, capsys)
    assert not (tmp_path / "escaped.json").exists() and not Path("/tmp/absolute.json").exists()


def test_an_evidence_file_that_disagrees_with_its_lines_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, one, two = _shards(tmp_path)
    with (two / "history.jsonl").open("a") as history:
        history.write(_line("gamma", "run-2", claim="served-name", status="fail"))  # the file says nothing of it
    _refused(tmp_path, base, [one, two], "does not hold what the shard's history says", capsys)


def test_old_lines_again_or_a_second_run_in_one_shard_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, one, two = _shards(tmp_path)
    with (two / "history.jsonl").open("a") as history:
        history.write((base / "history.jsonl").read_text().splitlines(keepends=True)[-1])  # run-0, again
    _refused(tmp_path, base, [one, two], "lines of 2 runs", capsys)
    base, one, two = _shards(tmp_path / "again")
    copied = tmp_path / "again" / "copied"
    shutil.copytree(base, copied)
    with (copied / "history.jsonl").open("a") as history:
        history.write(_line("gamma", "run-0", claim="run", status="error"))
    _refused(tmp_path, base, [one, copied], "is in the history already", capsys)


def test_results_without_their_evidence_file_or_a_fifo_in_its_place_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, one, two = _shards(tmp_path)
    (two / "gamma.json").unlink()
    _refused(tmp_path, base, [one, two], "missing, but the shard's history has this run's results", capsys)
    os.mkfifo(two / "gamma.json")
    _refused(tmp_path, base, [one, two], "is not a plain file", capsys)


def test_a_crashed_run_merges_its_line_and_keeps_the_previous_evidence(tmp_path: Path) -> None:
    base, one, two = _shards(tmp_path)
    before = (base / "gamma.json").read_bytes()
    shutil.rmtree(two)
    shutil.copytree(base, two)
    with (two / "history.jsonl").open("a") as history:
        history.write(_line("gamma", "run-2", claim="run", status="error"))
    assert main(["merge", "--evidence", str(base), str(one), str(two)]) == 0
    assert (base / "gamma.json").read_bytes() == before
    last = json.loads((base / "history.jsonl").read_text().splitlines()[-1])
    assert (last["deployment"], last["run_id"], last["claim"], last["status"]) == ("gamma", "run-2", "run", "error")


def test_a_target_with_a_port_out_of_range_is_refused_when_made() -> None:
    with pytest.raises(ValueError, match="port outside 1-65535"):
        at("bad-port", "http://127.0.0.1:99999/v1")


@pytest.mark.parametrize("deployment_id", ["../escaped", "/tmp/x", ".hidden", "_folded", "a/b", ""])
def test_a_target_whose_id_could_not_name_a_file_is_refused_when_made(deployment_id: str) -> None:
    """Evidence is written under the id: a path here would write out of the evidence folder."""
    with pytest.raises(ValueError, match="cannot name a file"):
        at(deployment_id, "http://127.0.0.1:8000/v1")
