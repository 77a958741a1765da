"""Every link the built site holds must lead somewhere: pages, agent files and catalog.json.

MkDocs checks the `.md` links of hand-written pages, but not the links generated blocks write by final URL
(they also render inside raw HTML, so mkdocs.yml tells it to ignore them), nor the agent files written after
the pages (llms.txt, llms-full.txt, the markdown copies, catalog.json). A page left out for a catalog
(hooks/render/pages.py) or a glossary term the catalog lacks would leave such links pointing nowhere, and
nothing would say so. This runs once the whole site is written (`mkdocs build`), reads the files as a browser
or an agent would follow them, and returns each link that leads nowhere, with the file it is in.

A link leads somewhere when the file it names exists in the built site (a folder: its `index.html`) and,
when it has a `#fragment` into an HTML page, that page has an element with that id. Links to other sites are
not followed (the build must not go online); links to the site's own address (`site_url`) are checked as
links inside it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from catalog.forking import forked_map_with

_HTML_LINK = re.compile(r"""<(?:a|link|script|img|source|iframe)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)
_HTML_ID = re.compile(r"""\sid\s*=\s*["']([^"']+)["']""", re.I)
#: A Markdown link or image target, `](target)` or `](target "title")`, and raw `href="..."` in Markdown.
_MD_LINK = re.compile(r"""\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|\shref\s*=\s*["']([^"']*)["']""")
#: Code spans and fenced blocks hold examples, not links.
_MD_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
#: Schemes that are not places in this site.
_OTHER_SCHEMES = ("mailto:", "tel:", "javascript:", "data:")


def _targets_in(path: Path, text: str) -> Iterator[str]:
    if path.suffix == ".html":
        yield from _HTML_LINK.findall(text)
    elif path.suffix == ".json":
        yield from _json_urls(json.loads(text))
    else:
        for markdown_target, html_target in _MD_LINK.findall(_MD_CODE.sub("", text)):
            yield markdown_target or html_target


def _json_urls(value: Any, key: str = "") -> Iterator[str]:
    """Values of `url` and `*_url` keys that name a file of the site (endpoint base URLs are other hosts)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_urls(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _json_urls(item, key)
    elif isinstance(value, str) and (key == "url" or key.endswith("_url")) and key != "base_url" and value:
        yield value


class LinkChecker:
    """Resolves links against one built site; remembers each page's ids once."""

    def __init__(self, site_dir: Path, site_url: str | None) -> None:
        self.site_dir = site_dir
        self.site_url = (site_url or "").rstrip("/") + "/" if site_url else None
        #: Where the site sits on its host: a link `/team/x/` of a site published at `https://h/team/` is `x/`.
        self.root_path = urlsplit(self.site_url).path if self.site_url else "/"
        self._ids: dict[Path, set[str]] = {}
        #: The file each resolved path names (a folder: its index.html), or None: every page links the same
        #: navigation, assets and cards, so each is looked up on disk once rather than once per link.
        self._targets: dict[tuple[str, ...], Path | None] = {}

    def _ids_of(self, page: Path) -> set[str]:
        if page not in self._ids:
            self._ids[page] = {unquote(i) for i in _HTML_ID.findall(page.read_text(encoding="utf-8", errors="replace"))}
        return self._ids[page]

    def _target(self, resolved: tuple[str, ...]) -> Path | None:
        if resolved not in self._targets:
            target = self.site_dir.joinpath(*resolved)
            if target.is_dir():
                target = target / "index.html"
            self._targets[resolved] = target if target.is_file() else None
        return self._targets[resolved]

    def problem(self, source: str, link: str) -> str | None:
        """Why `link` in `source` (a file's path in the site, `deployments/x/index.html`) leads nowhere, or None
        when it leads somewhere.

        Plain string operations, not `pathlib`: a site of 3000 cards holds some 200,000 links to resolve."""
        link = link.strip()
        if not link or link.lower().startswith(_OTHER_SCHEMES):
            return None
        if self.site_url and link.startswith(self.site_url):
            link = self.root_path + link[len(self.site_url) :]
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            return None  # another site: not followed
        if parts.path.startswith("/"):
            if not parts.path.startswith(self.root_path):
                return f"the site is published under {self.root_path}"
            relative = unquote(parts.path)[len(self.root_path) :]
        elif parts.path:
            relative = posixpath.join(posixpath.dirname(source), unquote(parts.path))
        else:
            relative = source
        normal = posixpath.normpath("/".join(part for part in relative.split("/") if part))
        if normal == ".." or normal.startswith("../"):
            return "it climbs above the site's root"
        resolved = tuple(part for part in normal.split("/") if part not in {"", "."})
        target = self._target(resolved)
        if target is None:
            return f"no file {'/'.join(resolved) or '.'}"
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in self._ids_of(target):
            return f"{'/'.join(resolved) or 'index.html'} has no element with id `{fragment}`"
        return None


def files_checked(site_dir: Path) -> list[Path]:
    """The files whose links are checked: every HTML page, every markdown copy, and the agent files with links."""
    return [
        *sorted(site_dir.rglob("*.html")),
        *sorted(site_dir.rglob("*.md")),
        *[site_dir / name for name in ("llms.txt", "llms-full.txt", "catalog.json") if (site_dir / name).is_file()],
    ]


def what_the_check_reads(site_dir: Path) -> list[str]:
    """Everything `dangling_links` depends on besides the site's URL: each checked file's name and a hash of its
    bytes, and the name of every other file (a link's possible target). The same list, the same problems."""
    checked = files_checked(site_dir)
    read = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in checked}
    others = sorted(p for p in site_dir.rglob("*") if p.is_file() and p not in read)
    return [f"{p.relative_to(site_dir).as_posix()} {digest}" for p, digest in read.items()] + [
        p.relative_to(site_dir).as_posix() for p in others
    ]


def dangling_links(site_dir: Path, site_url: str | None, workers: int = 1) -> list[str]:
    """`FILE: LINK (why)` for every link in the built site's pages and agent files that leads nowhere, checked
    on `workers` forked processes (`catalog/forking.py`), in the files' order whatever the count."""
    checker = LinkChecker(site_dir, site_url)
    files = files_checked(site_dir)
    job = (checker, files)
    found = forked_map_with(job, _problems_in, len(files), workers) if len(files) >= FORK_MIN_FILES else None
    if found is None:  # one process, or no workers here: the same problems, one file at a time
        found = [_problems(checker, path) for path in files]
    return [problem for problems in found for problem in problems]


#: Fewer files are checked faster than workers start.
FORK_MIN_FILES = 500


def _problems_in(job: tuple[LinkChecker, list[Path]], index: int) -> list[str]:
    checker, files = job
    return _problems(checker, files[index])


def _problems(checker: LinkChecker, path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    source = path.relative_to(checker.site_dir).as_posix()
    problems = []
    for link in dict.fromkeys(_targets_in(path, text)):
        why = checker.problem(source, link)
        if why is not None:
            problems.append(f"{source}: {link} ({why})")
    return problems
