"""`python -m probes discover URL`: catalog files and evidence from a live server, with the probes' own means.

One prober: the requests go through the probes' bounded client (`probes/client.py`: request deadlines, body
caps, no redirects, the API key only where `PROBES_KEYS` allows it, scrubbed from every answer), the engine is
recognised by its answers (`catalog/engines.py`), every claim is judged by the probes' checks
(`probes/checks.py`), and the evidence is written with its history line by the probes' writer
(`probes/evidence.py`), as `python -m probes run` would. The catalog files are planned and written by the
onboarding writer (`onboarding/onboard.py` `Plan`): all of them or none.

What is recorded is what the requests proved, per served model: health (the engine's health route), the served
name, every endpoint that answered (chat, completions, responses, embeddings), streaming where a text endpoint
answered, and the served context, proven by request where the engine reports one and can count tokens. What a
server does not say is left out or marked `inferred:` (a model's kind and vendor guessed from its name).

A base URL without `/v1` whose model list is missing gets "add /v1", and every run ends by printing the command
to run next.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from catalog.claims import (
    DISCOVERED_CAPABILITIES,
    DISCOVERED_ENDPOINTS,
    Capability,
    ClaimKey,
    EndpointKind,
    ServerClaim,
    claim_name,
    generates_text,
)
from catalog.engines import (
    PROBES_FOR_DETECTION,
    Engine,
    detect_from_answer,
    detect_from_models,
    engine,
    missing_suffix,
    root_of,
)
from catalog.evidence import ClaimRecord, EvidenceFile, ServerInfo
from catalog.outbound import MAX_BODY_BYTES, KeyGrants, KeyGrantsError, Timeouts
from catalog.types import BackendKind, strip_url_secrets
from onboarding.onboard import (
    DISCOVER_DEADLINE_S,
    MAX_DISCOVERED_MODELS,
    OnboardError,
    Plan,
    _id_problem,
    _model_guess,
    _name_problem,
    _scaffold,
    _short_id,
    _url_problem,
    shown,
    slug,
)
from probes.checks import CLAIM_CHECKS, CheckResult, Context
from probes.client import Client, ProbeOutcome, Unreachable, error_message
from probes.engines import served_context, server_version
from probes.evidence import append_history, history_lines, iso, utc_now, write_evidence
from probes.target import ProbeTarget

Notes = Callable[[str], None]

#: Largest served context taken from a server's answer (a `max_model_len` beyond this is not a context).
CONTEXT_MAX = 100_000_000
_RENAME = "serve it under another name (e.g. vLLM's --served-model-name), or discover another server"
_NOTHING = "nothing was written"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


@dataclass
class Found:
    """One served model and what the requests proved about it."""

    name: str
    weights: str
    endpoints: list[EndpointKind] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    context: int | None = None
    records: list[ClaimRecord] = field(default_factory=list)


@dataclass
class Discovery:
    base_url: str
    kind: BackendKind
    detected_by: str
    """Which answer told the engine apart (`GET /v1/models`, `GET /props`), or why none did."""
    version: str | None
    found: list[Found]
    started_at: dt.datetime
    finished_at: dt.datetime


def _failed(exc: ProbeOutcome, what: str) -> OnboardError:
    """A request that could not be made or read: the discovery ends, and says where and why."""
    reason = exc.reason.removeprefix("not attempted: ")
    if isinstance(exc, Unreachable):
        return OnboardError(f"{reason}; {_NOTHING} (hint: check that the server answers at this URL)")
    return OnboardError(f"{what}: {reason}; {_NOTHING}")


async def _listing(client: Client, base: str) -> dict[str, Any]:
    """`GET /v1/models`, checked: a 200 with an OpenAI model list of at most `MAX_DISCOVERED_MODELS`."""
    where = f"GET {base}/models"
    try:
        reply = await client.request("GET", "/models")
    except ProbeOutcome as exc:
        raise _failed(exc, where) from None
    if reply.status_code != 200:
        detail = error_message(reply.content, client.secrets())
        if reply.status_code in (404, 405) and (add := missing_suffix(base)) is not None:
            raise OnboardError(f"{where} answered HTTP {reply.status_code} ({detail}); {_NOTHING}: {add}")
        raise OnboardError(
            f"{where} answered HTTP {reply.status_code} ({detail}), not a model list; {_NOTHING} "
            "(hint: the URL is the server's OpenAI base, with /v1; pass --api-key-env if it needs a key)"
        )
    try:
        value = reply.json()
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        got = "not JSON" if value is None else f"JSON {type(value).__name__}"
        shape = "an object without a `data` list" if isinstance(value, dict) else got
        raise OnboardError(
            f'{where} answered {shape}, not an OpenAI model list (`{{"data": [...]}}`); {_NOTHING} '
            "(hint: point discover at an OpenAI-compatible server's base URL, with /v1)"
        )
    if len(value["data"]) > MAX_DISCOVERED_MODELS:
        raise OnboardError(
            f"{where} lists {len(value['data'])} models; discover takes at most {MAX_DISCOVERED_MODELS} from one "
            "server, and wrote nothing (hint: a listing this long is a gateway: import its config with "
            "`python -m onboarding import-litellm`, or discover the servers behind it one by one)"
        )
    return value


async def _detect(client: Client, base: str, models: Mapping[str, Any]) -> tuple[BackendKind, str]:
    """The engine behind `base`: from the model list's shape, else from the first engine route that answers
    as that engine does; an OpenAI-compatible API when none does."""
    if (kind := detect_from_models(models)) is not None:
        return kind, f"GET {urlsplit(base).path.rstrip('/')}/models"
    root = root_of(base, engine(BackendKind.vllm))
    for kind, route in PROBES_FOR_DETECTION:
        try:
            reply = await client.request(route.method, root + route.path)
        except Unreachable:
            raise
        except ProbeOutcome:
            continue  # an answer over the cap is not this engine's small JSON
        if reply.status_code != 200:
            continue
        try:
            data = reply.json()
        except (ValueError, RecursionError):
            continue
        if detect_from_answer(kind, data):
            return kind, str(route)
    return BackendKind.openai_compatible, "no engine route answered as a known engine does"


def _entries(base: str, data: Sequence[Any], notes: Notes) -> list[dict[str, Any]]:
    """The listed models with a usable name; every name is checked before any model is asked about."""
    skipped = sum(1 for e in data if not isinstance(e, dict) or not isinstance(e.get("id"), str))
    if skipped:
        notes(f"GET {base}/models: {skipped} entries without a text `id` were skipped")
    entries = list({e["id"]: e for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)}.values())
    ids: dict[str, str] = {}
    for entry in entries:
        name = entry["id"]
        if problem := _name_problem(name, "the served name") or _id_problem(slug(name), name, "the served name"):
            raise OnboardError(f"GET {base}/models: {problem}; {_NOTHING} (hint: {_RENAME})")
        if (other := ids.setdefault(slug(name), name)) != name:
            raise OnboardError(
                f"GET {base}/models: the served names `{shown(other)}` and `{shown(name)}` would both be "
                f"written to deployments/{slug(name)}.yaml: a catalog id is lower case and is its file's name, "
                f"so names that differ only in case or punctuation share a file; {_NOTHING} "
                "(hint: serve them under names that differ in more than case or punctuation, e.g. with "
                "vLLM's --served-model-name)"
            )
    return entries


def _weights(entry: Mapping[str, Any], name: str, notes: Notes) -> str:
    """A hub id names the weights; a local folder path says nothing a reader can use (and is this machine's)."""
    root = entry.get("root")
    if not isinstance(root, str) or root.startswith(("/", ".")):
        return name
    if _name_problem(root, "root") or _id_problem(slug(root.split("/")[-1]), root, "root"):
        notes(f"the model `{shown(name)}`: its `root` is not a usable weights name, so its name stands in")
        return name
    return root


def _listed_context(entry: Mapping[str, Any], name: str, notes: Notes) -> None:
    """Say so when the listing's `max_model_len` is not a number of tokens (`true`, 10^30)."""
    value = entry.get("max_model_len")
    if value is None or (type(value) is int and 0 < value <= CONTEXT_MAX):
        return
    scalar = isinstance(value, str | int | float | bool)
    said = json.dumps(value[:40] if isinstance(value, str) else value) if scalar else type(value).__name__
    notes(
        f"the model `{shown(name)}`: max_model_len `{shown(said, 40)}` is not a number of tokens "
        f"(1 to {CONTEXT_MAX}), so the deployment states none"
    )


async def _judge(ctx: Context, key: ClaimKey) -> tuple[ClaimRecord, CheckResult]:
    """Run the probes' check of one claim as the runner does: a negative outcome is a record; a host that is down
    ends discovery."""
    claim = claim_name(key)
    check = CLAIM_CHECKS[claim]
    started = asyncio.get_running_loop().time()
    try:
        result = await check(ctx)
    except Unreachable as exc:
        raise _failed(exc, claim) from None
    except ProbeOutcome as exc:
        result = CheckResult("fail", exc.reason)
    record = ClaimRecord(
        claim=claim,
        status=result.status,
        date=utc_now(),
        reason=ctx.client.scrub(result.reason) if result.reason else None,
        value=result.value,
        unit=result.unit,
        duration_ms=round((asyncio.get_running_loop().time() - started) * 1000, 1),
    )
    return record, result


def _target(base: str, name: str, api_key_env: str | None, kind: BackendKind, **claims: Any) -> ProbeTarget:
    return ProbeTarget(
        deployment_id=slug(name),
        base_url=base,
        health_url=None,
        served_name=name,
        api_key_env=api_key_env,
        endpoints=frozenset(claims.get("endpoints", ())),
        capabilities=frozenset(claims.get("capabilities", ())),
        served_context=claims.get("served_context"),
        fim_tokens=None,
        slo={},
        engine=kind,
    )


async def _one(client: Client, base: str, entry: Mapping[str, Any], models: dict[str, Any], how: _How) -> Found:
    name = entry["id"]
    found = Found(name, _weights(entry, name, how.notes))
    _listed_context(entry, name, how.notes)
    bare = Context(client, _target(base, name, how.api_key_env, how.kind))
    found.records.append(ClaimRecord(claim=claim_name(ServerClaim.served_name), status="pass", date=utc_now()))
    health, _ = await _judge(bare, ServerClaim.health)
    found.records.append(health)
    # An endpoint that does not answer is not claimed (and not recorded): discover reports what a server does.
    for kind in DISCOVERED_ENDPOINTS:
        record, result = await _judge(bare, kind)
        if result.status == "pass":
            found.endpoints.append(kind)
            found.records.append(record)
    claims = _target(base, name, how.api_key_env, how.kind, endpoints=found.endpoints)
    if generates_text(claims.facts):
        for capability in DISCOVERED_CAPABILITIES:
            record, result = await _judge(Context(client, claims), capability)
            if result.status == "pass":
                found.capabilities.append(capability)
                found.records.append(record)
    try:
        context = await served_context(client, claims, models)
    except Unreachable:
        raise
    except ProbeOutcome as exc:  # an answer over the cap: no context is reported, and the note says why
        how.notes(f"the model `{shown(name)}`: no served context read: {exc.reason}")
        context = None
    if context is not None and 0 < context <= CONTEXT_MAX:
        found.context = context
        # The claim discover writes is the context the engine reports; the check proves it by request (or says
        # why no request could), as `python -m probes run` does.
        sized = _target(base, name, how.api_key_env, how.kind, endpoints=found.endpoints, served_context=context)
        record, _ = await _judge(Context(client, sized), ServerClaim.context_length)
        found.records.append(record)
    return found


@dataclass(frozen=True)
class _How:
    api_key_env: str | None
    kind: BackendKind
    notes: Notes


async def ask_server(
    base_url: str,
    api_key_env: str | None = None,
    timeouts: Timeouts | None = None,
    *,
    deadline: float = DISCOVER_DEADLINE_S,
    max_body: int = MAX_BODY_BYTES,
    notes: Notes = _stderr,
) -> Discovery:
    """What the server at ``base_url`` serves and what its answers prove; every request bounded by ``timeouts``
    and ``max_body``, all of them together by ``deadline`` seconds. Raises ``OnboardError``."""
    base = base_url.rstrip("/")
    started = utc_now()
    probe = _target(base, "discover", api_key_env, BackendKind.openai_compatible)
    try:
        async with asyncio.timeout(deadline), Client(probe, timeouts or Timeouts(), max_body=max_body) as client:
            models = await _listing(client, base)
            try:
                kind, detected_by = await _detect(client, base, models)
                # llama.cpp also answers the OpenAI routes at its root, but clients and the catalog take the /v1 base.
                adapter = engine(kind)
                if (add := missing_suffix(base, adapter)) is not None:
                    raise OnboardError(
                        f"GET {base}/models answered, but the {adapter.name} serves its OpenAI API under "
                        f"{adapter.openai_suffix}; {_NOTHING}: {add}"
                    )
                entries = _entries(base, models["data"], notes)
                how = _How(api_key_env, kind, notes)
                found = [await _one(client, base, entry, models, how) for entry in entries]
                # The engine's own version route first (vLLM's /version says `0.32.0`, its fingerprint more).
                version = await server_version(client, _target(base, "v", None, kind)) or client.server_version
            except Unreachable as exc:
                raise _failed(exc, base) from None
    except TimeoutError:
        raise OnboardError(
            f"{base_url}: the discovery took longer than its {deadline:g} s deadline; {_NOTHING} "
            "(hint: the server answers too slowly, or serves too many models)"
        ) from None
    if not found:
        raise OnboardError(f"GET {base}/models lists no models; {_NOTHING}")
    return Discovery(base, kind, detected_by, version, found, started, utc_now())


def _check_inputs(base_url: str, api_key_env: str | None) -> None:
    """A URL the catalog takes, and a key variable that names a set key allowed for this host."""
    if bad_url := _url_problem(base_url):
        what, hint = bad_url
        if "credential" in what or "password" in what:
            hint = "write the URL without it, and pass the key's environment variable with --api-key-env NAME"
        try:
            safe = shown(strip_url_secrets(base_url)[0], 200)
        except ValueError:
            safe = "the URL"
        raise OnboardError(f"{safe}: {what} (hint: {hint})")
    if api_key_env is None:
        return
    if not re.match(r"^[A-Z_][A-Z0-9_]*$", api_key_env):
        raise OnboardError(
            f"--api-key-env `{shown(api_key_env)}` is not an environment variable name "
            "(hint: upper-case letters, digits and `_`, e.g. VLLM_API_KEY)"
        )
    try:
        refusal = KeyGrants.from_environ().refusal(api_key_env, base_url)
    except KeyGrantsError as exc:
        raise OnboardError(str(exc)) from None
    if refusal is not None:  # the variable is not even read
        raise OnboardError(refusal)
    if not os.environ.get(api_key_env):
        raise OnboardError(
            f"environment variable {api_key_env} (the API key) is not set, so nothing was asked "
            "(hint: set it, or leave out --api-key-env when the server needs no key)"
        )


def _backend(adapter: Engine) -> dict[str, Any]:
    return {
        "name": adapter.name,
        "kind": adapter.kind.value,
        "description": f"The {adapter.name}, as `python -m probes discover` recognised it.",
    }


def plan_files(discovery: Discovery, catalog_dir: Path, *, fleet: str, api_key_env: str | None) -> Plan:
    """The catalog files of a discovery: scaffold, backend, a model and a deployment per served model."""
    host = urlsplit(discovery.base_url).netloc
    source = _short_id(f"server-{host}")
    today = discovery.started_at.date().isoformat()
    plan = Plan(catalog_dir, clash_hint=_RENAME)
    _scaffold(
        plan,
        fleet,
        source,
        {
            "title": f"The server at {discovery.base_url}",
            "kind": "server",
            "summary": f"What the server at {discovery.base_url} reported about itself on {today}.",
            "retrieved": today,
        },
    )
    adapter = engine(discovery.kind)
    backend_id = discovery.kind.value
    plan.entity("backends", backend_id, _backend(adapter), scaffold=True)
    for item in discovery.found:
        model_id = slug(item.weights.split("/")[-1])
        if problem := _id_problem(model_id, item.weights, "the weights"):
            raise OnboardError(f"GET {discovery.base_url}/models: {problem}; {_NOTHING} (hint: {_RENAME})")
        embeddings_only = item.endpoints == [EndpointKind.embeddings]
        plan.entity(
            "models",
            model_id,
            _model_guess(
                item.weights,
                embeddings=embeddings_only,
                source=source,
                why="guessed from which endpoints answered" if item.endpoints else "no endpoint answered",
            ),
            origin=f"the weights `{shown(item.weights)}`",
        )
        serving = {"max_model_len": item.context, "engine_version": discovery.version}
        deployment: dict[str, Any] = {
            "fleet": fleet,
            "model": model_id,
            "backend": backend_id,
            "served_name": item.name,
            "status": "active",
            "endpoint": {"base_url": discovery.base_url, **({"api_key_env": api_key_env} if api_key_env else {})},
            "serving": {k: v for k, v in serving.items() if v is not None},
            "endpoints": [e.value for e in item.endpoints],
            "capabilities": [c.value for c in item.capabilities],
            "summary": f"Found on {host}: {', '.join(e.value for e in item.endpoints) or 'no endpoint answered'}.",
            "sources": [{"source": source}],
        }
        plan.entity(
            "deployments",
            slug(item.name),
            {k: v for k, v in deployment.items() if v not in ({}, None, [])},
            origin=f"the served name `{shown(item.name)}`",
        )
    return plan


def evidence_of(discovery: Discovery) -> list[EvidenceFile]:
    run_id = f"discover-{iso(discovery.started_at)}"
    return [
        EvidenceFile(
            deployment=slug(item.name),
            run_id=run_id,
            started_at=discovery.started_at,
            finished_at=discovery.finished_at,
            server=ServerInfo(version=discovery.version, max_model_len=item.context),
            records=item.records,
        )
        for item in discovery.found
    ]


def discover(
    base_url: str,
    catalog_dir: Path,
    *,
    fleet: str = "discovered",
    evidence_dir: Path | None = None,
    api_key_env: str | None = None,
    force: bool = False,
    timeouts: Timeouts | None = None,
    deadline: float = DISCOVER_DEADLINE_S,
    notes: Notes = _stderr,
) -> tuple[Discovery, list[Path]]:
    """Ask the server at ``base_url``, write a deployment and a model per served name (all files or none), then
    its evidence and history. Raises ``OnboardError`` before anything is written."""
    _check_inputs(base_url, api_key_env)
    discovery = asyncio.run(
        ask_server(base_url, api_key_env, timeouts, deadline=deadline, notes=notes),
    )
    plan = plan_files(discovery, catalog_dir, fleet=fleet, api_key_env=api_key_env)
    written = plan.write(force=force)
    if evidence_dir is not None:
        key = os.environ.get(api_key_env) if api_key_env else None
        secrets = (key,) if key else ()
        for evidence in evidence_of(discovery):
            written.append(write_evidence(evidence_dir, evidence, secrets))
            append_history(evidence_dir, history_lines(evidence), secrets)
    return discovery, written


def next_command(catalog_dir: Path, evidence_dir: Path | None) -> str:
    """The command that probes what was just written, every claim (latency and evals too)."""
    evidence = f" --evidence {evidence_dir}" if evidence_dir is not None else ""
    return f"python -m probes run --catalog {catalog_dir}{evidence}"
