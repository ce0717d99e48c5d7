"""Subscription CRUD through the HTTP API, on SQLite and PostgreSQL (events off: pure API behaviour)."""

from __future__ import annotations

import pytest


@pytest.fixture()
def client(gateway, database_url):
    with gateway(database_url, events_enabled=False) as client:
        yield client


def test_create_returns_secret_once_and_never_again(client, auth_header):
    editor = auth_header("eve", "editor", "events-ontology", "events-user")
    body = {"url": "https://hooks.example.com/in", "subject_filter": "arrakis.ontology.object.*",
            "secret": "s3cret-s3cret-s3cret", "description": "objects", "max_attempts": 4}
    created = client.post("/subscriptions", json=body, headers=editor)
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["secret"] == "s3cret-s3cret-s3cret" and sub["secret_hint"] == "...cret"
    assert sub["active"] is True and sub["max_attempts"] == 4 and sub["created_by"] == "eve"

    viewer = auth_header("root", "admin")  # a subscription is private to its creator and admins
    fetched = client.get(f"/subscriptions/{sub['id']}", headers=viewer).json()
    assert "secret" not in fetched and fetched["secret_hint"] == "...cret"
    assert fetched["url"] == body["url"] and fetched["subject_filter"] == body["subject_filter"]
    listed = client.get("/subscriptions", headers=viewer).json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]


def test_generated_secret_and_default_attempts(client, auth_header):
    created = client.post("/subscriptions", json={"url": "http://127.0.0.1:9/x", "subject_filter": ">"},
                          headers=auth_header("eve", "editor", "events-ontology", "events-user")).json()
    assert len(created["secret"]) >= 32 and created["secret_hint"] == "..." + created["secret"][-4:]
    assert created["max_attempts"] == 6


def test_update_rotates_secret_and_deactivates(client, auth_header):
    editor = auth_header("eve", "editor", "events-ontology", "events-user")
    sub = client.post("/subscriptions", json={"url": "https://a.example/h", "subject_filter": "arrakis.>",
                                              "secret": "first-secret-value"}, headers=editor).json()
    patched = client.patch(f"/subscriptions/{sub['id']}", json={"secret": "second-secret-valu", "active": False,
                                                                "subject_filter": "arrakis.user.>"}, headers=editor)
    assert patched.status_code == 200, patched.text
    out = patched.json()
    assert out["secret_hint"] == "...valu" and out["active"] is False and out["subject_filter"] == "arrakis.user.>"
    assert "secret" not in out
    assert client.patch(f"/subscriptions/{sub['id']}", json={"active": None}, headers=editor).status_code == 422
    inactive = client.get("/subscriptions", params={"active": "false"}, headers=editor).json()
    assert [s["id"] for s in inactive["items"]] == [sub["id"]]
    assert client.get("/subscriptions", params={"active": "true"}, headers=editor).json()["total"] == 0


def test_delete_then_404(client, auth_header):
    editor = auth_header("eve", "editor", "events-ontology", "events-user")
    sub = client.post("/subscriptions", json={"url": "https://a.example/h", "subject_filter": "arrakis.>"},
                      headers=editor).json()
    assert client.delete(f"/subscriptions/{sub['id']}", headers=editor).status_code == 204
    assert client.get(f"/subscriptions/{sub['id']}", headers=editor).status_code == 404
    assert client.delete(f"/subscriptions/{sub['id']}", headers=editor).status_code == 404
    assert client.patch(f"/subscriptions/{sub['id']}", json={"active": True}, headers=editor).status_code == 404


def test_pagination(client, auth_header):
    editor = auth_header("eve", "editor", "events-ontology", "events-user")
    ids = [client.post("/subscriptions", json={"url": f"https://a.example/{i}", "subject_filter": "arrakis.>"},
                       headers=editor).json()["id"] for i in range(5)]
    first = client.get("/subscriptions", params={"limit": 2}, headers=editor).json()
    rest = client.get("/subscriptions", params={"limit": 10, "offset": 2}, headers=editor).json()
    assert first["total"] == rest["total"] == 5 and first["limit"] == 2 and rest["offset"] == 2
    assert [s["id"] for s in first["items"] + rest["items"]] == ids
    assert client.get("/subscriptions", params={"limit": 0}, headers=editor).status_code == 422


@pytest.mark.parametrize("body", [
    {"url": "ftp://files.example/x", "subject_filter": "arrakis.>"},
    {"url": "file:///etc/passwd", "subject_filter": "arrakis.>"},
    {"url": "https://", "subject_filter": "arrakis.>"},
    {"url": "not a url at all", "subject_filter": "arrakis.>"},
    {"url": "https://a.example/h", "subject_filter": "arrakis.>.created"},
    {"url": "https://a.example/h", "subject_filter": "arrakis..created"},
    {"url": "https://a.example/h", "subject_filter": "arrakis.user*.created"},
    {"url": "https://a.example/h", "subject_filter": "other.subject"},
    {"url": "https://a.example/h", "subject_filter": "arrakis.>", "secret": "short"},
    {"url": "https://a.example/h", "subject_filter": "arrakis.>", "max_attempts": 0},
    {"url": "https://a.example/h", "subject_filter": "arrakis.>", "unknown": 1},
    {"subject_filter": "arrakis.>"},
])
def test_invalid_subscriptions_are_422_with_field_detail(client, auth_header, body):
    response = client.post("/subscriptions", json=body, headers=auth_header("eve", "editor"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_auth_is_required_and_writes_need_editor(client, auth_header):
    body = {"url": "https://a.example/h", "subject_filter": "arrakis.>"}
    assert client.get("/subscriptions").status_code == 401
    assert client.post("/subscriptions", json=body).status_code == 401
    assert client.post("/subscriptions", json=body, headers=auth_header("val", "viewer")).status_code == 403
    assert client.post("/subscriptions", json=body, headers=auth_header("root", "admin")).status_code == 201
    sub_id = client.get("/subscriptions", headers=auth_header("root", "admin")).json()["items"][0]["id"]
    viewer = auth_header("val", "viewer")
    assert client.patch(f"/subscriptions/{sub_id}", json={"active": False}, headers=viewer).status_code == 403
    assert client.delete(f"/subscriptions/{sub_id}", headers=viewer).status_code == 403
    assert client.get("/subscriptions/nope", headers=viewer).status_code == 404


SUBSCRIPTION_VERBS = [
    ("GET", None, 200),
    ("PATCH", {"active": False}, 200),
    ("DELETE", None, 204),
]


@pytest.mark.parametrize(("method", "body", "ok_status"), SUBSCRIPTION_VERBS, ids=[v[0] for v in SUBSCRIPTION_VERBS])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_a_subscription_is_seen_and_changed_only_by_its_owner_or_an_admin(client, auth_header, caller, method,
                                                                          body, ok_status):
    headers = {"owner": auth_header("alice", "editor"), "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    sub = client.post("/subscriptions", json={"url": "https://a.example/h", "subject_filter": "arrakis.>",
                                              "secret": "alices-secret-value"}, headers=headers["owner"]).json()
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, f"/subscriptions/{sub['id']}", headers=headers[caller], **kwargs)
    if caller == "other-editor":
        # Private: another user is told it does not exist, and it is unchanged and absent from their listing.
        assert response.status_code == 404, response.text
        assert client.get(f"/subscriptions/{sub['id']}", headers=headers["owner"]).json()["active"] is True
        assert client.get("/subscriptions", headers=headers[caller]).json()["total"] == 0
    else:
        assert response.status_code == ok_status, response.text
        remaining = client.get("/subscriptions", headers=headers["admin"]).json()["total"]
        assert remaining == (0 if method == "DELETE" else 1)
