"""user-service settings (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "user-service"
    jwt_private_key_path: Path | None = Field(
        default=None, description="PEM signing key; when unset a key is created in data_dir on first start")
    access_token_ttl_seconds: int = Field(default=900, ge=60)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    bootstrap_token: SecretStr | None = Field(
        default=None, description="One-time token that makes the first admin (POST /auth/bootstrap); when unset, one "
                                  "is generated into data_dir while no admin exists")
    login_max_failures: int = Field(default=5, ge=1,
                                    description="Login attempts per account and source address allowed in the window "
                                                "before one succeeds")
    login_max_failures_per_source: int = Field(default=30, ge=1,
                                               description="Failed logins from one address, over all accounts, "
                                                           "allowed in the window")
    login_failure_window_seconds: int = Field(default=300, ge=1)
