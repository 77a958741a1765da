"""`make screenshots`: the main pages in Chromium at a desktop and a phone width, so anyone can look before and
after a change.

Builds the site from the current checkout (or takes `--site DIR`, an already built one), serves it on a free
local port, and writes `<out>/<page>-<width>.png` (the first screen, what a reader sees before scrolling) and
`<out>/<page>-<width>-full.png` (the whole page) for every page in MAIN_PAGES. It also prints, per page and
width, how wide the document is against the window, so sideways scrolling shows up as a number.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

from bench.site_weight import serve

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

#: name -> path under the site root: the pages a new reader meets first.
MAIN_PAGES: dict[str, str] = {
    "home": "",
    "decide": "decide/",
    "catalog": "catalog/",
    "compare": "compare/?d=coder-chat,qwen-coder-vllm,vllm-qwen25-coder-7b",
    "card": "deployments/coder-chat/",
    "card-vllm": "deployments/qwen-coder-vllm/",
    "served-models": "served-models/",
    "backends": "backends/",
    "recommendations": "recommendations/",
    "fleets": "fleets/",
}
#: width -> height: a common laptop screen and a common phone (CSS pixels).
VIEWPORTS: dict[int, int] = {1366: 768, 390: 844}


def build(into: Path, site_url: str) -> None:
    env = {**os.environ, "SITE_URL": site_url, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(into)]
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stdout}{proc.stderr}")


def capture(base_url: str, out: Path, pages: dict[str, str], scheme: Literal["light", "dark"]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for width, height in VIEWPORTS.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(base_url + path)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(300)  # page scripts (filters, stepper, compare) have run
                    suffix = "" if scheme == "light" else f"-{scheme}"
                    page.screenshot(path=str(out / f"{name}-{width}{suffix}.png"))
                    page.screenshot(path=str(out / f"{name}-{width}{suffix}-full.png"), full_page=True)
                    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                    flag = "" if wide[0] <= wide[1] else "  <- scrolls sideways"
                    print(f"{name:16} {width:5} px: document {wide[0]} px wide{flag}")
                context.close()
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, help="an already built site to photograph (default: build one)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "screenshots", help="where the PNGs go")
    parser.add_argument("--dark", action="store_true", help="the dark (slate) scheme instead of the light one")
    parser.add_argument("--only", nargs="*", choices=sorted(MAIN_PAGES), help="just these pages")
    args = parser.parse_args()
    pages = {k: v for k, v in MAIN_PAGES.items() if not args.only or k in args.only}
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        site = args.site.resolve() if args.site else Path(tmp) / "site"
        if not args.site:
            site.mkdir()
        with serve(site) as url:
            if not args.site:
                shutil.rmtree(site)
                print(f"building the site for {url}", flush=True)
                build(site, url)
            capture(url, args.out, pages, "dark" if args.dark else "light")
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
