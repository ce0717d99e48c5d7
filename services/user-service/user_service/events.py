"""Events user-service publishes (subjects ``arrakis.user.*``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from arrakis_common.events import Event


def personal() -> Any:
    """A field holding personal data: event-gateway leaves it out of webhook deliveries unless the subscription may
    have it."""
    return Field(json_schema_extra={"personal": True})


class UserCreated(Event):
    """A user registered."""

    subject: ClassVar[str] = "arrakis.user.user.created"
    version: ClassVar[int] = 1
    user_id: str
    email: str = personal()
    display_name: str = personal()
    roles: list[str]


class UserUpdated(Event):
    """A user's roles changed."""

    subject: ClassVar[str] = "arrakis.user.user.updated"
    version: ClassVar[int] = 1
    user_id: str
    email: str = personal()
    roles: list[str]
    requested_by: str | None = None


class LoginFailed(Event):
    """A login attempt was refused (``reason``: unknown_email, bad_password or rate_limited)."""

    subject: ClassVar[str] = "arrakis.user.login.failed"
    version: ClassVar[int] = 1
    email: str = personal()
    reason: str
