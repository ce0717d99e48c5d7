"""Who may see and who may change a user-owned resource.

A resource records the subject of the account that created it (its owner). The owner and any admin may change or
delete it. Anyone else is told the resource does not exist (404) when they may not see it, and is refused (403)
when they may see it but not change it, so private resources do not leak their existence.
"""

from __future__ import annotations

from fastapi import HTTPException, status

from arrakis_common.auth import Principal

ADMIN_ROLE = "admin"


def may_change(owner: str | None, principal: Principal) -> bool:
    """The owner and admins may change a resource; a resource without an owner only admins."""
    return ADMIN_ROLE in principal.roles or (owner is not None and owner == principal.subject)


def require_owner(owner: str | None, principal: Principal, *, what: str, visible: bool = True) -> None:
    """Raise unless ``principal`` may change a resource owned by ``owner``.

    ``visible`` says whether the caller may see the resource at all: if not, the refusal is the 404 the caller
    would get for a resource that does not exist (``what`` names it, e.g. ``"job 1234"``); if so, it is a 403.
    """
    if may_change(owner, principal):
        return
    if not visible:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"only the owner of {what} or an admin may change it")


def require_visible(owner: str | None, principal: Principal, *, what: str) -> None:
    """For a private resource: its owner and admins see it; for anyone else it does not exist (404)."""
    if not may_change(owner, principal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
