"""Datasets API on SQLite and PostgreSQL: schemas, JSON/CSV/multipart ingest with row errors, record paging."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_kernel_service.models import Outbox

COLUMNS = [{"name": "id", "type": "integer", "nullable": False}, {"name": "name", "type": "string"},
           {"name": "score", "type": "number"}, {"name": "active", "type": "boolean"},
           {"name": "seen", "type": "datetime"}]


def create(client, headers, name: str = "people", columns=COLUMNS) -> dict:  # noqa: ANN001
    response = client.post("/datasets", json={"name": name, "columns": columns}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_get_list_datasets(database_url, make_client, auth_header):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        dataset = create(client, editor)
        assert dataset["record_count"] == 0 and dataset["created_by"] == "ed" and dataset["version"] == 1
        assert dataset["columns"][0] == {"name": "id", "type": "integer", "nullable": False}
        assert dataset["columns"][1]["nullable"] is True
        assert client.get(f"/datasets/{dataset['id']}", headers=viewer).json()["name"] == "people"
        create(client, editor, "another")
        page = client.get("/datasets", params={"limit": 1}, headers=viewer).json()
        assert page["total"] == 2 and [d["name"] for d in page["items"]] == ["another"]
        assert client.post("/datasets", json={"name": "people", "columns": COLUMNS}, headers=editor).status_code == 409
        with client.app.state.runtime.database().session() as session:
            subjects = list(session.execute(select(Outbox.subject)).scalars())
        assert subjects == ["arrakis.data.dataset.created"] * 2


def test_dataset_validation_and_auth(database_url, make_client, auth_header):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        for body in ({"name": "x", "columns": []}, {"name": "x", "columns": [{"name": "a", "type": "text"}]},
                     {"name": "x", "columns": [{"name": "a b", "type": "string"}]},
                     {"name": "x", "columns": [{"name": "a", "type": "string"}, {"name": "a", "type": "integer"}]},
                     {"name": "bad name!", "columns": COLUMNS}, {"columns": COLUMNS}):
            response = client.post("/datasets", json=body, headers=editor)
            assert response.status_code == 422, body
            assert response.json()["detail"][0]["loc"][0] == "body"
        assert client.post("/datasets", json={"name": "x", "columns": COLUMNS}, headers=viewer).status_code == 403
        assert client.post("/datasets", json={"name": "x", "columns": COLUMNS}).status_code == 401
        assert client.get("/datasets").status_code == 401
        assert client.get("/datasets/nope", headers=viewer).status_code == 404
        assert client.get("/datasets/nope/records", headers=viewer).status_code == 404
        assert client.post("/datasets/nope/records", json=[], headers=editor).status_code == 404
        dataset = create(client, editor)
        assert client.post(f"/datasets/{dataset['id']}/records", json=[{"id": 1}], headers=viewer).status_code == 403
        assert client.post(f"/datasets/{dataset['id']}/records", json=[{"id": 1}]).status_code == 401


def test_json_ingest_reports_row_errors_and_keeps_valid_rows(database_url, make_client, auth_header):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        dataset = create(client, editor)
        rows = [
            {"id": 1, "name": "Paul", "score": 9.5, "active": True, "seen": "2024-03-01T08:00:00+02:00"},
            {"id": "x", "name": "Bad"},                                     # row 2: integer
            {"id": 3, "name": 7},                                           # row 3: string
            {"name": "no id"},                                              # row 4: required
            {"id": 5, "extra": 1},                                          # row 5: unknown column
            "not an object",                                                # row 6
            {"id": 7, "score": "1e3", "active": "yes", "seen": "yesterday"},  # row 7: datetime
            {"id": "8", "score": "2.5", "active": "false", "seen": None},
            {"id": 9, "score": "nan"},                                      # row 9: not finite
            {"id": True},                                                   # row 10: boolean is no integer
        ]
        result = client.post(f"/datasets/{dataset['id']}/records", json=rows, headers=editor).json()
        assert result["accepted"] == 2 and result["rejected"] == 8 and result["record_count"] == 2
        errors = {(e["row"], e["column"]) for e in result["errors"]}
        assert errors == {(2, "id"), (3, "name"), (4, "id"), (5, "extra"), (6, None), (7, "seen"), (9, "score"),
                          (10, "id")}
        assert all(e["message"] for e in result["errors"])
        records = client.get(f"/datasets/{dataset['id']}/records", headers=viewer).json()
        assert records["total"] == 2
        assert records["items"][0]["data"] == {"id": 1, "name": "Paul", "score": 9.5, "active": True,
                                               "seen": "2024-03-01T06:00:00+00:00"}
        assert records["items"][1]["data"] == {"id": 8, "name": None, "score": 2.5, "active": False, "seen": None}
        assert client.get(f"/datasets/{dataset['id']}", headers=viewer).json()["version"] == 2
        assert client.post(f"/datasets/{dataset['id']}/records", json={"id": 1}, headers=editor).status_code == 422
        assert client.post(f"/datasets/{dataset['id']}/records", content=b"[{", headers={
            **editor, "content-type": "application/json"}).status_code == 422


def test_csv_ingest_by_body_and_upload_with_paging(database_url, make_client, auth_header):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        dataset = create(client, editor)
        csv_text = ("id,name,score,active\n"
                    "1,Chani,3.5,true\n"
                    "two,Stilgar,1,false\n"      # row 2: bad integer
                    "3,,,\n"                     # empty cells are nulls
                    "4,Jessica,abc,maybe\n"      # row 4: two errors
                    "5,Too,1,true,extra\n")      # row 5: wrong cell count
        response = client.post(f"/datasets/{dataset['id']}/records", content=csv_text.encode(),
                               headers={**editor, "content-type": "text/csv"})
        result = response.json()
        assert response.status_code == 200 and result["accepted"] == 2 and result["rejected"] == 3
        assert sorted((e["row"], e["column"]) for e in result["errors"]) == [
            (2, "id"), (4, "active"), (4, "score"), (5, None)]
        upload = "id,score\n10,1.5\n11,2.5\n12,3.5\n"
        response = client.post(f"/datasets/{dataset['id']}/records", headers=editor,
                               files={"file": ("more.csv", upload.encode(), "text/csv")})
        assert response.json()["accepted"] == 3 and response.json()["record_count"] == 5
        page = client.get(f"/datasets/{dataset['id']}/records", params={"limit": 2, "offset": 2},
                          headers=viewer).json()
        assert page["total"] == 5 and [r["data"]["id"] for r in page["items"]] == [10, 11]
        assert [r["position"] for r in page["items"]] == [2, 3]
        assert client.get(f"/datasets/{dataset['id']}/records", headers=viewer).json()["items"][1]["data"] == {
            "id": 3, "name": None, "score": None, "active": None, "seen": None}
        bad_header = client.post(f"/datasets/{dataset['id']}/records", content=b"id,nope\n1,2\n",
                                 headers={**editor, "content-type": "text/csv"})
        assert bad_header.status_code == 422 and "nope" in bad_header.json()["detail"][0]["msg"]
        replaced = client.post(f"/datasets/{dataset['id']}/records", params={"replace": True},
                               content=b"id\n100\n", headers={**editor, "content-type": "text/csv"}).json()
        assert replaced["record_count"] == 1
        assert client.post(f"/datasets/{dataset['id']}/records", content=b"x", headers={
            **editor, "content-type": "application/xml"}).status_code == 415
        assert client.post(f"/datasets/{dataset['id']}/records", headers=editor,
                           data={"other": "x"}, files={"nofile": ("a.csv", b"id\n1\n")}).status_code == 422


def test_oversized_ingest_is_rejected(database_url, make_client, auth_header):
    editor = auth_header("ed", "editor")
    with make_client(database_url, max_body_bytes=2000) as client:
        dataset = create(client, editor)
        response = client.post(f"/datasets/{dataset['id']}/records", json=[{"id": i} for i in range(500)],
                               headers=editor)
        assert response.status_code == 413


def test_a_stored_row_with_bad_text_never_makes_a_read_fail(tmp_path, make_client, auth_header):
    """A row written before the body guard existed holds a lone surrogate: reads show U+FFFD, never a 500."""
    from data_kernel_service.models import Record

    editor = auth_header("ed", "editor", "viewer")
    with make_client(f"sqlite:///{(tmp_path / 'dk.db').as_posix()}") as client:
        dataset = create(client, editor)
        assert client.post(f"/datasets/{dataset['id']}/records", json=[{"id": 1, "name": "ok"}],
                           headers=editor).json()["accepted"] == 1
        with client.app.state.runtime.database().session() as session:
            record = session.execute(select(Record)).scalar_one()
            record.data = {**record.data, "name": "a\ud800b", "score": float("nan")}
        response = client.get(f"/datasets/{dataset['id']}/records", headers=editor)
        assert response.status_code == 200, response.text
        assert response.json()["items"][0]["data"] == {"id": 1, "name": "a\ufffdb", "score": None, "active": None,
                                                       "seen": None}
        created = client.get(f"/datasets/{dataset['id']}", headers=editor).json()["created_at"]
        assert created.endswith("Z")  # date-times carry their zone, even from SQLite


@pytest.mark.parametrize("replace", [False, True], ids=["append", "replace"])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_only_the_owner_or_an_admin_ingests_into_a_dataset(database_url, make_client, auth_header, caller, replace):
    headers = {"owner": auth_header("alice", "editor"), "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    with make_client(database_url) as client:
        dataset = create(client, headers["owner"])
        url = f"/datasets/{dataset['id']}/records"
        assert client.post(url, json=[{"id": 1}], headers=headers["owner"]).status_code == 200
        response = client.post(url, params={"replace": replace}, json=[], headers=headers[caller])
        count = client.get(f"/datasets/{dataset['id']}", headers=headers["owner"]).json()["record_count"]
        if caller == "other-editor":
            # Datasets are visible to every signed-in user: 403, and her records are still there.
            assert response.status_code == 403, response.text
            assert count == 1
        else:
            assert response.status_code == 200, response.text
            assert count == (0 if replace else 1)
