"""Datastores a service uses: its own SQL database, Redis and NATS JetStream streams, from imports and settings."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from arrakis_docs.extractors.source_tree import SourceFile, module_nodes
from arrakis_docs.model.architecture import Datastore, SourceRef
from arrakis_docs.model.refs import Edge, entity_id


@dataclass
class StoreUse:
    """Evidence of each kind of datastore in a set of files."""

    sql: list[SourceRef] = field(default_factory=list)
    redis: list[SourceRef] = field(default_factory=list)
    nats: list[SourceRef] = field(default_factory=list)
    streams: dict[str, SourceRef] = field(default_factory=dict)  # stream name -> where it is declared
    subjects: list[str] = field(default_factory=list)


def store_use(files: list[SourceFile]) -> StoreUse:
    """What the files import and read: ``sqlalchemy``, ``redis``/``redis_url``, ``nats`` and stream names."""
    use = StoreUse()
    for f in files:
        if f.tree is None:
            continue
        for node in module_nodes(f.tree):
            ref = SourceRef(f.path, getattr(node, "lineno", 0))
            for module in _imported(node):
                top = module.split(".")[0]
                bucket = {"sqlalchemy": use.sql, "sqlmodel": use.sql, "redis": use.redis, "nats": use.nats}.get(top)
                if bucket is not None:
                    bucket.append(ref)
            if isinstance(node, ast.Attribute) and node.attr == "redis_url" and isinstance(node.ctx, ast.Load):
                use.redis.append(ref)
            _stream_declaration(node, ref, use)
    return use


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module]
    return []


def _stream_declaration(node: ast.AST, ref: SourceRef, use: StoreUse) -> None:
    """``nats_stream: str = "ARRAKIS"`` declares a stream; ``STREAM_SUBJECTS = ["arrakis.>"]`` its subjects."""
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        name, value = node.target.id, node.value
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name, value = node.targets[0].id, node.value
    else:
        return
    lowered = name.lower()
    if "stream" not in lowered or value is None:
        return
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and "subject" not in lowered:
        use.streams.setdefault(value.value, ref)
    elif "subject" in lowered and isinstance(value, ast.List | ast.Tuple):
        use.subjects.extend(e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))


def database_name(service_name: str) -> str:
    """The name of a service's own database resource."""
    return f"{service_name}-db"


def stream_name(stream: str) -> str:
    """The resource name of a NATS stream."""
    return f"nats-{stream.lower()}"


def datastores_for(service_id: str, service_name: str, use: StoreUse,
                   configured_streams: list[dict[str, object]]) -> tuple[list[Datastore], list[Edge]]:
    """The datastores one service uses and its ``depends-on`` edges to them."""
    stores: list[Datastore] = []
    edges: list[Edge] = []
    if use.sql:
        db = Datastore(entity_id("datastore", database_name(service_name)), database_name(service_name), "database",
                       "postgresql", f"The {service_name} database (PostgreSQL in production, SQLite by default).")
        stores.append(db)
        edges.append(Edge(service_id, db.id, "depends-on", tuple(sorted(set(use.sql))[:1])))
    if use.redis:
        redis = Datastore(entity_id("datastore", "redis"), "redis", "cache", "redis", "Redis, shared cache.")
        stores.append(redis)
        edges.append(Edge(service_id, redis.id, "depends-on", tuple(sorted(set(use.redis))[:1])))
    streams = {name: ", ".join(use.subjects) for name in use.streams} if use.nats else {}
    for configured in configured_streams if use.nats else []:
        subjects = configured.get("subjects", "")
        if configured.get("name"):
            listed = subjects if isinstance(subjects, list) else [subjects]
            streams[str(configured["name"])] = ", ".join(str(s) for s in listed if s)
    for name, subjects in sorted(streams.items()):
        where = use.streams.get(name) or sorted(use.nats)[0]
        about = f"NATS JetStream stream {name}" + (f" (subjects {subjects})." if subjects else ".")
        stream = Datastore(entity_id("datastore", stream_name(name)), stream_name(name), "message-stream",
                           "nats-jetstream", about)
        stores.append(stream)
        edges.append(Edge(service_id, stream.id, "depends-on", (where,) if where else ()))
    return stores, edges
