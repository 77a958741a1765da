"""What only the builder knew about the pages, worked out the way MkDocs 1.6 does it, without importing MkDocs.

The generator (hooks/generate.py) needs, for every page, where it is served (its URL, which relative links
and the markdown copies follow), its title and its place in the navigation (llms.txt and llms-full.txt list
pages in that order), and the note mkdocs.yml gives it (`extra.page_notes`). `python -m hooks.generate` reads
them from mkdocs.yml as plain YAML (`SiteLayout.read`); the MkDocs plugin (hooks/plugin.py) passes the
same keys from the configuration MkDocs parsed, and checks each page's URL and title against MkDocs' own, so
a difference fails the build rather than the markdown copies.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

#: The file names MkDocs converts as pages (mkdocs.utils.markdown_extensions).
MARKDOWN_SUFFIXES = (".markdown", ".mdown", ".mkdn", ".mkd", ".md")


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML that reads a `!!python/...` tag (mkdocs.yml's emoji functions, its builder guard) as null.

    Such tags run code when MkDocs reads the file; the generator needs none of those values, and must not
    run the guard (`extra.builders`), which stops every reader but MkDocs and ProperDocs.
    """


def _python_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_PlainLoader.add_multi_constructor("tag:yaml.org,2002:python/", _python_tag)


def without_pages(nav: Any, pages: set[str]) -> Any:
    """The navigation without `pages`, and without a section left empty by their removal."""
    if isinstance(nav, str):
        return None if nav in pages else nav
    if isinstance(nav, dict):
        kept = {key: value for key, item in nav.items() if (value := without_pages(item, pages)) not in (None, [])}
        return kept or None
    if isinstance(nav, list):
        return [kept for item in nav if (kept := without_pages(item, pages)) is not None and kept != []]
    return nav


def _nav_entries(nav: Any, title: str | None = None) -> list[tuple[str, str | None]]:
    """`(file, title given in the navigation)` in navigation order, sections flattened."""
    if isinstance(nav, str):
        return [(nav, title)]
    if isinstance(nav, dict):
        return [entry for key, value in nav.items() for entry in _nav_entries(value, str(key))]
    if isinstance(nav, list):
        return [entry for item in nav for entry in _nav_entries(item)]
    return []


@dataclass(frozen=True)
class SiteLayout:
    """The builder's settings the generated files depend on."""

    docs_dir: Path
    nav: Any = None
    """mkdocs.yml `nav` as written (None: no navigation given)."""
    page_notes: dict[str, str] = field(default_factory=dict)
    """Page URL (`/` for the home page) -> one line about it, for llms.txt (mkdocs.yml `extra.page_notes`)."""
    use_directory_urls: bool = True

    @classmethod
    def read(cls, config_file: Path) -> SiteLayout:
        """The layout mkdocs.yml gives, read as plain YAML; `docs_dir` is relative to the file, as in MkDocs."""
        config = yaml.load(config_file.read_text(encoding="utf-8-sig"), Loader=_PlainLoader) or {}
        unsupported = sorted({"exclude_docs", "draft_docs", "not_in_nav"} & config.keys())
        if unsupported:
            raise ValueError(
                f"{config_file}: {', '.join(unsupported)} is not read by the generator (hooks/site_layout.py)"
            )
        return cls.of(
            (config_file.parent / config.get("docs_dir", "docs")).resolve(),
            config.get("nav"),
            config.get("extra"),
            bool(config.get("use_directory_urls", True)),
        )

    @classmethod
    def of(cls, docs_dir: Path, nav: Any, extra: Mapping[str, Any] | None, use_directory_urls: bool) -> SiteLayout:
        """The layout from mkdocs.yml's `docs_dir`, `nav`, `extra` and `use_directory_urls`, however read."""
        notes = (extra or {}).get("page_notes") or {}
        return cls(docs_dir, nav, {str(url): str(note) for url, note in notes.items()}, use_directory_urls)

    def nav_order(self) -> list[str]:
        """Page files in navigation order."""
        return [src for src, _title in _nav_entries(self.nav)]

    def nav_titles(self) -> dict[str, str | None]:
        """Page file -> the title the navigation gives it (None: listed without one)."""
        titles: dict[str, str | None] = {}
        for src, title in _nav_entries(self.nav):
            titles.setdefault(src, title)
        return titles

    def note(self, page_url: str) -> str:
        return self.page_notes.get(page_url or "/", "part of the guide")


def documentation_pages(docs_dir: Path) -> list[str]:
    """The markdown files MkDocs builds as pages from `docs_dir` (sorted): not those in a folder or with a name
    starting with `.`, nor those under a top-level `templates/` (MkDocs' default `exclude_docs`)."""
    pages = []
    for path in sorted(docs_dir.rglob("*")):
        src = path.relative_to(docs_dir).as_posix()
        parts = src.split("/")
        if not path.is_file() or not src.endswith(MARKDOWN_SUFFIXES):
            continue
        if any(part.startswith(".") for part in parts) or (parts[0] == "templates" and len(parts) > 1):
            continue
        pages.append(src)
    folders = [posixpath.dirname(src) for src in pages if _stem(src) == "index"]
    for folder in sorted({folder for folder in folders if folders.count(folder) > 1}):
        # MkDocs keeps one of them and warns, which fails a strict build.
        raise ValueError(f"{docs_dir}: two index pages (index.md, README.md) in {folder or 'the top folder'}")
    return pages


def _stem(src_uri: str) -> str:
    stem = posixpath.splitext(posixpath.basename(src_uri))[0]
    return "index" if stem == "README" else stem


def file_url(src_uri: str, use_directory_urls: bool = True) -> str:
    """A page file's URL as MkDocs' `File.url` gives it: `catalog.md` -> `catalog/`, `index.md` -> `./`."""
    parent, stem = posixpath.dirname(src_uri), _stem(src_uri)
    if not use_directory_urls or stem == "index":
        dest = posixpath.join(parent, f"{stem}.html")
    else:
        dest = posixpath.join(parent, stem, "index.html")
    dirname, filename = posixpath.split(dest)
    if use_directory_urls and filename == "index.html":
        dest = (dirname or ".") + "/"
    return quote(dest)


def page_url(src_uri: str, use_directory_urls: bool = True) -> str:
    """A page's URL as MkDocs' `Page.url` gives it: the file's, with the home page's `./` as ``."""
    url = file_url(src_uri, use_directory_urls)
    return "" if url in (".", "./") else url


# MkDocs reads a page's metadata with mkdocs.utils.meta (MultiMarkdown-style meta-data; BSD, Waylan Limberg).
_YAML_FRONT = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)
_META = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_META_MORE = re.compile(r"^([ ]{4}|\t)(\s*)(?P<value>.*)")


def split_front_matter(source: str) -> tuple[str, dict[str, Any]]:
    """`(markdown, meta)` of a page's source, as MkDocs 1.6 splits them (mkdocs.utils.meta.get_data)."""
    if match := _YAML_FRONT.match(source):
        try:
            data = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            return source, {}
        if isinstance(data, dict):
            return source[match.end() :].lstrip("\n"), data
        return source, {}
    first = source.partition("\n")[0]
    if first.strip() and not _META.match(first) and "\r" not in source:
        return source, {}  # the common case (a card starts with its `# ` title), without splitting every line
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta: dict[str, Any] = {}
    key = None
    while lines:
        line = lines.pop(0)
        if line.strip() == "":
            break
        if more := _META.match(line):
            key = more.group("key").lower().strip()
            value = more.group("value").strip()
            meta[key] = f"{meta[key]} {value}" if key in meta else value
        elif (continued := _META_MORE.match(line)) and key:
            meta[key] += " " + continued.group("value").strip()
        else:
            lines.insert(0, line)
            break
    return "\n".join(lines).lstrip("\n"), meta


def page_title(src_uri: str, markdown: str, meta: dict[str, Any], nav_title: str | None) -> str:
    """The title MkDocs gives a page while its markdown is being prepared: the navigation's, the front
    matter's, the first line when it is an `# H1`, `Home` for the home page, else from the file name."""
    if nav_title is not None:
        return nav_title
    if "title" in meta:
        return str(meta["title"] or _stem(src_uri))
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.startswith("# "):
            return line.lstrip("# ") or _stem(src_uri)  # MkDocs: `page.title or page.file.name`
        break
    if _stem(src_uri) == "index" and "/" not in src_uri:
        return "Home"
    title = _stem(src_uri).replace("-", " ").replace("_", " ")
    return title.capitalize() if title.lower() == title else title
