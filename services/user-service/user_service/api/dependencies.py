"""Dependencies that hand routes the app's signing keys and security store."""

from __future__ import annotations

from fastapi import Request

from ..security_store import SecurityStore
from ..signing import LazyIssuer


def get_issuer(request: Request) -> LazyIssuer:
    return request.app.state.issuer


def get_security_store(request: Request) -> SecurityStore:
    return request.app.state.security_store
