"""Reusable field types shared by every catalog entity.

Each type carries its own pattern and description, so the JSON Schema tells an
editor exactly what a valid value looks like, and a bad value fails with the
pattern in the message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from pydantic import AfterValidator, Field, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

#: What an entity id may be, defined here once: lower-case letters, digits, `.`, `_` and `-`, a letter or
#: digit at both ends, at most `ENTITY_ID_MAX` characters. Ids become file names, so nothing else is safe.
ENTITY_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$"
ENTITY_ID_MAX = 80
_ENTITY_ID = re.compile(ENTITY_ID_PATTERN)


def is_entity_id(text: str) -> bool:
    """Whether `text` is a valid entity id (and so a safe file name)."""
    return len(text) <= ENTITY_ID_MAX and _ENTITY_ID.match(text) is not None


FILE_STEM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_FILE_STEM = re.compile(FILE_STEM_PATTERN)


def is_file_stem(text: str) -> bool:
    """Whether `text` can name a file in a folder without leaving it: what an id that is not (yet) an entity id,
    such as a discovered server's slug or a target list's id, must be before evidence is written under it."""
    return len(text) <= ENTITY_ID_MAX and _FILE_STEM.match(text) is not None


#: The id of any catalog entity. It is also the file's name (without `.yaml`).
EntityId = Annotated[
    str,
    StringConstraints(pattern=ENTITY_ID_PATTERN, max_length=ENTITY_ID_MAX),
    Field(
        description="Lower-case id: letters, digits, '.', '_' and '-'; the entity's file name without .yaml.",
    ),
]

#: The target of a reference to a gateway: a key of site.yaml's `gateways:` rather than a file of a folder.
GATEWAYS = "gateways"


@dataclass(frozen=True)
class RefersTo:
    """Marks an id field as a reference to another entity: a file of the catalog folder `target` (e.g.
    `models`), or with `GATEWAYS` a gateway of site.yaml.

    One generic rule (`catalog.rules.references_resolve`) checks every field so marked, and the JSON Schema
    records the target as `x-refers-to`, so an editor or an agent knows what each id points to.
    """

    target: str

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["x-refers-to"] = "site.yaml gateways" if self.target == GATEWAYS else f"{self.target}/<id>.yaml"
        return schema


#: The id of an entity of each kind, as another file names it.
SourceId = Annotated[EntityId, RefersTo("sources")]
TaskId = Annotated[EntityId, RefersTo("tasks")]
FleetId = Annotated[EntityId, RefersTo("fleets")]
HubId = Annotated[EntityId, RefersTo("hubs")]
GlossaryTermId = Annotated[EntityId, RefersTo("glossary")]
BackendId = Annotated[EntityId, RefersTo("backends")]
ModelId = Annotated[EntityId, RefersTo("models")]
DeploymentId = Annotated[EntityId, RefersTo("deployments")]
GatewayId = Annotated[EntityId, RefersTo(GATEWAYS)]

#: Longest served name or gateway alias.
NAME_MAX = 200
#: Characters a served name or gateway alias may hold besides letters and digits (of any script). Real
#: servers use more than `._:/-`: Ollama tags (`llama3.1:8b`), Vertex versions (`claude-3@20240229`) and
#: llama.cpp presets (`Qwen3.5-4B-UD-Q4_K_XL [Thinking · General]`). Pages render names through escaping
#: templates and shell examples quote them, and ids and file names come from `slug`, so these are safe; quotes,
#: backticks, `$`, `\\`, `<>`, `*` (a LiteLLM wildcard), `|`, `;`, `&` and control or format characters
#: (line breaks, bidirectional overrides) are not.
NAME_PUNCTUATION = " ._:/-+@,()[]·"


def _name_char_problem(char: str) -> bool:
    if char in NAME_PUNCTUATION:
        return False
    if char.isascii():
        return not char.isalnum()
    # Letters, marks and digits of other scripts; never control, format, separator or private-use characters.
    return unicodedata.category(char)[0] not in "LMN"


def _served_name(value: str) -> str:
    bad = next((c for c in value if _name_char_problem(c)), None)
    if bad is not None:
        raise ValueError(
            f"the name holds {_describe(bad)}, which a served name or alias may not hold; write it with letters, "
            f"digits, spaces and `{NAME_PUNCTUATION.strip()}`"
        )
    if not value[0].isalnum():
        raise ValueError(f"the name starts with {_describe(value[0])}; start it with a letter or a digit")
    if value != value.strip() or "  " in value:
        raise ValueError("the name has a space at either end or two spaces in a row; write single spaces inside it")
    return value


#: For editors: what `_served_name` takes (the JSON Schema cannot say "letter of any script"; this pattern
#: takes any character but the forbidden ones and control characters).
_NAME_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_NAME_PATTERN = (
    rf"^[^ {_NAME_CONTROL}`'\"$\\<>*|;&{{}}!?#%^~=][^{_NAME_CONTROL}`'\"$\\<>*|;&{{}}!?#%^~=]{{0,{NAME_MAX - 1}}}$"
)

#: The name a server lists in /v1/models, e.g. `gpt-oss-20b`, Ollama's `llama3.1:8b` or a llama.cpp preset
#: such as `Qwen3.5-4B-UD-Q4_K_XL [Thinking · General]`.
ServedName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=NAME_MAX),
    AfterValidator(_served_name),
    Field(
        description="Model name as the server lists it in /v1/models: letters, digits, single spaces and "
        f"`{NAME_PUNCTUATION.strip()}`, starting with a letter or digit, at most {NAME_MAX} characters.",
        json_schema_extra={"pattern": _NAME_PATTERN},
    ),
]

#: A gateway (LiteLLM) alias that clients send as `model`.
GatewayAlias = Annotated[
    str,
    StringConstraints(min_length=1, max_length=NAME_MAX),
    AfterValidator(_served_name),
    Field(
        description="Name clients send as `model` to the gateway: one deployment's, or a group's (several "
        "deployments of one gateway that share it, each with `route.group: true`). Letters, digits, single "
        f"spaces and `{NAME_PUNCTUATION.strip()}`, at most {NAME_MAX} characters.",
        json_schema_extra={"pattern": _NAME_PATTERN},
    ),
]

#: `org/name` on a model hub.
HubRepoId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"),
    Field(description="Repository id on the hub, as `organisation/name`."),
]

#: The name of an environment variable; the catalog never holds a secret itself.
EnvVarName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$"),
    Field(description="Name of the environment variable that holds the API key (never the key itself)."),
]

#: What an http(s) URL of this catalog may hold after its host: unreserved characters, `%` escapes and the
#: delimiters a path, query or fragment needs. Quotes, spaces, `<>`, backticks, `$`, `;`, `(`, `)`, `*`, `!`
#: and backslashes are left out: no real endpoint needs them, and each means something to HTML, Markdown or a shell.
_URL_TAIL = r"[A-Za-z0-9._~%+,=:@/?#&-]"
_URL_PATTERN = (
    r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
    rf"(?:[/?#]{_URL_TAIL}*)?$"
)
_URL = re.compile(_URL_PATTERN)
_URL_CHAR = re.compile(_URL_TAIL)

#: Query (and fragment) parameters that carry a credential, compared in lower case with `-` and `.` read as
#: `_`: API keys and tokens (`api_key`, `apikey`, `key`, `token`, `access_token`, `auth`, `jwt`, ...),
#: passwords and secrets, signed-URL signatures (`sig` of an Azure SAS, `signature`, a whole `sas` token) and
#: `code`, the function key Azure Functions read from the query. Besides these, any
#: name that starts with `x_amz_` (S3 presigned URLs: X-Amz-Signature, X-Amz-Credential,
#: X-Amz-Security-Token) or `x_goog_` (Google Cloud signed URLs), and any that ends in `_key`, `_token`,
#: `_secret`, `_password` or `_signature` (`subscription-key`, `refresh_token`, `client_secret`).
SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "key",
        "token",
        "access_token",
        "accesstoken",
        "auth",
        "auth_token",
        "authtoken",
        "authorization",
        "bearer",
        "jwt",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "clientsecret",
        "sig",
        "signature",
        "session",
        "sessionid",
        "session_id",
        "subscriptionkey",
        "code",
        "sas",
        "sastoken",
        "sas_token",
        "credential",
        "credentials",
    }
)
SECRET_PARAM_PREFIXES = ("x_amz_", "x_goog_")
SECRET_PARAM_SUFFIXES = ("_key", "_token", "_secret", "_password", "_signature")
_SECRET_HINT = (
    "remove it: the site publishes every URL of the catalog; move the key to an environment variable "
    "named in `api_key_env`"
)


def is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name carries a credential (see `SECRET_PARAMS`)."""
    normal = unquote_plus(name).strip().lower().replace("-", "_").replace(".", "_")
    return normal in SECRET_PARAMS or normal.startswith(SECRET_PARAM_PREFIXES) or normal.endswith(SECRET_PARAM_SUFFIXES)


def _pairs(part: str) -> list[str]:
    return [pair for pair in part.split("&") if pair]


def url_secrets(value: str) -> list[str]:
    """What in an http(s) URL carries a credential, as shown to a reader without its value: `…@` for a user
    name or password before the host, `NAME=…` for each key-like query or fragment parameter."""
    rest = value.split("://", 1)[-1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    found = ["`…@`"] if "@" in authority else []
    before_fragment, _, fragment = rest[len(authority) :].partition("#")
    query = before_fragment.partition("?")[2]
    found += [
        f"`{name}=…`" for pair in _pairs(query) + _pairs(fragment) if is_secret_param(name := pair.split("=", 1)[0])
    ]
    return list(dict.fromkeys(found))


def strip_url_secrets(value: str) -> tuple[str, list[str]]:
    """`value` without a user name or password before its host and without key-like query or fragment
    parameters, and what was removed (as `url_secrets` shows it: never the secret itself)."""
    removed = url_secrets(value)
    if not removed:
        return value, []
    parts = urlsplit(value)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = "&".join(p for p in _pairs(parts.query) if not is_secret_param(p.split("=", 1)[0]))
    fragment = "&".join(p for p in _pairs(parts.fragment) if not is_secret_param(p.split("=", 1)[0]))
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment)), removed


def _http_url(value: str) -> str:
    """An http:// or https:// URL, with a message that names what is wrong."""
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in ("http", "https") or not value.lower().startswith(f"{scheme}://"):
        shown = f"`{scheme}:` URLs are not allowed" if scheme.isalnum() else "not an http(s) URL"
        raise ValueError(f"{shown}; write an http:// or https:// URL, e.g. `http://localhost:8000/v1`")
    secrets = url_secrets(value)
    if secrets:
        params = [s for s in secrets if s != "`…@`"]
        said = ["a user name or password before its host (`…@`)"] if len(params) < len(secrets) else []
        if params:
            listed = ", ".join(params[:-1]) + " and " + params[-1] if len(params) > 1 else params[0]
            said.append(f"a credential in {listed}")
        raise ValueError(f"the URL holds {' and '.join(said)}; {_SECRET_HINT}")
    bad = next((c for c in value.split("://", 1)[1] if not _URL_CHAR.match(c) and c not in "[]"), None)
    if bad is not None:
        raise ValueError(
            f"the URL holds {_describe(bad)}, which a catalog URL may not hold; "
            "remove it or percent-encode it (a space is `%20`)"
        )
    if not _URL.match(value):
        raise ValueError(
            "the URL has no valid host; write `http(s)://HOST[:PORT]/path`, e.g. `http://localhost:8000/v1`"
        )
    return value


HttpUrl = Annotated[
    str,
    AfterValidator(_http_url),
    Field(
        description="An http:// or https:// URL: a host, an optional port and a path without spaces, quotes, "
        "`<>`, backticks, `$`, `;`, `(`, `)`, `*`, `!` or backslashes; never a credential (no `user:password@`, "
        "no `api_key=`, `token=`, `sig=`, `X-Amz-…=` or other key-like query parameter: name the key's "
        "environment variable in `api_key_env`).",
        json_schema_extra={"pattern": _URL_PATTERN},
    ),
]

UrlPath = Annotated[
    str,
    StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$"),
    Field(description="A URL path starting with '/'."),
]

NonNegativeUsd = Annotated[float, Field(ge=0, description="US dollars; 0 or more.")]
PositiveMs = Annotated[float, Field(gt=0, description="Milliseconds; greater than 0.")]
Rating = Annotated[int, Field(ge=1, le=5, description="Star rating from 1 (worst) to 5 (best).")]
Tokens = Annotated[int, Field(gt=0, le=100_000_000, description="A number of tokens; greater than 0.")]

#: Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. Markdown, Mermaid and
#: shells read several of them as line breaks (a lone carriage return included), so one-line text never
#: holds any, and Markdown prose holds none but the line feed.
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_PROSE_CONTROL = r"\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL_CHAR = re.compile(f"[{_CONTROL}]")
_PROSE_CONTROL_CHAR = re.compile(f"[{_PROSE_CONTROL}]")

_NAMES = {
    "\n": "a line break (\\n)",
    "\r": "a carriage return (\\r)",
    "\t": "a tab (\\t)",
    " ": "a space",
    "`": "a backtick",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
}


def _describe(char: str) -> str:
    return _NAMES.get(char) or (f"`{char}`" if char.isprintable() else f"the control character U+{ord(char):04X}")


def _one_line(value: str) -> str:
    found = _CONTROL_CHAR.search(value)
    if found:
        raise ValueError(
            f"one-line text holds {_describe(found.group())} at character {found.start() + 1}; "
            "write it on one line without line breaks, tabs or other control characters"
        )
    return value


def _prose(value: str) -> str:
    found = _PROSE_CONTROL_CHAR.search(value)
    if found:
        raise ValueError(
            f"the text holds {_describe(found.group())} at character {found.start() + 1}; "
            "remove it: prose may hold line breaks, but no carriage returns, tabs or other control characters"
        )
    return value


#: One line of plain text. Pages show it exactly as written: `*`, `<b>` or `[x](y)` appear literally; only
#: `code spans` in backticks render as code.
OneLine = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300),
    AfterValidator(_one_line),
    Field(
        description="One line of plain text, without line breaks, tabs or other control characters; "
        "`code` in backticks shows as code, anything else exactly as written.",
        json_schema_extra={"pattern": f"^[^{_CONTROL}]+$"},
    ),
]

#: The one kind of catalog text that is Markdown. Every other text field is plain text. Pages render it with
#: inline Markdown only (paragraphs, *emphasis*, **strong**, `code`, [links](https://…)) and pass the result
#: through an allow-list HTML sanitizer (hooks/render/templating.py `prose`): no raw HTML, attribute lists,
#: headings, images, or links other than http(s) and relative ones.
Prose = Annotated[
    str,
    StringConstraints(min_length=1),
    AfterValidator(_prose),
    Field(
        description="Markdown prose written for this catalog: paragraphs, *emphasis*, **strong**, `code` and "
        "[links](https://example.com) to http(s) or relative URLs; raw HTML, headings, lists and images show as text.",
        json_schema_extra={"pattern": f"^[^{_PROSE_CONTROL}]+$"},
    ),
]


#: Longest model family name: the site names a file after each family (`llms/families/<family>.md`, see
#: hooks/render/agents.py), and a file name has at most 255 bytes on common file systems. 80 matches ids.
FAMILY_MAX = 80
_FAMILY_CHAR = re.compile(r"[A-Za-z0-9 ._:+()-]")


def _family(value: str) -> str:
    if len(value) > FAMILY_MAX:
        raise ValueError(
            f"the family name is {len(value)} characters long, over the {FAMILY_MAX} a family may have; "
            f"shorten it to at most {FAMILY_MAX} characters: the site names a file after each family"
        )
    bad = next((c for c in value if not _FAMILY_CHAR.match(c)), None)
    if bad is not None:
        raise ValueError(
            f"the family name holds {_describe(bad)}, which a family name may not hold; "
            "write it with letters, digits, spaces and `.` `_` `:` `+` `(` `)` `-`: the site names a file after it"
        )
    if not value[0].isalnum():
        raise ValueError(f"the family name starts with {_describe(value[0])}; start it with a letter or a digit")
    return value


#: The family a model belongs to, e.g. `Qwen2.5-Coder`; pages group deployments by it and name files after it.
FamilyName = Annotated[
    str,
    StringConstraints(min_length=1),
    AfterValidator(_family),
    Field(
        description=f"Model family, e.g. `Qwen2.5-Coder` or `GPT-OSS`: at most {FAMILY_MAX} characters, starting "
        "with a letter or digit; letters, digits, spaces and `._:+()-` (the site names a file after it).",
        json_schema_extra={"pattern": rf"^[A-Za-z0-9][A-Za-z0-9 ._:+()-]{{0,{FAMILY_MAX - 1}}}$"},
    ),
]


def _fim_token(value: str) -> str:
    found = _CONTROL_CHAR.search(value) or re.search(r"[`]", value)
    if found:
        raise ValueError(
            f"a FIM token holds {_describe(found.group())} at character {found.start() + 1}; "
            "write the token as the model's tokenizer spells it, on one line and without backticks"
        )
    return value


#: A fill-in-the-middle control token such as `<|fim_prefix|>` (CodeLlama's `<PRE> ` keeps its space).
FimToken = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_fim_token),
    Field(
        description="A FIM control token as the tokenizer spells it, e.g. `<|fim_prefix|>`: at most 64 characters, "
        "without backticks, line breaks or other control characters.",
        json_schema_extra={"pattern": f"^[^`{_CONTROL}]+$"},
    ),
]

_EDIT_URI = r"^(?:(?!\.{1,2}/)[A-Za-z0-9._~-]+/)+$"


def _edit_uri(value: str) -> str:
    if not re.match(_EDIT_URI, value):
        raise ValueError(
            f"`{value}` is not a relative path ending in `/`; write the repository's edit path, "
            "e.g. `edit/main/`: letters, digits, `._~-` and `/`, no `..`, no scheme and no leading `/`"
        )
    return value


#: MkDocs' `edit_uri`: the path from `repo_url` to the folder whose files the edit buttons open.
EditUri = Annotated[
    str,
    AfterValidator(_edit_uri),
    Field(
        description="Path from `repo_url` to the edited files, relative and ending in `/`, e.g. `edit/main/`.",
        json_schema_extra={"pattern": _EDIT_URI},
    ),
]


class ModelKind(StrEnum):
    """What a model was trained to do; the glossary explains each kind."""

    base = "base"
    instruct = "instruct"
    chat = "chat"
    reasoning = "reasoning"
    embedding = "embedding"
    ocr = "ocr"
    vision_language = "vision-language"
    audio = "audio"
    multimodal = "multimodal"


class Modality(StrEnum):
    text = "text"
    image = "image"
    audio = "audio"
    video = "video"
    embedding = "embedding"


class DeploymentStatus(StrEnum):
    active = "active"
    disabled = "disabled"
    planned = "planned"
    code_ready = "code-ready"
    """The serving code exists but nothing is deployed; deploy on demand."""


class BackendKind(StrEnum):
    vllm = "vllm"
    ollama = "ollama"
    llama_cpp = "llama-cpp"
    tei = "tei"
    sglang = "sglang"
    openai_compatible = "openai-compatible"
    """A hosted or self-run OpenAI-compatible API this catalog knows no engine for (e.g. a provider's API)."""
    gateway = "gateway"
    """An external provider reached through a gateway such as LiteLLM."""


class Quantization(StrEnum):
    """How the served weights are stored. `none` means the original precision (bf16/fp16)."""

    none = "none"
    awq_4bit = "awq-4bit"
    nvfp4 = "nvfp4"
    fp8 = "fp8"
    mxfp4 = "mxfp4"
    gguf_q4 = "gguf-q4"
    """GGUF Q4_K_M, the usual 4-bit default of Ollama and llama.cpp."""
    gguf_q8 = "gguf-q8"
    """GGUF Q8_0."""
    gguf = "gguf"
    """GGUF at a level chosen per model (Q2_K to Q8_0)."""


#: Bytes per parameter of each quantization, used by the VRAM estimate. 4-bit formats carry
#: scales: AWQ stores a 16-bit scale and a 4-bit zero point per group of 128 weights (4.16 bits),
#: NVFP4 an 8-bit scale per 16 (4.5 bits), MXFP4 an 8-bit scale per 32 (4.25 bits); GGUF
#: Q4_K_M averages about 4.85 bits and Q8_0 8.5 bits.
BYTES_PER_PARAM: dict[Quantization, float] = {
    Quantization.none: 2.0,
    Quantization.awq_4bit: 0.52,
    Quantization.nvfp4: 0.5625,
    Quantization.fp8: 1.0,
    Quantization.mxfp4: 0.53125,
    Quantization.gguf_q4: 0.606,
    Quantization.gguf_q8: 1.0625,
    Quantization.gguf: 0.606,
}


#: A deployment as evidence names it: its files (`<id>.json`, `history/<id>.json`) are named after it, so a
#: history line or an evidence file naming a path is refused when read, before anything is written under it.
EvidenceDeployment = Annotated[str, StringConstraints(pattern=FILE_STEM_PATTERN, max_length=ENTITY_ID_MAX)]
