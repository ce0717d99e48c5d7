"""The webhook signature scheme, shared by the sender and by receivers that want to check it.

``X-Arrakis-Signature: sha256=<hex>`` where ``<hex>`` is HMAC-SHA256, keyed with the subscription secret, of
``f"{timestamp}.{body}"``: ``timestamp`` is the ``X-Arrakis-Timestamp`` header (Unix seconds) and ``body`` the exact
request body bytes. Signing the timestamp lets receivers reject replays of old requests.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "sha256"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: str | int, body: str | bytes) -> str:
    """The ``X-Arrakis-Signature`` header value for ``body`` sent at ``timestamp``."""
    message = _as_bytes(str(timestamp)) + b"." + _as_bytes(body)
    digest = hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def verify_signature(secret: str | bytes, timestamp: str | int, body: str | bytes, header: str | None, *,
                     tolerance_seconds: float | None = None, now: float | None = None) -> bool:
    """True when ``header`` is the signature of ``body`` at ``timestamp`` under ``secret`` (constant-time compare).

    With ``tolerance_seconds`` the timestamp must also lie within that many seconds of ``now`` (default: the clock).
    """
    if not header or not header.startswith(f"{SCHEME}="):
        return False
    if tolerance_seconds is not None:
        try:
            sent_at = int(str(timestamp))
        except ValueError:
            return False
        if abs((time.time() if now is None else now) - sent_at) > tolerance_seconds:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), header.strip())
