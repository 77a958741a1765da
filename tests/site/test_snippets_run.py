"""Copy-paste examples are safe to paste: hostile values go through every snippet template, and the results
run for real, bash with a stub `curl` first on PATH and Python with a stub `openai` package, in a folder
where any injected `touch pwned` would leave a file. Each value must arrive verbatim, as data.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from catalog.clients import Target
from catalog.schema import FimFormat, RequestExample
from hooks.render.snippets import EXAMPLES, request_example
from hooks.render.templating import render_code

#: Each would run `touch pwned` (or worse) if it landed in code unquoted.
HOSTILE_URLS = [
    "http://h/v1$(touch${IFS}pwned)",
    'http://h/v1"+__import__("os").system("touch pwned")+"',
    "http://h/v1';touch pwned;'",
    "http://h/v1`touch pwned`;x=1",
    "http://h/v1\ntouch pwned\n",
    "http://h/v1\\'\"$(touch pwned)",
]
HOSTILE_MODEL = "m'\"$(touch pwned)`touch pwned`;{__import__('os').system('touch pwned')}\n```\ntouch pwned"
HOSTILE_FIM = FimFormat.model_construct(
    prefix="<|fim_prefix|>$(touch pwned)'\"",
    suffix="{__import__('os').system('touch pwned')}\"\"\"",
    middle="'''`touch pwned`\\",
)
KEY = "HOSTILE_KEY"
FIM_CODE = ("def add(a, b):\n    ", "\n\nprint(add(1, 2))")

CURL_STUB = """#!{python}
import json, os, sys
with open(os.environ["CURL_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
"""

OPENAI_STUB = '''"""Records what the examples pass to the client; answers anything with an empty value."""
import json, os


def _log(entry):
    with open(os.environ["OPENAI_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class _Anything:
    def __getattr__(self, name):
        return _Anything()

    def __getitem__(self, index):
        return _Anything()

    def __len__(self):
        return 0

    def __str__(self):
        return ""


class _Endpoint:
    def __init__(self, path):
        self.path = path

    def __getattr__(self, name):
        return _Endpoint(f"{self.path}.{name}")

    def create(self, **kwargs):
        _log({"call": self.path, "kwargs": kwargs})
        return _Anything()


class OpenAI:
    def __init__(self, **kwargs):
        _log({"call": "OpenAI", "kwargs": kwargs})

    def __getattr__(self, name):
        return _Endpoint(name)
'''


@pytest.fixture
def sandbox(tmp_path: Path) -> SimpleNamespace:
    stubs = tmp_path / "stubs"
    (stubs / "bin").mkdir(parents=True)
    (stubs / "py" / "openai").mkdir(parents=True)
    curl = stubs / "bin" / "curl"
    curl.write_text(CURL_STUB.format(python=sys.executable), encoding="utf-8")
    curl.chmod(0o755)
    (stubs / "py" / "openai" / "__init__.py").write_text(OPENAI_STUB, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    return SimpleNamespace(stubs=stubs, work=work, curl_log=tmp_path / "curl.log", openai_log=tmp_path / "openai.log")


def _env(box: SimpleNamespace) -> dict[str, str]:
    return {
        "PATH": f"{box.stubs / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(box.stubs / "py"),
        "CURL_LOG": str(box.curl_log),
        "OPENAI_LOG": str(box.openai_log),
        KEY: "secret-key",
        "HOME": str(box.work),
    }


def run_bash(box: SimpleNamespace, script: str) -> list[list[str]]:
    path = box.work / "example.sh"
    path.write_text(script, encoding="utf-8")
    bash = shutil.which("bash") or "/bin/bash"
    proc = subprocess.run(
        [bash, str(path)], cwd=box.work, env=_env(box), capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, f"{proc.stderr}\n--- script ---\n{script}"
    assert not (box.work / "pwned").exists(), f"the example ran an injected command:\n{script}"
    lines = box.curl_log.read_text(encoding="utf-8").splitlines() if box.curl_log.exists() else []
    box.curl_log.unlink(missing_ok=True)
    return [json.loads(line) for line in lines]


def run_python(box: SimpleNamespace, code: str) -> list[dict[str, Any]]:
    path = box.work / "example.py"
    path.write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(box.stubs / 'py')!r}); "
            f"exec(compile(open({str(path)!r}).read(), 'example.py', 'exec'))",
        ],
        cwd=box.work,
        env=_env(box),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stderr}\n--- code ---\n{code}"
    assert not (box.work / "pwned").exists(), f"the example ran injected code:\n{code}"
    lines = box.openai_log.read_text(encoding="utf-8").splitlines() if box.openai_log.exists() else []
    box.openai_log.unlink(missing_ok=True)
    return [json.loads(line) for line in lines]


def _body(argv: list[str]) -> Any:
    return json.loads(argv[argv.index("-d") + 1])


def _fim_prompt() -> str:
    return HOSTILE_FIM.prefix + FIM_CODE[0] + HOSTILE_FIM.suffix + FIM_CODE[1] + HOSTILE_FIM.middle


PATHS = {
    "chat": "/chat/completions",
    "completions": "/completions",
    "fim": "/completions",
    "embeddings": "/embeddings",
    "responses": "/responses",
    "tools": "/chat/completions",
}


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
@pytest.mark.parametrize("base_url", HOSTILE_URLS)
@pytest.mark.parametrize("key", [KEY, None])
def test_endpoint_examples_pass_hostile_values_as_data(
    sandbox: SimpleNamespace, kind: str, base_url: str, key: str | None
) -> None:
    target = Target(base_url, HOSTILE_MODEL, key, via_gateway=False)
    data = {"t": target, "fim": HOSTILE_FIM}

    calls = run_bash(sandbox, render_code(f"snippets/{kind}.sh.j2", **data))
    assert len(calls) == 1, calls
    argv = calls[0]
    assert base_url + PATHS[kind] in argv, argv
    body = _body(argv)
    assert body["model"] == HOSTILE_MODEL
    if kind == "fim":
        assert body["prompt"] == _fim_prompt()
    assert ("Authorization: Bearer secret-key" in argv) == (key is not None)

    records = run_python(sandbox, render_code(f"snippets/{kind}.py.j2", **data))
    client, create = records
    assert client["kwargs"]["base_url"] == base_url
    assert client["kwargs"]["api_key"] == ("secret-key" if key else "unused")
    assert create["kwargs"]["model"] == HOSTILE_MODEL
    if kind == "fim":
        assert create["kwargs"]["prompt"] == _fim_prompt()


@pytest.mark.parametrize("endpoint", ["chat", "responses"])
@pytest.mark.parametrize("base_url", HOSTILE_URLS[:3])
def test_guide_requests_pass_hostile_values_as_data(sandbox: SimpleNamespace, endpoint: str, base_url: str) -> None:
    prompt = "Write '''$(touch pwned)\"\"\" `touch pwned` {__import__('os').system('touch pwned')}"
    example = RequestExample.model_construct(
        title="t", endpoint=endpoint, prompt=prompt, system=prompt + " (system)", temperature=0.3, note=None
    )
    rendered = request_example(Target(base_url, HOSTILE_MODEL, KEY, via_gateway=True), example)
    (argv,) = run_bash(sandbox, rendered.curl)
    path = "/chat/completions" if endpoint == "chat" else "/responses"
    assert argv[argv.index("--fail-with-body") + 1] == base_url + path
    body = _body(argv)
    assert body["model"] == HOSTILE_MODEL
    client, create = run_python(sandbox, rendered.python)
    assert client["kwargs"]["base_url"] == base_url
    if endpoint == "chat":
        assert body["messages"] == [
            {"role": "system", "content": prompt + " (system)"},
            {"role": "user", "content": prompt},
        ]
        assert create["kwargs"]["messages"] == body["messages"]
    else:
        assert body["input"][0]["content"][0]["text"] == prompt
        assert create["kwargs"]["input"] == body["input"]


@pytest.mark.parametrize("base_url", [*HOSTILE_URLS, "http://gw/v1;touch pwned"])
def test_gateway_example_passes_hostile_values_as_data(sandbox: SimpleNamespace, base_url: str) -> None:
    gateway = SimpleNamespace(base_url=base_url, api_key_env=KEY)
    items = [{"var": f"model_{i}", "alias": f"{HOSTILE_MODEL}{i}", "prompt": "Say hello."} for i in (1, 2)]
    records = run_python(sandbox, render_code("snippets/gateway.py.j2", gateway=gateway, items=items))
    assert [r["kwargs"].get("base_url") for r in records if r["call"] == "OpenAI"] == [base_url, base_url]
    assert [r["kwargs"]["model"] for r in records if r["call"] != "OpenAI"] == [
        f"{HOSTILE_MODEL}1",
        f"{HOSTILE_MODEL}2",
    ]


def test_migration_code_passes_hostile_values_as_data(sandbox: SimpleNamespace) -> None:
    code = render_code(
        "snippets/migration.py.j2",
        before_backend="Ollama\nimport os; os.system('touch pwned')\r```",
        before_model=HOSTILE_MODEL,
        after_backend="vLLM\u2028x",
        after_model=HOSTILE_MODEL + "2",
    )
    tree = ast.parse(code)
    assigned = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)]
    assert assigned == [HOSTILE_MODEL, HOSTILE_MODEL + "2"], code
    assert len(tree.body) == 2, "a comment broke out onto its own line of code"
    run_python(sandbox, code)
    assert len(code.splitlines()) == 5, code
    assert not any(line.startswith("```") for line in code.splitlines()), "a line that would close the fence"


def test_an_environment_variable_name_that_is_not_one_is_refused() -> None:
    target = Target("http://h/v1", "m", "KEY}$(touch pwned)", via_gateway=False)
    with pytest.raises(ValueError, match="not an environment variable name"):
        render_code("snippets/chat.sh.j2", t=target, fim=None)


def test_no_snippet_value_is_left_unquoted() -> None:
    """Every `{{ … }}` in a snippet template passes through `sh`, `json_sq`, `py`, `env` or `comment`."""
    templates = Path(__file__).resolve().parents[2] / "hooks" / "templates" / "snippets"
    unquoted = []
    for template in sorted(templates.glob("*.j2")):
        for expression in _expressions(template.read_text(encoding="utf-8")):
            if expression in ("'{'", "'}'", "item.var"):
                continue  # literal braces around `${NAME}`; a variable name the renderer makes (`model_1`)
            if not any(f"| {f}" in expression for f in ("sh", "json_sq", "py", "comment", "env")):
                unquoted.append(f"{template.name}: {{{{ {expression} }}}}")
    assert not unquoted, unquoted


def _expressions(text: str) -> list[str]:
    out, position = [], 0
    while (start := text.find("{{", position)) != -1:
        end = text.index("}}", start)
        out.append(text[start + 2 : end].strip())
        position = end + 2
    return out
