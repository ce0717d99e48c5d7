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

from arrakis_docs.extractors.broker_clients import ClientKinds, literal_list, role, uses_broker
from arrakis_docs.extractors.event_sites import Site
from arrakis_docs.extractors.event_sites import SiteReader as EventReader  # nats_usage's reader, not imported here
from arrakis_docs.extractors.python_modules import call_name, keyword
from arrakis_docs.model.events import RECEIVE, SEND

TRANSPORT = "kafka"
CONSUMERS = {"AIOKafkaConsumer", "KafkaConsumer", "Consumer", "DeserializingConsumer"}
# Producer/Consumer are confluent-kafka's bare class names: trusted only where Kafka is imported.
KAFKA = ClientKinds(
    TRANSPORT, ("aiokafka", "kafka", "confluent_kafka"),
    (("AIOKafkaProducer", "producer"), ("KafkaProducer", "producer"), ("Producer", "producer"),
     ("SerializingProducer", "producer"), *((c, "consumer") for c in sorted(CONSUMERS))),
    trusted=("AIOKafka", "Kafka"), hints=(("producer", "producer"), ("consumer", "consumer")))
_SENDS = {"send", "send_and_wait", "produce"}


def _topics(node: ast.expr | None) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [e for e in node.elts if not isinstance(e, ast.Starred)]
    return [node] if node is not None else []


def kafka_call(reader: EventReader, site: Site) -> bool:
    """Record ``site`` if it is a Kafka send, consumer construction or subscription; whether it was one."""
    node = site.node
    name = call_name(node)
    if isinstance(node.func, ast.Name | ast.Attribute) and name in CONSUMERS and (
            name.startswith(("AIOKafka", "Kafka")) or uses_broker(reader, site, KAFKA)):
        group = reader._text(keyword(node, "group_id"), site)
        # confluent-kafka's Consumer takes its configuration dict positionally; topics come with subscribe().
        topics = [a for a in node.args if not isinstance(a, ast.Starred | ast.Dict)]
        starred = [a for a in node.args if isinstance(a, ast.Starred)]
        topics += [t for s in starred for t in _topics(literal_list(reader, s.value, site))]
        for topic in topics:
            reader._add(site, RECEIVE, reader.subject(topic, site), "kafka", name, queue=group, transport=TRANSPORT)
        return bool(topics) or name.startswith(("AIOKafka", "Kafka"))
    if not isinstance(node.func, ast.Attribute):
        return False
    if name in _SENDS:
        if role(reader, node.func.value, site, KAFKA) != "producer":
            return False
        topic = reader._arg(site, 0, "topic")
        reader._add(site, SEND, reader.subject(topic, site), "kafka", name, transport=TRANSPORT)
        return True
    if name == "subscribe" and role(reader, node.func.value, site, KAFKA) == "consumer":
        topics = _topics(literal_list(reader, reader._arg(site, 0, "topics"), site))
        pattern = keyword(node, "pattern")
        for topic in topics or ([pattern] if pattern is not None else []):
            reader._add(site, RECEIVE, reader.subject(topic, site), "kafka", name, transport=TRANSPORT)
        return True
    return False
