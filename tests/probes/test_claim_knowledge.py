"""Claim knowledge lives once, in the registry (catalog/claims.py), and its checks in probes/checks.py.

Three things hold it there: no product module spells a claim name (or a table of them) by itself, one secret
scrubber serves every writer, and a new capability claim needs exactly two edited files, which the last test
walks through on a copy of the code.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TypeGuard

import probes.client
import probes.evidence
import probes.scrub
from catalog.claims import CLAIM_KINDS, EVAL_PREFIX
from catalog.evidence import ClaimRecord, EvidenceFile, HistoryLine, ServerInfo
from catalog.json_schema import schema_files
from probes.evidence import append_history, write_evidence

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The product's packages: what the site, the probes and the catalog run (tests and benchmarks may spell names
#: in their data).
PRODUCT = ("catalog", "gateway", "onboarding", "probes", "hooks")
REGISTRY = Path("catalog/claims.py")

NAMES = {kind.name for kind in CLAIM_KINDS}
PREFIXES = tuple(
    sorted({kind.name.partition(":")[0] + ":" for kind in CLAIM_KINDS if ":" in kind.name} | {EVAL_PREFIX})
)

#: Modules that still spell claim names, owned by work in progress elsewhere (issue 23); each should use the
#: registry instead (`claim_name(...)`, `ServerClaim.latency`, `eval_claim`). The list may only shrink: the test
#: fails when an entry no longer spells what it names, so that the entry is removed with the spelling.
KNOWN_SPELLINGS: dict[str, set[str]] = {}


def _claimish(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and (value in NAMES or value.startswith(PREFIXES))


def spelled_claims(source: str) -> set[str]:
    """Claim names a module spells by hand: a string starting with a claim prefix (`endpoint:`…, f-string parts
    too), a claim name compared with something or passed as `claim=`, and a literal table of two or more names.
    Docstrings and comments do not count."""
    tree = ast.parse(source)
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings:
            if isinstance(node.value, str) and node.value.startswith(PREFIXES):
                found.add(node.value)
        elif isinstance(node, ast.Compare):
            found |= {
                s.value for s in (node.left, *node.comparators) if isinstance(s, ast.Constant) and _claimish(s.value)
            }
        elif isinstance(node, ast.keyword) and node.arg == "claim":
            if isinstance(node.value, ast.Constant) and _claimish(node.value.value):
                found.add(node.value.value)
        elif isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            names = {i.value for i in items if isinstance(i, ast.Constant) and _claimish(i.value)}
            if len(names) >= 2:
                found |= names
    return found


def test_the_finder_sees_every_way_of_spelling_a_claim() -> None:
    source = textwrap.dedent(
        '''
        """A docstring may say `endpoint:chat`."""
        CHECKS = {"health": 1, "served-name": 2}
        if record.claim == "latency": pass
        ClaimRecord(claim="context-length")
        name = f"capability:{kind.value}"
        ok = x.startswith("eval:")
        parts = ("health", "version")  # one claim name among other words is not a table
        '''
    )
    assert spelled_claims(source) == {"health", "served-name", "latency", "context-length", "capability:", "eval:"}


def test_no_product_module_spells_claim_names_outside_the_registry() -> None:
    spelled = {
        str(path.relative_to(REPO_ROOT)): found
        for package in PRODUCT
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if path.relative_to(REPO_ROOT) != REGISTRY and (found := spelled_claims(path.read_text(encoding="utf-8")))
    }
    new = {path: names - KNOWN_SPELLINGS.get(path, set()) for path, names in spelled.items()}
    assert {path: names for path, names in new.items() if names} == {}, (
        "name claims through catalog/claims.py (claim_name(EndpointKind.chat), ServerClaim.latency, eval_claim, "
        "claims_checked), not by hand"
    )
    gone = {path: names - spelled.get(path, set()) for path, names in KNOWN_SPELLINGS.items()}
    assert {path: names for path, names in gone.items() if names} == {}, (
        "these no longer spell the names: remove them from KNOWN_SPELLINGS"
    )


def test_one_secret_scrubber() -> None:
    """probes/scrub.py is the only module that defines a scrubber; the client, the runner, discover and the
    evidence writer all use it."""
    defined = {
        f"{path.relative_to(REPO_ROOT)}:{node.name}"
        for package in PRODUCT
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name.lstrip("_").startswith("scrub")
    }
    assert defined == {"probes/scrub.py:scrub", "probes/scrub.py:scrub_bytes", "probes/client.py:scrub"}, (
        "scrub secrets with probes/scrub.py (Client.scrub is its method form)"
    )
    assert vars(probes.evidence)["scrub"] is probes.scrub.scrub is probes.client.scrub
    assert probes.client.scrub_bytes is probes.scrub.scrub_bytes


#: The walkthrough's two edits: a capability claim, `json-mode`, and its check.
REGISTRY_EDITS = [
    ('    audio_input = "audio-input"\n', '    audio_input = "audio-input"\n    json_mode = "json-mode"\n'),
    (
        "    _capability(Capability.audio_input,",
        '    _capability(Capability.json_mode, "JSON mode", "a `json_object` request returns JSON"),\n'
        "    _capability(Capability.audio_input,",
    ),
]
CHECK_EDIT = """

@proves(Capability.json_mode)
async def check_json_mode(ctx: Context) -> CheckResult:
    data = await _chat(ctx, _user("Answer in JSON."), response_format={"type": "json_object"})
    content = _message(data, "JSON mode").get("content")
    try:
        json.loads(content if isinstance(content, str) else "")
    except json.JSONDecodeError:
        raise ClaimFailed(f"JSON mode returned text that is not JSON: {str(content)[:120]!r}") from None
    return CheckResult()
"""
#: What the copy then does, with nothing else edited.
AFTERWARDS = """
import catalog.claims, sys
assert catalog.claims.__file__.startswith(sys.argv[1]), catalog.claims.__file__
from catalog.claims import CLAIM_KINDS, Capability, EndpointKind, claim_label, is_claim_name
from catalog.json_schema import schema_files
from catalog.schema import Deployment
from probes.checks import CLAIM_CHECKS, check_json_mode
from probes.workload import Workload
from probes.runner import plan
from probes.target import ProbeTarget

name = "capability:json-mode"
# The catalog accepts it: `capabilities: [json-mode]` and `reported: [{claim: capability:json-mode}]`.
assert is_claim_name(name) and claim_label(name) == "JSON mode"
# The probes check it, once, in registry order, on every target that claims it.
assert set(CLAIM_CHECKS) == {kind.name for kind in CLAIM_KINDS if kind.probed}
target = ProbeTarget(
    deployment_id="d", base_url="http://127.0.0.1:9/v1", health_url=None, served_name="m", api_key_env=None,
    endpoints=frozenset({EndpointKind.chat}), capabilities=frozenset({Capability.json_mode}), served_context=None,
    fim_tokens=None, slo={},
)
planned = plan(target, Workload(), suites=[])
assert [c.claim for c in planned] == ["health", "served-name", "endpoint:chat", name, "latency"], planned
assert planned[3].run is check_json_mode
# The site judges it for a deployment that claims it (the badge page lists every CLAIM_KINDS entry).
deployment = Deployment.model_validate(
    {"fleet": "ff", "model": "mm", "backend": "bb", "served_name": "m", "status": "active", "summary": "s",
     "endpoint": {"base_url": "http://127.0.0.1:9/v1"}, "endpoints": ["chat"], "capabilities": ["json-mode"]}
)
from catalog.claims import claims_made
assert name in claims_made(deployment.claim_facts())
# What is left is regenerating: `make schema` rewrites the JSON Schemas that list the capabilities.
import json
print(json.dumps({str(path): text for path, text in schema_files().items()}))
"""


def test_a_capability_claim_needs_two_edited_files(tmp_path: Path) -> None:
    """The registry and the check, on a copy of the code; then only regenerated files (the JSON Schemas, and
    the badge page's golden file) differ."""
    for package in ("catalog", "probes"):
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    registry = tmp_path / REGISTRY
    text = registry.read_text(encoding="utf-8")
    for old, new in REGISTRY_EDITS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    registry.write_text(text, encoding="utf-8")
    checks = tmp_path / "probes" / "checks.py"
    checks.write_text(checks.read_text(encoding="utf-8") + CHECK_EDIT, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-c", AFTERWARDS, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    generated = json.loads(result.stdout)
    before = {str(path): text for path, text in schema_files().items()}
    assert sorted(path for path in before if generated[path] != before[path]) == ["schemas/deployments.json"]


def test_the_evidence_writer_catches_a_secret_in_the_form_json_gives_it(tmp_path: Path) -> None:
    """The writer's old scrubber replaced the secret as written only; in a JSON file a key holding `"`, `\\` or
    `/` is escaped, and slipped through. The one scrubber catches every form the client's always did."""
    secret = 'sk-a/b"c\\d-0123456789'
    at = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
    record = ClaimRecord(claim="endpoint:chat", status="fail", date=at, reason=f"echoed {secret}")
    evidence = EvidenceFile(
        deployment="d1", run_id="r", started_at=at, finished_at=at, server=ServerInfo(), records=[record]
    )
    write_evidence(tmp_path, evidence, (secret,))
    line = HistoryLine(run_id="r", deployment="d1", claim="health", status="fail", date=at, reason=f"key {secret}")
    append_history(tmp_path, [line], (secret,))
    for path in (tmp_path / "d1.json", tmp_path / "history.jsonl"):
        text = path.read_text(encoding="utf-8")
        assert "[REDACTED]" in text and "0123456789" not in text, path.name
