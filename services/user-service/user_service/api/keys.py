"""The public signing keys other services verify access tokens with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ..signing import LazyIssuer
from .dependencies import get_issuer

router = APIRouter(prefix="/.well-known", tags=["keys"])


class JWKS(BaseModel):
    keys: list[dict[str, Any]]


@router.get("/jwks.json", summary="JSON Web Key Set of the token signing keys")
def jwks(issuer: LazyIssuer = Depends(get_issuer)) -> JWKS:
    return JWKS.model_validate(issuer.issuer.jwks())
