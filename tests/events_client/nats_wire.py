"""A small nats-py wire for asyncapi-python's generated clients: the same factory/producer/consumer interface as the
library's in-memory wire (``asyncapi_python.kernel.wire``), over a real NATS server with JetStream.

Sending publishes to the channel address on JetStream, with ``Nats-Msg-Id`` set to the platform envelope's ``id`` so
the stream dedupes a resend. Receiving is a core NATS subscription on the address (a queue group when the operation's
NATS binding names one); JetStream-delivered messages are acked, nacked and terminated through their reply subject.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from asyncapi_python.kernel.wire import AbstractWireFactory, EndpointParams
from asyncapi_python.kernel.wire.typing import Consumer, Producer
from asyncapi_python.kernel.wire.utils import substitute_parameters
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from typing_extensions import Unpack

MSG_ID = "Nats-Msg-Id"


def envelope_id(payload: bytes) -> str | None:
    """The ``id`` of a platform envelope (JSON object with an ``id``), or None for any other payload."""
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    value = document.get("id") if isinstance(document, dict) else None
    return value if isinstance(value, str) and value else None


@dataclass
class NatsIncomingMessage:
    """One received NATS message as the library's subscribers expect it (payload, headers, ack/nack/reject)."""

    msg: Msg
    settled: list[str] = field(default_factory=list)

    @property
    def payload(self) -> bytes:
        return self.msg.data

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.msg.headers or {})

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get("correlation-id")

    @property
    def reply_to(self) -> str | None:
        return self.msg.reply or None

    @property
    def from_jetstream(self) -> bool:
        return bool(self.msg.reply) and self.msg.reply.startswith("$JS.ACK.")

    async def ack(self) -> None:
        await self._settle("ack", self.msg.ack)

    async def nack(self) -> None:
        await self._settle("nack", self.msg.nak)

    async def reject(self) -> None:
        await self._settle("reject", self.msg.term)

    async def _settle(self, outcome: str, action: Any) -> None:
        self.settled.append(outcome)
        if self.from_jetstream:  # a core message has nobody to settle with
            await action()


class NatsProducer(Producer[Any]):
    """Publishes each message to the channel address (or the per-send override) on JetStream."""

    def __init__(self, nc: Client, address: str, timeout: float) -> None:
        self._nc = nc
        self._address = address
        self._timeout = timeout
        self._started = False

    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        self._started = False

    async def send_batch(self, messages: list[Any], *, address_override: str | None = None) -> None:
        if not self._started:
            raise RuntimeError("producer not started")
        subject = address_override or self._address
        js = self._nc.jetstream(timeout=self._timeout)
        for message in messages:
            headers = {str(k): str(v) for k, v in (message.headers or {}).items()}
            msg_id = headers.get(MSG_ID) or envelope_id(message.payload)
            if msg_id:
                headers[MSG_ID] = msg_id
            await js.publish(subject, message.payload, headers=headers or None)


class NatsConsumer(Consumer[NatsIncomingMessage]):
    """Yields the messages of a core NATS subscription on the channel address until stopped."""

    def __init__(self, nc: Client, address: str, queue: str) -> None:
        self._nc = nc
        self._address = address
        self._queue = queue
        self._subscription: Subscription | None = None
        self._inbox: asyncio.Queue[Msg | None] = asyncio.Queue()

    async def start(self) -> None:
        if self._subscription is None:
            self._subscription = await self._nc.subscribe(self._address, queue=self._queue, cb=self._inbox.put)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None
            await self._inbox.put(None)  # wakes recv() so it ends

    def recv(self) -> AsyncGenerator[NatsIncomingMessage, None]:
        return self._messages()

    async def _messages(self) -> AsyncGenerator[NatsIncomingMessage, None]:
        if self._subscription is None:
            raise RuntimeError("consumer not started")
        while (msg := await self._inbox.get()) is not None:
            yield NatsIncomingMessage(msg)


def channel_address(params: EndpointParams) -> str:
    """The concrete subject of an endpoint: the channel address with its parameters filled in."""
    address = params["channel"].address
    if not address:
        raise ValueError(f"channel {params['channel'].key!r} has no address: NATS needs a subject")
    return substitute_parameters(address, params["parameters"])


def queue_group(params: EndpointParams) -> str:
    """The NATS operation binding's ``queue``, when the spec gives one."""
    bindings = params.get("op_bindings")
    nats_binding = getattr(bindings, "nats", None) if bindings is not None else None
    if isinstance(nats_binding, dict):
        return str(nats_binding.get("queue") or "")
    return str(getattr(nats_binding, "queue", None) or "")


class NatsWire(AbstractWireFactory[Any, NatsIncomingMessage]):
    """Wire factory over one connected nats-py client (the caller owns the connection)."""

    def __init__(self, nc: Client, *, timeout: float = 10.0) -> None:
        self._nc = nc
        self._timeout = timeout

    async def create_producer(self, **kwargs: Unpack[EndpointParams]) -> Producer[Any]:
        return NatsProducer(self._nc, channel_address(kwargs), self._timeout)

    async def create_consumer(self, **kwargs: Unpack[EndpointParams]) -> Consumer[NatsIncomingMessage]:
        return NatsConsumer(self._nc, channel_address(kwargs), queue_group(kwargs))
