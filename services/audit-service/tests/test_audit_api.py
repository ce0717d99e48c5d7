"""audit-service HTTP API on SQLite and PostgreSQL: filters, pagination, single entries, export, auth and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from audit_helpers import consume, envelope

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SUBJECTS = [
    ("arrakis.user.user.created", {"user_id": "u1"}),
    ("arrakis.ontology.object.created", {"object_id": "o1", "requested_by": "u1"}),
    ("arrakis.ontology.object_type.created", {"requested_by": "u2"}),
    ("arrakis.ontology.object.deleted", {"object_id": "o1", "requested_by": "u2"}),
    ("arrakis.data.transform.completed", {"transform_id": "t1"}),
    ("arrakis.ontologyXobject.created.extra", {}),
]


@pytest.fixture()
def client(make_client, database_url):
    with make_client(database_url) as client:
        consume(client, *[envelope(subject, payload, occurred_at=T0 + timedelta(minutes=i))
                          for i, (subject, payload) in enumerate(SUBJECTS)])
        yield client


def subjects(client, auditor, **params) -> list[str]:
    response = client.get("/audit/events", params=params, headers=auditor)
    assert response.status_code == 200, response.text
    return [item["subject"] for item in response.json()["items"]]


def test_listing_is_in_sequence_order_with_pages(client, auditor):
    body = client.get("/audit/events", headers=auditor).json()
    assert body["total"] == 6 and [e["seq"] for e in body["items"]] == [1, 2, 3, 4, 5, 6]
    first = body["items"][0]
    assert first["type"] == "Created" and first["source"] == "test-service" and first["actor"] == "u1"
    assert first["payload"] == {"user_id": "u1"} and first["occurred_at"] == "2026-01-01T00:00:00Z"
    page = client.get("/audit/events", params={"limit": 2, "offset": 2}, headers=auditor).json()
    assert [e["seq"] for e in page["items"]] == [3, 4] and page["total"] == 6


def test_filter_by_subject_with_nats_wildcards(client, auditor):
    assert subjects(client, auditor, subject="arrakis.user.user.created") == ["arrakis.user.user.created"]
    assert subjects(client, auditor, subject="arrakis.ontology.object.*") == [
        "arrakis.ontology.object.created", "arrakis.ontology.object.deleted"]
    # "_" in object_type is a literal and "*" never spans a dot.
    assert subjects(client, auditor, subject="arrakis.*.object_type.*") == ["arrakis.ontology.object_type.created"]
    assert subjects(client, auditor, subject="arrakis.ontology.>") == [s for s, _ in SUBJECTS[1:4]]
    assert subjects(client, auditor, subject="arrakis.*.*.created") == [
        "arrakis.user.user.created", "arrakis.ontology.object.created", "arrakis.ontology.object_type.created"]
    assert len(subjects(client, auditor, subject="arrakis.>")) == 6
    page = client.get("/audit/events", params={"subject": "arrakis.ontology.>", "limit": 1, "offset": 1},
                      headers=auditor).json()
    assert page["total"] == 3 and [e["seq"] for e in page["items"]] == [3]


def test_filter_by_actor_and_time_range(client, auditor):
    assert subjects(client, auditor, actor="u2") == ["arrakis.ontology.object_type.created",
                                                     "arrakis.ontology.object.deleted"]
    window = {"from": (T0 + timedelta(minutes=1)).isoformat(), "to": (T0 + timedelta(minutes=3)).isoformat()}
    assert subjects(client, auditor, **window) == [s for s, _ in SUBJECTS[1:3]]
    # A time without a zone is UTC; another zone is converted.
    assert subjects(client, auditor, **{"from": "2026-01-01T00:04:00"}) == [s for s, _ in SUBJECTS[4:]]
    assert subjects(client, auditor, **{"to": "2026-01-01T01:01:00+01:00"}) == [SUBJECTS[0][0]]
    assert subjects(client, auditor, actor="u2", **{"from": window["from"]}) == [
        "arrakis.ontology.object_type.created", "arrakis.ontology.object.deleted"]


def test_get_one_entry(client, auditor):
    entry = client.get("/audit/events/2", headers=auditor).json()
    assert entry["subject"] == "arrakis.ontology.object.created" and entry["actor"] == "u1"
    assert len(entry["hash"]) == 64 and entry["prev_hash"] == client.get("/audit/events/1", headers=auditor
                                                                         ).json()["hash"]
    assert client.get("/audit/events/999", headers=auditor).status_code == 404
    assert client.get("/audit/events/abc", headers=auditor).status_code == 422


def test_export_streams_ndjson_with_filters(client, auditor):
    response = client.get("/audit/export", headers=auditor)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines == client.get("/audit/events", headers=auditor).json()["items"]
    ontology = client.get("/audit/export", params={"subject": "arrakis.ontology.>"}, headers=auditor).text
    assert [json.loads(line)["seq"] for line in ontology.splitlines()] == [2, 3, 4]
    assert client.get("/audit/export", params={"actor": "nobody"}, headers=auditor).text == ""


def test_export_reads_in_batches(make_client, tmp_path, auditor):
    with make_client(f"sqlite:///{tmp_path / 'batch.db'}", audit_batch_size=2) as client:
        consume(client, *[envelope("arrakis.test.thing.created", {"n": i}) for i in range(5)])
        lines = client.get("/audit/export", headers=auditor).text.splitlines()
        assert [json.loads(line)["payload"]["n"] for line in lines] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("path", ["/audit/events", "/audit/events/1", "/audit/verify", "/audit/export"])
def test_reads_need_the_auditor_role(client, auth_header, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer junk"}).status_code == 401
    assert client.get(path, headers=auth_header("ed", "editor", "viewer")).status_code == 403
    assert client.get(path, headers=auth_header("boss", "admin")).status_code == 200
    assert client.get(path, headers=auth_header("aud", "auditor")).status_code == 200


@pytest.mark.parametrize("params", [{"subject": "arrakis..x"}, {"subject": "arrakis.>.x"}, {"subject": "arr*.x"},
                                    {"from": "yesterday"}, {"from": "0.5"}, {"from": "1700000000"},
                                    {"from": "0001-01-01T00:00:00+01:00"}, {"to": "9999-12-31T23:59:59-01:00"}])
def test_bad_filters_are_422(client, auditor, params):
    for path in ("/audit/events", "/audit/export"):
        response = client.get(path, params=params, headers=auditor)
        assert response.status_code == 422, (path, params, response.text)
        assert response.json()["detail"][0]["loc"][-1] in ("subject", "from", "to")


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}])
def test_bad_pages_are_422(client, auditor, params):
    assert client.get("/audit/events", params=params, headers=auditor).status_code == 422


def test_there_is_no_way_to_change_the_log(client, auditor):
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/audit/events/1", headers=auditor).status_code == 405
    assert client.post("/audit/events", json={}, headers=auditor).status_code == 405
    assert client.get("/audit/verify", headers=auditor).json()["ok"] is True
