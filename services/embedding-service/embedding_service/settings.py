"""Settings of embedding-service (``ARRAKIS_*`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "embedding-service"
    embedder: Literal["hashing", "minilm"] = Field(
        default="hashing", description="Embedder of collections created without one, ontology-objects included")
    embedding_dimension: int = Field(default=384, ge=8, le=4096,
                                     description="Dimension of collections created without one")
    ontology_management_service_url: str = "http://127.0.0.1:8002"
    ontology_timeout_seconds: float = 10.0
    reindex_page_size: int = Field(default=200, ge=1, le=500)
