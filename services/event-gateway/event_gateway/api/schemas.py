"""Discovery of the event subjects integrators can send or subscribe to, from the NATS KV schema registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from arrakis_common.app import ServiceRuntime, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import subject_matches
from arrakis_common.pagination import Page, PageParams, page_params
from arrakis_common.provenance import GATEWAY, is_inbound_subject

from ..schema_registry import InvalidRegistration, RegistryUnavailable, SchemaRecord, SchemaRegistry

router = APIRouter(prefix="/schemas", tags=["schemas"])

REGISTRY_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_502_BAD_GATEWAY: {"description": "The registered schema is unusable"},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"description": "NATS (the schema registry) is unreachable"},
}


def get_schema_registry(request: Request) -> SchemaRegistry:
    """Dependency: the app's cached view of the schema registry."""
    return request.app.state.schema_registry


async def registered_schema(registry: SchemaRegistry, runtime: ServiceRuntime, subject: str) -> SchemaRecord:
    """The record of ``subject``; 404 when unknown, 503 when NATS is down, 502 when the record is unusable."""
    try:
        record = await registry.lookup(runtime.bus, subject)
    except RegistryUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    except InvalidRegistration as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc)) from exc
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event schema is registered for subject {subject}")
    return record


class SchemaSummary(BaseModel):
    subject: str
    type: str
    version: int
    source: str = Field(description="Service that declared the event")
    inbound: bool = Field(description="Whether POST /events/{subject} accepts it from outside (arrakis.external.>)")
    publishers: list[str] = Field(description="The services consumers accept this subject from")


def summary_fields(record: dict[str, Any]) -> dict[str, Any]:
    """``inbound`` and ``publishers`` of a registry record, by the rule consumers apply (arrakis_common.provenance)."""
    subject = str(record.get("subject", ""))
    if is_inbound_subject(subject):
        return {"inbound": True, "publishers": [GATEWAY]}
    extra = [str(name) for name in record.get("publishers") or [] if isinstance(name, str)]
    return {"inbound": False, "publishers": sorted({str(record.get("source", "")), *extra} - {""})}


class SchemaDetail(SchemaSummary):
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema (Draft 2020-12) of the payload")


@router.get("", summary="List the event subjects registered in the schema registry", responses=REGISTRY_ERRORS)
async def list_schemas(match: str | None = Query(None, description="NATS pattern the subjects must match",
                                                 examples=["arrakis.ontology.>"]),
                       params: PageParams = Depends(page_params), runtime: ServiceRuntime = Depends(get_runtime),
                       registry: SchemaRegistry = Depends(get_schema_registry),
                       _: Principal = Depends(require_roles())) -> Page[SchemaSummary]:
    try:
        records = await registry.records(runtime.bus)
    except RegistryUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
    summaries = [SchemaSummary(subject=str(r.get("subject", "")), type=str(r.get("type", "")),
                               version=int(r.get("version", 1)), source=str(r.get("source", "")), **summary_fields(r))
                 for r in records]
    if match:
        summaries = [s for s in summaries if subject_matches(match, s.subject)]
    window = summaries[params.offset:params.offset + params.limit]
    return Page(items=window, total=len(summaries), limit=params.limit, offset=params.offset)


@router.get("/{subject}", summary="Get the JSON schema registered for one subject", responses=REGISTRY_ERRORS,
            response_model_by_alias=True)
async def get_schema(subject: str, runtime: ServiceRuntime = Depends(get_runtime),
                     registry: SchemaRegistry = Depends(get_schema_registry),
                     _: Principal = Depends(require_roles())) -> SchemaDetail:
    record = await registered_schema(registry, runtime, subject)
    return SchemaDetail(subject=record.subject, type=record.type, version=record.version, source=record.source,
                        schema=record.schema, **summary_fields(record.raw))
