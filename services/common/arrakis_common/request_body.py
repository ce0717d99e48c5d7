"""Request bodies checked before any route sees them: bounded in size while they stream, and strict JSON.

Every service takes the same guard, so no route can forget it:

- a body over ``max_bytes`` is answered 413, whether it announces its length or arrives chunked (the limit is counted
  while reading, so a 20 MB chunked upload costs at most ``max_bytes`` of memory);
- a JSON body is refused with 422, in FastAPI's error shape, when it is not strict JSON a client in another language
  could have meant: ``NaN``/``Infinity`` (JSON has no such numbers; they would be stored and shown as ``null``), a
  lone UTF-16 surrogate (``"\\ud800"``: no UTF-8 text holds it, so the database driver or the response encoder
  fails on it later, for ever), nesting deeper than ``max_depth`` (a 10,000-deep array exhausts the parser's stack)
  or an integer past Python's digit limit.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class BodyTooLarge(Exception):
    pass


class NotStrictJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise NotStrictJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise NotStrictJson(f"{text} is too large for a 64-bit number")
    return value


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (strings skipped), without parsing it."""
    outside_strings = _STRING.sub(b'""', body)
    steps = (1 if b in b"[{" else -1 for b in _BRACKET.findall(outside_strings))
    return max(accumulate(steps, initial=0))


def strict_json_problem(body: bytes, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``body`` is not strict JSON, or None when it is (or is not JSON at all: that error is FastAPI's to give)."""
    if json_depth(body) > max_depth:
        return f"JSON nests deeper than {max_depth} levels"
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except NotStrictJson as exc:
        return str(exc)
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's guard against quadratic int parsing
            return "an integer has more digits than any number this API takes"
        return None  # malformed JSON: FastAPI answers it in its usual way
    except RecursionError:
        return f"JSON nests deeper than {max_depth} levels"
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "JSON text holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is no character"
    return None


async def read_body(receive: Receive, max_bytes: int | None = None) -> tuple[bytes, Message | None]:
    """The whole request body, and the disconnect message if the client left first; ``BodyTooLarge`` as soon as more
    than ``max_bytes`` have arrived."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), message
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def replaying(body: bytes, disconnect: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then whatever the client sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return disconnect or await receive()

    return replay


async def answer(scope: Scope, receive: Receive, send: Send, code: int, detail: Any) -> None:
    """A JSON error answer ``{"detail": ...}`` sent by a middleware, before any route ran."""
    await JSONResponse({"detail": detail}, status_code=code)(scope, receive, send)


class RequestBodyGuard:
    """ASGI middleware: reads the body (at most ``max_bytes``), answers 413 or 422 itself, else replays it."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await answer(scope, receive, send, 413, f"request body exceeds {self.max_bytes} bytes")
            return
        try:
            body, disconnect = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            await answer(scope, receive, send, 413, f"request body exceeds {self.max_bytes} bytes")
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and (content_type == b"application/json" or content_type.endswith(b"+json")):
            problem = strict_json_problem(body, self.max_depth)
            if problem:
                detail = [{"type": "json_invalid", "loc": ["body"], "msg": problem, "input": None}]
                await answer(scope, receive, send, 422, detail)
                return
        await self.app(scope, replaying(body, disconnect, receive), send)

