"""Kafka usage read from the AST, as events of transport ``kafka`` (topics are the channel addresses).

Recognised: aiokafka (``AIOKafkaProducer.send/send_and_wait(topic, ...)``, ``AIOKafkaConsumer(topic, ...,
group_id=...)``, ``consumer.subscribe(topics=[...])``), kafka-python (``KafkaProducer.send``, ``KafkaConsumer``) and
confluent-kafka (``Producer.produce(topic, ...)``, ``Consumer.subscribe([...])``). A producer or consumer is known by
where it was made (constructor, a factory returning one, ``self.x = ...``, a module-level client) or declared (a
parameter annotated ``AIOKafkaProducer``, also inside ``Annotated[..., Depends(...)]``); by its name (``producer``,
``consumer``) only in modules that import a Kafka library. Topics resolve like NATS subjects (the reader's
``subject``), and a topic passed in as a parameter is followed through the wrapper's callers.
"""

from __future__ import annotations

import ast

from arrakis_docs.extractors.event_sites import Site
from arrakis_docs.extractors.event_sites import SiteReader as EventReader  # nats_usage's reader, not imported here
from arrakis_docs.extractors.python_modules import call_name, dotted, keyword
from arrakis_docs.model.events import RECEIVE, SEND

TRANSPORT = "kafka"
KAFKA_MODULES = ("aiokafka", "kafka", "confluent_kafka")
PRODUCERS = {"AIOKafkaProducer", "KafkaProducer", "Producer", "SerializingProducer"}
CONSUMERS = {"AIOKafkaConsumer", "KafkaConsumer", "Consumer", "DeserializingConsumer"}
_SENDS = {"send", "send_and_wait", "produce"}


def _uses_kafka(reader: EventReader, site: Site) -> bool:
    cached = getattr(reader, "_kafka_modules", None)
    if cached is None:
        cached = {m.path for m in reader.modules.values() if any(
            (isinstance(n, ast.Import) and any(a.name.split(".")[0] in KAFKA_MODULES for a in n.names))
            or (isinstance(n, ast.ImportFrom) and not n.level and (n.module or "").split(".")[0] in KAFKA_MODULES)
            for n in ast.walk(m.tree))}
        reader._kafka_modules = cached  # type: ignore[attr-defined]
    return site.module.path in cached


def _class_role(names: set[str], kafka_here: bool) -> str:
    # Producer/Consumer are confluent-kafka's bare class names: only trusted where Kafka is imported.
    specific = {n for n in names if n.startswith(("AIOKafka", "Kafka")) or kafka_here}
    if specific & PRODUCERS:
        return "producer"
    if specific & CONSUMERS:
        return "consumer"
    return ""


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _made_role(reader: EventReader, value: ast.expr | None, site: Site, depth: int = 0) -> str:
    """``producer``/``consumer`` for an expression that builds or returns a Kafka client."""
    if value is None or depth > 3:
        return ""
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Name | ast.Attribute):
        return role(reader, value, site, depth + 1)
    if not isinstance(value, ast.Call):
        return ""
    kafka_here = _uses_kafka(reader, site)
    found = _class_role({call_name(value)}, kafka_here)
    if found:
        return found
    if isinstance(value.func, ast.Name):  # a factory of ours: what it returns or yields
        target = reader.lookup(site.module, value.func.id)
        if target and isinstance(target[1], ast.FunctionDef | ast.AsyncFunctionDef):
            fn = target[1]
            if fn.returns is not None and (found := _class_role(_names(fn.returns), kafka_here)):
                return found
            inner = Site(target[0], None, fn, value)
            for node in ast.walk(fn):
                if isinstance(node, ast.Return | ast.Yield) and node.value is not None:
                    if found := _made_role(reader, node.value, inner, depth + 1):
                        return found
    return ""


def _attribute_roles(reader: EventReader) -> dict[tuple[str, str], str]:
    """``self.x = AIOKafkaProducer(...)`` (or ``self.x: AIOKafkaProducer``) in a class, per (class, ``self.x``)."""
    cached = getattr(reader, "_kafka_attrs", None)
    if cached is not None:
        return cached
    roles: dict[tuple[str, str], str] = {}
    reader._kafka_attrs = roles  # type: ignore[attr-defined]  # set first: role() below may ask again
    for module in reader.modules.values():
        for cls in [n for n in ast.walk(module.tree) if isinstance(n, ast.ClassDef)]:
            for fn in [s for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]:
                for node in ast.walk(fn):
                    if not isinstance(node, ast.Assign | ast.AnnAssign):
                        continue
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Attribute) and dotted(target).startswith("self."):
                            site = Site(module, cls, fn, ast.Call(ast.Name("_"), [], [], lineno=node.lineno))
                            found = _made_role(reader, node.value, site) if node.value is not None else ""
                            if not found and isinstance(node, ast.AnnAssign):
                                found = _class_role(_names(node.annotation), _uses_kafka(reader, site))
                            if found:
                                roles[(cls.name, dotted(target))] = found
    return roles


def role(reader: EventReader, receiver: ast.expr, site: Site, depth: int = 0) -> str:
    """``producer``, ``consumer`` or "" for the object a method is called on."""
    text = dotted(receiver)
    if not text or depth > 3:
        return ""
    if site.cls is not None and (found := _attribute_roles(reader).get((site.cls.name, text))):
        return found
    kafka_here = _uses_kafka(reader, site)
    if isinstance(receiver, ast.Name):
        local = reader.assigned(site, receiver.id)
        local = local if local is not None else reader._with_bound(site, receiver.id)
        if local is not None and (found := _made_role(reader, local, site, depth + 1)):
            return found
        if site.func is not None:
            for arg in [*site.func.args.posonlyargs, *site.func.args.args, *site.func.args.kwonlyargs]:
                if arg.arg == receiver.id and arg.annotation is not None:
                    if found := _class_role(_names(arg.annotation), kafka_here):
                        return found
        if site.func is None or receiver.id not in reader.params(site):
            target = reader.lookup(site.module, receiver.id)
            if target and isinstance(target[1], ast.expr):
                if found := _made_role(reader, target[1], Site(target[0], None, None, site.node), depth + 1):
                    return found
    if not kafka_here:
        return ""
    last = text.split(".")[-1].lower()
    if "producer" in last:
        return "producer"
    if "consumer" in last:
        return "consumer"
    return ""


def _topics(node: ast.expr | None) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [e for e in node.elts if not isinstance(e, ast.Starred)]
    return [node] if node is not None else []


def kafka_call(reader: EventReader, site: Site) -> bool:
    """Record ``site`` if it is a Kafka send, consumer construction or subscription; whether it was one."""
    node = site.node
    name = call_name(node)
    if isinstance(node.func, ast.Name | ast.Attribute) and name in CONSUMERS and (
            name.startswith(("AIOKafka", "Kafka")) or _uses_kafka(reader, site)):
        group = reader._text(keyword(node, "group_id"), site)
        # confluent-kafka's Consumer takes its configuration dict positionally; topics come with subscribe().
        topics = [a for a in node.args if not isinstance(a, ast.Starred | ast.Dict)]
        starred = [a for a in node.args if isinstance(a, ast.Starred)]
        topics += [t for s in starred for t in _topics(_local(reader, s.value, site))]
        for topic in topics:
            reader._add(site, RECEIVE, reader.subject(topic, site), "kafka", name, queue=group, transport=TRANSPORT)
        return bool(topics) or name.startswith(("AIOKafka", "Kafka"))
    if not isinstance(node.func, ast.Attribute):
        return False
    if name in _SENDS:
        if role(reader, node.func.value, site) != "producer":
            return False
        topic = reader._arg(site, 0, "topic")
        reader._add(site, SEND, reader.subject(topic, site), "kafka", name, transport=TRANSPORT)
        return True
    if name == "subscribe" and role(reader, node.func.value, site) == "consumer":
        topics = _topics(_local(reader, reader._arg(site, 0, "topics"), site))
        pattern = keyword(node, "pattern")
        for topic in topics or ([pattern] if pattern is not None else []):
            reader._add(site, RECEIVE, reader.subject(topic, site), "kafka", name, transport=TRANSPORT)
        return True
    return False


def _local(reader: EventReader, node: ast.expr | None, site: Site) -> ast.expr | None:
    """A list held in a local variable or a module constant: its literal."""
    if isinstance(node, ast.Name):
        local = reader.assigned(site, node.id)
        if local is not None:
            return local
        found = reader.lookup(site.module, node.id)
        if found and isinstance(found[1], ast.List | ast.Tuple):
            return found[1]
    return node
