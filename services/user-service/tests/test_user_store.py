"""The security store, in process and in a real Redis: one behaviour for both implementations."""

from __future__ import annotations

import uuid

import pytest
from user_helpers import PASSWORD, login, register

from arrakis_common.testing import wait_until
from user_service.security_store import InProcessSecurityStore, RedisSecurityStore, make_security_store


@pytest.fixture(params=["in-process", "redis"])
def store(request):
    if request.param == "redis":
        redis_server = request.getfixturevalue("redis_server")
        store = RedisSecurityStore(redis_server.url, prefix=f"test-{uuid.uuid4().hex}")
    else:
        store = InProcessSecurityStore()
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


def test_factory_picks_redis_only_with_a_url(redis_server):
    assert isinstance(make_security_store(None), InProcessSecurityStore)
    assert isinstance(make_security_store(redis_server.url), RedisSecurityStore)


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
