"""user-service settings (env prefix ``ARRAKIS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from arrakis_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "user-service"
    jwt_private_key_path: Path | None = Field(
        default=None, description="PEM signing key; when unset a key is created in data_dir on first start")
    access_token_ttl_seconds: int = Field(default=900, ge=60)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    bootstrap_admin_email: str = Field(default="admin@arrakis.example",
                                       description="A user registering with this email also gets the admin role")
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins per email allowed in the window")
    login_failure_window_seconds: int = Field(default=300, ge=1)
