"""The hashing embedder and the kNN routine, without a server."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from embedding_service.embedders import HashingEmbedder, get_embedder
from embedding_service.vector_store import matching_rows, nearest

SCRIPT = ("from embedding_service.embedders import HashingEmbedder; "
          "print(HashingEmbedder(64).embed(['Sand worms of Arrakis'])[0].tobytes().hex())")


def test_vectors_are_deterministic_across_processes():
    here = HashingEmbedder(64).embed(["Sand worms of Arrakis"])[0]
    # A new interpreter has another hash() seed: the vector must not change.
    for seed in ("1", "2"):
        other = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True,
                               env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout.strip()
        assert other == here.tobytes().hex()


def test_vectors_are_unit_length_signed_and_sized():
    vectors = HashingEmbedder(384).embed(["giant sandworm", "spice harvester", "", "!!!"])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0)
    assert not vectors[2:].any()
    assert (vectors[0] < 0).any() and (vectors[0] > 0).any()
    assert get_embedder("hashing", 32).embed(["x"]).shape == (1, 32)


def test_similar_words_score_higher_than_unrelated_ones():
    query, close, far = HashingEmbedder(384).embed(["sandworm", "sand worms", "quarterly tax report"])
    assert query @ close > 0.25 and abs(query @ far) < 0.1


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(500, 32)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    query = rng.normal(size=32).astype(np.float32)
    expected = np.argsort(-(matrix @ (query / np.linalg.norm(query))), kind="stable")[:10]
    got = nearest(matrix, query, 10)
    assert [i for i, _ in got] == expected.tolist()
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    assert len(nearest(matrix, query, 10_000)) == 500
    assert nearest(matrix, np.zeros(32, dtype=np.float32), 3) == []
    rows = matching_rows([{"a": 1}, {"a": True}, {"a": 1, "b": "x"}, {}], {"a": 1})
    assert rows.tolist() == [0, 2]
    assert [i for i, _ in nearest(matrix, query, 5, rows)] in ([0, 2], [2, 0])
