"""The first admin comes from an operator action, never from a well-known e-mail address.

While no user holds ``admin``, user-service keeps a one-time token that only the operator can read: the one given in
``ARRAKIS_BOOTSTRAP_TOKEN`` (a deployment's secret), else a random one it writes, owner-only, to
``<data_dir>/user-service.bootstrap-token`` (`make up` prints it). A signed-in user who presents it to
``POST /auth/bootstrap`` becomes the first admin; the token is then spent (the file is removed) and every later
admin is made by an admin.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrakis_common.db import owner_only_file

from .models import UserRole
from .settings import Settings

log = logging.getLogger(__name__)
TOKEN_FILE = "user-service.bootstrap-token"  # nosec B105


def admin_ids(session: Session, *, lock: bool = False) -> list[str]:
    """The ids of the users holding ``admin``; ``lock`` holds their rows until the transaction ends."""
    stmt = select(UserRole.user_id).where(UserRole.role == "admin")
    return list(session.scalars(stmt.with_for_update() if lock else stmt).all())


class Bootstrap:
    """The one-time token of an installation that has no admin yet."""

    def __init__(self, settings: Settings) -> None:
        self.path: Path = settings.data_dir / TOKEN_FILE
        self.preset = settings.bootstrap_token.get_secret_value() if settings.bootstrap_token else None

    def prepare(self, session: Session) -> None:
        """On start: spend a leftover token when an admin exists, else make sure one is waiting for the operator."""
        if admin_ids(session):
            self.path.unlink(missing_ok=True)
            return
        if self.preset is None and not self.path.exists():
            owner_only_file(self.path)
            self.path.write_text(secrets.token_urlsafe(32) + "\n")
        where = "ARRAKIS_BOOTSTRAP_TOKEN" if self.preset else str(self.path)
        log.warning("no admin yet: sign in and POST the one-time token from %s to /auth/bootstrap", where)

    def matches(self, presented: str) -> bool:
        expected = self.preset
        if expected is None and self.path.exists():
            expected = self.path.read_text().strip()
        return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())

    def spend(self) -> None:
        self.path.unlink(missing_ok=True)
