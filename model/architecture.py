"""The architecture model: typed, JSON-serialisable dataclasses every writer reads.

Extractors build these objects; writers under ``portal/`` only read them. Every entity carries a stable ``id`` of the
form ``<kind>:<name>`` so that outputs, caches and (later) diffs between two git refs can match entities by id.
Serialisation (:func:`to_jsonable`) sorts keys and entity lists so the same input always gives the same bytes.

Room is left for what comes next: ``Edge.kind`` is open-ended (``consumes-api``, ``depends-on`` today;
``publishes``/``subscribes``/``terraform`` later) and ``ArchitectureModel`` grows new lists (events, modules, classes,
infrastructure resources, traces) without breaking readers of the existing ones.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import functools
import hashlib
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arrakis_docs.model.code import CodeModel
from arrakis_docs.model.events import EventModel
from arrakis_docs.model.infra import InfraModel
from arrakis_docs.model.monitoring import MonitoringModel
from arrakis_docs.model.refs import Diagnostic, Edge, Severity, SourceRef

__all__ = ["Diagnostic", "Severity", "SourceRef"]

T = typing.TypeVar("T")

# Bump whenever the shape changes: it is part of every cache key and of `model --json`.
SCHEMA_VERSION = 4


class SpecMode(enum.StrEnum):
    """How an API document was obtained."""

    IMPORT = "import"  # the app was imported in a subprocess and app.openapi() called
    STATIC = "static"  # rebuilt from the AST without executing anything
    URL = "url"  # read from a running service's /openapi.json


@dataclass(frozen=True, order=True)
class Link:
    """A hyperlink shown on an entity page."""

    title: str
    url: str


@dataclass(frozen=True)
class AppEntry:
    """Where a FastAPI application is created.

    ``kind`` is ``instance`` (``app = FastAPI(...)`` or an instance of a subclass) or ``factory`` (a function returning
    one that can be called without arguments). ``import_root`` is the directory that must be on ``sys.path`` for
    ``module`` to import.
    """

    module: str
    attribute: str
    kind: str
    import_root: str
    location: SourceRef
    made_by: str = ""  # for an instance: the class or factory called to make it


@dataclass
class Coverage:
    """How much of one kind of fact the static extractor understood: ``resolved`` of ``candidates`` seen.

    A candidate is anything that looks like the fact (a route-like decorator, a broker call, an app-like call);
    what is seen but not resolved is also reported as a diagnostic at its location."""

    resolved: int = 0
    candidates: int = 0


@dataclass
class Service:
    """A deployable FastAPI application and what its metadata says about it."""

    id: str
    name: str
    root: str
    app: AppEntry
    package: str = ""
    version: str = "0.0.0"
    description: str = ""
    owner: str = ""
    lifecycle: str = "production"
    tier: str = ""
    system: str = ""
    domain: str = ""
    type: str = "service"
    links: list[Link] = field(default_factory=list)
    slos: dict[str, Any] = field(default_factory=dict)
    # Distribution names from the service's pyproject.toml, used to attribute shared-library facts to it.
    requires: list[str] = field(default_factory=list)
    # Where the metadata came from: "service.yaml", "pyproject.toml", "defaults".
    metadata_source: str = "defaults"
    manifest: str = ""  # repo-relative path of its service.yaml, when it has one
    dockerfile: str = ""  # repo-relative path of the Dockerfile in its folder, when it has one
    # What extraction understood, by kind of fact ("routes", "events", "http-clients"): shown on the service page.
    coverage: dict[str, Coverage] = field(default_factory=dict)


@dataclass
class Api:
    """An API a service provides. ``document`` is the complete, single-file spec."""

    id: str
    name: str
    service: str
    kind: str
    mode: SpecMode
    document: dict[str, Any]
    title: str = ""
    version: str = ""


@dataclass
class Datastore:
    """A database, cache or message stream services read from or write to."""

    id: str
    name: str
    kind: str  # database | cache | message-stream
    technology: str
    description: str = ""


@dataclass(frozen=True)
class Workflow:
    """A GitHub Actions workflow of the repository: what runs when a service's code changes."""

    path: str  # repo-relative, e.g. .github/workflows/ci.yml
    name: str
    paths: tuple[str, ...] = ()  # push / pull_request path filters; empty: every change
    uploads_coverage: bool = False  # a step uploads an artifact named or holding "coverage"

    def runs_for(self, root: str) -> bool:
        """Whether a change under the folder ``root`` starts this workflow (GitHub's ``paths`` globs, tried on a
        file in that folder; ``*`` crossing ``/`` as ``**`` does)."""
        probe = f"{root.rstrip('/')}/x.py" if root else "x.py"
        return not self.paths or any(fnmatch.fnmatchcase(probe, pattern) for pattern in self.paths)


@dataclass
class RepoInfo:
    """The scanned repository as a whole."""

    name: str
    project_slug: str = ""
    source_url: str = ""
    default_branch: str = "main"
    workflows: list[Workflow] = field(default_factory=list)  # those run on pushes and pull requests


@dataclass
class ArchitectureModel:
    """Everything the extractors found; the only input writers get."""

    repo: RepoInfo
    services: list[Service] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)
    datastores: list[Datastore] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    events: EventModel = field(default_factory=EventModel)  # NATS channels, messages, producers, consumers
    code: CodeModel = field(default_factory=CodeModel)  # modules, classes, tables per service
    infra: InfraModel = field(default_factory=InfraModel)  # Terraform resources, modules and their edges
    monitoring: MonitoringModel = field(default_factory=MonitoringModel)  # metrics in code, service objectives
    schema_version: int = SCHEMA_VERSION

    def normalise(self) -> ArchitectureModel:
        """Sort every list and drop duplicates so the model has one canonical form."""
        self.services = sorted({s.id: s for s in self.services}.values(), key=lambda s: s.id)
        self.apis = sorted({a.id: a for a in self.apis}.values(), key=lambda a: a.id)
        self.datastores = sorted({d.id: d for d in self.datastores}.values(), key=lambda d: d.id)
        self.edges = merge_edges(self.edges)
        self.diagnostics = sorted(set(self.diagnostics))
        self.events.normalise()
        self.code.normalise()
        self.infra.normalise()
        self.monitoring.normalise()
        return self

    def service(self, name: str) -> Service | None:
        """The service called ``name``, if any."""
        return next((s for s in self.services if s.name == name), None)

    def api_of(self, service: Service) -> Api | None:
        """The API the given service provides, if one was extracted."""
        return next((a for a in self.apis if a.service == service.name), None)

    def edges_from(self, entity_id: str, kind: str) -> list[Edge]:
        """Outgoing edges of one kind."""
        return [e for e in self.edges if e.source == entity_id and e.kind == kind]

    def edges_to(self, entity_id: str, kind: str) -> list[Edge]:
        """Incoming edges of one kind."""
        return [e for e in self.edges if e.target == entity_id and e.kind == kind]

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, two-space indent, trailing newline)."""
        return dumps(self.normalise())

    def fingerprint(self) -> str:
        """SHA-256 of the canonical content: equal for equal models. Compact JSON, which the C encoder writes (an
        indented dump takes the pure-Python path and is several times slower on a large model)."""
        text = json.dumps(to_jsonable(self.normalise()), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def merge_edges(edges: list[Edge]) -> list[Edge]:
    """Merge edges with the same (source, target, kind), uniting their evidence; sorted."""
    merged: dict[tuple[str, str, str], set[SourceRef]] = {}
    for edge in edges:
        merged.setdefault((edge.source, edge.target, edge.kind), set()).update(edge.evidence)
    return [Edge(s, t, k, tuple(sorted(ev))) for (s, t, k), ev in sorted(merged.items())]


# ---------------------------------------------------------------- serialisation


_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _field_names(tp: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type, or None for any other type (asked once per type)."""
    return tuple(f.name for f in dataclasses.fields(tp)) if dataclasses.is_dataclass(tp) else None


def to_jsonable(value: Any) -> Any:
    """Turn model objects into plain JSON data (dicts with str keys, lists, scalars)."""
    tp = type(value)
    if tp in _PLAIN:
        return value
    names = _field_names(tp)
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def dumps(value: Any, compact: bool = False) -> str:
    """Canonical JSON of a model object; ``compact`` (no indentation) for caches that no one reads, which lets
    the json module use its C encoder (several times faster on a whole model)."""
    if compact:
        return json.dumps(to_jsonable(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(to_jsonable(value), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def from_jsonable(cls: type[T], data: Any) -> T:
    """Rebuild a model object of type ``cls`` from :func:`to_jsonable` output (used by the cache)."""
    return typing.cast(T, _decoder(cls)(data))


def _keep(data: Any) -> Any:
    return data


@functools.cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """A function rebuilding values of type ``tp`` from JSON data (None stays None); built once per type, since
    resolving annotations and inspecting types costs far more than decoding one value."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decoder(options[0]) if len(options) == 1 else _keep
    if origin in (list, tuple):
        item, container = typing.get_args(tp)[0], origin
        return lambda data: None if data is None else container(_decoder(item)(v) for v in data)
    if origin is dict:
        value = typing.get_args(tp)[1]
        return lambda data: None if data is None else {k: _decoder(value)(v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        def dataclass_of(data: Any) -> Any:
            if data is None:
                return None
            hints = _field_hints(tp)  # resolved at first use, so a dataclass may refer to itself
            return tp(**{name: _decoder(hint)(data[name]) for name, hint in hints if name in data})
        return dataclass_of
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return lambda data: None if data is None else tp(data)
    return _keep


@functools.cache
def _field_hints(tp: type) -> tuple[tuple[str, Any], ...]:
    """(name, resolved type) of each field of a dataclass."""
    hints = typing.get_type_hints(tp)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(tp))
