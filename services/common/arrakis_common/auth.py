"""RS256 JWTs: user-service issues them, every service verifies them through user-service's JWKS (cached)."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .db import owner_only_file

ISSUER = "arrakis-user-service"
AUDIENCE = "arrakis"
ALGORITHM = "RS256"


class AuthUnavailable(Exception):
    """The key set could not be fetched (user-service down)."""


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]: ...


def generate_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_or_create_private_key(path: Path) -> bytes:
    """The signing key kept at ``path``, created (mode 0600) on first use."""
    if path.exists():
        return path.read_bytes()
    owner_only_file(path)  # created 0600 before the key is written, so it is never readable by others
    pem = generate_private_key_pem()
    path.write_bytes(pem)
    return pem


def _decode(token: str, key: Any) -> dict[str, Any]:
    claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                        options={"require": ["exp", "iat", "sub", "typ"]})
    return claims


class TokenIssuer:
    """Signs access and refresh tokens and publishes the public key as a JWKS."""

    def __init__(self, private_key_pem: bytes, access_ttl: int = 900, refresh_ttl: int = 7 * 24 * 3600) -> None:
        self.private_key = serialization.load_pem_private_key(private_key_pem, password=None)
        self.public_key = self.private_key.public_key()
        public_der = self.public_key.public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = uuid.uuid5(uuid.NAMESPACE_OID, public_der.hex()).hex[:16]
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def issue(self, subject: str, roles: list[str], token_type: str = "access", **extra: Any) -> str:  # nosec B107
        now = int(time.time())
        ttl = self.access_ttl if token_type == "access" else self.refresh_ttl  # nosec B105
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "roles": sorted(roles), "typ": token_type,
                  "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex, **extra}
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return {"keys": [jwk]}

    def verify(self, token: str) -> dict[str, Any]:
        return _decode(token, self.public_key)


class TracedJWKClient(jwt.PyJWKClient):
    """PyJWT's JWKS client fetching over httpx instead of urllib, so the fetch is traced (and its ``traceparent``
    sent) like every other call between services."""

    def fetch_data(self) -> Any:
        """GET the JWK Set; the cache and the refetch clock are kept as PyJWT's own ``fetch_data`` keeps them."""
        import httpx

        try:
            response = httpx.get(self.uri, headers=self.headers, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            jwk_set = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise jwt.PyJWKClientConnectionError(f'Fail to fetch data from the url, err: "{exc}"') from exc
        if not isinstance(jwk_set, dict):
            raise jwt.PyJWKClientError("The JWKS endpoint did not return a JSON object")
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(jwk_set)
        self._last_successful_fetch = time.monotonic()
        return jwk_set


class JWKSVerifier:
    """Verifies tokens against a remote JWKS, cached by PyJWT's client for ``cache_seconds``."""

    def __init__(self, jwks_url: str, cache_seconds: int = 300) -> None:
        self.client = TracedJWKClient(jwks_url, cache_jwk_set=True, lifespan=cache_seconds, timeout=5)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self.client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthUnavailable(str(exc)) from exc
        return _decode(token, key.key)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_any(self, roles: tuple[str, ...]) -> bool:
        return not roles or bool(self.roles & set(roles)) or "admin" in self.roles


_bearer = HTTPBearer(auto_error=False, description="Access token issued by user-service")


class VerifiedTokens:
    """Claims of tokens already verified, kept until each token expires (least recently used dropped past
    ``size``): a client sends the same access token with every request, so its signature is checked once, and a
    request whose token is known needs no thread-pool hop (the check can fetch the JWKS, so it never runs on the
    event loop). Used from the event loop only."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._claims: OrderedDict[tuple[int, str], dict[str, Any]] = OrderedDict()

    def get(self, verifier: object, token: str) -> dict[str, Any] | None:
        key = (id(verifier), token)
        claims = self._claims.get(key)
        if claims is None:
            return None
        if float(claims.get("exp", 0)) <= time.time():
            del self._claims[key]
            return None
        self._claims.move_to_end(key)
        return claims

    def put(self, verifier: object, token: str, claims: dict[str, Any]) -> None:
        self._claims[(id(verifier), token)] = claims
        while len(self._claims) > self.size:
            self._claims.popitem(last=False)


def _verified_claims(verifier: TokenVerifier, token: str) -> dict[str, Any]:
    try:
        claims = verifier.verify(token)
    except AuthUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "token keys unavailable") from exc
    except jwt.PyJWTError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid token: {exc}",
                            headers={"WWW-Authenticate": "Bearer"}) from exc
    if claims.get("typ") != "access":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not an access token")
    return claims


async def current_principal(request: Request,
                            credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """The caller of this request, from its ``Authorization: Bearer`` access token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    known: VerifiedTokens | None = getattr(request.app.state, "verified_tokens", None)
    if known is None:
        known = request.app.state.verified_tokens = VerifiedTokens()
    token = credentials.credentials
    claims = known.get(verifier, token)
    if claims is None:
        claims = await run_in_threadpool(_verified_claims, verifier, token)
        known.put(verifier, token, claims)
    return Principal(subject=str(claims["sub"]), roles=frozenset(claims.get("roles", [])), claims=claims)


def require_roles(*roles: str):  # noqa: ANN201 - returns a FastAPI dependency
    """A dependency that admits callers holding any of ``roles`` (or ``admin``); none means any signed-in user."""

    # async: a pure check, so it runs on the event loop instead of costing a thread-pool hop per request.
    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_any(roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires one of roles: {', '.join(roles)}")
        return principal

    return dependency
