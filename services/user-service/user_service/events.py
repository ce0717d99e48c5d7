"""Events user-service publishes (subjects ``arrakis.user.*``)."""

from __future__ import annotations

from typing import ClassVar

from arrakis_common.events import Event


class UserCreated(Event):
    """A user registered."""

    subject: ClassVar[str] = "arrakis.user.user.created"
    version: ClassVar[int] = 1
    user_id: str
    email: str
    display_name: str
    roles: list[str]


class UserUpdated(Event):
    """A user's roles changed."""

    subject: ClassVar[str] = "arrakis.user.user.updated"
    version: ClassVar[int] = 1
    user_id: str
    email: str
    roles: list[str]
    requested_by: str | None = None


class LoginFailed(Event):
    """A login attempt was refused (``reason``: unknown_email, bad_password or rate_limited)."""

    subject: ClassVar[str] = "arrakis.user.login.failed"
    version: ClassVar[int] = 1
    email: str
    reason: str
