"""Part of `make up`: waits until every service answers /health/ready, prints the URLs, then idles.

It idles after printing, so the supervisor sees it as running.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

SERVICES = [
    "user-service", "ontology-management-service", "audit-service", "data-kernel-service",
    "embedding-service", "scheduler-service", "event-gateway",
]


def base_url(name: str) -> str:
    port = os.environ[f"ARRAKIS_{name.upper().replace('-', '_')}_PORT"]
    return f"http://{os.environ.get('ARRAKIS_HOST', '127.0.0.1')}:{port}"


def ready(url: str) -> bool:
    """Ready with its broker connected: a service that is up but still waiting for NATS answers 200 "degraded"."""
    try:
        with urllib.request.urlopen(url + "/health/ready", timeout=1) as response:  # nosec B310
            return response.status == 200 and json.loads(response.read()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def main() -> None:
    started = time.monotonic()
    pending = {name: base_url(name) for name in SERVICES}
    warned = False
    while pending:
        pending = {name: url for name, url in pending.items() if not ready(url)}
        if pending and not warned and time.monotonic() - started > 60:
            print(f"still waiting for: {', '.join(sorted(pending))}", flush=True)
            warned = True
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    print(f"all {len(SERVICES)} services ready in {elapsed:.1f}s", flush=True)
    for name in SERVICES:
        url = base_url(name)
        print(f"  {name:<30} {url}   (docs {url}/docs)", flush=True)
    host = os.environ.get("ARRAKIS_HOST", "127.0.0.1")
    print(f"  {'nats':<30} nats://{host}:{os.environ['ARRAKIS_NATS_PORT']}   "
          f"(monitoring http://{host}:{os.environ['ARRAKIS_NATS_MONITOR_PORT']})", flush=True)
    if os.environ.get("ARRAKIS_PORTAL_PORT"):
        print(f"  {'portal':<30} http://{host}:{os.environ['ARRAKIS_PORTAL_PORT']}/   (status page: status.html)",
              flush=True)
    if os.environ.get("ARRAKIS_PROMETHEUS_PORT"):
        print(f"  {'prometheus':<30} http://{host}:{os.environ['ARRAKIS_PROMETHEUS_PORT']}/alerts", flush=True)
    if os.environ.get("ARRAKIS_ALERTMANAGER_PORT"):
        print(f"  {'alertmanager':<30} http://{host}:{os.environ['ARRAKIS_ALERTMANAGER_PORT']}/#/alerts", flush=True)
    token_file = Path(os.environ.get("ARRAKIS_DATA_DIR", "var/data")) / "user-service.bootstrap-token"
    if token_file.exists():
        print(f"no admin yet: register, log in, then POST {{\"token\": \"{token_file.read_text().strip()}\"}} to "
              f"{base_url('user-service')}/auth/bootstrap (one use; the token is in {token_file})", flush=True)
    print("Ctrl-C stops everything; data is kept under " + os.environ.get("ARRAKIS_VAR_DIR", "var"), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
