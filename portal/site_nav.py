"""The portal's navigation: tabs, services grouped by domain, one section per service, bounded lists.

Planned from page paths and a little front matter only (no page needs to be listed anywhere), so pages other
writers add slot in without this module knowing them:

- tabs in a fixed order (Home, Services, APIs, Events, Architecture, Infrastructure, Catalog, Status, How-to), then
  every other top-level folder or page (runbooks, runtime, ...) alphabetically;
- a service page declares ``nav_service`` and ``nav_group`` (its domain) in its front matter; every other page that
  belongs to a service (``apis/<s>.md``, ``apis/<s>-try.md``, ``<folder>/<s>.md``, ``<folder>/<s>/...``, or front
  matter ``nav_service: <s>``) becomes a sub-page of that service's section, labelled by what it is (API, Try it,
  Events, Diagrams, Runbooks, ...), so each page appears exactly once;
- event subject pages are grouped by domain (``arrakis.<domain>``) and labelled with their subject;
- no list holds more than ``LIMIT`` entries: longer ones are split into consecutive ranges, so with
  ``navigation.prune`` a page carries its tabs plus the lists on its own path, whatever the size of the site.

The plan is plain data (:class:`Entry`); the portal's MkDocs hook turns it into MkDocs navigation objects.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

LIMIT = 30  # entries per nav list: the bound a page's sidebar keeps at any size
TAB_ORDER = ["index.md", "services", "apis", "events", "architecture", "infrastructure", "catalog", "status.md",
             "how-to"]
TAB_TITLES = {"index.md": "Home", "services": "Services", "apis": "APIs", "events": "Events",
              "architecture": "Architecture", "infrastructure": "Infrastructure", "catalog": "Catalog",
              "status.md": "Status", "how-to": "How-to"}
# Folders merged into another tab: the architecture index and the diagrams sit with the architecture pages.
MERGED = {"architecture-index.md": "architecture", "diagrams": "architecture"}
# Sub-pages of a service section: (top folder, file-name suffix) -> label; order of the labels in the section.
SERVICE_PAGES = {("services", ""): "Overview", ("apis", ""): "API", ("apis", "-try"): "Try it",
                 ("apis", "-events"): "AsyncAPI", ("events", ""): "Events", ("diagrams", ""): "Diagrams"}
SERVICE_ORDER = ["Overview", "API", "Try it", "AsyncAPI", "Events", "Diagrams", "Runbooks"]
NO_SERVICE_FOLDERS = {"catalog"}  # catalog pages are of other entities, whatever their names


@dataclass
class Entry:
    """One nav item: a page (``page`` set; ``title`` None = the page's own title) or a section of entries."""

    title: str | None
    page: str | None = None
    children: list[Entry] = field(default_factory=list)

    def label(self) -> str:
        """What the entry is called when naming a range of entries: its title, else its file name."""
        if self.title:
            return self.title
        stem = posixpath.splitext(posixpath.basename(self.page or ""))[0]
        return posixpath.basename(posixpath.dirname(self.page or "")) if stem == "index" else stem


def _title(folder: str) -> str:
    return TAB_TITLES.get(folder) or folder.replace("-", " ").replace("_", " ").capitalize()


def service_of(page: str, meta: dict[str, Any], services: set[str]) -> tuple[str, str] | None:
    """(service, label) when ``page`` (a path under docs/) belongs to a service's section, else None."""
    parts = page.split("/")
    top, stem = parts[0], posixpath.splitext(parts[-1])[0]
    declared = meta.get("nav_service")
    if isinstance(declared, str) and declared in services:
        suffix = stem[len(declared):] if stem.startswith(declared) else ""
        return declared, SERVICE_PAGES.get((top, suffix)) or SERVICE_PAGES.get((top, "")) or _title(top)
    if len(parts) < 2 or top in NO_SERVICE_FOLDERS:
        return None
    for name in sorted(services, key=len, reverse=True):  # longest first: "user-service" before "user"
        if top == "apis" and len(parts) == 2:
            for suffix in ("", "-try", "-events"):
                if stem == name + suffix:
                    return name, SERVICE_PAGES[("apis", suffix)]
            continue
        if name in parts[1:-1] or stem == name:
            return name, SERVICE_PAGES.get((top, "")) or _title(top)
    return None


def _event_group(page: str) -> str:
    """``arrakis.data`` for ``events/arrakis.data.dataset.created.md``: a subject's domain."""
    parts = posixpath.splitext(posixpath.basename(page))[0].split(".")
    return ".".join(parts[:2]) if len(parts) >= 3 else ""


def _tree(pages: list[str], strip: int) -> list[Entry]:
    """Pages nested by folder (below the first ``strip`` segments), index pages first."""
    root: list[Entry] = []
    folders: dict[tuple[str, ...], Entry] = {}
    for page in sorted(pages, key=lambda p: (p.split("/")[:-1], posixpath.basename(p) != "index.md", p)):
        parts = page.split("/")[strip:-1]
        siblings = root
        for depth in range(len(parts)):
            key = tuple(parts[: depth + 1])
            if key not in folders:
                folders[key] = Entry(_title(parts[depth]))
                siblings.append(folders[key])
            siblings = folders[key].children
        siblings.append(Entry(None, page))
    return root


def bounded(entries: list[Entry], limit: int = LIMIT) -> list[Entry]:
    """Split a list longer than ``limit`` into consecutive ranges ("a – f"), recursively, index page kept first."""
    for entry in entries:
        entry.children = bounded(entry.children, limit)
    head = [e for e in entries[:1] if e.page and posixpath.basename(e.page) == "index.md"]
    rest = entries[len(head):]
    while len(rest) > limit:
        chunks = -(-len(rest) // limit)  # as few ranges as hold `limit` each, as even as they come
        step = -(-len(rest) // chunks)
        rest = [Entry(f"{chunk[0].label()} – {chunk[-1].label()}" if len(chunk) > 1 else chunk[0].label(),
                      children=chunk) for chunk in (rest[i:i + step] for i in range(0, len(rest), step))]
    return head + rest


def plan(pages: dict[str, dict[str, Any]], limit: int = LIMIT) -> list[Entry]:
    """The nav of a site: ``pages`` maps each page (path under docs/) to its front matter."""
    groups = {meta.get("nav_service"): str(meta.get("nav_group") or "Other")
              for page, meta in pages.items() if page.startswith("services/") and meta.get("nav_service")}
    services = {name for name in groups if isinstance(name, str)}
    owned: dict[str, dict[str, list[str]]] = {name: {} for name in services}
    tabs: dict[str, list[str]] = {}
    for page in sorted(pages):
        found = service_of(page, pages[page], services)
        if found:
            owned[found[0]].setdefault(found[1], []).append(page)
            continue
        top = page.split("/", 1)[0]
        tabs.setdefault(MERGED.get(top, top), []).append(page)
    tabs.setdefault("services", [])
    order = {name: i for i, name in enumerate(TAB_ORDER)}
    result = []
    for top in sorted(tabs, key=lambda t: (order.get(t, len(order)), t)):
        items = tabs[top]
        if top == "services":
            entries = _tree(items, 1) + _services(owned, groups)
        elif top == "events":
            entries = _events(items)
        elif top == "architecture":
            loose = [p for p in items if "/" not in p]
            entries = [Entry(None, p) for p in loose] + _tree([p for p in items if "/" in p], 0)
        elif len(items) == 1 and "/" not in items[0]:
            result.append(Entry(TAB_TITLES.get(top), items[0]))
            continue
        else:
            entries = _tree(items, 1)
        result.append(Entry(_title(top), children=entries))
    return [Entry(e.title, e.page, bounded(e.children, limit)) for e in result]


def _services(owned: dict[str, dict[str, list[str]]], groups: dict[Any, str]) -> list[Entry]:
    by_group: dict[str, list[Entry]] = {}
    rank = {label: i for i, label in enumerate(SERVICE_ORDER)}
    for name in sorted(owned):
        children = []
        for label in sorted(owned[name], key=lambda x: (rank.get(x, len(rank)), x)):
            found = owned[name][label]
            if len(found) == 1:
                children.append(Entry(label, found[0]))
            else:  # several pages of one kind (diagrams, runbooks): a sub-section, each under its own title
                children.append(Entry(label, children=[Entry(None, p) for p in found]))
        by_group.setdefault(groups.get(name, "Other"), []).append(Entry(name, children=children))
    return [Entry(_title(group), children=entries) for group, entries in sorted(by_group.items())]


def _events(items: list[str]) -> list[Entry]:
    subjects = [p for p in items if p.count("/") == 1 and _event_group(p)]
    entries = _tree([p for p in items if p not in subjects], 1)
    by_group: dict[str, list[Entry]] = {}
    for page in subjects:
        by_group.setdefault(_event_group(page), []).append(
            Entry(posixpath.splitext(posixpath.basename(page))[0], page))
    if len(by_group) == 1:
        return entries + next(iter(by_group.values()))
    return entries + [Entry(group, children=found) for group, found in sorted(by_group.items())]

