"""RabbitMQ (AMQP) usage read from the AST, as events of transport ``amqp`` (routing keys and queues are addresses).

Recognised: aio-pika (``exchange.publish(message, routing_key=...)`` on ``channel.default_exchange`` or a declared
exchange, ``queue.consume(callback)`` and ``queue.iterator()`` on ``await channel.declare_queue(name, ...)``) and pika
(``channel.basic_publish(exchange=..., routing_key=..., body=...)``, ``channel.basic_consume(queue=...,
on_message_callback=...)``). Exchanges, queues and channels are recognised like every broker client (see
``broker_clients``); a routing key or queue name passed in as a parameter is followed through the wrapper's callers.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from arrakis_docs.extractors.broker_clients import ClientKinds, role
from arrakis_docs.extractors.event_sites import Site
from arrakis_docs.extractors.event_sites import SiteReader as EventReader  # nats_usage's reader, not imported here
from arrakis_docs.extractors.python_modules import call_name, dotted, keyword
from arrakis_docs.model.events import RECEIVE, SEND

TRANSPORT = "amqp"
AMQP = ClientKinds(
    TRANSPORT, ("aio_pika", "aiormq", "pika"),
    (("declare_exchange", "exchange"), ("get_exchange", "exchange"), ("Exchange", "exchange"),
     ("AbstractExchange", "exchange"), ("RobustExchange", "exchange"), ("AbstractRobustExchange", "exchange"),
     ("declare_queue", "queue"), ("get_queue", "queue"), ("Queue", "queue"), ("AbstractQueue", "queue"),
     ("RobustQueue", "queue"), ("AbstractRobustQueue", "queue"),
     ("channel", "channel"), ("Channel", "channel"), ("AbstractChannel", "channel"), ("RobustChannel", "channel"),
     ("AbstractRobustChannel", "channel"), ("BlockingChannel", "channel")),
    hints=(("exchange", "exchange"), ("queue", "queue"), ("channel", "channel"), ("chan", "channel")))
_ANONYMOUS = "a server-named queue (declare_queue without a name)"


def _queue_name(reader: EventReader, queue: ast.expr, site: Site) -> tuple[ast.expr | None, Site]:
    """The name a queue object was declared with: ``await channel.declare_queue("jobs", ...)`` -> ``"jobs"``."""
    made: ast.expr | None = None
    if isinstance(queue, ast.Name):
        made = reader.assigned(site, queue.id)
        made = made if made is not None else reader._with_bound(site, queue.id)
    if isinstance(made, ast.Await):
        made = made.value
    if isinstance(made, ast.Call) and call_name(made) in ("declare_queue", "get_queue"):
        return (made.args[0] if made.args else keyword(made, "name")), site
    return None, site


def amqp_call(reader: EventReader, site: Site) -> bool:
    """Record ``site`` if it is an AMQP publish or consume; whether it was one."""
    node = site.node
    if not isinstance(node.func, ast.Attribute):
        return False
    name = node.func.attr
    receiver = node.func.value
    if name == "publish" and (dotted(receiver).endswith("default_exchange")
                              or role(reader, receiver, site, AMQP) == "exchange"):
        key = reader._arg(site, 1, "routing_key")
        subject = reader.subject(key, site)
        reader._add(site, SEND, subject, "aio-pika", name, transport=TRANSPORT)
        return True
    if name in ("consume", "iterator") and role(reader, receiver, site, AMQP) == "queue":
        queue_node, where = _queue_name(reader, receiver, site)
        subject = reader.subject(queue_node, where) if queue_node is not None else None
        handler = reader._arg(site, 0, "callback") if name == "consume" else None
        if subject is None:
            subject = replace(reader.subject(None, site), dynamic=_ANONYMOUS)
        reader._add(site, RECEIVE, subject, "aio-pika", name, transport=TRANSPORT,
                    handler=ast.unparse(handler) if handler is not None else "")
        return True
    if name in ("basic_publish", "basic_consume") and role(reader, receiver, site, AMQP) == "channel":
        if name == "basic_publish":
            reader._add(site, SEND, reader.subject(reader._arg(site, 1, "routing_key"), site), "pika", name,
                        transport=TRANSPORT)
        else:
            handler = keyword(node, "on_message_callback") or (node.args[1] if len(node.args) > 1 else None)
            reader._add(site, RECEIVE, reader.subject(reader._arg(site, 0, "queue"), site), "pika", name,
                        transport=TRANSPORT, handler=ast.unparse(handler) if handler is not None else "")
        return True
    return False
