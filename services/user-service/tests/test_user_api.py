"""user-service HTTP API on SQLite and PostgreSQL: registration, tokens, roles, listing, JWKS and errors."""

from __future__ import annotations

import jwt
import pytest
from user_helpers import PASSWORD, bearer, bootstrap_token, login, make_admin, register

ADMIN = "admin@arrakis.example"


@pytest.fixture()
def client(make_client, database_url):
    with make_client(database_url) as client:
        yield client


@pytest.fixture()
def admin(client):
    return bearer(make_admin(client, ADMIN))


def test_register_gives_the_least_role_whatever_the_email(client):
    user = register(client, "  Alice@Example.com ", name="Alice")
    assert user["email"] == "alice@example.com"
    assert user["roles"] == ["viewer"] and user["display_name"] == "Alice"
    boss = register(client, ADMIN.upper())
    assert boss["roles"] == ["viewer"]
    assert "password" not in str(boss) and "hash" not in str(boss)


def test_the_first_admin_needs_the_one_time_token(client):
    path = client.app.state.bootstrap.path
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    token = bootstrap_token(client)
    register(client, "mallory@example.com")
    mallory = bearer(login(client, "mallory@example.com"))
    assert client.post("/auth/bootstrap", json={"token": token}).status_code == 401
    wrong = client.post("/auth/bootstrap", json={"token": token[:-1] + "x"}, headers=mallory)
    assert wrong.status_code == 403 and "wrong bootstrap token" in wrong.json()["detail"]
    tokens = make_admin(client, "root@example.com")
    assert client.app.state.verifier.verify(tokens["access_token"])["roles"] == ["admin", "viewer"]
    assert not path.exists()
    again = client.post("/auth/bootstrap", json={"token": token}, headers=mallory)
    assert again.status_code == 409 and "admin exists already" in again.json()["detail"]
    assert client.get("/users/me", headers=mallory).json()["roles"] == ["viewer"]


def test_an_operator_given_token_works_and_nothing_is_written(make_client, database_url, tmp_path):
    with make_client(database_url, bootstrap_token="from-the-deployment-secret") as client:
        assert not client.app.state.bootstrap.path.exists()
        register(client, "ops@example.com")
        ops = bearer(login(client, "ops@example.com"))
        assert client.post("/auth/bootstrap", json={"token": "from-the-deployment-secret"}, headers=ops
                           ).status_code == 200


def test_register_rejects_duplicates_and_bad_input(client):
    register(client, "bob@example.com")
    again = client.post("/auth/register", json={"email": "BOB@example.com", "password": PASSWORD, "display_name": "b"})
    assert again.status_code == 409
    for body, field in [({"email": "not-an-email", "password": PASSWORD, "display_name": "x"}, "email"),
                        ({"email": "c@example.com", "password": "short", "display_name": "x"}, "password"),
                        ({"email": "c@example.com", "password": PASSWORD, "display_name": ""}, "display_name"),
                        ({"email": "c@example.com", "password": PASSWORD}, "display_name")]:
        response = client.post("/auth/register", json=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][-1] == field


def test_login_issues_tokens_that_identify_the_user(client):
    user = register(client, "carol@example.com", name="Carol")
    tokens = login(client, "Carol@example.com")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = client.get("/users/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.json() == user
    claims = client.app.state.verifier.verify(tokens["access_token"])
    assert claims["sub"] == user["id"] and claims["roles"] == ["viewer"] and claims["typ"] == "access"
    assert claims["email"] == "carol@example.com"


def test_login_refuses_wrong_password_and_unknown_email(client):
    register(client, "dave@example.com")
    assert client.post("/auth/login", json={"email": "dave@example.com", "password": "wrong pass"}).status_code == 401
    assert client.post("/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", json={"email": "dave@example.com"}).status_code == 422


def test_login_rate_limit_per_email(client):
    register(client, "erin@example.com")
    register(client, "frank@example.com")
    for _ in range(5):
        assert client.post("/auth/login", json={"email": "erin@example.com", "password": "bad pass"}).status_code == 401
    limited = client.post("/auth/login", json={"email": "erin@example.com", "password": PASSWORD})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "300"
    login(client, "frank@example.com")


def test_refresh_rotates_and_revokes_the_old_token(client):
    register(client, "gina@example.com")
    first = login(client, "gina@example.com")
    second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/users/me", headers=bearer(second)).status_code == 200
    reuse = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and "revoked" in reuse.json()["detail"]
    assert client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 200


def test_refresh_and_logout_reject_tokens_that_are_not_refresh_tokens(client):
    register(client, "hank@example.com")
    tokens = login(client, "hank@example.com")
    for path in ("/auth/refresh", "/auth/logout"):
        assert client.post(path, json={"refresh_token": tokens["access_token"]}).status_code == 401
        assert client.post(path, json={"refresh_token": "junk"}).status_code == 401
        assert client.post(path, json={}).status_code == 422
    # A refresh token is no access token either.
    assert client.get("/users/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).status_code == 401


def test_logout_revokes_the_refresh_token(client):
    register(client, "ivy@example.com")
    tokens = login(client, "ivy@example.com")
    assert client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_me_requires_a_valid_token(client):
    assert client.get("/users/me").status_code == 401
    assert client.get("/users/me", headers={"Authorization": "Bearer junk"}).status_code == 401


def test_admin_lists_users_with_filters_and_pages(client, admin):
    for name in ("kim", "lee", "max"):
        register(client, f"{name}@corp.example")
    register(client, "kim_2@other.example")
    everyone = client.get("/users", headers=admin).json()
    assert everyone["total"] == 5 and len(everyone["items"]) == 5
    page = client.get("/users", params={"limit": 2, "offset": 1}, headers=admin).json()
    assert [u["email"] for u in page["items"]] == [u["email"] for u in everyone["items"][1:3]]
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    corp = client.get("/users", params={"email": "CORP.example"}, headers=admin).json()
    assert sorted(u["email"] for u in corp["items"]) == ["kim@corp.example", "lee@corp.example", "max@corp.example"]
    # "_" is a literal, not a LIKE wildcard.
    assert [u["email"] for u in client.get("/users", params={"email": "m_2"}, headers=admin).json()["items"]] == [
        "kim_2@other.example"]
    admins = client.get("/users", params={"role": "admin"}, headers=admin).json()
    assert [u["email"] for u in admins["items"]] == [ADMIN]
    assert client.get("/users", params={"role": "Not A Role"}, headers=admin).status_code == 422
    assert client.get("/users", params={"limit": 0}, headers=admin).status_code == 422
    for offset in (2**63, 1_000_000_001):
        past = client.get("/users", params={"offset": offset}, headers=admin)
        assert past.status_code == 422 and past.json()["detail"][0]["loc"] == ["query", "offset"]
    assert client.get("/users", params={"offset": 1_000_000_000}, headers=admin).json()["items"] == []


def test_listing_and_role_changes_need_admin(client, admin):
    user = register(client, "nina@example.com")
    viewer = bearer(login(client, "nina@example.com"))
    assert client.get("/users", headers=viewer).status_code == 403
    assert client.get("/users").status_code == 401
    assert client.get(f"/users/{user['id']}", headers=viewer).status_code == 403
    assert client.put(f"/users/{user['id']}/roles", json={"roles": ["admin"]}, headers=viewer).status_code == 403


def test_admin_sets_roles_and_new_tokens_carry_them(client, admin):
    user = register(client, "olga@example.com")
    response = client.put(f"/users/{user['id']}/roles", json={"roles": ["auditor", "viewer"]}, headers=admin)
    assert response.status_code == 200
    assert response.json()["roles"] == ["auditor", "viewer"]
    assert client.get(f"/users/{user['id']}", headers=admin).json()["roles"] == ["auditor", "viewer"]
    claims = client.app.state.verifier.verify(login(client, "olga@example.com")["access_token"])
    assert claims["roles"] == ["auditor", "viewer"]
    assert client.put("/users/missing/roles", json={"roles": ["viewer"]}, headers=admin).status_code == 404
    assert client.get("/users/missing", headers=admin).status_code == 404
    bad = client.put(f"/users/{user['id']}/roles", json={"roles": ["Bad Role"]}, headers=admin)
    assert bad.status_code == 422
    assert client.put(f"/users/{user['id']}/roles", json={}, headers=admin).status_code == 422


def test_the_last_admin_keeps_the_role(client, admin):
    me = client.get("/users/me", headers=admin).json()
    refused = client.put(f"/users/{me['id']}/roles", json={"roles": ["viewer"]}, headers=admin)
    assert refused.status_code == 409 and "last admin" in refused.json()["detail"]
    assert client.get("/users/me", headers=admin).json()["roles"] == me["roles"]
    other = register(client, "quin@example.com")
    assert client.put(f"/users/{other['id']}/roles", json={"roles": ["admin"]}, headers=admin).status_code == 200
    assert client.put(f"/users/{me['id']}/roles", json={"roles": ["viewer"]}, headers=admin).status_code == 200
    second = bearer(login(client, "quin@example.com"))
    assert client.put(f"/users/{other['id']}/roles", json={"roles": ["editor"]}, headers=second).status_code == 409


def test_jwks_verifies_issued_tokens(client):
    register(client, "pia@example.com")
    tokens = login(client, "pia@example.com")
    jwks = client.get("/.well-known/jwks.json").json()
    [key] = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == key["kid"]
    claims = jwt.decode(tokens["access_token"], jwt.PyJWK(key).key, algorithms=["RS256"], audience="arrakis")
    assert claims["iss"] == "arrakis-user-service"
