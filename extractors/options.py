"""How a scan extracts, shared by every per-service extractor (kept apart so none imports ``service_scan``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExtractOptions:
    """How to extract: whether code may be executed, with which interpreter, and spec URLs given by the user."""

    static_only: bool = False
    python: str = ""
    import_timeout: float = 60.0
    spec_urls: dict[str, str] = field(default_factory=dict)  # service name -> URL of its running instance
    streams: list[dict[str, Any]] = field(default_factory=list)

    def cache_salt(self) -> str:
        """What about the options changes the result (URLs are never cached)."""
        return f"static_only={self.static_only};python={self.python};streams={sorted(map(str, self.streams))}"
