"""Fixtures for platform-level tests: the whole platform started exactly as `make up` does, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from arrakis_common.testing import (
    PLATFORM_SERVER,
    SERVICE_MODULES,
    TEST_BOOTSTRAP_TOKEN,
    env_name,
    free_port,
    http_ready,
    record_server,
)

REPO = Path(__file__).resolve().parents[2]


@dataclass
class PlatformRun:
    var_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in SERVICE_MODULES})
    nats_port: int = field(default_factory=free_port)
    prometheus_port: int = field(default_factory=free_port)
    alertmanager_port: int = field(default_factory=free_port)
    portal_port: int = field(default_factory=free_port)  # the portal receives every service's spans
    proc: subprocess.Popen[bytes] | None = None
    ready_seconds: float = 0.0

    @property
    def traces_dir(self) -> Path:
        """Where the portal appends the spans the services send it (scripts/up.sh's default)."""
        return self.var_dir / "traces"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    @property
    def log_path(self) -> Path:
        return self.var_dir / "up.log"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def client(self, service: str, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url(service), headers=headers, timeout=30)

    def start(self, timeout: float = 90.0) -> None:
        env = {**os.environ, "ARRAKIS_VAR_DIR": str(self.var_dir), "ARRAKIS_NATS_PORT": str(self.nats_port),
               "ARRAKIS_NATS_MONITOR_PORT": str(free_port()), "ARRAKIS_OUTBOX_POLL_SECONDS": "0.1",
               "ARRAKIS_PROMETHEUS_PORT": str(self.prometheus_port), "ARRAKIS_PROMETHEUS_INTERVAL": "2s",
               "ARRAKIS_ALERTMANAGER_PORT": str(self.alertmanager_port),
               "ARRAKIS_PORTAL_PORT": str(self.portal_port), "OTEL_BSP_SCHEDULE_DELAY": "200",
               "ARRAKIS_BOOTSTRAP_TOKEN": TEST_BOOTSTRAP_TOKEN}
        env.update({f"ARRAKIS_{env_name(name)}_PORT": str(port) for name, port in self.ports.items()})
        self.var_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([str(REPO / "scripts" / "up.sh")], cwd=REPO, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"make up exited early:\n{self.log_path.read_text()[-4000:]}")
            if all(http_ready(self.url(name)) for name in self.ports) and self.portal_ready():
                self.ready_seconds = time.monotonic() - started
                return
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"platform not ready within {timeout}s:\n{self.log_path.read_text()[-4000:]}")

    def portal_ready(self) -> bool:
        """The portal answers, so the spans the services send from now on are recorded."""
        try:
            return httpx.get(f"{self.portal_url}/status.json", timeout=2, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Ctrl-C, as a person would press it: supervisord stops every process."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformRun]:
    """The seven services and NATS, started by scripts/up.sh as `make up` starts them."""
    run = PlatformRun(var_dir=tmp_path_factory.mktemp("platform"))
    run.start()
    record_server(PLATFORM_SERVER, f"{len(run.ports)} services and nats-server, every /health/ready 200 "
                                               f"in {run.ready_seconds:.1f} s")
    yield run
    run.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A real HTTP server on a free port that records every POST it gets (a stand-in for a customer's endpoint)."""

    def __init__(self) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append(Received(headers={k.lower(): v for k, v in self.headers.items()}, body=body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture()
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def register_and_login(users: httpx.Client, email: str = "admin@arrakis.example") -> str:
    """Registers ``email``, makes it the first admin with the platform's bootstrap token, returns its access token."""
    password = "correct horse battery staple"
    registered = users.post("/auth/register", json={"email": email, "password": password, "display_name": "Admin"})
    assert registered.status_code == 201, registered.text
    login = users.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    made = users.post("/auth/bootstrap", json={"token": TEST_BOOTSTRAP_TOKEN},
                      headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert made.status_code == 200, made.text
    return made.json()["access_token"]


@pytest.fixture()
def sign_in():  # noqa: ANN201 - returns the helper itself
    """``sign_in(users_client)`` -> an access token of the bootstrap admin."""
    return register_and_login
