"""The token issuer, created on start so building the app touches no disk."""

from __future__ import annotations

from typing import Any

from arrakis_common.auth import TokenIssuer, generate_private_key_pem, load_or_create_private_key

from .settings import Settings


class LazyIssuer:
    """Holds the service's :class:`TokenIssuer`; it verifies like one, so it serves as ``app.state.verifier``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._issuer: TokenIssuer | None = None
        if settings.docs_import:
            # Importing for docs must not read or write key files: a throwaway key is enough.
            self._issuer = self._build(generate_private_key_pem())

    def _build(self, pem: bytes) -> TokenIssuer:
        return TokenIssuer(pem, access_ttl=self.settings.access_token_ttl_seconds,
                           refresh_ttl=self.settings.refresh_token_ttl_seconds)

    def load(self) -> TokenIssuer:
        """Read the configured key, or create one in data_dir on first start."""
        if self._issuer is None:
            path = self.settings.jwt_private_key_path
            pem = path.read_bytes() if path else load_or_create_private_key(
                self.settings.data_dir / "user-service-jwt.pem")
            self._issuer = self._build(pem)
        return self._issuer

    @property
    def issuer(self) -> TokenIssuer:
        if self._issuer is None:
            raise RuntimeError("user-service not started: signing key not loaded")
        return self._issuer

    def verify(self, token: str) -> dict[str, Any]:
        return self.issuer.verify(token)
