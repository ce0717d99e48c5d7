"""Plain diagram objects, independent of any output format (pyreverse's ``diagrams`` layer): what to draw, not how."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from arrakis_docs.model.code import Table


def node_id(name: str) -> str:
    """An identifier every format accepts: ``user_service.api`` -> ``user_service_api``."""
    return re.sub(r"\W", "_", name) or "_"


@dataclass(frozen=True, order=True)
class Node:
    """A box. ``kind`` picks its shape and colour: person, system, container, database, queue, cache, external,
    module, package."""

    id: str
    label: str
    kind: str = "module"
    group: str = ""  # id of the group (subgraph / cluster) it sits in
    detail: str = ""  # second line, e.g. the technology


@dataclass(frozen=True, order=True)
class Link:
    """An arrow; ``flagged`` arrows (module cycles) are drawn in red, ``dashed`` ones are asynchronous."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False
    flagged: bool = False


@dataclass
class Graph:
    """Boxes and arrows, optionally grouped: module graphs, C4 diagrams and the platform map."""

    title: str
    nodes: list[Node] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # group id -> label
    direction: str = "LR"


@dataclass(frozen=True)
class Box:
    """One class of a class diagram."""

    name: str  # fully qualified
    attributes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    stereotype: str = ""  # e.g. the framework base it derives from


@dataclass
class ClassFigure:
    """Classes with inheritance (``child -> parent``) and association (``owner -> target``) arrows."""

    title: str
    boxes: list[Box] = field(default_factory=list)
    inherits: list[tuple[str, str]] = field(default_factory=list)
    associations: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, order=True)
class Reference:
    """A foreign key drawn as a relation from the referencing table to the referenced one."""

    child: str
    parent: str
    column: str
    optional: bool = False


@dataclass
class ErFigure:
    """Tables and the foreign keys between them."""

    title: str
    tables: list[Table] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
