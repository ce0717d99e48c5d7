"""FastStream usage read from the AST, as events of the broker each FastStream broker stands for.

Recognised on ``NatsBroker`` / ``KafkaBroker`` / ``RabbitBroker`` / ``RedisBroker`` (and their routers, also made by
a factory of the repository or passed in annotated): ``@broker.subscriber(subject, ...)`` (a receive; the decorated
function is the handler; ``queue``, ``group_id``, ``durable`` and ``stream`` kept), ``broker.publisher(subject, ...)``
(a send declared once) and ``await broker.publish(message, subject, ...)`` (its subject is the second argument, not
the first as in nats-py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from arrakis_docs.extractors.broker_clients import ClientKinds, role, uses_broker
from arrakis_docs.extractors.event_sites import Site
from arrakis_docs.extractors.event_sites import SiteReader as EventReader  # nats_usage's reader, not imported here
from arrakis_docs.extractors.python_modules import dotted, keyword
from arrakis_docs.extractors.source_tree import module_nodes
from arrakis_docs.model.events import RECEIVE, SEND

_BROKERS = (("Nats", "nats"), ("Kafka", "kafka"), ("Confluent", "kafka"), ("Rabbit", "amqp"), ("Redis", "redis"))
FASTSTREAM = ClientKinds(
    "faststream", ("faststream",),
    (*((f"{prefix}{kind}", transport) for prefix, transport in _BROKERS for kind in ("Broker", "Router")),
     ("publisher", "publisher"), ("LogicPublisher", "publisher"), ("AsyncAPIPublisher", "publisher")),
    trusted=("Nats", "Kafka", "Confluent", "Rabbit", "Redis"))
_PUBLISHER_SUBJECT = "the subject its publisher was made with (broker.publisher(...))"
_SUBMODULES = {"nats": "nats", "kafka": "kafka", "confluent": "kafka", "rabbit": "amqp", "redis": "redis"}
# The keyword naming the address, per broker (a NATS ``queue=`` is a queue group, not an address).
_ADDRESS_KEYS = {"nats": ("subject",), "kafka": ("topic",), "amqp": ("queue", "routing_key"),
                 "redis": ("channel", "list", "stream")}


def _transport_by_import(reader: EventReader, site: Site) -> str:
    """``from faststream.nats import ...`` in the module: the broker its ``broker``/``router`` names stand for."""
    for node in module_nodes(site.module.tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("faststream."):
            part = (node.module or "").split(".")[1]
            if part in _SUBMODULES:
                return _SUBMODULES[part]
    return ""


def _transport(reader: EventReader, receiver: ast.expr, site: Site) -> str:
    found = role(reader, receiver, site, FASTSTREAM)
    if found or not uses_broker(reader, site, FASTSTREAM):
        return found
    last = dotted(receiver).split(".")[-1].lower() if dotted(receiver) else ""
    return _transport_by_import(reader, site) if ("broker" in last or "router" in last) else ""


def _publisher_made(reader: EventReader, receiver: ast.expr, site: Site,
                    depth: int = 0) -> tuple[ast.Call | None, Site | None]:
    """The ``broker.publisher(...)`` call a publisher object was made by (directly, in ``self.x = ...``, or in a
    factory of the repository that returns it), with the site to evaluate its subject in."""
    made: ast.expr | None = None
    if isinstance(receiver, ast.Name):
        made = reader.assigned(site, receiver.id)
        if made is None and (found := reader.lookup(site.module, receiver.id)) and isinstance(found[1], ast.expr):
            made, site = found[1], Site(found[0], None, None, site.node)
    elif isinstance(receiver, ast.Attribute) and dotted(receiver).startswith("self.") and site.cls is not None:
        for fn in [s for s in site.cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]:
            for stmt in ast.walk(fn):
                if isinstance(stmt, ast.Assign) and any(dotted(t) == dotted(receiver) for t in stmt.targets):
                    made, site = stmt.value, Site(site.module, site.cls, fn, site.node)
        if made is None and dotted(receiver).count(".") == 1:
            for value, where in _set_from_outside(reader, site, receiver.attr):
                if not isinstance(value, ast.Name | ast.Attribute):
                    made, site = value, where
                    break
                found = _publisher_made(reader, value, where, depth + 1)
                if found[0] is not None:
                    return found
    made = made.value if isinstance(made, ast.Await) else made
    if not isinstance(made, ast.Call) or depth > 3:
        return None, None
    if isinstance(made.func, ast.Attribute) and made.func.attr == "publisher":
        return made, site
    if isinstance(made.func, ast.Name):  # a factory of ours: the publisher it returns
        target = reader.lookup(site.module, made.func.id)
        if target and isinstance(target[1], ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in ast.walk(target[1]):
                if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call):
                    inner = Site(target[0], None, target[1], stmt.value)
                    if isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "publisher":
                        return stmt.value, inner
                    if isinstance(stmt.value.func, ast.Name):
                        return _publisher_made(reader, ast.Name(stmt.value.func.id), inner, depth + 1)
    return None, None


def _set_from_outside(reader: EventReader, site: Site, attr: str) -> list[tuple[ast.expr, Site]]:
    """``obj.attr = value`` anywhere in the scanned modules where ``obj`` is an instance of the class of ``site``
    (``obj = Cls(...)`` before it in the same function, or a parameter annotated ``Cls``): an attribute the code that
    made the object sets, with the site to evaluate the value in."""
    index: dict[str, list[tuple[ast.Assign, Site]]] | None = reader.__dict__.get("_outside_attrs")
    if index is None:
        index = reader.__dict__.setdefault("_outside_attrs", {})
        for module in reader.modules.values():
            scopes: list[ast.AST] = [module.tree, *(n for n in module_nodes(module.tree)
                                                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]
            for scope in scopes:
                fn = scope if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) else None
                for stmt in _own_nodes(scope):
                    if not isinstance(stmt, ast.Assign):
                        continue
                    for target in stmt.targets:
                        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and (
                                target.value.id not in ("self", "cls")):
                            at = ast.copy_location(ast.Call(ast.Name("_"), [], []), stmt)
                            index.setdefault(target.attr, []).append((stmt, Site(module, None, fn, at)))
    found: list[tuple[ast.expr, Site]] = []
    for stmt, where in index.get(attr, []):
        owner = next(t.value.id for t in stmt.targets if isinstance(t, ast.Attribute) and t.attr == attr
                     and isinstance(t.value, ast.Name))
        if _instance_of(reader, owner, where, site):
            found.append((stmt.value, where))
    return found


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a module or function body, not those of the functions defined in it."""
    for child in ast.iter_child_nodes(scope):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield child
            yield from _own_nodes(child)


def _instance_of(reader: EventReader, name: str, where: Site, site: Site) -> bool:
    """Whether ``name`` at ``where`` holds an instance of the class ``site`` is in (or of a subclass of it)."""
    classes: list[str] = []
    made = reader.assigned(where, name) if where.func is not None else None
    if made is None and where.func is None and (bound := reader.lookup(where.module, name)):
        made = bound[1] if isinstance(bound[1], ast.expr) else None
    made = made.value if isinstance(made, ast.Await) else made
    if isinstance(made, ast.Call) and dotted(made.func):
        classes.append(dotted(made.func).split(".")[-1])
    if where.func is not None:
        for arg in [*where.func.args.posonlyargs, *where.func.args.args, *where.func.args.kwonlyargs]:
            if arg.arg == name and arg.annotation is not None and dotted(arg.annotation):
                classes.append(dotted(arg.annotation).split(".")[-1])
    for cls_name in classes:
        cls = reader.lookup(where.module, cls_name)
        if cls and isinstance(cls[1], ast.ClassDef) and any(
                node is site.cls for _, node in reader.bases(cls[0], cls[1])):  # type: ignore[attr-defined]
            return True
    return False


def publisher_subject(reader: EventReader, receiver: ast.expr, site: Site) -> Any:  # a nats_usage.Subject
    """The subject of ``receiver.publish(...)``: the one its publisher was made with; a publisher that is a parameter
    of the enclosing function is filled in from each caller's argument, as a wrapper's subject is."""
    made, where = _publisher_made(reader, receiver, site)
    if made is not None and where is not None:
        subject = reader.subject(_address(reader, Site(where.module, where.cls, where.func, made), 0), where)
        subject = replace(subject, param="", argument=None)  # a factory's parameter stays a {param} of the pattern
        if not subject.address and subject.dynamic:
            subject = replace(subject, dynamic=f"{subject.dynamic} (the publisher's subject)")
        return subject
    unknown = reader.subject(None, site)
    if isinstance(receiver, ast.Name) and receiver.id in reader.params(site) and (
            reader.assigned(site, receiver.id) is None):
        return replace(unknown, dynamic=receiver.id, param=receiver.id,
                       argument=lambda arg, at: publisher_subject(reader, arg, at))
    return replace(unknown, dynamic=_PUBLISHER_SUBJECT)


def _address(reader: EventReader, site: Site, index: int, transport: str = "nats") -> ast.expr | None:
    node = site.node
    if len(node.args) > index and not isinstance(node.args[index], ast.Starred):
        return node.args[index]
    for key in _ADDRESS_KEYS.get(transport, ()):
        if (value := keyword(node, key)) is not None:
            return value
    return None


def faststream_call(reader: EventReader, site: Site) -> bool:
    """Record ``site`` if it is a FastStream subscriber, publisher or publish; whether it was one."""
    node = site.node
    if not isinstance(node.func, ast.Attribute) or node.func.attr not in ("subscriber", "publisher", "publish"):
        return False
    transport = _transport(reader, node.func.value, site)
    if not transport:
        return False
    method = node.func.attr
    if transport == "publisher":  # publisher.publish(message): the subject was fixed when it was made
        if method != "publish":
            return False
        subject = publisher_subject(reader, node.func.value, site)
        reader._add(site, SEND, subject, "faststream", method, transport=_transport_by_import(reader, site) or
                    "nats")
        return True
    stream = reader._text(keyword(node, "stream"), site) if transport == "nats" else ""
    if method == "publish":
        reader._add(site, SEND, reader.subject(_address(reader, site, 1, transport), site), "faststream", method,
                    transport=transport, stream=stream)
        return True
    address = _address(reader, site, 0, transport)
    queue = reader._text(keyword(node, "queue") if transport == "nats" else keyword(node, "group_id"), site)
    if method == "publisher":
        reader._add(site, SEND, reader.subject(address, site), "faststream", method, transport=transport,
                    stream=stream)
        return True
    handler = site.func.name if site.func is not None and node in site.func.decorator_list else ""
    reader._add(site, RECEIVE, reader.subject(address, site), "faststream", method, transport=transport,
                queue=queue, durable=reader._text(keyword(node, "durable"), site), stream=stream, handler=handler)
    return True
