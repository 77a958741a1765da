"""Onboarding from what already runs: catalog files written from a live server or an existing LiteLLM config.

`discover` asks an OpenAI-compatible server what it serves (`/v1/models`, `/version`) and which endpoints
answer a minimal request, then writes a deployment and a model per served name, and an evidence file with
what the requests proved. `import_litellm` turns a LiteLLM `model_list` into deployments.

What a server or a config does not say is left out where the schema allows, and marked `inferred:` with the
reason where the schema needs a value (a model's kind and vendor guessed from its name). Both refuse to
overwrite a file unless told to, and write nothing at all when any file would be overwritten.
A folder without a catalog gets the few files a catalog needs (site.yaml, the fleet, the source, backends),
so the result validates and builds at once.

Both treat what they read as hostile. `discover` sends the API key only where `PROBES_KEYS` allows it
(catalog/outbound.py), follows no redirect, and bounds every request by the probes' limits (`Timeouts`,
`MAX_BODY_BYTES`), the whole discovery by `DISCOVER_DEADLINE_S` and the models it takes by
`MAX_DISCOVERED_MODELS`. A config is read by the catalog's own YAML reader (size, depth and alias limits).
Every name is checked before it becomes a file name (length, characters, two names that would share a file),
every entity is validated before anything is written, and a credential in a URL (`user:password@`,
`?api_key=`) is never written: `import` removes it and says what it removed, without its value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from pydantic import TypeAdapter, ValidationError

from catalog.claims import EndpointKind
from catalog.collections import COLLECTIONS, SINGLETONS, schema_ref
from catalog.errors import format_path, schema_message
from catalog.evidence import ClaimRecord, EvidenceFile, ServerInfo, dumps
from catalog.outbound import MAX_BODY_BYTES, KeyGrants, KeyGrantsError, Timeouts
from catalog.types import NAME_MAX as TYPES_NAME_MAX
from catalog.types import NAME_PUNCTUATION, HttpUrl, ServedName, strip_url_secrets
from catalog.yaml_source import MAX_FILE_BYTES, YamlProblem, read_catalog_yaml

#: The JSON Schemas of this catalog package, copied into every new catalog.
SCHEMAS_SOURCE = Path(__file__).resolve().parent / "schemas"
_ID_CHARS = re.compile(r"[^a-z0-9._-]+")
_ENTITY_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
#: Longest id (catalog/types.py `EntityId`): every id is also its file's name.
ID_MAX = 80
#: Longest served name or gateway alias the catalog takes (catalog/types.py).
NAME_MAX = TYPES_NAME_MAX
#: Most models `discover` takes from one server. A vLLM or llama.cpp server serves one, an Ollama server some
#: tens; a listing of hundreds is a gateway (import its config instead), and one of many thousands would make
#: thousands of files and four requests per model.
MAX_DISCOVERED_MODELS = 500
#: The whole of one discovery, every request together: each request is bounded by `Timeouts` as well, and the
#: first request that times out or cannot connect ends the discovery at once.
DISCOVER_DEADLINE_S = 900.0
#: Longest engine version kept from `/version`.
_VERSION_MAX = 64

Notes = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def slug(text: str) -> str:
    """A catalog id from any name: lower case, other characters as `-`, no leading or trailing punctuation."""
    return _ID_CHARS.sub("-", text.lower()).strip("-._") or "unnamed"


def _short_id(text: str) -> str:
    """An id for a file whose name no reader types (a source): `slug`, cut to `ID_MAX` characters."""
    return slug(text)[:ID_MAX].rstrip("-._") or "unnamed"


def shown(text: str, limit: int = 60) -> str:
    """A name as a message quotes it: long ones cut (`abc…`), control characters escaped."""
    cut = text if len(text) <= limit else text[: limit - 20] + "…"
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut)


class OnboardError(Exception):
    """Nothing was written; the message says why and what to do."""


def _and(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _name_problem(name: str, what: str) -> str | None:
    """Why `name` cannot be a served name or gateway alias in the catalog, or None."""
    if len(name) > NAME_MAX:
        return f"{what} `{shown(name)}` is {len(name)} characters long; the catalog takes at most {NAME_MAX}"
    if not name[:1].isalnum():
        return f"{what} `{shown(name)}` does not start with a letter or digit"
    try:
        TypeAdapter(ServedName).validate_python(name)
    except ValidationError as exc:
        why = schema_message(exc.errors(include_url=False)[0]).removeprefix("the name ").partition("; ")[0]
        if not why.startswith("holds "):
            return f"{what} `{shown(name)}` {why}"
        allowed = f"letters, digits, single spaces and `{NAME_PUNCTUATION.strip()}`"
        held = why.removesuffix(", which a served name or alias may not hold")
        return f"{what} `{shown(name)}` {held}, which a name in the catalog may not hold ({allowed})"
    return None


def _id_problem(entity_id: str, name: str, what: str) -> str | None:
    """Why the id made from `name` cannot be a file name of the catalog, or None."""
    if len(entity_id) > ID_MAX:
        return (
            f"{what} `{shown(name)}` would give the id `{shown(entity_id)}` of {len(entity_id)} characters, "
            f"longer than the {ID_MAX} an id may have: an id is also its file's name"
        )
    if not _ENTITY_ID.match(entity_id):
        return f"{what} `{shown(name)}` gives the id `{entity_id}`, which is too short: an id has 2 characters or more"
    return None


@dataclass
class Plan:
    """The files to write, relative to the catalog root, checked for clashes before anything is written."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)
    """path -> text; written only if the file does not exist yet, or with `force`."""
    scaffold: dict[str, str] = field(default_factory=dict)
    """Files a catalog needs; written only when missing, never overwritten."""
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    """path -> the values its text holds, validated before anything is written."""
    origins: dict[str, str] = field(default_factory=dict)
    """path -> what asked for it (`the served name `Qwen``), for the message when two ask for one file."""
    clash_hint: str = "give them names that differ in more than case or punctuation"
    problems: list[str] = field(default_factory=list)

    def entity(
        self,
        folder: str | None,
        name: str,
        data: Mapping[str, Any],
        *,
        scaffold: bool = False,
        origin: str = "",
        label: str = "",
        at: str = "",
    ) -> None:
        """Plan one file. For the message when two ask for one file: `origin` names what asked for it, `label`
        which entry (`model_list[1]`), `at` where (`FILE:LINE:COL: path`)."""
        labelled = f"{origin} ({label})" if label else origin
        text = f"# yaml-language-server: $schema={schema_ref(folder)}\n" + yaml.safe_dump(
            dict(data), sort_keys=False, allow_unicode=True, width=100
        )
        path = f"{folder}/{name}.yaml" if folder else name
        target = self.scaffold if scaffold else self.files
        if path in target and target[path] != text:
            if scaffold:
                return  # the first scaffold of a file wins (a backend shared by several entries)
            self.problems.append(
                f"{at + ': ' + origin if at else labelled} and {self.origins[path]} would both be written to {path}: "
                "a catalog id is lower case "
                f"and is its file's name, so names that differ only in case or punctuation share a file "
                f"(hint: {self.clash_hint})"
            )
            return
        target[path] = text
        self.data[path] = dict(data)
        self.origins.setdefault(path, labelled)

    def check(self) -> None:
        """Raise every problem found so far, and every entity that would not validate, before anything is written."""
        problems = list(self.problems)
        for path, data in self.data.items():
            folder, _, _ = path.rpartition("/")
            model = COLLECTIONS.get(folder) if folder else SINGLETONS.get(path)
            if model is None:
                continue
            try:
                model.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    message = schema_message(err)
                    problems.append(
                        f"{self.origins.get(path) or path} would give an invalid {path}: "
                        f"{format_path(tuple(err['loc']))}: {message}"
                    )
        if problems:
            raise OnboardError("\n".join(problems))

    def write(self, *, force: bool) -> list[Path]:
        self.check()
        clashes = [p for p in self.files if (self.root / p).exists()]
        if clashes and not force:
            raise OnboardError(
                "these files exist already: " + ", ".join(sorted(clashes)) + " (hint: pass --force to overwrite them)"
            )
        return self.commit()

    def commit(self) -> list[Path]:
        """Write every planned file (a scaffold file only where none exists): each first to a temporary file in
        its folder, and only when all of them are on disk, each renamed over its target; so either every file
        is written or, when the disk refuses one, none is."""
        todo = {
            self.root / relative: text
            for relative, text in sorted({**self.scaffold, **self.files}.items())
            if relative in self.files or not (self.root / relative).exists()
        }
        staged: list[tuple[Path, Path]] = []
        try:
            for path, text in todo.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
                staged.append((Path(name), path))
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
        except OSError as exc:
            for temporary, _ in staged:
                temporary.unlink(missing_ok=True)
            raise OnboardError(f"cannot write the catalog: {exc.strerror or exc}; nothing was written") from None
        for temporary, path in staged:
            temporary.replace(path)
        return [path for _, path in staged]


def _scaffold(plan: Plan, fleet: str, source: str, source_data: Mapping[str, Any]) -> None:
    """The files without which the catalog would not validate: site, fleet and source."""
    if not _ENTITY_ID.match(fleet) or len(fleet) > ID_MAX:
        raise OnboardError(
            f"--fleet `{shown(fleet)}` is not an id (hint: lower-case letters, digits, `.`, `_` and `-`, "
            f"2 to {ID_MAX} characters, e.g. `platform`)"
        )
    plan.entity(
        None,
        "site.yaml",
        {"title": "Model catalog", "tagline": "Our served models, with what was proven."},
        scaffold=True,
    )
    plan.entity(
        "fleets",
        fleet,
        {"name": fleet, "order": 1, "summary": "Servers onboarded from what already runs."},
        scaffold=True,
    )
    plan.entity("sources", source, source_data, scaffold=True)
    # The schemas every file's first line names, so that editors (and error hints) find them in the new catalog.
    for schema in sorted(SCHEMAS_SOURCE.glob("*.json")):
        plan.scaffold.setdefault(f"schemas/{schema.name}", schema.read_text(encoding="utf-8"))


_BACKENDS: dict[str, dict[str, Any]] = {
    "vllm": {"name": "vLLM", "kind": "vllm", "description": "The vLLM inference server."},
    "ollama": {"name": "Ollama", "kind": "ollama", "description": "The Ollama model runner."},
    "openai-compatible": {
        "name": "OpenAI-compatible server",
        "kind": "llama-cpp",
        "description": "A server that speaks the OpenAI API; the config does not say which engine it is.",
    },
    "external": {"name": "External provider", "kind": "gateway", "description": "A provider's own API."},
}


def _family(name: str) -> str:
    """A family name from a served name: what a family may not hold (`[`, `·`) as spaces, at most 80 characters."""
    family = re.sub(r"[^A-Za-z0-9 ._:+()-]+", " ", name)
    family = re.sub(r" {2,}", " ", family).strip(" ._:+()-")[:80].rstrip()
    return family or "unnamed"


def _model_guess(name: str, *, embeddings: bool, source: str, why: str) -> dict[str, Any]:
    """A model entry for weights known only by name: kind and vendor are guesses, and marked as such."""
    vendor = name.split("/", 1)[0] if "/" in name and not name.startswith("/") else "not stated"
    return {
        "name": name.split("/")[-1],
        "family": _family(name.split("/")[-1]),
        "vendor": vendor,
        "kind": "embedding" if embeddings else "chat",
        "input_modalities": ["text"],
        "output_modalities": ["embedding" if embeddings else "text"],
        "description": f"Weights known only by their name, {name}: check the kind and vendor.",
        "inferred": [
            {"field": "kind", "reason": why, "source": {"source": source}},
            *(
                [{"field": "vendor", "reason": "the part of the name before `/`", "source": {"source": source}}]
                if vendor != "not stated"
                else []
            ),
        ],
        "sources": [{"source": source}],
    }


def _url_problem(url: str) -> tuple[str, str] | None:
    """(message, hint) when `url` is not a URL the catalog takes (catalog/types.py `HttpUrl`), else None."""
    try:
        TypeAdapter(HttpUrl).validate_python(url)
    except ValidationError as exc:
        message = schema_message(exc.errors(include_url=False)[0])
        what, _, hint = message.partition("; ")
        return what, hint or "write `http(s)://HOST[:PORT]/path`"
    return None


# ----------------------------------------------------------------------------------------------- discover


@dataclass(frozen=True)
class Served:
    name: str
    root: str | None
    max_model_len: int | None
    endpoints: tuple[EndpointKind, ...]
    records: tuple[ClaimRecord, ...]


_TRIES: dict[EndpointKind, tuple[str, dict[str, Any]]] = {
    EndpointKind.chat: ("/chat/completions", {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}),
    EndpointKind.completions: ("/completions", {"prompt": "Hi", "max_tokens": 1}),
    EndpointKind.responses: ("/responses", {"input": "Hi", "max_output_tokens": 16}),
    EndpointKind.embeddings: ("/embeddings", {"input": "Hi"}),
}
_RENAME = "serve it under another name (e.g. vLLM's --served-model-name), or discover another server"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _size(limit: int) -> str:
    return f"{limit} bytes ({limit / 1024 / 1024:g} MiB)" if limit >= 1024 * 1024 else f"{limit} bytes"


class _Asker:
    """One server's requests for `discover`: each bounded by `Timeouts` and a body cap; the first that times
    out or cannot connect ends the discovery with a message (the rest would wait the same)."""

    def __init__(self, client: httpx.AsyncClient, timeouts: Timeouts, max_body: int) -> None:
        self.client = client
        self.timeouts = timeouts
        self.max_body = max_body

    def _failed(self, exc: BaseException, what: str) -> OnboardError:
        if isinstance(exc, TimeoutError):
            why = f"no complete answer within the {self.timeouts.request:g} s request deadline"
        elif isinstance(exc, httpx.ConnectTimeout):
            why = f"connect timeout after {self.timeouts.connect:g} s"
        elif isinstance(exc, httpx.ReadTimeout):
            why = f"read timeout, no data for {self.timeouts.read:g} s"
        elif isinstance(exc, httpx.ConnectError):
            why = f"cannot connect ({exc or type(exc).__name__})"
        else:
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return OnboardError(f"{what}: {why}; nothing was written (hint: check that the server answers at this URL)")

    async def get_json(self, url: str) -> tuple[int, Any]:
        """(status, JSON value or None) of GET `url`; a body over the cap is an `OnboardError`."""
        what = f"GET {url}"
        try:
            async with asyncio.timeout(self.timeouts.request), self.client.stream("GET", url) as response:
                declared = response.headers.get("content-length", "")
                over = f"{what}: the answer is over {_size(self.max_body)}"
                if declared.isdigit() and int(declared) > self.max_body:
                    raise OnboardError(f"{over}: it declares {declared} bytes; none read, nothing was written")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_body:
                        raise OnboardError(f"{over}; stopped reading there, nothing was written")
        except (httpx.TransportError, TimeoutError) as exc:
            raise self._failed(exc, what) from None
        try:
            return response.status_code, json.loads(bytes(body))
        except (ValueError, RecursionError):
            return response.status_code, None

    async def status(self, url: str, body: Mapping[str, Any]) -> int | None:
        """The status POST `url` answers with (its body is never read), or None when the answer broke off."""
        try:
            async with (
                asyncio.timeout(self.timeouts.request),
                self.client.stream("POST", url, json=dict(body)) as response,
            ):
                return response.status_code
        except (httpx.ConnectError, httpx.TimeoutException, TimeoutError) as exc:
            raise self._failed(exc, f"POST {url}") from None
        except httpx.TransportError:
            return None


def _listing(base: str, status: int, value: Any) -> list[Any]:
    where = f"GET {base}/models"
    if status != 200:
        raise OnboardError(
            f"{where} answered HTTP {status}, not a model list; nothing was written "
            "(hint: the URL is the server's OpenAI base, with /v1; pass --api-key-env if it needs a key)"
        )
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        got = "not JSON" if value is None else f"JSON {type(value).__name__}"
        shape = "an object without a `data` list" if isinstance(value, dict) else got
        raise OnboardError(
            f'{where} answered {shape}, not an OpenAI model list (`{{"data": [...]}}`); nothing was written '
            "(hint: point discover at an OpenAI-compatible server's base URL, with /v1)"
        )
    data: list[Any] = value["data"]
    if len(data) > MAX_DISCOVERED_MODELS:
        raise OnboardError(
            f"{where} lists {len(data)} models; discover takes at most {MAX_DISCOVERED_MODELS} from one server, "
            "and wrote nothing (hint: a listing this long is a gateway: import its config with "
            "`python -m catalog import litellm`, or discover the servers behind it one by one)"
        )
    return data


def _max_model_len(entry: Mapping[str, Any], name: str, notes: Notes) -> int | None:
    """The served context, when the entry gives a whole number of tokens (`true` is not one)."""
    value = entry.get("max_model_len")
    if value is None:
        return None
    if type(value) is int and 0 < value <= 100_000_000:
        return value
    said = json.dumps(value[:40] if isinstance(value, str) else value) if _scalar(value) else type(value).__name__
    notes(
        f"the model `{shown(name)}`: max_model_len `{shown(said, 40)}` is not a number of tokens "
        "(1 to 100000000), so the deployment states none"
    )
    return None


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


async def _ask(
    base_url: str, api_key: str | None, timeouts: Timeouts, max_body: int, notes: Notes
) -> tuple[list[Served], str | None]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    headers["Accept-Encoding"] = "identity"  # a compressed body would be inflated before the cap could count it
    base = base_url.rstrip("/")
    root = base.removesuffix("/v1")
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
        headers=headers,
        # Never follow a redirect (it could carry the key elsewhere), never read proxies or ~/.netrc.
        follow_redirects=False,
        trust_env=False,
    ) as client:
        asker = _Asker(client, timeouts, max_body)
        data = _listing(base, *await asker.get_json(f"{base}/models"))
        version = None
        status, answer = await asker.get_json(f"{root}/version")
        if status == 200 and isinstance(answer, dict) and answer.get("version") is not None:
            said = answer["version"]
            if isinstance(said, str) and 0 < len(said) <= _VERSION_MAX and said.isprintable():
                version = said
            else:
                notes(f"GET {root}/version: the version is not a short line of text, so none is stated")
        skipped = sum(1 for e in data if not isinstance(e, dict) or not isinstance(e.get("id"), str))
        if skipped:
            notes(f"GET {base}/models: {skipped} entries without a text `id` were skipped")
        entries = list({e["id"]: e for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)}.values())
        ids: dict[str, str] = {}
        for entry in entries:  # every name is checked before any model is asked about
            name = entry["id"]
            if problem := _name_problem(name, "the served name") or _id_problem(slug(name), name, "the served name"):
                raise OnboardError(f"GET {base}/models: {problem}; nothing was written (hint: {_RENAME})")
            if (other := ids.setdefault(slug(name), name)) != name:
                raise OnboardError(
                    f"GET {base}/models: the served names `{shown(other)}` and `{shown(name)}` would both be "
                    f"written to deployments/{slug(name)}.yaml: a catalog id is lower case and is its file's name, "
                    "so names that differ only in case or punctuation share a file; nothing was written "
                    "(hint: serve them under names that differ in more than case or punctuation, e.g. with "
                    "vLLM's --served-model-name)"
                )
        served = []
        for entry in entries:
            name = entry["id"]
            answered, records = [], []
            listed_at = _now()
            records.append(ClaimRecord(claim="served-name", status="pass", date=listed_at))
            for kind, (path, body) in _TRIES.items():
                started = time.perf_counter()
                if await asker.status(f"{base}{path}", {"model": name, **body}) == 200:
                    answered.append(kind)
                    records.append(
                        ClaimRecord(
                            claim=f"endpoint:{kind.value}",
                            status="pass",
                            date=_now(),
                            duration_ms=round((time.perf_counter() - started) * 1000, 1),
                        )
                    )
            weights = entry.get("root")
            if (
                isinstance(weights, str)
                and not weights.startswith(("/", "."))
                and (_name_problem(weights, "root") or _id_problem(slug(weights.split("/")[-1]), weights, "root"))
            ):
                notes(f"the model `{shown(name)}`: its `root` is not a usable weights name, so its name stands in")
                weights = None
            served.append(
                Served(
                    name,
                    weights if isinstance(weights, str) else None,
                    _max_model_len(entry, name, notes),
                    tuple(answered),
                    tuple(records),
                )
            )
    if not served:
        raise OnboardError(f"GET {base}/models lists no models; nothing was written")
    return served, version


def ask_server(
    base_url: str,
    api_key: str | None = None,
    timeouts: Timeouts | None = None,
    *,
    deadline: float = DISCOVER_DEADLINE_S,
    max_body: int = MAX_BODY_BYTES,
    notes: Notes = _stderr,
) -> tuple[list[Served], str | None]:
    """What the server at `base_url` (with `/v1`) serves, which endpoints answer, and its version; every
    request bounded by `timeouts` and `max_body`, all of them together by `deadline` seconds."""

    async def bounded() -> tuple[list[Served], str | None]:
        try:
            async with asyncio.timeout(deadline):
                return await _ask(base_url, api_key, timeouts or Timeouts(), max_body, notes)
        except TimeoutError:
            raise OnboardError(
                f"{base_url}: the discovery took longer than its {deadline:g} s deadline; nothing was written "
                "(hint: the server answers too slowly, or serves too many models)"
            ) from None

    return asyncio.run(bounded())


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
) -> list[Path]:
    """Write a deployment and a model per served name of the server at `base_url`, and its evidence."""
    if bad_url := _url_problem(base_url):
        what, hint = bad_url
        if "credential" in what or "password" in what:
            hint = "write the URL without it, and pass the key's environment variable with --api-key-env NAME"
        try:
            safe = shown(strip_url_secrets(base_url)[0], 200)
        except ValueError:
            safe = "the URL"
        raise OnboardError(f"{safe}: {what} (hint: {hint})")
    key = None
    if api_key_env is not None:
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
        key = os.environ.get(api_key_env)
        if not key:
            raise OnboardError(
                f"environment variable {api_key_env} (the API key) is not set, so nothing was asked "
                "(hint: set it, or leave out --api-key-env when the server needs no key)"
            )
    served, version = ask_server(base_url, key, timeouts, deadline=deadline, notes=notes)
    host = urlsplit(base_url).netloc
    source = _short_id(f"server-{host}")
    today = _now()
    plan = Plan(catalog_dir, clash_hint=_RENAME)
    _scaffold(
        plan,
        fleet,
        source,
        {
            "title": f"The server at {base_url}",
            "kind": "server",
            "summary": f"What the server at {base_url} reported about itself on {today.date().isoformat()}.",
            "retrieved": today.date().isoformat(),
        },
    )
    plan.entity("backends", "vllm", _BACKENDS["vllm"], scaffold=True)
    evidence: list[EvidenceFile] = []
    for item in served:
        dep_id = slug(item.name)
        # A hub id says which weights; a local folder path says nothing a reader can use (and is this machine's).
        weights = item.root if item.root and not item.root.startswith(("/", ".")) else item.name
        model_id = slug(weights.split("/")[-1])
        if problem := _id_problem(model_id, weights, "the weights"):
            raise OnboardError(f"GET {base_url.rstrip('/')}/models: {problem}; nothing was written (hint: {_RENAME})")
        embeddings_only = item.endpoints == (EndpointKind.embeddings,)
        plan.entity(
            "models",
            model_id,
            _model_guess(
                weights,
                embeddings=embeddings_only,
                source=source,
                why="guessed from which endpoints answered" if item.endpoints else "no endpoint answered",
            ),
            origin=f"the weights `{shown(weights)}`",
        )
        deployment: dict[str, Any] = {
            "fleet": fleet,
            "model": model_id,
            "backend": "vllm",
            "served_name": item.name,
            "status": "active",
            "endpoint": {"base_url": base_url.rstrip("/"), **({"api_key_env": api_key_env} if api_key_env else {})},
            "serving": {
                k: v for k, v in (("max_model_len", item.max_model_len), ("engine_version", version)) if v is not None
            },
            "endpoints": [e.value for e in item.endpoints],
            "summary": f"Found on {host}: {', '.join(e.value for e in item.endpoints) or 'no endpoint answered'}.",
            "sources": [{"source": source}],
        }
        plan.entity(
            "deployments",
            dep_id,
            {k: v for k, v in deployment.items() if v not in ({}, None)},
            origin=f"the served name `{shown(item.name)}`",
        )
        evidence.append(
            EvidenceFile(
                deployment=dep_id,
                run_id=f"discover-{today.strftime('%Y%m%dT%H%M%SZ')}",
                started_at=today,
                finished_at=_now(),
                server=ServerInfo(version=version, max_model_len=item.max_model_len),
                records=list(item.records),
            )
        )
    written = plan.write(force=force)
    if evidence_dir is not None:
        for record in evidence:
            written.append(_write_evidence(evidence_dir, record))
    return written


def _write_evidence(evidence_dir: Path, evidence: EvidenceFile) -> Path:
    """Atomically, like the probes: a reader sees the old file or the new one."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_dir / f"{evidence.deployment}.json"
    fd, tmp = tempfile.mkstemp(dir=evidence_dir, prefix=f".{evidence.deployment}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(dumps(evidence))
    Path(tmp).replace(path)
    return path


# ------------------------------------------------------------------------------------------ import litellm


def _read_config(config: Path) -> tuple[dict[str, Any], Callable[[tuple[str | int, ...]], str]]:
    """The config's values, read like a catalog file (size, depth, alias and tag limits), and a function that
    gives `FILE:LINE:COL: path` for a field path."""
    try:
        if not config.is_file():
            raise OnboardError(f"{config}: not a file (hint: point at the proxy's config.yaml)")
        size = config.stat().st_size
        if size > MAX_FILE_BYTES:
            raise OnboardError(
                f"{config}: the file is {size / 1024 / 1024:.1f} MiB; a config is read up to "
                f"{MAX_FILE_BYTES // 1024 // 1024} MiB (hint: check that this is the proxy's config.yaml)"
            )
        with config.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise OnboardError(f"{config}: cannot read a LiteLLM config: {exc.strerror or exc}") from None
    try:
        document = read_catalog_yaml(raw)
    except YamlProblem as problem:
        raise OnboardError(
            f"{config}:{problem.line}:{problem.column}: {format_path(problem.path)}: {problem.message} "
            f"(hint: {problem.hint})"
        ) from None
    if document.problems:
        raise OnboardError(
            "\n".join(
                f"{config}:{p.line}:{p.column}: {format_path(p.path)}: {p.message} (hint: {p.hint})"
                for p in document.problems
            )
        )

    def where(path: tuple[str | int, ...]) -> str:
        line, column = document.locator.locate(path)
        return f"{config}:{line}:{column}: {format_path(path)}"

    return document.data, where


def import_litellm(config: Path, catalog_dir: Path, **options: Any) -> list[Path]:
    """`catalog.litellm_import.import_litellm`, kept here for callers of the old place."""
    from catalog.litellm_import import import_litellm as faithful  # it imports this module's writer

    return faithful(config, catalog_dir, **options)
