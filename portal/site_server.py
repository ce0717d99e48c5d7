"""The portal server: the built site, ``/status.json`` (live health polled server-side) and ``/proxy/<service>/``
(Swagger UI's "try it out"), so the browser only ever talks to the portal's own origin. With ``ARRAKIS_PROMETHEUS_URL``
set, ``/status.json`` also lists Prometheus' pending and firing alerts.
(Swagger UI's "try it out"), so the browser only ever talks to the portal's own origin, and ``POST /v1/traces``
(OTLP/HTTP), where the services send their spans, appended to OTLP JSON lines in the traces folder.

Base URLs come from the variables ``scripts/up.sh`` exports: ``ARRAKIS_HOST`` and ``ARRAKIS_<SERVICE>_PORT``
(or a full ``ARRAKIS_<SERVICE>_URL``), ``ARRAKIS_NATS_MONITOR_PORT`` for the NATS monitoring endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

POLL_TIMEOUT = 1.5
CACHE_SECONDS = 2.0
# Hop-by-hop headers a proxy must not forward.
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length", "content-encoding"}


def env_key(name: str) -> str:
    """``user-service`` -> ``USER_SERVICE``."""
    return name.upper().replace("-", "_")


def service_urls(names: list[str], env: Mapping[str, str]) -> dict[str, str]:
    """Base URL of each service with a configured port or URL."""
    host = env.get("ARRAKIS_HOST", "127.0.0.1")
    urls = {}
    for name in names:
        url = env.get(f"ARRAKIS_{env_key(name)}_URL")
        port = env.get(f"ARRAKIS_{env_key(name)}_PORT")
        if port:
            url = f"http://{host}:{port}"
        if url:
            urls[name] = url.rstrip("/")
    return urls


def nats_monitor_url(env: Mapping[str, str]) -> str:
    """The NATS monitoring endpoint's base URL."""
    host = env.get("ARRAKIS_HOST", "127.0.0.1")
    return f"http://{host}:{env.get('ARRAKIS_NATS_MONITOR_PORT', '8222')}"


def component_names(catalog: Path) -> list[str]:
    """Names of the Component entities in the catalog folder (the services the portal documents)."""
    names = []
    for path in sorted((catalog / "components").glob("*.yaml")):
        try:
            body = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(body, dict) and body.get("kind") == "Component":
            names.append(str(body.get("metadata", {}).get("name", path.stem)))
    return names


@dataclass
class StatusPoller:
    """Polls the services' health endpoints and the NATS JetStream monitor; caches the answer briefly."""

    services: dict[str, str]
    nats: str
    client: httpx.AsyncClient
    cached: tuple[float, dict[str, Any]] | None = None
    prometheus: str = ""

    async def _get(self, url: str) -> tuple[int, Any]:
        try:
            response = await self.client.get(url, timeout=POLL_TIMEOUT)
        except httpx.HTTPError as exc:
            return 0, f"{type(exc).__name__}"
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    async def service(self, name: str, base: str) -> dict[str, Any]:
        (live_code, live), (ready_code, ready) = await asyncio.gather(self._get(f"{base}/health/live"),
                                                                      self._get(f"{base}/health/ready"))
        info = live if isinstance(live, dict) else {}
        return {"name": name, "url": base, "live": live_code == 200, "ready": ready_code == 200,
                "version": info.get("version", ""), "uptime_seconds": info.get("uptime_seconds"),
                "checks": ready if isinstance(ready, dict) else {}}

    async def unconfigured(self, name: str) -> dict[str, Any]:
        return {"name": name, "url": "", "live": False, "ready": False, "version": "", "uptime_seconds": None,
                "checks": {"error": f"ARRAKIS_{env_key(name)}_PORT is not set"}}

    async def streams(self) -> dict[str, Any]:
        code, data = await self._get(f"{self.nats}/jsz?streams=true")
        if code != 200 or not isinstance(data, dict):
            return {"ok": False, "url": self.nats, "error": data if isinstance(data, str) else f"HTTP {code}",
                    "streams": [], "messages": 0}
        streams = []
        for account in data.get("account_details") or []:
            for stream in account.get("stream_detail") or []:
                state = stream.get("state") or {}
                streams.append({"name": stream.get("name", ""), "messages": state.get("messages", 0),
                                "bytes": state.get("bytes", 0), "consumers": state.get("consumer_count", 0)})
        streams.sort(key=lambda s: s["name"])
        return {"ok": True, "url": self.nats, "streams": streams, "messages": data.get("messages", 0)}

    async def alerts(self) -> dict[str, Any]:
        """Prometheus' pending and firing alerts, firing first, then by name."""
        code, data = await self._get(f"{self.prometheus}/api/v1/alerts")
        if code != 200 or not isinstance(data, dict):
            return {"ok": False, "url": self.prometheus, "error": data if isinstance(data, str) else f"HTTP {code}",
                    "alerts": []}
        found = []
        for alert in (data.get("data") or {}).get("alerts") or []:
            labels, notes = alert.get("labels") or {}, alert.get("annotations") or {}
            found.append({"name": labels.get("alertname", ""), "state": alert.get("state", ""),
                          "severity": labels.get("severity", ""), "service": labels.get("service", ""),
                          "summary": notes.get("summary", ""), "runbook_url": notes.get("runbook_url", "")})
        found.sort(key=lambda a: (a["state"] != "firing", a["name"], a["service"]))
        return {"ok": True, "url": self.prometheus, "alerts": found}

    async def status(self) -> dict[str, Any]:
        """The whole picture, at most ``CACHE_SECONDS`` old; services without a configured URL are reported down."""
        now = time.monotonic()
        if self.cached and now - self.cached[0] < CACHE_SECONDS:
            return self.cached[1]
        services = await asyncio.gather(*(self.service(n, u) if u else self.unconfigured(n)
                                          for n, u in sorted(self.services.items())))
        result = {"services": list(services), "nats": await self.streams()}
        if self.prometheus:
            result["alerts"] = await self.alerts()
        self.cached = (now, result)
        return result


def create_app(site: Path, catalog: Path, env: Mapping[str, str] | None = None,
               traces: Path | None = None) -> Starlette:
    """The portal's ASGI application; with ``traces``, it also receives spans into that folder."""
    from arrakis_docs.trace_receiver import TraceFiles

    env = os.environ if env is None else env
    names = component_names(catalog)
    urls = service_urls(names, env)
    client = httpx.AsyncClient(trust_env=False)
    poller = StatusPoller({name: urls.get(name, "") for name in names}, nats_monitor_url(env), client,
                          prometheus=env.get("ARRAKIS_PROMETHEUS_URL", "").rstrip("/"))

    async def status(_request: Request) -> JSONResponse:
        return JSONResponse(await poller.status(), headers={"Cache-Control": "no-store"})

    async def proxy(request: Request) -> Response:
        base = urls.get(request.path_params["service"])
        if base is None:
            return JSONResponse({"detail": "unknown service"}, status_code=404)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        try:
            upstream = await client.request(request.method, f"{base}/{request.path_params['path']}",
                                            params=request.query_params, headers=headers,
                                            content=await request.body(), timeout=30)
        except httpx.HTTPError as exc:
            return JSONResponse({"detail": f"service unreachable: {type(exc).__name__}"}, status_code=502)
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
        return Response(upstream.content, status_code=upstream.status_code, headers=kept)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    routes = [Route("/status.json", status),
              *([Route("/v1/traces", TraceFiles(traces).receive, methods=["POST"])] if traces else []),
              Route("/proxy/{service}/{path:path}", proxy, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
              Mount("/", StaticFiles(directory=site, html=True), name="site")]
    return Starlette(routes=routes, lifespan=lifespan)
