"""Settings of ontology-management-service (``ARRAKIS_*`` environment variables)."""

from __future__ import annotations

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "ontology-management-service"
