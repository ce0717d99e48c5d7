"""MkDocs hooks of the portal (``hooks:`` in mkdocs.yml).

- ``on_files``: adds the package's assets (``assets/`` beside this module: the portal's own CSS/JS and mermaid.js and
  Swagger UI, vendored at the versions package-lock.json pins) and the committed OpenAPI specs from ``catalog/apis``
  to the site, so the portal loads nothing from the internet, needs no ``node_modules`` and no copies live under
  ``docs/``. A file the documented repository's ``docs/`` already has at the same path wins (a local override).
- ``on_files`` also adds the Runtime pages ``arrakis-docs runtime --pages`` wrote into ``var/runtime/pages`` (built
  output from the recorded traces, never committed) under ``runtime/``, or one page saying how to get them.
- ``on_nav``: orders the top-level sections (an awesome-nav-like rule instead of a hard-coded nav), so pages other
  writers add under ``docs/events``, ``docs/architecture``, ``docs/diagrams`` or ``docs/infrastructure`` appear
  without anyone listing their file names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section

# Shipped inside the package: everything under it is copied to the same path under the site root.
ASSETS = Path(__file__).resolve().parent / "assets"
SECTION_ORDER = ["index.md", "services", "apis", "events", "architecture-index.md", "architecture", "diagrams",
                 "infrastructure", "runtime", "catalog", "status.md", "how-to"]
TITLES = {"apis": "APIs", "how-to": "How-to", "catalog": "Catalog", "runtime": "Runtime"}
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


def _key(item: Any) -> tuple[int, str]:
    name = _item_name(item)
    return (SECTION_ORDER.index(name) if name in SECTION_ORDER else len(SECTION_ORDER), name)


def _item_name(item: Any) -> str:
    if isinstance(item, Section):
        first = next(iter(_pages(item)), None)
        return first.file.src_uri.split("/", 1)[0] if first else item.title.lower()
    file = getattr(item, "file", None)
    return file.src_uri if file else ""


def _pages(section: Section) -> list[Any]:
    found = []
    for child in section.children:
        found.extend(_pages(child) if isinstance(child, Section) else [child])
    return [p for p in found if getattr(p, "file", None)]


def on_nav(nav: Navigation, config: MkDocsConfig, **_: Any) -> Navigation:
    """Top-level sections in portal order; unknown ones after them, alphabetically."""
    nav.items.sort(key=_key)
    for item in nav.items:
        if isinstance(item, Section):
            item.title = TITLES.get(_item_name(item), item.title)
    return nav
