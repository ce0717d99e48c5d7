"""HTTP client of ontology-management-service, used to rebuild the ontology object index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from .settings import Settings


class OntologyUnavailable(RuntimeError):
    """ontology-management-service could not be reached or refused the request."""


class OntologyClient:
    """Reads objects from ontology-management-service on behalf of a caller, forwarding the caller's bearer token."""

    def __init__(self, settings: Settings, bearer_token: str, transport: httpx.BaseTransport | None = None) -> None:
        self.page_size = settings.reindex_page_size
        self.http = httpx.Client(base_url=settings.ontology_management_service_url,
                                 timeout=settings.ontology_timeout_seconds,
                                 headers={"Authorization": f"Bearer {bearer_token}"}, transport=transport)

    def __enter__(self) -> OntologyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.http.get(path, params=params)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise OntologyUnavailable(f"GET {path} answered {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise OntologyUnavailable(f"GET {path} failed: {exc}") from exc
        return response.json()

    def get_object(self, object_id: str) -> dict[str, Any]:
        """``GET /objects/{id}``."""
        return self._get(f"/objects/{object_id}")

    def list_objects(self, object_type: str | None = None, limit: int = 200, offset: int = 0) -> dict[str, Any]:
        """One page of ``GET /objects?object_type=...``: ``{items, total, limit, offset}``."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if object_type:
            params["object_type"] = object_type
        return self._get("/objects", params)

    def iter_objects(self, object_type: str | None = None) -> Iterator[dict[str, Any]]:
        """Every object, page by page."""
        offset = 0
        while True:
            page = self.list_objects(object_type, limit=self.page_size, offset=offset)
            yield from page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return
