"""MkDocs hooks of the portal (``hooks:`` in mkdocs.yml).

- ``on_files``: adds the package's assets (``assets/`` beside this module: the portal's own CSS/JS and mermaid.js and
  Swagger UI, vendored at the versions package-lock.json pins) and the committed OpenAPI specs from ``catalog/apis``
  to the site, so the portal loads nothing from the internet, needs no ``node_modules`` and no copies live under
  ``docs/``. A file the documented repository's ``docs/`` already has at the same path wins (a local override).
- ``on_nav``: the portal's navigation (tabs, services by domain, one section per service, bounded lists) planned by
  :mod:`arrakis_docs.site_nav` from the pages that exist, so pages other writers add (runbooks, runtime, ...)
  appear without anyone listing their file names.
- ``on_post_page``: every run of whitespace holding a line break becomes one line break, outside ``<pre>``,
  ``<code>``, ``<textarea>``, ``<script>``, ``<style>`` and Mermaid blocks: the same page to a browser, but the
  theme's indented navigation markup (about half of each page) no longer multiplies by the number of pages.
- ``on_files`` also adds the Runtime pages ``arrakis-docs runtime --pages`` wrote into ``var/runtime/pages`` (built
  output from the recorded traces, never committed) under ``runtime/``, or one page saying how to get them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from arrakis_docs.site_nav import Entry, plan

# Where whitespace means something (or a Mermaid source is read line by line): kept as written.
_KEPT = re.compile(r"(<(pre|code|textarea|script|style)\b.*?</\2>|<div class=\"mermaid-diagram\">.*?</div>)",
                   re.DOTALL | re.IGNORECASE)
_BLANK = re.compile(r"[ \t\r\f\v]*\n\s*")

# Shipped inside the package: everything under it is copied to the same path under the site root.
ASSETS = Path(__file__).resolve().parent / "assets"
RUNTIME_PAGES = Path("var") / "runtime" / "pages"  # beside docs/, where `arrakis-docs runtime --pages` writes
SPEC_SUFFIXES = (".openapi.yaml", ".openapi.json")


def vendored_sources(docs_dir: Path, catalog_dir: str = "catalog") -> dict[str, Path]:
    """Site path -> file to copy, for every packaged asset and committed OpenAPI spec; raises if assets are missing."""
    repo = docs_dir.resolve().parent
    found = {f"assets/{path.relative_to(ASSETS).as_posix()}": path
             for path in sorted(ASSETS.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}
    if not found:
        raise PluginError(f"no portal assets in {ASSETS}: the arrakis-docs installation is incomplete")
    for spec in sorted((repo / catalog_dir / "apis").glob("*")):
        if spec.name.endswith(SPEC_SUFFIXES):
            found[f"assets/specs/{spec.name}"] = spec
    return found


def runtime_sources(docs_dir: Path) -> dict[str, Path | str]:
    """Site path -> page file (or text) of the Runtime section: the pages last written from traces, else one page
    saying how to get them."""
    from arrakis_docs.runtime_pages import EMPTY_PAGE

    folder = docs_dir.resolve().parent / RUNTIME_PAGES
    found: dict[str, Path | str] = {f"runtime/{p.relative_to(folder).as_posix()}": p
                                    for p in sorted(folder.rglob("*.md")) if p.is_file()} if folder.is_dir() else {}
    return found or {"runtime/index.md": EMPTY_PAGE}


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add packaged assets and specs as static files of the site (the docs' own file at the same path wins), and
    the Runtime pages."""
    for dest, path in vendored_sources(Path(config.docs_dir)).items():
        if files.get_file_from_path(dest) is None:
            files.append(File.generated(config, dest, abs_src_path=str(path)))
    for dest, source in runtime_sources(Path(config.docs_dir)).items():
        if files.get_file_from_path(dest) is None:
            if isinstance(source, Path):
                files.append(File.generated(config, dest, abs_src_path=str(source)))
            else:
                files.append(File.generated(config, dest, content=source))
    return files


class NavLabel:
    """A page shown in the nav under a shorter label ("API" inside a service's section): everything but the title
    is the page's own, so the page keeps its title in the browser tab, the breadcrumbs and search."""

    def __init__(self, page: Page, title: str) -> None:
        self._page = page
        self.title = title
        self.parent: Section | None = None
        self.is_index = False  # a labelled page is never its section's index ("Diagrams" under a service)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)

    def __eq__(self, other: object) -> bool:
        return getattr(other, "file", None) is self._page.file

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._page.file.src_uri)


def _front_matter(file: File) -> dict[str, Any]:
    """The front matter of a Markdown page (the nav is planned before MkDocs reads the pages)."""
    try:
        return get_data(file.content_string)[1]
    except (OSError, UnicodeDecodeError, ValueError):
        return {}


def _items(entries: list[Entry], pages: dict[str, Page], parent: Section | None) -> list[Any]:
    items: list[Any] = []
    for entry in entries:
        if entry.page:
            page = pages[entry.page]
            item: Any = NavLabel(page, entry.title) if entry.title else page
            page.parent = parent
        else:
            item = Section(entry.title or "", [])
            item.children = _items(entry.children, pages, item)
        item.parent = parent
        items.append(item)
    return items


def _flat(items: list[Any]) -> list[Page]:
    found: list[Page] = []
    for item in items:
        if isinstance(item, Section):
            found.extend(_flat(item.children))
        else:
            found.append(item._page if isinstance(item, NavLabel) else item)
    return found


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files, **_: Any) -> Navigation:
    """Replace MkDocs' folder-by-folder nav with the portal's plan (arrakis_docs.site_nav)."""
    pages = {f.src_uri: f.page for f in files.documentation_pages() if f.page is not None and f.inclusion.is_in_nav()}
    entries = plan({uri: _front_matter(page.file) for uri, page in pages.items()})
    items = _items(entries, pages, None)
    ordered = _flat(items)
    for index, page in enumerate(ordered):  # previous/next links follow the new order
        page.previous_page = ordered[index - 1] if index else None
        page.next_page = ordered[index + 1] if index + 1 < len(ordered) else None
    return Navigation(items, ordered)


def squeezed(html: str) -> str:
    """``html`` with each whitespace run that holds a line break cut to one line break, outside the elements where
    whitespace is kept (``_KEPT``): HTML collapses such runs to one space anyway, so the page renders the same."""
    parts = _KEPT.split(html)
    out = []
    for index, part in enumerate(parts):
        kind = index % 3  # split() yields text, the kept element, its tag name (group 2), text, ...
        if kind == 0:
            out.append(_BLANK.sub("\n", part))
        elif kind == 1:
            out.append(part)
    return "".join(out)


def on_post_page(output: str, **_: Any) -> str:
    """Every page leaves squeezed (see :func:`squeezed`)."""
    return squeezed(output)
