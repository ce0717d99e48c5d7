"""MkDocs hooks of the portal (``hooks:`` in mkdocs.yml).

- ``on_files``: adds the vendored browser assets (mermaid.js, Swagger UI) from ``node_modules`` and the committed
  OpenAPI specs from ``catalog/apis`` to the site, so the portal loads nothing from the internet and no copies live
  under ``docs/``.
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

# node_modules file -> path in the site
VENDORED = {
    "mermaid/dist/mermaid.min.js": "assets/vendor/mermaid/mermaid.min.js",
    "swagger-ui-dist/swagger-ui-bundle.js": "assets/vendor/swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "assets/vendor/swagger-ui/swagger-ui.css",
}
SECTION_ORDER = ["index.md", "services", "apis", "events", "architecture-index.md", "architecture", "diagrams",
                 "infrastructure", "catalog", "status.md", "how-to"]
TITLES = {"apis": "APIs", "how-to": "How-to", "catalog": "Catalog"}
SPEC_SUFFIXES = (".openapi.yaml", ".openapi.json")


TOOLKIT_ROOT = Path(__file__).resolve().parents[1]


def vendored_sources(docs_dir: Path, catalog_dir: str = "catalog") -> dict[str, Path]:
    """Site path -> file to copy, for every vendored asset and committed OpenAPI spec; raises if an asset is missing.

    ``node_modules`` is the documented repository's own when it has one, else the toolkit's."""
    repo = docs_dir.resolve().parent
    modules = next((r / "node_modules" for r in (repo, TOOLKIT_ROOT) if (r / "node_modules").is_dir()),
                   TOOLKIT_ROOT / "node_modules")
    found: dict[str, Path] = {}
    for source, dest in VENDORED.items():
        path = modules / source
        if not path.is_file():
            raise PluginError(f"missing node_modules/{source}: run `npm ci` (make npm-install) first")
        found[dest] = path
    for spec in sorted((repo / catalog_dir / "apis").glob("*")):
        if spec.name.endswith(SPEC_SUFFIXES):
            found[f"assets/specs/{spec.name}"] = spec
    return found


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add vendored assets and specs as static files of the site."""
    for dest, path in vendored_sources(Path(config.docs_dir)).items():
        files.append(File.generated(config, dest, abs_src_path=str(path)))
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
