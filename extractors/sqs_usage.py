"""Amazon SQS usage through boto3 read from the AST, as events of transport ``sqs`` (queue names are addresses).

Recognised: ``sqs.send_message(QueueUrl=..., MessageBody=...)``, ``send_message_batch`` and ``receive_message`` on a
client (``boto3.client("sqs")``, aioboto3/aiobotocore alike), and ``queue.send_message(...)`` /
``queue.receive_messages()`` on ``sqs.get_queue_by_name(QueueName=...)``. These method names are SQS's own, so a
module that imports boto3 (or aioboto3, aiobotocore) is enough. The address is the queue's name: the last segment
of a known queue URL, or the ``QueueName`` a URL was looked up by (``get_queue_url(QueueName=...)["QueueUrl"]``).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from arrakis_docs.extractors.broker_clients import ClientKinds, uses_broker
from arrakis_docs.extractors.event_sites import Site
from arrakis_docs.extractors.event_sites import SiteReader as EventReader  # nats_usage's reader, not imported here
from arrakis_docs.extractors.python_modules import call_name, keyword
from arrakis_docs.model.events import RECEIVE, SEND

TRANSPORT = "sqs"
SQS = ClientKinds(TRANSPORT, ("boto3", "aioboto3", "aiobotocore", "botocore"), ())
_CLIENT_CALLS = {"send_message": SEND, "send_message_batch": SEND, "receive_message": RECEIVE}
_QUEUE_CALLS = {"send_message": SEND, "send_messages": SEND, "receive_messages": RECEIVE}


def _lookup_call(reader: EventReader, node: ast.expr | None, site: Site, depth: int = 0) -> ast.Call | None:
    """The ``get_queue_url(...)`` / ``get_queue_by_name(...)`` call an expression comes from, if any."""
    if node is None or depth > 4:
        return None
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Call) and call_name(node) in ("get_queue_url", "get_queue_by_name", "Queue"):
        return node
    if isinstance(node, ast.Subscript):  # resp["QueueUrl"]
        return _lookup_call(reader, node.value, site, depth + 1)
    if isinstance(node, ast.Name):
        local = reader.assigned(site, node.id)
        if local is not None:
            return _lookup_call(reader, local, site, depth + 1)
        found = reader.lookup(site.module, node.id)
        if found and isinstance(found[1], ast.expr):
            return _lookup_call(reader, found[1], Site(found[0], None, None, site.node), depth + 1)
    return None


def _queue(reader: EventReader, url: ast.expr | None, site: Site) -> Any:  # a nats_usage.Subject
    """The queue name a ``QueueUrl`` (or queue object) expression stands for."""
    lookup = _lookup_call(reader, url, site)
    if lookup is not None:
        name = keyword(lookup, "QueueName") or (lookup.args[0] if lookup.args else None)
        return reader.subject(name, site)
    subject = reader.subject(url, site)
    if subject.address and "/" in subject.address:  # https://sqs.<region>.amazonaws.com/<account>/<name>
        return replace(subject, address=subject.address.rstrip("/").rsplit("/", 1)[-1])
    return subject


def sqs_call(reader: EventReader, site: Site) -> bool:
    """Record ``site`` if it is an SQS send or receive; whether it was one."""
    node = site.node
    if not isinstance(node.func, ast.Attribute) or not uses_broker(reader, site, SQS):
        return False
    name = node.func.attr
    url = keyword(node, "QueueUrl")
    if name in _CLIENT_CALLS and url is not None:
        reader._add(site, _CLIENT_CALLS[name], _queue(reader, url, site), "boto3", name, transport=TRANSPORT)
        return True
    if name in _QUEUE_CALLS and url is None and _lookup_call(reader, node.func.value, site) is not None:
        reader._add(site, _QUEUE_CALLS[name], _queue(reader, node.func.value, site), "boto3", name,
                    transport=TRANSPORT)
        return True
    return False
