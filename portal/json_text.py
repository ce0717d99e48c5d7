"""Deterministic JSON text: sorted keys, two-space indent, unicode kept, one trailing newline."""

from __future__ import annotations

import json
from typing import Any


def dump_json(data: Any) -> str:
    """JSON text for ``data``; the same data always gives the same bytes."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
