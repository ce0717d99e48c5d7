"""Settings of scheduler-service (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pydantic import Field

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "scheduler-service"
    scheduler_loop_enabled: bool = Field(default=True, description="Run the background loop that fires due jobs")
    scheduler_tick_seconds: float = Field(default=0.5, gt=0, description="Seconds between two looks for due jobs")
    scheduler_batch_size: int = Field(default=100, ge=1, description="Most jobs fired in one tick")
