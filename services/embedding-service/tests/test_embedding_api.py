"""The HTTP API of embedding-service on SQLite and PostgreSQL (events off)."""

from __future__ import annotations

import numpy as np
import pytest

TEXTS = {
    "worms": "Sand worms of Arrakis",
    "tax": "Quarterly tax report for the accounting department",
    "harvester": "Spice harvester maintenance schedule",
    "ocean": "Caladan is an ocean world with fishing villages",
    "recipe": "Recipe for lemon cake with vanilla frosting",
    "router": "Configure the office network router firewall",
}


@pytest.fixture()
def client(make_client, database_url):
    with make_client(database_url, events_enabled=False) as client:
        yield client


def upsert(client, headers, name: str, items: list[dict]):
    return client.put(f"/collections/{name}/items", json={"items": items}, headers=headers)


def test_collections_crud_and_errors(client, editor, viewer):
    created = client.post("/collections", json={"name": "docs"}, headers=editor)
    assert created.status_code == 201
    assert created.json() | {"created_at": None} == {"name": "docs", "dimension": 384, "embedder": "hashing",
                                                      "item_count": 0, "created_at": None}
    assert client.post("/collections", json={"name": "docs"}, headers=editor).status_code == 409
    assert client.post("/collections", json={"name": "small", "dimension": 8}, headers=editor).json()[
        "dimension"] == 8
    assert client.post("/collections", json={"name": "Bad Name"}, headers=editor).status_code == 422
    assert client.post("/collections", json={"name": "x", "embedder": "word2vec"}, headers=editor).status_code == 422
    wrong = client.post("/collections", json={"name": "x", "embedder": "minilm", "dimension": 10}, headers=editor)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "dimension"]
    assert client.post("/collections", json={"name": "x"}, headers=viewer).status_code == 403
    assert client.post("/collections", json={"name": "x"}).status_code == 401
    listing = client.get("/collections", params={"limit": 1}, headers=viewer).json()
    assert listing["total"] == 2 and listing["items"][0]["name"] == "docs"
    assert client.get("/collections/docs", headers=viewer).json()["embedder"] == "hashing"
    assert client.get("/collections/nope", headers=viewer).status_code == 404
    assert client.delete("/collections/small", headers=viewer).status_code == 403
    assert client.delete("/collections/small", headers=editor).status_code == 204
    assert client.get("/collections/small", headers=viewer).status_code == 404
    assert client.delete("/collections/small", headers=editor).status_code == 404


def test_items_upsert_get_list_delete(client, editor, viewer):
    client.post("/collections", json={"name": "tiny", "dimension": 4}, headers=editor)
    response = upsert(client, editor, "tiny", [
        {"id": "a", "vector": [1, 0, 0, 0], "metadata": {"kind": "axis"}},
        {"id": "b", "text": "hello world", "metadata": {"kind": "text", "n": 2}},
    ])
    assert response.status_code == 200 and response.json() == {"collection": "tiny", "upserted": 2}
    item = client.get("/collections/tiny/items/a", headers=viewer).json()
    assert item["vector"] == [1.0, 0.0, 0.0, 0.0] and item["metadata"] == {"kind": "axis"} and item["text"] is None
    embedded = client.get("/collections/tiny/items/b", headers=viewer).json()
    assert len(embedded["vector"]) == 4 and embedded["text"] == "hello world"
    assert upsert(client, editor, "tiny", [{"id": "a", "vector": [0, 2, 0, 0], "text": "kept"}]).status_code == 200
    replaced = client.get("/collections/tiny/items/a", headers=viewer).json()
    assert replaced["vector"] == [0.0, 2.0, 0.0, 0.0] and replaced["text"] == "kept" and replaced["metadata"] == {}
    listing = client.get("/collections/tiny/items", headers=viewer).json()
    assert listing["total"] == 2 and [i["id"] for i in listing["items"]] == ["a", "b"]
    assert listing["items"][0]["vector"] is None
    assert client.get("/collections/tiny", headers=viewer).json()["item_count"] == 2

    bad_dimension = upsert(client, editor, "tiny", [{"id": "c", "vector": [1, 2]}])
    assert bad_dimension.status_code == 422
    assert bad_dimension.json()["detail"][0]["loc"] == ["body", "items", 0, "vector"]
    assert upsert(client, editor, "tiny", [{"id": "c"}]).status_code == 422
    assert upsert(client, editor, "tiny", [{"id": "c", "text": "x", "metadata": {"nested": {"a": 1}}}]
                  ).status_code == 422
    assert upsert(client, editor, "tiny", [{"id": "c", "text": "x"}, {"id": "c", "text": "y"}]).status_code == 422
    assert upsert(client, editor, "tiny", []).status_code == 422
    assert upsert(client, editor, "nope", [{"id": "c", "text": "x"}]).status_code == 404
    assert upsert(client, viewer, "tiny", [{"id": "c", "text": "x"}]).status_code == 403
    assert client.get("/collections/tiny/items/zzz", headers=viewer).status_code == 404
    assert client.delete("/collections/tiny/items/a", headers=viewer).status_code == 403
    assert client.delete("/collections/tiny/items/a", headers=editor).status_code == 204
    assert client.delete("/collections/tiny/items/a", headers=editor).status_code == 404
    assert client.get("/collections/tiny", headers=viewer).json()["item_count"] == 1


def test_text_search_finds_the_sandworm_first(client, editor, viewer):
    client.post("/collections", json={"name": "dune"}, headers=editor)
    upsert(client, editor, "dune", [{"id": key, "text": text, "metadata": {"topic": "dune" if key in
                                     ("worms", "harvester", "ocean") else "other"}} for key, text in TEXTS.items()])
    hits = client.post("/collections/dune/search", json={"text": "giant sandworm", "k": 3}, headers=viewer).json()
    assert hits["hits"][0]["id"] == "worms" and hits["hits"][0]["text"] == TEXTS["worms"]
    assert len(hits["hits"]) == 3
    assert hits["hits"][0]["score"] > hits["hits"][1]["score"]
    filtered = client.post("/collections/dune/search", json={"text": "giant sandworm", "k": 10,
                                                              "filter": {"topic": "other"}}, headers=viewer).json()
    assert {h["id"] for h in filtered["hits"]} == {"tax", "recipe", "router"}
    assert client.post("/collections/dune/search", json={"k": 3}, headers=viewer).status_code == 422
    assert client.post("/collections/dune/search", json={"text": "a", "vector": [1.0]}, headers=viewer
                       ).status_code == 422
    assert client.post("/collections/dune/search", json={"text": "a", "k": 0}, headers=viewer).status_code == 422
    assert client.post("/collections/dune/search", json={"vector": [1.0, 2.0]}, headers=viewer).status_code == 422
    assert client.post("/collections/nope/search", json={"text": "a"}, headers=viewer).status_code == 404
    assert client.post("/collections/dune/search", json={"text": "a"}).status_code == 401


def test_vector_search_matches_brute_force_and_sees_every_write(client, editor, viewer):
    rng = np.random.default_rng(42)
    vectors = rng.normal(size=(120, 16)).astype(np.float32)
    client.post("/collections", json={"name": "random", "dimension": 16}, headers=editor)
    upsert(client, editor, "random", [{"id": f"v{i:03d}", "vector": v.tolist(), "metadata": {"even": i % 2 == 0}}
                                      for i, v in enumerate(vectors)])
    query = rng.normal(size=16).astype(np.float32)

    def brute_force(rows: np.ndarray, ids: list[str], k: int) -> list[str]:
        scores = (rows / np.linalg.norm(rows, axis=1, keepdims=True)) @ (query / np.linalg.norm(query))
        return [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]

    def search(**body) -> list[dict]:
        response = client.post("/collections/random/search", json={"vector": query.tolist(), **body}, headers=viewer)
        assert response.status_code == 200, response.text
        return response.json()["hits"]

    ids = [f"v{i:03d}" for i in range(120)]
    hits = search(k=7)
    assert [h["id"] for h in hits] == brute_force(vectors, ids, 7)
    expected_top = vectors[int(hits[0]["id"][1:])]
    cosine = float(expected_top @ query / np.linalg.norm(expected_top) / np.linalg.norm(query))
    assert hits[0]["score"] == pytest.approx(cosine, abs=1e-5)
    even = search(k=5, filter={"even": True})
    assert [h["id"] for h in even] == brute_force(vectors[::2], ids[::2], 5)

    cache = client.app.state.matrix_cache
    builds = cache.builds
    search(k=3)
    assert cache.builds == builds  # no write since: served from the cached matrix
    upsert(client, editor, "random", [{"id": "exact", "vector": query.tolist()}])
    assert search(k=1)[0]["id"] == "exact" and cache.builds == builds + 1
    client.delete("/collections/random/items/exact", headers=editor)
    assert search(k=1)[0]["id"] == hits[0]["id"]


COLLECTION_CHANGES = [
    ("PUT", "/items", {"items": [{"id": "b", "vector": [0, 1, 0, 0]}]}, 200),
    ("DELETE", "/items/a", None, 204),
    ("DELETE", "", None, 204),
]


@pytest.mark.parametrize(("method", "suffix", "body", "ok_status"), COLLECTION_CHANGES,
                         ids=[f"{m} {s or '/'}" for m, s, _, _ in COLLECTION_CHANGES])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_only_the_owner_or_an_admin_changes_a_collection(client, editor, auth_header, caller, method, suffix, body,
                                                         ok_status):
    headers = {"owner": editor, "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    assert client.post("/collections", json={"name": "mine", "dimension": 4}, headers=editor).status_code == 201
    assert upsert(client, editor, "mine", [{"id": "a", "vector": [1, 0, 0, 0]}]).status_code == 200
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, f"/collections/mine{suffix}", headers=headers[caller], **kwargs)
    if caller == "other-editor":
        # Collections are visible to every signed-in user: 403, and the collection and its item are still there.
        assert response.status_code == 403, response.text
        assert client.get("/collections/mine/items/a", headers=editor).status_code == 200
        assert client.get("/collections/mine/items", headers=editor).json()["total"] == 1
    else:
        assert response.status_code == ok_status, response.text
