"""Fixtures shared by the toolkit's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fresh_codecs(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty codec cache for asyncapi-python's generated clients. The library caches JSON codecs by message name
    in one process-wide dict, so a second generated package with a message of the same name would decode into the
    first package's classes."""
    from asyncapi_python.contrib.codec.json import JsonCodecFactory

    monkeypatch.setattr(JsonCodecFactory, "_codec_registry", {})
