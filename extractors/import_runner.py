"""Run by path in a separate interpreter: import one service's code once and answer every job about it.

Usage: python import_runner.py, then one JSON request per line on stdin, one JSON reply per line on stdout.

A request is ``{"job": JOB, "roots": [IMPORT_ROOT, ...], "args": {...}}``; the roots go to the front of
``sys.path`` (once each). Jobs:

- ``openapi``: ``{"module", "attribute", "kind"}``; imports the app (``kind`` "factory" calls it) and answers
  ``app.openapi()``.
- ``event_schemas``: ``{"targets": ["MODULE:CLASS", ...]}``; answers ``{"schemas": {target: JSON Schema},
  "errors": {target: reason}}``, one model failing never hiding the others.
- ``tables``: ``{"modules": [MODULE, ...]}``; answers the SQLAlchemy tables declared in those modules.

A reply is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "Type: message", "traceback": "..."}``.
Modules imported by one job stay imported for the next, which is the point: a service's app, event models and
database models share most of their imports, and importing them is most of the cost.

Kept free of third-party and arrakis-docs imports so any interpreter that can import the code can run it. The network
is cut before anything is imported: importing code must not connect anywhere. Whatever the scanned code prints goes to
stderr, so stdout carries replies only.
"""

import importlib
import json
import os
import socket
import sys
import traceback


def cut_network() -> None:
    """Make every outgoing connection and name lookup fail with ``OSError``."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access is disabled while arrakis-docs imports the scanned code")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


def openapi(module: str, attribute: str, kind: str) -> dict:
    target = getattr(importlib.import_module(module), attribute)
    app = target() if kind == "factory" else target
    return app.openapi()


def event_schemas(targets: list) -> dict:
    schemas, errors = {}, {}
    for target in targets:
        module_name, _, attribute = target.partition(":")
        try:
            schemas[target] = getattr(importlib.import_module(module_name), attribute).model_json_schema()
        except Exception as exc:  # noqa: BLE001 - one model that fails to import must not hide the others
            errors[target] = f"{type(exc).__name__}: {exc}"
    return {"schemas": schemas, "errors": errors}


def _metadatas(module: object) -> list:
    from sqlalchemy import MetaData

    found = []
    for value in vars(module).values():
        candidate = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
        if isinstance(candidate, MetaData) and all(candidate is not m for m in found):
            found.append(candidate)
    return found


def _mapped_classes(module: object) -> dict:
    """Table name -> fully qualified name of the class mapping it."""
    names = {}
    for value in vars(module).values():
        registry = getattr(value, "registry", None)
        for mapper in getattr(registry, "mappers", ()):
            table = getattr(mapper, "local_table", None)
            cls = mapper.class_
            if table is not None and getattr(table, "name", None):
                names.setdefault(table.name, f"{cls.__module__}.{cls.__qualname__}")
    return names


def _type_name(column: object) -> str:
    kind = column.type
    length = getattr(kind, "length", None)
    return f"{type(kind).__name__}({length})" if isinstance(length, int) else type(kind).__name__


def _table(table: object, mapped_by: str) -> dict:
    from sqlalchemy import UniqueConstraint

    columns = []
    for column in table.columns:
        fks = sorted(fk.target_fullname for fk in column.foreign_keys)
        columns.append({"name": column.name, "type": _type_name(column), "primary_key": bool(column.primary_key),
                        "nullable": bool(column.nullable), "foreign_key": fks[0] if fks else ""})
    indexes = [{"name": i.name or "", "columns": [c.name for c in i.columns], "unique": bool(i.unique)}
               for i in table.indexes]
    unique = [[c.name for c in u.columns] for u in table.constraints if isinstance(u, UniqueConstraint)]
    return {"name": table.name, "columns": columns, "indexes": indexes, "unique": unique, "mapped_by": mapped_by}


def tables(modules: list) -> list:
    found: dict = {}
    for name in modules:
        module = importlib.import_module(name)
        mapped = _mapped_classes(module)
        for metadata in _metadatas(module):
            for table in metadata.sorted_tables:
                found.setdefault(table.name, _table(table, mapped.get(table.name, "")))
    return [found[k] for k in sorted(found)]


JOBS = {"openapi": openapi, "event_schemas": event_schemas, "tables": tables}


def answer(request: dict) -> dict:
    for root in reversed(request.get("roots", [])):
        if root not in sys.path:
            sys.path.insert(0, root)
    try:
        return {"ok": True, "result": JOBS[request["job"]](**request.get("args", {}))}
    except BaseException as exc:  # noqa: BLE001 - SystemExit from scanned code is a failed job, not our exit
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def main() -> int:
    cut_network()
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything the scanned code prints lands on stderr
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if line.strip():
            reply = answer(json.loads(line))
            replies.write(json.dumps(reply, sort_keys=True, default=str) + "\n")
            replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
