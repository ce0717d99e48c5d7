"""Settings of data-kernel-service (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pydantic import Field

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "data-kernel-service"
    max_body_bytes: int = Field(default=10_485_760, description="Largest ingest body (JSON, CSV or upload)")
    max_reported_errors: int = Field(default=1000, ge=1, description="Row errors listed in one ingest response")
