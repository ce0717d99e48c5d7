"""FastStream usage read from the AST, as events of the broker each FastStream broker stands for.

Recognised on ``NatsBroker`` / ``KafkaBroker`` / ``RabbitBroker`` / ``RedisBroker`` (and their routers, also made by
a factory of the repository or passed in annotated): ``@broker.subscriber(subject, ...)`` (a receive; the decorated
function is the handler; ``queue``, ``group_id``, ``durable`` and ``stream`` kept), ``broker.publisher(subject, ...)``
(a send declared once) and ``await broker.publish(message, subject, ...)`` (its subject is the second argument, not
the first as in nats-py).
"""

from __future__ import annotations

import ast
from dataclasses import replace

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
        made, where = _publisher_made(reader, node.func.value, site)
        if made is not None and where is not None:
            subject = reader.subject(_address(reader, Site(where.module, where.cls, where.func, made), 0), where)
            subject = replace(subject, param="")  # a factory's parameter stays a {param} of the pattern
            if not subject.address and subject.dynamic:
                subject = replace(subject, dynamic=f"{subject.dynamic} (the publisher's subject)")
        else:
            subject = replace(reader.subject(None, site), dynamic=_PUBLISHER_SUBJECT)
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
