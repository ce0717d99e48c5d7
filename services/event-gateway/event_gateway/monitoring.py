"""event-gateway's own metric: webhook deliveries waiting in the dead-letter list, counted at every scrape."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from prometheus_client import Gauge
from sqlalchemy import func, select

from .models import Delivery, DeliveryStatus


def install_dead_letter_gauge(app: FastAPI) -> Gauge:
    """``arrakis_webhook_dead_letters``: deliveries dead-lettered and not yet replayed (0 until the first one)."""
    metrics = app.state.metrics
    gauge = Gauge("arrakis_webhook_dead_letters", "Webhook deliveries in the dead-letter list (not replayed)",
                  registry=metrics.registry)

    def count() -> int:
        with app.state.runtime.database().session() as session:
            return session.scalar(select(func.count()).select_from(Delivery)
                                  .where(Delivery.status == DeliveryStatus.DEAD)) or 0

    async def refresh() -> None:
        if app.state.runtime.db is not None:
            gauge.set(await asyncio.to_thread(count))

    metrics.on_scrape(refresh)
    return gauge
