"""The portal's OTLP/HTTP trace receiver: ``POST /v1/traces`` in protobuf or JSON, appended to OTLP JSON lines.

What it writes is what the OpenTelemetry Collector's file exporter writes: one ``ExportTraceServiceRequest`` in
OTLP/JSON per line, so ``arrakis-docs runtime`` reads the portal's files and a collector's alike. A file is closed
at ``ROTATE_BYTES`` and the next one started, so no file grows without bound.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from arrakis_docs.extractors.traces import TraceInputError, otlp_json_request, otlp_protobuf_to_json

MAX_BODY_BYTES = 16 * 1024 * 1024
ROTATE_BYTES = 64 * 1024 * 1024
PROTOBUF = "application/x-protobuf"


class TraceFiles:
    """Appends OTLP JSON lines to ``spans-<n>.jsonl`` in ``folder``, starting a new file past ``rotate_bytes``."""

    def __init__(self, folder: Path, rotate_bytes: int = ROTATE_BYTES) -> None:
        self.folder = folder
        self.rotate_bytes = rotate_bytes
        self.lock = asyncio.Lock()
        self.received = 0

    def _current(self) -> Path:
        numbers = sorted(int(p.stem.split("-", 1)[1]) for p in self.folder.glob("spans-*.jsonl")
                         if p.stem.split("-", 1)[1].isdigit())
        number = numbers[-1] if numbers else 1
        path = self.folder / f"spans-{number:06d}.jsonl"
        if path.exists() and path.stat().st_size >= self.rotate_bytes:
            path = self.folder / f"spans-{number + 1:06d}.jsonl"
        return path

    def append(self, request: dict[str, object]) -> int:
        """Write one request as one line (a single ``write`` on an O_APPEND file); returns the spans in it."""
        spans = sum(len(scope.get("spans") or []) for resource in request.get("resourceSpans") or []  # type: ignore[union-attr]
                    for scope in resource.get("scopeSpans") or [])
        if not spans:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(request, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        fd = os.open(self._current(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        self.received += spans
        return spans

    async def receive(self, request: Request) -> Response:
        """The ``POST /v1/traces`` endpoint (OTLP/HTTP): 200 with an empty export response, 400 on bad input."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"body over {MAX_BODY_BYTES} bytes; send smaller batches"},
                                status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"body over {MAX_BODY_BYTES} bytes; send smaller batches"},
                                status_code=413)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.headers.get("content-encoding", "").lower() == "gzip":
            import gzip

            try:
                body = gzip.decompress(body)
            except OSError:
                return JSONResponse({"detail": "Content-Encoding gzip, but the body is not gzip"}, status_code=400)
        try:
            if kind == PROTOBUF:
                data = otlp_protobuf_to_json(body)
            elif kind == "application/json":
                data = otlp_json_request(body)
            else:
                return JSONResponse({"detail": f"Content-Type {kind or 'missing'}: send {PROTOBUF} or "
                                               "application/json (OTLP/HTTP)"}, status_code=415)
        except TraceInputError as problem:
            return JSONResponse({"detail": str(problem)}, status_code=400)
        async with self.lock:
            await asyncio.to_thread(self.append, data)
        if kind == PROTOBUF:
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

            return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)
        return JSONResponse({})
