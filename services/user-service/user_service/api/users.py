"""The signed-in user's profile and the admin's user management."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.app import ServiceRuntime, db_session, get_runtime
from arrakis_common.auth import Principal, require_roles
from arrakis_common.events import utcnow
from arrakis_common.pagination import Page, PageParams, page_params, paginate

from ..bootstrap import admin_ids
from ..events import UserUpdated
from ..models import User, UserRole
from ..schemas import RoleName, RolesIn, UserOut

router = APIRouter(prefix="/users", tags=["users"])


def load_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
    return user


@router.get("/me", summary="The signed-in user")
def me(principal: Principal = Depends(require_roles()), session: Session = db_session) -> UserOut:
    return UserOut.of(load_user(session, principal.subject))


@router.get("", summary="List users (admin), filtered by email substring and role")
def list_users(email: str | None = Query(None, max_length=320, description="Case-insensitive substring of the email"),
               role: RoleName | None = Query(None, description="Only users holding this role"),
               page: PageParams = Depends(page_params), session: Session = db_session,
               _: Principal = Depends(require_roles("admin"))) -> Page[UserOut]:
    stmt = select(User).order_by(User.created_at, User.id)
    if email:
        stmt = stmt.where(User.email.contains(email.strip().lower(), autoescape=True))
    if role:
        stmt = stmt.where(User.role_rows.any(UserRole.role == role))
    users, total = paginate(session, stmt, page)
    return Page[UserOut](items=[UserOut.of(u) for u in users], total=total, limit=page.limit, offset=page.offset)


@router.get("/{user_id}", summary="One user (admin)")
def get_user(user_id: str, session: Session = db_session,
             _: Principal = Depends(require_roles("admin"))) -> UserOut:
    return UserOut.of(load_user(session, user_id))


def keep_an_admin(session: Session, user: User, roles: list[str]) -> None:
    """409 when the change would leave the platform without an admin.

    The admin rows are locked first (``FOR UPDATE`` on PostgreSQL; SQLite takes one writer at a time), so two admins
    removing each other's role at the same moment cannot both succeed.
    """
    if "admin" not in user.roles or "admin" in roles:
        return
    if set(admin_ids(session, lock=True)) <= {user.id}:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "this is the last admin: grant the admin role to another user before removing it here")


@router.put("/{user_id}/roles", summary="Replace a user's roles (admin)",
            responses={409: {"description": "The change would remove the last admin"}})
def set_roles(user_id: str, body: RolesIn, session: Session = db_session,
              runtime: ServiceRuntime = Depends(get_runtime),
              principal: Principal = Depends(require_roles("admin"))) -> UserOut:
    user = load_user(session, user_id)
    keep_an_admin(session, user, body.roles)
    user.set_roles(body.roles)
    user.updated_at = utcnow()
    session.flush()
    runtime.bus.publish(session, UserUpdated(user_id=user.id, email=user.email, roles=user.roles,
                                             requested_by=principal.subject))
    return UserOut.of(user)
