"""A test-only stand-in that calls another service through a raw URL, bypassing the declared clients.

Run as ``python runtime_probe.py PORT SERVICE_NAME TARGET_URL``: a FastAPI app traced exactly as the platform's
services are (``install_tracing``, spans to ``ARRAKIS_OTLP_ENDPOINT``) whose ``GET /probe/raw-call`` requests
``TARGET_URL/audit/events`` with the caller's bearer token. The call is declared nowhere, so the runtime
reconciliation must report it as observed-only.
"""

from __future__ import annotations

import sys

import httpx
import uvicorn
from fastapi import FastAPI, Request

from arrakis_common.observability import install_tracing
from arrakis_common.settings import ServiceSettings


def create_app(service_name: str, target: str) -> FastAPI:
    """The probe app, reporting its spans as ``service_name``."""
    app = FastAPI()
    install_tracing(app, ServiceSettings(service_name=service_name))

    @app.get("/probe/raw-call")
    def raw_call(request: Request) -> dict[str, int]:
        headers = {"Authorization": request.headers.get("authorization", "")}
        response = httpx.get(f"{target}/audit/events", params={"limit": 1}, headers=headers, timeout=10)
        return {"status": response.status_code}

    return app


if __name__ == "__main__":
    port, name, url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    uvicorn.run(create_app(name, url), host="127.0.0.1", port=port, log_level="warning")
