"""audit-service's own metrics: the hash chain verified on a schedule, its verdict exposed as a gauge."""

from __future__ import annotations

import asyncio
import logging
import time

from fastapi import FastAPI
from prometheus_client import Gauge

from arrakis_common.app import ServiceRuntime

from .chain import verify_chain

log = logging.getLogger(__name__)


def install_chain_metrics(app: FastAPI, interval_seconds: float, batch_size: int) -> None:
    """Verify the chain at start and every ``interval_seconds``; ``arrakis_audit_chain_ok`` is 1 while the last
    verification passed, 0 once one failed (or could not run)."""
    registry = app.state.metrics.registry
    chain_ok = Gauge("arrakis_audit_chain_ok", "1 when the last verification of the audit hash chain passed",
                     registry=registry)
    verified_at = Gauge("arrakis_audit_chain_verified_timestamp_seconds",
                        "Unix time of the last completed verification of the audit hash chain", registry=registry)
    chain_ok.set(1)  # nothing recorded yet is an intact chain; the first run below replaces it at once

    def verify(runtime: ServiceRuntime) -> bool:
        with runtime.database().session() as session:
            report = verify_chain(session, batch_size)
        if not report.ok:
            log.error("audit chain broken at entry %s: %s", report.broken_seq, report.reason)
        return report.ok

    async def verify_periodically(runtime: ServiceRuntime) -> None:
        while True:
            try:
                chain_ok.set(1 if await asyncio.to_thread(verify, runtime) else 0)
                verified_at.set(time.time())
            except Exception:  # a verification that cannot run proves nothing: report the chain as not verified
                log.exception("audit chain verification failed to run")
                chain_ok.set(0)
            await asyncio.sleep(interval_seconds)

    app.state.runtime.jobs.append(verify_periodically)
