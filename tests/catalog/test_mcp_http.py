"""The MCP server over Streamable HTTP, started as `python -m mcp_server --http` and driven by the official SDK's
clients, as a remote agent would use it; the README's MCP examples and the registry's server.json are held to the
server they describe."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent, Tool

from testbed.mcp_http import serving_mcp_http
from tests.site.sitebuild import REPO_ROOT, SOURCE_DATE_EPOCH

FIXTURES = REPO_ROOT / "tests" / "fixtures"
PACKAGE = "model-catalog-site"
TOOLS = {
    "list_tasks",
    "pick_deployment",
    "get_deployment",
    "compare_deployments",
    "claims_changed_since",
    "explain_evidence",
}


@contextmanager
def serving(catalog: Path, evidence: Path, log: Path, *, epoch: str = SOURCE_DATE_EPOCH) -> Iterator[str]:
    """`python -m mcp_server --http` on a free port (host left to its default), until the block ends; its URL."""
    with serving_mcp_http(catalog, evidence, log=log, epoch=epoch, host=None) as url:
        yield url


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The small test catalog with evidence in every state."""
    tmp = tmp_path_factory.mktemp("mcp-http")
    with serving(FIXTURES / "small-catalog", FIXTURES / "every-state-evidence", tmp / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The repository's own catalog and evidence, judged on the day its embedding deployment was last probed."""
    probed = json.loads((REPO_ROOT / "evidence" / "demo-embeddings.json").read_text())["finished_at"]
    day = dt.datetime.fromisoformat(probed.replace("Z", "+00:00")).date()
    epoch = str(int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp()))
    tmp = tmp_path_factory.mktemp("mcp-http-bundled")
    with serving(REPO_ROOT / "catalog", REPO_ROOT / "evidence", tmp / "server.log", epoch=epoch) as url:
        yield url


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def _ok(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    return result.structured_content


async def _tools(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_an_agent_over_http_lists_annotated_tools_with_their_closed_sets_and_a_version(small: str) -> None:
    async with Client(small) as client:
        assert client.protocol_version == "2026-07-28", "the stateless protocol, no handshake"
        assert client.server_info is not None
        assert client.server_info.version == metadata.version(PACKAGE)
        tools = await _tools(client)
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.title, tool.name
            annotations = tool.annotations
            assert annotations is not None, tool.name
            assert annotations.read_only_hint is True, tool.name
            assert annotations.idempotent_hint is True, tool.name
            assert annotations.open_world_hint is False, tool.name
            assert annotations.destructive_hint is False, tool.name
            for name, schema in tool.input_schema.get("properties", {}).items():
                assert schema.get("description"), f"{tool.name}({name}) has no description"
        pick = tools["pick_deployment"].input_schema["properties"]
        tasks = await _ok(client, "list_tasks")
        assert pick["task"]["enum"] == [t["id"] for t in tasks["tasks"]] == ["coding", "general-chat"]
        (fleet_ids,) = [b["enum"] for b in pick["fleet"]["anyOf"] if b.get("type") == "string"]
        assert fleet_ids == ["team"]
        coding = await _ok(client, "pick_deployment", task="coding", fleet="team")
        assert coding["fleets"][0]["picks"][0]["client"]["base_url"] == "http://localhost:4000/v1"


async def test_a_client_of_the_2025_handshake_gets_the_same_tools_over_http(small: str) -> None:
    async with streamable_http_client(small) as (read, write), ClientSession(read, write) as session:
        initialized = await session.initialize()
        assert initialized.server_info.version == metadata.version(PACKAGE)
        listed = (await session.list_tools()).tools
        assert {t.name for t in listed} == TOOLS
        assert all(t.annotations is not None and t.annotations.read_only_hint for t in listed)
        result = await session.call_tool("get_deployment", {"deployment_id": "old-llama"})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["evidence"]["summary"] == "unverified"


async def test_an_unknown_id_is_a_tool_error_that_names_the_nearest_ids(small: str) -> None:
    async with Client(small) as client:
        typo = await client.call_tool("get_deployment", {"deployment_id": "coder-chta"})
        assert typo.is_error, "an agent must see that the call failed"
        assert typo.structured_content is None
        text = _text(typo)
        assert "unknown deployment 'coder-chta'" in text and "coder-chat" in text
        assert "old-llama" not in text and "ollama-llama3.1-8b" not in text, "the nearest ids, not the catalog"

        nothing = await client.call_tool("get_deployment", {"deployment_id": "zzzzzz"})
        assert nothing.is_error and "no deployment id is close" in _text(nothing)
        assert "coder-chat" not in _text(nothing)

        task = await client.call_tool("pick_deployment", {"task": "codign"})
        assert task.is_error and "nearest: coding." in _text(task)
        fleet = await client.call_tool("pick_deployment", {"task": "coding", "fleet": "tema"})
        assert fleet.is_error and "nearest: team." in _text(fleet)
        compared = await client.call_tool("compare_deployments", {"deployment_ids": ["coder-chat", "coder-fimm"]})
        assert compared.is_error and "coder-fim" in _text(compared)
        since = await client.call_tool("claims_changed_since", {"since": "last week"})
        assert since.is_error and "2026-11-01" in _text(since)


async def test_a_new_evidence_file_is_seen_by_the_next_call_without_a_restart(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    with serving(FIXTURES / "small-catalog", evidence, tmp_path / "server.log") as url:
        async with Client(url) as client:
            before = await _ok(client, "get_deployment", deployment_id="coder-fim")
            assert before["evidence"]["summary"] == "unverified", "nothing probed yet"
            shutil.copy(FIXTURES / "every-state-evidence" / "coder-fim.json", evidence)
            after = await _ok(client, "get_deployment", deployment_id="coder-fim")
            assert after["evidence"]["summary"] == "verified", "the probe run written while the server ran"
            assert after["evidence"]["last_verified"] is not None


async def test_every_task_of_the_bundled_catalog_is_answered_embeddings_included(bundled: str) -> None:
    async with Client(bundled) as client:
        tasks = [t["id"] for t in (await _ok(client, "list_tasks"))["tasks"]]
        assert "embeddings" in tasks
        unanswered = []
        for task in tasks:
            answer = await _ok(client, "pick_deployment", task=task)
            if not any(fleet["picks"] for fleet in answer["fleets"]):
                unanswered.append(task)
        assert not unanswered, f"tasks with no deployment offered: {unanswered}"

        embeddings = await _ok(client, "pick_deployment", task="embeddings")
        assert embeddings["basis"] == "served", "no fleet's advice names one: the deployments that serve it"
        picks = [pick for fleet in embeddings["fleets"] for pick in fleet["picks"]]
        verified = [p["deployment"] for p in picks if p["evidence"]["summary"] == "verified"]
        assert verified == ["demo-embeddings"]
        (demo,) = [f for f in embeddings["fleets"] if f["fleet"] == "demo"]
        assert demo["picks"][0]["deployment"] == "demo-embeddings", "the verified one comes first in its fleet"
        assert demo["picks"][0]["client"]["model"], "with the model name to send"


def _mcp_section(readme: str) -> str:
    """The README's MCP section: from its heading to the next heading."""
    match = re.search(r"^#+ MCP[^\n]*\n(.*?)(?=^#)", readme, re.MULTILINE | re.DOTALL)
    assert match, "the README has no MCP section"
    return match.group(1)


def _calls(section: str) -> list[tuple[str, dict[str, Any]]]:
    """Every `tool(argument=value, ...)` the section shows, its arguments as Python literals."""
    calls = []
    for code in re.findall(r"`([a-z_]+\([^`]*\))`", section):
        node = ast.parse(code, mode="eval").body
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), code
        assert not node.args, f"{code}: name every argument, as an MCP call does"
        calls.append((node.func.id, {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}))
    return calls


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """The value has the type the parameter's schema gives (a branch of `anyOf` for a nullable one), and is one of
    its `enum` where the schema has one."""
    if "anyOf" in schema:
        return any(_fits(value, branch) for branch in schema["anyOf"])
    if schema["type"] == "array":
        return isinstance(value, list) and all(_fits(item, schema["items"]) for item in value)
    kinds: dict[str, type] = {"string": str, "null": type(None), "integer": int, "boolean": bool}
    return isinstance(value, kinds[schema["type"]]) and ("enum" not in schema or value in schema["enum"])


async def test_the_readme_mcp_examples_are_calls_the_server_accepts(bundled: str) -> None:
    calls = _calls(_mcp_section((REPO_ROOT / "README.md").read_text(encoding="utf-8")))
    async with Client(bundled) as client:
        tools = await _tools(client)
        assert {name for name, _ in calls} >= TOOLS, "every tool is shown"
        for name, arguments in calls:
            assert name in tools, f"the README shows {name}, which the server does not list"
            schema = tools[name].input_schema
            unknown = set(arguments) - set(schema.get("properties", {}))
            assert not unknown, f"{name}: the README names arguments the schema does not have: {unknown}"
            missing = set(schema.get("required", [])) - set(arguments)
            assert not missing, f"{name}: the README leaves out required arguments {missing}"
            for argument, value in arguments.items():
                assert _fits(value, schema["properties"][argument]), f"{name}({argument}={value!r}) breaks its schema"
            answer = await _ok(client, name, **arguments)
            if name == "pick_deployment":
                assert any(f["picks"] for f in answer["fleets"]), f"{name}({arguments}) answers nothing"


def test_server_json_is_the_registry_entry_of_this_version() -> None:
    entry = json.loads((REPO_ROOT / "server.json").read_text(encoding="utf-8"))
    version = metadata.version(PACKAGE)
    assert entry["$schema"] == "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json"
    for required in ("name", "description", "version"):
        assert isinstance(entry.get(required), str) and entry[required], required
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", entry["name"]), "reverse-DNS namespace/name"
    assert len(entry["description"]) <= 100
    assert entry["version"] == version
    transports = set()
    for package in entry["packages"]:
        assert {"registryType", "identifier", "version", "transport"} <= set(package)
        assert (package["registryType"], package["identifier"], package["version"]) == ("pypi", PACKAGE, version)
        transports.add(package["transport"]["type"])
        argv = [a["value"] for a in package["runtimeArguments"] + package.get("packageArguments", [])]
        assert argv[:2] == ["-m", "mcp_server"], "what the CLI runs"
        if package["transport"]["type"] == "streamable-http":
            assert "--http" in argv and package["transport"]["url"] == "http://127.0.0.1:8000/mcp"
    assert transports == {"stdio", "streamable-http"}
