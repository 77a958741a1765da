"""No credential in a catalog URL: the catalog refuses `user:password@` and key-like query parameters in every
URL field, `import-litellm` removes them (saying what it removed, never the value), and a built site never
holds one.

Before: an imported `api_base` with `?api_key=sk-…` reached six site files (catalog.json and llms-full.txt
among them), and a `user:password@` URL was written to the catalog, then refused as "the URL has no valid host".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.functional_validators import AfterValidator

from catalog import check_catalog
from catalog.collections import ENTITY_KINDS, SINGLETONS
from catalog.types import is_secret_param, strip_url_secrets, url_secrets
from tests.conftest import REPO_ROOT
from tests.site.sitebuild import build_site

HINT = (
    "(hint: remove it: the site publishes every URL of the catalog; move the key to an environment variable named "
    "in `api_key_env`)"
)
#: Every key-like parameter name the catalog refuses, as people write them.
SECRET_NAMES = [
    "api_key",
    "apikey",
    "apiKey",
    "API-Key",
    "api%5Fkey",
    "key",
    "KEY",
    "token",
    "access_token",
    "accessToken",
    "auth",
    "auth_token",
    "authorization",
    "bearer",
    "jwt",
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "sig",
    "signature",
    "session",
    "sessionid",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "x-goog-signature",
    "subscription-key",
    "Ocp-Apim-Subscription-Key",
    "refresh_token",
    "private_token",
    "hub.secret",
]
HARMLESS = [
    "http://localhost:8000/v1",
    "https://[::1]:8443/v1/x?a=1&b=2#f",
    "https://h.example/openai/deployments/gpt?api-version=2024-02-01",
    "http://h:8000/v1?format=json&model=x",
    "http://h/v1?keyword=x&monkey=1&keys=2&tokens=3",
    "http://h/v1/@scope/pkg",
]


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def errors(root: Path) -> list[str]:
    return [e.format() for e in check_catalog(root)[1]]


BASE = 'endpoint: {base_url: "http://127.0.0.1:9/v1", api_key_env: CODER_KEY}'


def test_user_and_password_before_the_host(small_catalog: Path) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", BASE, BASE.replace("127.0.0.1", "admin:hunter2@127.0.0.1"))
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:7:12: endpoint.base_url: the URL holds a user name or password before its "
        f"host (`…@`) {HINT}"
    ]


def test_a_bare_user_name_is_refused_too(small_catalog: Path) -> None:
    """`https://sk-abc@host` puts a key where a user name goes."""
    edit(small_catalog, "deployments/coder-chat.yaml", BASE, BASE.replace("127.0.0.1", "sk-abc123@127.0.0.1"))
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:7:12: endpoint.base_url: the URL holds a user name or password before its "
        f"host (`…@`) {HINT}"
    ]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_each_key_like_query_parameter(small_catalog: Path, name: str) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", BASE, BASE.replace("/v1", f"/v1?format=json&{name}=s3cr3t-x"))
    found = errors(small_catalog)
    assert found == [
        f"cat/deployments/coder-chat.yaml:7:12: endpoint.base_url: the URL holds a credential in `{name}=…` {HINT}"
    ]
    assert "s3cr3t" not in found[0], "the value itself is never shown"


def test_every_credential_of_a_url_is_named_at_once(small_catalog: Path) -> None:
    url = "http://u:p@127.0.0.1:9/v1?api_key=1&format=json&sig=2#access_token=3"
    edit(small_catalog, "deployments/coder-chat.yaml", BASE, BASE.replace("http://127.0.0.1:9/v1", url))
    assert errors(small_catalog) == [
        "cat/deployments/coder-chat.yaml:7:12: endpoint.base_url: the URL holds a user name or password before its "
        f"host (`…@`) and a credential in `api_key=…`, `sig=…` and `access_token=…` {HINT}"
    ]


@pytest.mark.parametrize("url", HARMLESS)
def test_harmless_query_parameters_stay_allowed(small_catalog: Path, url: str) -> None:
    edit(small_catalog, "deployments/coder-chat.yaml", BASE, BASE.replace("http://127.0.0.1:9/v1", url))
    assert errors(small_catalog) == []
    assert url_secrets(url) == [] and strip_url_secrets(url) == (url, [])


def test_the_other_url_fields_of_a_file(small_catalog: Path) -> None:
    edit(
        small_catalog,
        "deployments/coder-chat.yaml",
        BASE,
        BASE.replace("}", ', health_url: "http://127.0.0.1:9/health?token=t0k"}'),
    )
    edit(small_catalog, "site.yaml", "/team/catalog", "/team/catalog?private_token=abc")
    assert errors(small_catalog) == [
        f"cat/deployments/coder-chat.yaml:7:71: endpoint.health_url: the URL holds a credential in `token=…` {HINT}",
        f"cat/site.yaml:4:1: repo_url: the URL holds a credential in `private_token=…` {HINT}",
    ]


def _url_fields() -> list[tuple[str, Any]]:
    """Every field of every entity (and site.yaml) typed as a catalog URL, found through the shared type
    (catalog/types.py `HttpUrl`, whose validator is `_http_url`)."""
    found: list[tuple[str, Any]] = []
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            if _is_url(annotation):
                found.append((f"{prefix}.{name}", annotation))
            for inner in _models_in(annotation):
                walk(inner, f"{prefix}.{name}")

    for model in [*(kind.model for kind in ENTITY_KINDS), *SINGLETONS.values()]:
        walk(model, model.__name__)
    return found


def _parts(annotation: Any) -> list[Any]:
    found, pending = [], [annotation]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += get_args(current)
    return found


def _is_url(annotation: Any) -> bool:
    return any(isinstance(p, AfterValidator) and p.func.__name__ == "_http_url" for p in _parts(annotation))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    return [p for p in _parts(annotation) if isinstance(p, type) and issubclass(p, BaseModel)]


def test_every_url_field_of_the_schema_refuses_credentials() -> None:
    fields = dict(_url_fields())
    assert {
        "Source.url",
        "Deployment.endpoint.base_url",
        "Deployment.endpoint.health_url",
        "SiteInfo.repo_url",
        "SiteInfo.site_url",
        "SiteInfo.gateways.base_url",
        "ModelHub.url",
    } <= set(fields), sorted(fields)
    for path, annotation in fields.items():
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        for url in ("https://u:p@h.example/v1", "https://h.example/v1?apikey=x"):
            with pytest.raises(ValidationError, match="the URL holds "):
                adapter.validate_python(url)
        assert adapter.validate_python("https://h.example/v1?page=2") == "https://h.example/v1?page=2", path


def test_the_parameter_rule() -> None:
    assert all(is_secret_param(name) for name in SECRET_NAMES)
    assert not any(is_secret_param(n) for n in ["api-version", "format", "keyword", "monkey", "page", "model", "q"])
    assert strip_url_secrets("http://a:b@h:1/v1?x=1&api_key=2&y=3#sig=4") == (
        "http://h:1/v1?x=1&y=3",
        ["`…@`", "`api_key=…`", "`sig=…`"],
    )


# -- import-litellm ------------------------------------------------------------------------------------------
CANARY = "sk-canary-7f3a9c1e55d04b2b"
PASSWORD = "hunter2-pw-0b1c"
CONFIG = f"""model_list:
  - model_name: coder
    litellm_params:
      model: hosted_vllm/Qwen/Qwen2.5-Coder-7B-Instruct
      api_base: http://admin:{PASSWORD}@10.0.0.5:8000/v1?api_key={CANARY}&format=json
      api_key: os.environ/VLLM_API_KEY
  - model_name: embed
    litellm_params:
      model: openai/bge-m3
      api_base: https://embed.example/v1#access_token={CANARY}
    model_info: {{mode: embedding}}
  - model_name: plain
    litellm_params:
      model: ollama/llama3.1:8b
      api_base: http://10.0.0.7:11434/v1
"""


def test_import_removes_credentials_reports_them_redacted_and_the_site_never_shows_them(tmp_path: Path) -> None:
    config = tmp_path / "litellm.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    catalog = tmp_path / "cat"
    done = subprocess.run(
        [sys.executable, "-m", "onboarding", "import-litellm", str(config), "--catalog", str(catalog)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    tip = (
        "no credential is written to the catalog (hint: keep the key in an environment variable: `api_key: "
        "os.environ/NAME` in the config becomes `api_key_env: NAME` in the catalog)"
    )
    assert done.stderr == (
        f"{config}:5:7: model_list[0].litellm_params.api_base: removed `…@` and `api_key=…` from the URL; {tip}\n"
        f"{config}:10:7: model_list[1].litellm_params.api_base: removed `access_token=…` from the URL; {tip}\n"
    )
    for secret in (CANARY, PASSWORD, "admin:"):
        assert secret not in done.stdout + done.stderr
    written = {p.relative_to(catalog).as_posix(): p.read_text() for p in catalog.rglob("*.yaml")}
    assert not [p for p, text in written.items() if CANARY in text or PASSWORD in text]
    loaded, found = check_catalog(catalog)
    assert found == [] and loaded is not None
    endpoints = {d.gateway_alias: d.endpoint for d in loaded.deployments.values()}
    assert {alias: e.base_url for alias, e in endpoints.items() if e} == {
        "coder": "http://10.0.0.5:8000/v1?format=json",
        "embed": "https://embed.example/v1",
        "plain": "http://10.0.0.7:11434/v1",
    }
    assert endpoints["coder"] is not None and endpoints["coder"].api_key_env == "VLLM_API_KEY"

    site = build_site(tmp_path, catalog)
    assert site.returncode == 0, site.output
    leaks = [
        str(p.relative_to(site.site_dir))
        for p in site.site_dir.rglob("*")
        if p.is_file() and (CANARY.encode() in (data := p.read_bytes()) or PASSWORD.encode() in data)
    ]
    assert leaks == [], "a secret reached the site"
    assert b"http://10.0.0.5:8000/v1?format=json" in (site.site_dir / "catalog.json").read_bytes()


def test_discover_refuses_a_url_with_credentials_before_asking(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "probes", "discover"),
            *(f"http://admin:{PASSWORD}@127.0.0.1:9/v1?token={CANARY}", "--catalog", str(tmp_path / "cat")),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "python -m probes discover: http://127.0.0.1:9/v1: the URL holds a user name or password before its host "
        "(`…@`) and a credential in `token=…` (hint: write the URL without it, and pass the key's environment "
        "variable with --api-key-env NAME)\n"
    )
    assert not (tmp_path / "cat").exists()
