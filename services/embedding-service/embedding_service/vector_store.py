"""Collections and items in the database, a per-collection NumPy matrix cache, and cosine k-nearest-neighbours."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import HTTPException, status
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arrakis_common.events import utcnow

from .embedders import EmbedderUnavailable, get_embedder, normalise_rows
from .models import Collection, Item

VECTOR_DTYPE = np.dtype("<f4")
Metadata = dict[str, str | int | float | bool | None]


@dataclass(frozen=True)
class ItemWrite:
    """One item to upsert: a vector, or text to embed (or both; the vector wins and the text is kept)."""

    item_id: str
    text: str | None = None
    vector: list[float] | None = None
    metadata: Metadata | None = None


@dataclass(frozen=True)
class Hit:
    item_id: str
    score: float
    text: str | None
    metadata: dict[str, Any]


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=VECTOR_DTYPE)


def collection_by_name(session: Session, name: str) -> Collection:
    found = session.scalars(select(Collection).where(Collection.name == name)).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"collection {name!r} not found")
    return found


def ensure_collection(session: Session, name: str, dimension: int, embedder: str) -> Collection:
    """The collection ``name``, created with ``dimension`` and ``embedder`` when it does not exist yet."""
    found = session.scalars(select(Collection).where(Collection.name == name)).first()
    if found is None:
        found = Collection(name=name, dimension=dimension, embedder=embedder, revision=0)
        session.add(found)
        session.flush()
    return found


def bump_revision(session: Session, collection: Collection) -> None:
    """Mark the collection changed (atomically, in the writer's transaction) so cached matrices are rebuilt."""
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(revision=Collection.revision + 1))


def embed_texts(collection: Collection, texts: list[str]) -> np.ndarray:
    try:
        return get_embedder(collection.embedder, collection.dimension).embed(texts)
    except EmbedderUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


def vectors_for(collection: Collection, writes: list[ItemWrite]) -> list[np.ndarray]:
    """The vector of each write: given ones checked for the collection's dimension, the others embedded in a batch."""
    vectors: list[np.ndarray | None] = [None] * len(writes)
    to_embed: list[int] = []
    for index, write in enumerate(writes):
        if write.vector is not None:
            if len(write.vector) != collection.dimension:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{
                    "type": "value_error", "loc": ["body", "items", index, "vector"], "input": len(write.vector),
                    "msg": f"vector has {len(write.vector)} dimensions, collection {collection.name!r} has "
                           f"{collection.dimension}"}])
            vectors[index] = np.asarray(write.vector, dtype=VECTOR_DTYPE)
        else:
            to_embed.append(index)
    if to_embed:
        embedded = embed_texts(collection, [writes[i].text or "" for i in to_embed])
        for row, index in enumerate(to_embed):
            vectors[index] = embedded[row]
    return [v for v in vectors if v is not None]


def upsert_items(session: Session, collection: Collection, writes: list[ItemWrite]) -> int:
    """Insert or replace items by id; returns how many were written."""
    if not writes:
        return 0
    vectors = vectors_for(collection, writes)
    ids = [w.item_id for w in writes]
    existing = {item.item_id: item for item in session.scalars(
        select(Item).where(Item.collection_id == collection.id, Item.item_id.in_(ids)))}
    for write, vector in zip(writes, vectors, strict=True):
        item = existing.get(write.item_id)
        if item is None:
            item = Item(collection_id=collection.id, item_id=write.item_id)
            session.add(item)
            existing[write.item_id] = item
        item.text = write.text
        item.vector = to_bytes(vector)
        item.item_metadata = dict(write.metadata or {})
        item.updated_at = utcnow()
    bump_revision(session, collection)
    session.flush()
    return len(writes)


def delete_items(session: Session, collection: Collection, item_ids: list[str]) -> int:
    """Remove items by id; returns how many existed."""
    if not item_ids:
        return 0
    result = session.execute(delete(Item).where(Item.collection_id == collection.id, Item.item_id.in_(item_ids)))
    if result.rowcount:
        bump_revision(session, collection)
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class CollectionMatrix:
    """Every item of one collection revision: ids, unit-length rows, texts and metadata, in item id order."""

    revision: int
    ids: list[str]
    matrix: np.ndarray
    texts: list[str | None]
    metadata: list[dict[str, Any]]


class MatrixCache:
    """One matrix per collection, rebuilt when the collection's revision in the database moved on."""

    def __init__(self) -> None:
        self._entries: dict[int, CollectionMatrix] = {}
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, session: Session, collection_id: int) -> CollectionMatrix:
        # Read the revision before the rows: rows are then at least as new as the revision they are cached under.
        revision = session.scalar(select(Collection.revision).where(Collection.id == collection_id))
        with self._lock:
            cached = self._entries.get(collection_id)
        if cached is not None and cached.revision == revision:
            return cached
        rows = session.execute(select(Item.item_id, Item.vector, Item.text, Item.item_metadata)
                               .where(Item.collection_id == collection_id).order_by(Item.item_id)).all()
        dimension = session.scalar(select(Collection.dimension).where(Collection.id == collection_id)) or 0
        matrix = np.zeros((len(rows), dimension), dtype=np.float32)
        for index, row in enumerate(rows):
            matrix[index] = from_bytes(row.vector)
        built = CollectionMatrix(revision=int(revision or 0), ids=[r.item_id for r in rows],
                                 matrix=normalise_rows(matrix), texts=[r.text for r in rows],
                                 metadata=[dict(r.item_metadata or {}) for r in rows])
        with self._lock:
            self._entries[collection_id] = built
            self.builds += 1
        return built

    def forget(self, collection_id: int) -> None:
        with self._lock:
            self._entries.pop(collection_id, None)


def nearest(matrix: np.ndarray, query: np.ndarray, k: int, candidates: np.ndarray | None = None
            ) -> list[tuple[int, float]]:
    """Row indexes of the ``k`` rows most cosine-similar to ``query`` (best first, ties by index)."""
    rows = np.arange(matrix.shape[0]) if candidates is None else candidates
    norm = float(np.linalg.norm(query))
    if rows.size == 0 or norm == 0.0:
        return []
    scores = matrix[rows] @ (query.astype(np.float32) / norm)
    k = min(k, rows.size)
    top = np.argpartition(-scores, k - 1)[:k] if k < rows.size else np.arange(rows.size)
    # Sort the k best by score descending, then by row index for a stable order among equal scores.
    order = top[np.lexsort((rows[top], -scores[top]))]
    return [(int(rows[i]), float(scores[i])) for i in order]


def matching_rows(metadata: list[dict[str, Any]], where: Metadata | None) -> np.ndarray | None:
    """Indexes of the items whose metadata equals every key of ``where`` (None: no filter)."""
    if not where:
        return None
    return np.array([i for i, meta in enumerate(metadata) if all(same_value(meta, key, value)
                                                                  for key, value in where.items())], dtype=np.int64)


def same_value(metadata: dict[str, Any], key: str, value: Any) -> bool:
    """Equality that does not take ``True`` for ``1``."""
    if key not in metadata:
        return False
    stored = metadata[key]
    return stored == value and isinstance(stored, bool) == isinstance(value, bool)


def search(cache: MatrixCache, session: Session, collection: Collection, query: np.ndarray, k: int,
           where: Metadata | None = None) -> list[Hit]:
    """The ``k`` items nearest to ``query`` by cosine similarity, optionally only those matching ``where``."""
    snapshot = cache.get(session, collection.id)
    found = nearest(snapshot.matrix, query, k, matching_rows(snapshot.metadata, where))
    return [Hit(item_id=snapshot.ids[i], score=score, text=snapshot.texts[i], metadata=snapshot.metadata[i])
            for i, score in found]
