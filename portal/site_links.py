"""Where each entity's page lives in the portal, and relative links between pages.

Pages of other writers (events, diagrams, infrastructure) are known from what those writers render for the same model
plus hand-written pages already under ``docs/``; links to them are written only when the target page exists, so the
portal's own pages never depend on theirs and ``mkdocs build --strict`` stays clean.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

DOCS = "docs"
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def page_title(path: str, text: str) -> str:
    """The page's first level-one heading, else a title made from its file name."""
    found = _H1.search(text)
    if found:
        return found.group(1).strip()
    stem = posixpath.splitext(posixpath.basename(path))[0]
    if stem == "index":
        stem = posixpath.basename(posixpath.dirname(path)) or "home"
    return stem.replace("-", " ").replace("_", " ").capitalize()


@dataclass
class Pages:
    """Every Markdown page the portal will hold, by path under ``docs/``, with its text.

    Folder listings, titles and event pages are indexed on first use (writers ask once per entity; a scan of every
    page each time grew with the square of the site); a page added or removed drops the indexes."""

    texts: dict[str, str] = field(default_factory=dict)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)
    _folders: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _titles: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _stems: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _rank: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _index(self) -> None:
        if self._indexed == len(self.texts):
            return
        self._folders, self._titles, self._stems, self._rank = {}, {}, {}, {}
        order = sorted((p for p in self.texts if p.endswith(".md")),
                       key=lambda p: (p.count("/"), posixpath.basename(p) != "index.md", p))
        for page in order:
            parts = page.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                self._folders.setdefault("/".join(parts[:depth]), []).append(page)
        for n, page in enumerate(self._folders.get("events", [])):
            self._stems.setdefault(posixpath.splitext(posixpath.basename(page))[0], page)
            self._rank[page] = n
        self._indexed = len(self.texts)

    def exists(self, page: str) -> bool:
        """Whether ``page`` (a path under docs/) will be built."""
        return page in self.texts

    def under(self, folder: str) -> list[str]:
        """Pages below ``folder`` (a path under docs/), sorted with index pages first."""
        self._index()
        return list(self._folders.get(folder.strip("/"), []))

    def title(self, page: str) -> str:
        """Title of a known page."""
        self._index()
        if page not in self._titles:
            self._titles[page] = page_title(page, self.texts.get(page, ""))
        return self._titles[page]

    def event_page(self, subject: str) -> str | None:
        """The events writer's page for an event subject: one named after it or titled with it, else its index."""
        self._index()
        named = [self._stems[s] for s in (subject, subject.replace(".", "-"), subject.replace(".", "_"))
                 if s in self._stems]
        if named:
            return min(named, key=self._rank.__getitem__)
        for page in self._folders.get("events", []):
            if subject in self.title(page).replace("`", ""):
                return page
        return "events/index.md" if "events/index.md" in self._rank else None

    def mentioning(self, folder: str, word: str) -> list[str]:
        """Pages below ``folder`` whose text names ``word`` as a whole word."""
        pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
        return [p for p in self.under(folder) if pattern.search(self.texts[p])]


def service_page(name: str) -> str:
    """Page of a service."""
    return f"services/{name}.md"


def api_page(name: str) -> str:
    """Static reference page of an API."""
    return f"apis/{name}.md"


def api_try_page(name: str) -> str:
    """Swagger UI page of an API."""
    return f"apis/{name}-try.md"


def entity_page(kind: str, name: str) -> str:
    """Page of a catalog entity; components and APIs have their richer pages."""
    kind = kind.lower()
    if kind == "component":
        return service_page(name)
    if kind == "api":
        return api_page(name)
    return f"catalog/{kind}/{name}.md"


def rel(source: str, target: str) -> str:
    """Link from page ``source`` to page ``target`` (both under docs/), for Markdown."""
    anchor = ""
    if "#" in target:
        target, anchor = target.split("#", 1)
        anchor = "#" + anchor
    if not target:
        return anchor
    return posixpath.relpath(target, posixpath.dirname(source) or ".") + anchor


def anchor(text: str) -> str:
    """The id Python-Markdown's toc extension gives a heading (its default slugify)."""
    value = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", value)
