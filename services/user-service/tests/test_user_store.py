"""The security store, in the service's database (SQLite, PostgreSQL) and in a real Redis: one behaviour for all,
durable across restarts, and login limits that hold under concurrency and cannot lock an account's owner out."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from user_helpers import PASSWORD, login, register

import user_service
from arrakis_common.db import Database, migrate
from arrakis_common.testing import ServiceProcess, http_ready, wait_until
from user_service.models import Outbox
from user_service.security_store import DatabaseSecurityStore, RedisSecurityStore, make_security_store

MIGRATIONS = Path(user_service.__file__).parent / "migrations"


@pytest.fixture()
def database(database_url):
    migrate(database_url, MIGRATIONS)
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(params=["database", "redis"])
def store(request, database_url):
    if request.param == "redis":
        if not database_url.startswith("sqlite"):
            pytest.skip("the Redis store uses no database: run once")
        redis_server = request.getfixturevalue("redis_server")
        store = RedisSecurityStore(redis_server.url, prefix=f"test-{uuid.uuid4().hex}")
    else:
        database = request.getfixturevalue("database")
        store = DatabaseSecurityStore(lambda: database)
    yield store
    store.close()


def test_revoke_wins_once(store):
    assert store.is_revoked("jti-1") is False
    assert store.revoke("jti-1", 60) is True
    assert store.revoke("jti-1", 60) is False
    assert store.is_revoked("jti-1") is True and store.is_revoked("jti-2") is False


def test_revocation_expires_with_the_token(store):
    assert store.revoke("short", 1) is True
    wait_until(lambda: not store.is_revoked("short"), timeout=5)
    assert store.revoke("short", 60) is True


def test_failures_count_within_a_window(store):
    assert store.failures("a@example.com") == 0
    assert [store.record_failure("a@example.com", 60) for _ in range(3)] == [1, 2, 3]
    assert store.failures("a@example.com") == 3 and store.failures("b@example.com") == 0
    store.clear_failures("a@example.com")
    assert store.failures("a@example.com") == 0


def test_failure_window_closes(store):
    store.record_failure("w@example.com", 1)
    store.record_failure("w@example.com", 1)
    wait_until(lambda: store.failures("w@example.com") == 0, timeout=5)
    assert store.record_failure("w@example.com", 1) == 1


def test_factory_picks_redis_only_with_a_url(redis_server, database):
    assert isinstance(make_security_store(None, lambda: database), DatabaseSecurityStore)
    assert isinstance(make_security_store(redis_server.url, lambda: database), RedisSecurityStore)


def test_a_restart_changes_nothing_without_redis(make_client, database_url):
    """Logged out and rotated refresh tokens stay dead, and a lockout stays, when the service restarts."""
    with make_client(database_url) as client:
        register(client, "rita@example.com")
        logged_out = login(client, "rita@example.com")["refresh_token"]
        assert client.post("/auth/logout", json={"refresh_token": logged_out}).status_code == 204
        rotated = login(client, "rita@example.com")["refresh_token"]
        assert client.post("/auth/refresh", json={"refresh_token": rotated}).status_code == 200
        register(client, "sam@example.com")
        for _ in range(5):
            assert client.post("/auth/login", json={"email": "sam@example.com", "password": "bad pass"}
                               ).status_code == 401
    with make_client(database_url) as client:
        for token in (logged_out, rotated):
            assert client.post("/auth/refresh", json={"refresh_token": token}).status_code == 401
        assert client.post("/auth/login", json={"email": "sam@example.com", "password": PASSWORD}).status_code == 429


def test_failures_from_one_address_do_not_lock_the_owner_out(make_client, database_url):
    with make_client(database_url) as attacker:
        register(attacker, "tess@example.com")
        for _ in range(8):
            assert attacker.post("/auth/login", json={"email": "tess@example.com", "password": "guess guess"}
                                 ).status_code in (401, 429)
        assert attacker.post("/auth/login", json={"email": "tess@example.com", "password": PASSWORD}
                             ).status_code == 429
        owner = TestClient(attacker.app, client=("203.0.113.7", 40000))
        assert owner.post("/auth/login", json={"email": "tess@example.com", "password": PASSWORD}).status_code == 200


def test_anonymous_failures_are_limited_before_the_audit_log(make_client, database_url):
    """Bad logins for ever new addresses from one source: after the per-source limit, 429 and no more events."""
    with make_client(database_url, login_max_failures_per_source=10) as client:
        answers = [client.post("/auth/login", json={"email": f"nobody{n}@example.com", "password": "x" * 8}
                               ).status_code for n in range(40)]
        assert answers == [401] * 10 + [429] * 30
        with client.app.state.runtime.database().session() as session:
            events = session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.subject == "arrakis.user.login.failed"))
        assert events == 10


def test_concurrent_bad_logins_get_at_most_the_limit_of_password_checks(tmp_path: Path):
    """30 concurrent bad logins against a real server: the attempt slot is taken atomically before the password
    check, so exactly ``login_max_failures`` of them are checked (401) and the rest refused (429)."""
    service = ServiceProcess("user-service", {"ARRAKIS_DATA_DIR": str(tmp_path / "data"),
                                              "ARRAKIS_EVENTS_ENABLED": "false"}, tmp_path / "user-service.log")
    service.start()
    try:
        wait_until(lambda: http_ready(service.url), timeout=60, interval=0.25)
        with httpx.Client(base_url=service.url, timeout=60, trust_env=False) as users:
            register(users, "uma@example.com")  # type: ignore[arg-type]

            def attempt(_: int) -> int:
                return users.post("/auth/login", json={"email": "uma@example.com", "password": "wrong guess"}
                                  ).status_code

            with ThreadPoolExecutor(30) as pool:
                answers = sorted(pool.map(attempt, range(30)))
        assert answers == [401] * 5 + [429] * 25
    finally:
        service.stop()


def test_replicas_share_revocations_and_rate_limits_through_redis(make_client, database_url, redis_server):
    """Two app instances on one database and one Redis behave as one service."""
    with make_client(database_url, redis_url=redis_server.url) as one, \
            make_client(database_url, redis_url=redis_server.url) as two:
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        register(one, email)
        tokens = login(one, email)
        assert two.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 200
        assert one.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
        for _ in range(5):
            assert one.post("/auth/login", json={"email": email, "password": "wrong pass"}).status_code == 401
        assert two.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 429
