"""Request and response bodies shared by the user-service routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .models import User

Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=320,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
# SQLite hands datetimes back without a zone; every stored time is UTC.
UtcDatetime = Annotated[datetime, AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=UTC))]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,49}$")]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    display_name: str
    roles: list[str]
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.model_validate(user)


class RegisterIn(BaseModel):
    email: Email
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field(min_length=1, max_length=200)


class LoginIn(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class BootstrapIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="The installation's one-time bootstrap token")


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Lifetime of the access token in seconds")


class RolesIn(BaseModel):
    roles: list[RoleName] = Field(max_length=20)
