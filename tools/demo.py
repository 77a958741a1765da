"""`make demo`: a real tiny vLLM server, a probe run against it, and the site with that live evidence.

1. Build the tiny random-weight model (tests/support/tiny_model.py) and start the real vLLM
   OpenAI server on the port the bundled catalog's `demo-tiny-llama` deployment names.
2. Probe that deployment (`python -m probes run --only demo-tiny-llama`), writing evidence/.
3. Serve the site on http://127.0.0.1:8000 until Ctrl-C, then stop the server.

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
from tests.support.tiny_model import ensure_tiny_model
from tests.support.vllm_server import launch_vllm

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DEPLOYMENT = "demo-tiny-llama"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-serve", action="store_true", help="probe and exit instead of serving the site")
    args = parser.parse_args()

    deployment = load_catalog(REPO_ROOT / "catalog").deployments[DEMO_DEPLOYMENT]
    assert deployment.endpoint and deployment.endpoint.base_url, "the demo deployment needs a base_url"
    port = urlsplit(deployment.endpoint.base_url).port
    model_dir = ensure_tiny_model()
    log = Path(tempfile.gettempdir()) / "demo-vllm.log"
    print(f"starting vLLM on port {port} (log: {log}); this takes about a minute", flush=True)
    server = launch_vllm(
        model_dir,
        log_path=log,
        served_name=deployment.served_name,
        port=port,
        max_model_len=deployment.serving.max_model_len or 1024,
    )
    try:
        server.wait_ready()
        print(f"vLLM ready after {server.ready_after_s:.0f} s; probing {DEMO_DEPLOYMENT}", flush=True)
        probe = subprocess.run(
            [sys.executable, "-m", "probes", "run", "--only", DEMO_DEPLOYMENT, "--evidence", "evidence"],
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
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
