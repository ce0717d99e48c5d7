"""Registration, login, refresh-token rotation and logout."""

from __future__ import annotations

import time
from typing import Any, NoReturn

import jwt
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles

from ..bootstrap import Bootstrap, admin_ids
from ..events import LoginFailed, UserCreated, UserUpdated
from ..models import User
from ..passwords import hash_password, needs_rehash, verify_password
from ..schemas import BootstrapIn, LoginIn, RefreshIn, RegisterIn, TokenPair, UserOut
from ..security_store import SecurityStore
from ..settings import Settings
from ..signing import LazyIssuer
from .dependencies import get_issuer, get_security_store

router = APIRouter(prefix="/auth", tags=["auth"])

# The least role: anything more is granted by an admin (PUT /users/{id}/roles).
DEFAULT_ROLES = ("viewer",)


def issue_pair(issuer: LazyIssuer, user: User) -> TokenPair:
    """A fresh access token and refresh token carrying the user's current roles."""
    signer = issuer.issuer
    access = signer.issue(user.id, user.roles, "access", email=user.email, name=user.display_name)
    refresh = signer.issue(user.id, user.roles, "refresh")
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=signer.access_ttl)


def refresh_claims(issuer: LazyIssuer, token: str) -> dict[str, Any]:
    """Claims of a valid refresh token; 401 for anything else."""
    try:
        claims = issuer.verify(token)
    except jwt.PyJWTError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid refresh token: {exc}") from exc
    if claims.get("typ") != "refresh" or not claims.get("jti"):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not a refresh token")
    return claims


def remaining_seconds(claims: dict[str, Any]) -> int:
    return max(int(claims["exp"]) - int(time.time()), 1)


@router.post("/register", status_code=status.HTTP_201_CREATED, summary="Register a user",
             responses={409: {"description": "Email already registered"}})
def register(body: RegisterIn, session: Session = db_session,
             runtime: ServiceRuntime = Depends(get_runtime)) -> UserOut:
    if session.scalar(select(User.id).where(User.email == body.email)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "email already registered")
    roles = list(DEFAULT_ROLES)
    user = User(email=body.email, display_name=body.display_name, password_hash=hash_password(body.password))
    user.set_roles(roles)
    session.add(user)
    session.flush()
    runtime.bus.publish(session, UserCreated(user_id=user.id, email=user.email, display_name=user.display_name,
                                             roles=user.roles))
    return UserOut.of(user)


@router.post("/bootstrap", summary="Become the first admin with the installation's one-time token",
             responses={403: {"description": "Wrong bootstrap token"},
                        409: {"description": "An admin exists already: the token is spent"}})
def bootstrap_admin(body: BootstrapIn, request: Request, session: Session = db_session,
                    runtime: ServiceRuntime = Depends(get_runtime), issuer: LazyIssuer = Depends(get_issuer),
                    principal: Principal = Depends(require_roles())) -> TokenPair:
    """The caller gets ``admin`` and fresh tokens that carry it; from then on only an admin grants roles."""
    bootstrap: Bootstrap = request.app.state.bootstrap
    if admin_ids(session, lock=True):
        raise HTTPException(status.HTTP_409_CONFLICT, "an admin exists already; ask an admin for the role")
    if not bootstrap.matches(body.token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong bootstrap token; it is printed by `make up` and kept "
                                                       "in the data folder until the first admin is made")
    user = session.get(User, principal.subject)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "user no longer exists")
    user.set_roles([*user.roles, "admin"])
    session.flush()
    runtime.bus.publish(session, UserUpdated(user_id=user.id, email=user.email, roles=user.roles,
                                             requested_by=principal.subject))
    bootstrap.spend()  # should the commit still fail, the next start writes a new token (there is no admin)
    return issue_pair(issuer, user)


def refuse_login(session: Session, runtime: ServiceRuntime, email: str, reason: str, code: int,
                 detail: str, headers: dict[str, str] | None = None) -> NoReturn:
    """Record the failed login event (committed despite the error response) and answer ``code``."""
    runtime.bus.publish(session, LoginFailed(email=email, reason=reason))
    session.commit()
    runtime.bus.wake()
    raise HTTPException(code, detail, headers=headers)


@router.post("/login", summary="Log in with email and password",
             responses={401: {"description": "Wrong email or password"},
                        429: {"description": "Too many failed logins for this account from this address, or from "
                                             "this address in all"}})
def login(body: LoginIn, request: Request, session: Session = db_session,
          runtime: ServiceRuntime = Depends(get_runtime), issuer: LazyIssuer = Depends(get_issuer),
          store: SecurityStore = Depends(get_security_store)) -> TokenPair:
    """Each attempt takes a slot before the password is checked, atomically, so no burst of concurrent requests gets
    more than ``login_max_failures`` checks. Slots are counted per account *and source address*: failures from one
    address cannot lock the account's owner out elsewhere; an address is also limited over all accounts
    (``login_max_failures_per_source``). Rate-limited attempts do not reach the audit log: only the first refusal of
    a window is an event."""
    settings: Settings = runtime.settings  # type: ignore[assignment]
    window = settings.login_failure_window_seconds
    limited = {"Retry-After": str(window)}
    source = request.client.host if request.client else "unknown"
    source_key, account_key = f"source:{source}", f"account:{body.email}|{source}"
    if store.failures(source_key) >= settings.login_max_failures_per_source:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins from this address; try "
                                                               "again later", headers=limited)
    attempt = store.record_failure(account_key, window)
    if attempt > settings.login_max_failures:
        detail = "too many failed logins; try again later"
        if attempt == settings.login_max_failures + 1:
            refuse_login(session, runtime, body.email, "rate_limited", status.HTTP_429_TOO_MANY_REQUESTS, detail,
                         headers=limited)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail, headers=limited)
    user = session.scalar(select(User).where(User.email == body.email))
    if not verify_password(user.password_hash if user else None, body.password):
        store.record_failure(source_key, window)
        refuse_login(session, runtime, body.email, "unknown_email" if user is None else "bad_password",
                     status.HTTP_401_UNAUTHORIZED, "invalid email or password")
    assert user is not None
    store.clear_failures(account_key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(body.password)
    return issue_pair(issuer, user)


@router.post("/refresh", summary="Exchange a refresh token for new tokens (the old one is revoked)",
             responses={401: {"description": "Invalid, expired, used or revoked refresh token"}})
def refresh(body: RefreshIn, session: Session = db_session, issuer: LazyIssuer = Depends(get_issuer),
            store: SecurityStore = Depends(get_security_store)) -> TokenPair:
    claims = refresh_claims(issuer, body.refresh_token)
    # Revoking first and atomically means two concurrent refreshes with one token cannot both succeed.
    if not store.revoke(claims["jti"], remaining_seconds(claims)):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "refresh token already used or revoked")
    user = session.get(User, claims["sub"])
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "user no longer exists")
    return issue_pair(issuer, user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a refresh token",
             responses={401: {"description": "Not a valid refresh token"}})
def logout(body: RefreshIn, issuer: LazyIssuer = Depends(get_issuer),
           store: SecurityStore = Depends(get_security_store)) -> Response:
    claims = refresh_claims(issuer, body.refresh_token)
    store.revoke(claims["jti"], remaining_seconds(claims))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
