"""Every copy-paste example on the demo deployment's card runs against the real tiny vLLM server.

The bundled catalog is copied, its `demo-tiny-llama` deployment is pointed at the test server
(port, served name, API-key variable), the real site is built, and each curl and Python block
is taken from the built HTML and executed as a reader would paste it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY_ENV, SERVED_NAME
from tests.site.sitebuild import REPO_ROOT, build_site

DEMO = "demo-tiny-llama"
CODE_BLOCK = re.compile(r'<pre[^>]*><code class="language-(bash|python)">(.*?)</code></pre>', re.S)


def _demo_card(tmp_path: Path, server: VllmServer) -> str:
    catalog = tmp_path / "catalog"
    shutil.copytree(REPO_ROOT / "catalog", catalog, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = catalog / "deployments" / f"{DEMO}.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765/v1", server.base_url)
    text = re.sub(r"^served_name: .*$", f"served_name: {SERVED_NAME}", text, flags=re.M)
    text = re.sub(r"^(endpoint:\n(?:  .*\n)*?  base_url: .*\n)", rf"\1  api_key_env: {API_KEY_ENV}\n", text, flags=re.M)
    assert server.base_url in text and f"api_key_env: {API_KEY_ENV}" in text, text
    path.write_text(text, encoding="utf-8")
    result = build_site(tmp_path, catalog)
    assert result.returncode == 0, result.output
    return (result.site_dir / "deployments" / DEMO / "index.html").read_text(encoding="utf-8")


@pytest.mark.vllm
def test_every_example_on_the_demo_card_runs(tmp_path: Path, vllm_server: VllmServer) -> None:
    card = _demo_card(tmp_path, vllm_server)
    blocks = [(lang, html.unescape(code)) for lang, code in CODE_BLOCK.findall(card)]
    examples = [(lang, code) for lang, code in blocks if vllm_server.base_url in code]
    # chat, completions, responses and a tool call, each in curl and in Python.
    assert len(examples) == 8, [code[:80] for _, code in blocks]
    env = {**os.environ, API_KEY_ENV: os.environ[API_KEY_ENV]}
    failures = []
    for lang, code in examples:
        command = ["bash", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            failures.append(
                f"{lang} example exited {proc.returncode}:\n{code}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
            continue
        if lang == "bash":
            reply = json.loads(proc.stdout)
            if "error" in reply or not (reply.get("choices") or reply.get("output")):
                failures.append(f"curl example answered without a result:\n{code}\n{proc.stdout[:500]}")
            elif '"tools"' in code and not reply["choices"][0]["message"].get("tool_calls"):
                failures.append(f"curl tool example returned no tool call:\n{proc.stdout[:500]}")
        elif not proc.stdout:
            # The openai client raises on any API error, so exit 0 already means a real reply; the printed
            # text itself may be empty when random weights stop at once, but print() still writes a line.
            failures.append(f"python example printed nothing:\n{code}")
    assert not failures, "\n\n".join(failures)
