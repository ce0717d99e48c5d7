"""Events event-gateway publishes itself (inbound events keep the type and version of their registered schema)."""

from __future__ import annotations

from typing import ClassVar

from arrakis_common.events import Event


class DeliveryDeadLettered(Event):
    """A webhook delivery gave up after its subscription's maximum number of attempts."""

    subject: ClassVar[str] = "arrakis.gateway.delivery.dead_lettered"
    version: ClassVar[int] = 1
    delivery_id: str
    subscription_id: str
    event_id: str
    event_subject: str
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
