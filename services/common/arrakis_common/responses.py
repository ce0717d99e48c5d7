"""The JSON response every route answers with: text a row holds can never make a read fail.

A row stored before the request guard existed (or written by another writer) may hold a lone UTF-16 surrogate or a
non-finite float. Neither has a JSON/UTF-8 form, so the default encoder raises and every later read of that row is a
500. Here such a surrogate becomes U+FFFD (the replacement character) and NaN/Infinity become null.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def encode_json(content: Any) -> bytes:
    """``content`` as compact UTF-8 JSON; unencodable text and non-finite numbers are replaced, never raised."""
    try:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:
        text = json.dumps(_finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Round-trip through UTF-16 with surrogatepass: valid pairs recombine, lone surrogates become U+FFFD.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return encode_json(content)
