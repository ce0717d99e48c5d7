"""Rebuilding the ``ontology-objects`` collection from ontology-management-service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles

from ..clients import OntologyClient, OntologyUnavailable
from ..ontology_index import COLLECTION, reindex

router = APIRouter(prefix=f"/collections/{COLLECTION}", tags=["ontology-objects"])


class ReindexOut(BaseModel):
    collection: str
    indexed: int
    removed: int


@router.post("/reindex", summary="Rebuild the ontology object index from ontology-management-service")
def reindex_ontology_objects(request: Request, session: Session = db_session,
                             runtime: ServiceRuntime = Depends(get_runtime),
                             _: Principal = Depends(require_roles("editor"))) -> ReindexOut:
    # require_roles has verified the bearer token; it is forwarded so the ontology applies the caller's rights.
    token = request.headers["authorization"].split(" ", 1)[1]
    try:
        with OntologyClient(runtime.settings, token) as client:  # type: ignore[arg-type]
            objects = list(client.iter_objects())
    except OntologyUnavailable as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"ontology-management-service: {exc}") from exc
    result = reindex(session, runtime, objects)
    return ReindexOut(collection=COLLECTION, indexed=result.indexed, removed=result.removed)
