"""Transforms on SQLite and PostgreSQL: every step, expression safety, aggregation, runs and their history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_kernel_service.expressions import ExpressionError, compile_expression
from data_kernel_service.models import Outbox


def make_transform(client, headers, source_id: str, steps: list, name: str = "t", target: str = "out"):  # noqa: ANN001, ANN201
    return client.post("/transforms", json={"name": name, "source_dataset_id": source_id, "target_dataset": target,
                                            "steps": steps}, headers=headers)


def run_and_read(client, headers, source_id: str, steps: list) -> tuple[dict, list[dict]]:  # noqa: ANN001
    """Create and run a transform; returns (output dataset, its rows)."""
    created = make_transform(client, headers, source_id, steps)
    assert created.status_code == 201, created.text
    run = client.post(f"/transforms/{created.json()['id']}/run", headers=headers).json()
    assert run["status"] == "succeeded", run
    output = client.get(f"/datasets/{run['output_dataset_id']}", headers=headers).json()
    records = client.get(f"/datasets/{run['output_dataset_id']}/records", headers=headers).json()["items"]
    return output, [r["data"] for r in records]


@pytest.mark.parametrize(("steps", "expected"), [
    ([{"type": "filter", "column": "region", "op": "==", "value": "north"}], ["spice", "stillsuit"]),
    ([{"type": "filter", "column": "region", "op": "!=", "value": "north"}], ["water", None]),
    ([{"type": "filter", "column": "price", "op": "<", "value": 4}], ["water"]),
    ([{"type": "filter", "column": "price", "op": "<=", "value": "4"}], ["water", None]),
    ([{"type": "filter", "column": "quantity", "op": ">", "value": 3}], ["water", None]),
    ([{"type": "filter", "column": "quantity", "op": ">=", "value": 3}], ["spice", "water", None]),
    ([{"type": "filter", "column": "region", "op": "in", "value": ["south", "east"]}], ["water", None]),
    ([{"type": "filter", "column": "product", "op": "contains", "value": "il"}], ["stillsuit"]),
    ([{"type": "filter", "column": "shipped", "op": "==", "value": True}], ["spice", "stillsuit"]),
    ([{"type": "filter", "column": "product", "op": "==", "value": None}], [None]),
    ([{"type": "filter", "column": "sold_at", "op": ">=", "value": "2024-01-02T00:00:00Z"}], ["water", None]),
    ([{"type": "filter", "column": "region", "op": "==", "value": "north"},
      {"type": "filter", "column": "price", "op": ">", "value": 50}], ["stillsuit"]),
])
def test_filter_operators(steps, expected, make_client, auth_header, sales, tmp_path):
    editor = auth_header("ed", "editor")
    with make_client(f"sqlite:///{(tmp_path / 'f.db').as_posix()}") as client:
        _, rows = run_and_read(client, editor, sales(client, editor), steps)
        assert [r["product"] for r in rows] == expected


def test_select_rename_derive_and_inferred_schema(database_url, make_client, auth_header, sales):
    editor = auth_header("ed", "editor")
    with make_client(database_url) as client:
        steps = [{"type": "derive", "column": "revenue", "expression": "price * quantity"},
                 {"type": "derive", "column": "double_qty", "expression": "quantity * 2 + -(1 - 1)"},
                 {"type": "derive", "column": "per_unit", "expression": "(price + 1) / (quantity - 5)"},
                 {"type": "rename", "mapping": {"region": "area"}},
                 {"type": "select", "columns": ["area", "revenue", "double_qty", "per_unit"]}]
        output, rows = run_and_read(client, editor, sales(client, editor), steps)
        assert output["columns"] == [
            {"name": "area", "type": "string", "nullable": False},
            {"name": "revenue", "type": "number", "nullable": False},
            {"name": "double_qty", "type": "integer", "nullable": False},
            {"name": "per_unit", "type": "number", "nullable": True}]
        assert output["derived_from"] is not None and output["record_count"] == 4
        assert rows[0] == {"area": "north", "revenue": 30.0, "double_qty": 6, "per_unit": -5.5}
        assert rows[3] == {"area": "east", "revenue": 20.0, "double_qty": 10, "per_unit": None}  # 5 / 0 -> null
        assert [r["revenue"] for r in rows] == [30.0, 25.0, 100.0, 20.0]


def test_aggregate_group_by_count_sum_avg_min_max(database_url, make_client, auth_header, sales):
    editor = auth_header("ed", "editor")
    with make_client(database_url) as client:
        steps = [{"type": "derive", "column": "revenue", "expression": "price * quantity"},
                 {"type": "aggregate", "group_by": ["region"], "aggregations": [
                     {"function": "count"},
                     {"function": "count", "column": "product", "name": "named"},
                     {"function": "sum", "column": "quantity"},
                     {"function": "sum", "column": "revenue", "name": "revenue"},
                     {"function": "avg", "column": "price"},
                     {"function": "min", "column": "price"},
                     {"function": "max", "column": "sold_at"}]}]
        source = sales(client, editor)
        output, rows = run_and_read(client, editor, source, steps)
        assert [c["name"] for c in output["columns"]] == [
            "region", "count", "named", "sum_quantity", "revenue", "avg_price", "min_price", "max_sold_at"]
        assert {c["name"]: c["type"] for c in output["columns"]}["sum_quantity"] == "integer"
        assert rows == [
            {"region": "north", "count": 2, "named": 2, "sum_quantity": 4, "revenue": 130.0, "avg_price": 55.0,
             "min_price": 10.0, "max_sold_at": "2024-01-01T10:00:00+00:00"},
            {"region": "south", "count": 1, "named": 1, "sum_quantity": 10, "revenue": 25.0, "avg_price": 2.5,
             "min_price": 2.5, "max_sold_at": "2024-01-02T10:00:00+00:00"},
            {"region": "east", "count": 1, "named": 0, "sum_quantity": 5, "revenue": 20.0, "avg_price": 4.0,
             "min_price": 4.0, "max_sold_at": "2024-01-03T12:30:00+00:00"}]
        # Without group_by: one row over everything.
        total = make_transform(client, editor, source, [
            {"type": "aggregate", "aggregations": [{"function": "sum", "column": "quantity"},
                                                   {"function": "count"}]}], name="total", target="total")
        assert total.status_code == 201, total.text
        run = client.post(f"/transforms/{total.json()['id']}/run", headers=editor).json()
        rows = client.get(f"/datasets/{run['output_dataset_id']}/records", headers=editor).json()["items"]
        assert [r["data"] for r in rows] == [{"sum_quantity": 19, "count": 4}]


@pytest.mark.parametrize("expression", [
    "__import__('os')", "__import__('os').system('true')", "price.__class__", "open('x')", "price ** 999",
    "[price]", "'a' + 'b'", "price if quantity else 1", "lambda: 1", "price < 3", "region * 2", "unknown + 1",
    "price +", "True + price", "x := 1", "price; quantity",
])
def test_unsafe_or_invalid_derive_expressions_are_rejected(expression):
    types = {"price": "number", "quantity": "integer", "region": "string"}
    with pytest.raises(ExpressionError):
        compile_expression(expression, types)


def test_transform_validation_at_creation(database_url, make_client, auth_header, sales):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        source = sales(client, editor)
        bad_steps = [
            [{"type": "derive", "column": "x", "expression": "__import__('os')"}],
            [{"type": "filter", "column": "nope", "op": "==", "value": 1}],
            [{"type": "filter", "column": "price", "op": "==", "value": "cheap"}],
            [{"type": "filter", "column": "region", "op": "in", "value": "north"}],
            [{"type": "filter", "column": "price", "op": "contains", "value": "1"}],
            [{"type": "filter", "column": "price", "op": "like", "value": 1}],
            [{"type": "select", "columns": ["region", "nope"]}],
            [{"type": "rename", "mapping": {"nope": "x"}}],
            [{"type": "rename", "mapping": {"region": "product"}}],
            [{"type": "select", "columns": ["region"]}, {"type": "filter", "column": "price", "op": ">", "value": 1}],
            [{"type": "rename", "mapping": {"price": "cost"}},
             {"type": "derive", "column": "x", "expression": "price * 2"}],
            [{"type": "aggregate", "group_by": ["nope"], "aggregations": [{"function": "count"}]}],
            [{"type": "aggregate", "aggregations": [{"function": "sum", "column": "region"}]}],
            [{"type": "aggregate", "aggregations": [{"function": "avg"}]}],
            [{"type": "aggregate", "aggregations": [{"function": "median", "column": "price"}]}],
            [{"type": "explode"}],
            [],
        ]
        for steps in bad_steps:
            response = make_transform(client, editor, source, steps)
            assert response.status_code == 422, (steps, response.text)
            assert response.json()["detail"][0]["loc"][:2] == ["body", "steps"]
        unknown = make_transform(client, editor, source, bad_steps[1])
        assert "nope" in unknown.json()["detail"][0]["msg"]
        assert make_transform(client, editor, "missing", [{"type": "select", "columns": ["region"]}]
                              ).status_code == 422
        assert make_transform(client, editor, source, [{"type": "select", "columns": ["region"]}], target="sales"
                              ).status_code == 422
        ok = [{"type": "select", "columns": ["region"]}]
        assert make_transform(client, viewer, source, ok).status_code == 403
        assert make_transform(client, {}, source, ok).status_code == 401
        other = sales(client, editor, name="plain")
        assert make_transform(client, editor, source, ok, target="plain").status_code == 409
        created = make_transform(client, editor, source, ok)
        assert created.status_code == 201
        assert created.json()["output_columns"] == [{"name": "region", "type": "string", "nullable": False}]
        assert make_transform(client, editor, source, ok).status_code == 409  # same name
        assert client.get("/transforms", headers=viewer).json()["total"] == 1
        assert client.get(f"/transforms/{created.json()['id']}", headers=viewer).json()["target_dataset"] == "out"
        for path in ("/transforms/missing", "/transforms/missing/runs"):
            assert client.get(path, headers=viewer).status_code == 404
        assert client.post("/transforms/missing/run", headers=editor).status_code == 404
        assert client.post(f"/transforms/{created.json()['id']}/run", headers=viewer).status_code == 403
        assert client.post(f"/datasets/{other}/records", json=[], headers=editor).status_code == 200


def test_runs_replace_output_record_history_and_publish(database_url, make_client, auth_header, sales):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        source = sales(client, editor)
        transform = make_transform(client, editor, source, [
            {"type": "filter", "column": "region", "op": "==", "value": "north"}]).json()
        first = client.post(f"/transforms/{transform['id']}/run", headers=editor).json()
        assert (first["rows_in"], first["rows_out"], first["trigger"], first["requested_by"]) == (4, 2, "api", "ed")
        client.post(f"/datasets/{source}/records", json=[{"region": "north", "price": 1, "quantity": 1}],
                    headers=editor)
        second = client.post(f"/transforms/{transform['id']}/run", headers=editor).json()
        assert second["rows_out"] == 3 and second["output_dataset_id"] == first["output_dataset_id"]
        output = client.get(f"/datasets/{second['output_dataset_id']}", headers=viewer).json()
        assert output["record_count"] == 3 and output["version"] == 2
        assert client.get(f"/datasets/{output['id']}/records", headers=viewer).json()["total"] == 3
        # A derived dataset is written only by its transform.
        assert client.post(f"/datasets/{output['id']}/records", json=[], headers=editor).status_code == 409
        history = client.get(f"/transforms/{transform['id']}/runs", params={"limit": 1}, headers=viewer).json()
        assert history["total"] == 2 and history["items"][0]["id"] == second["id"]
        assert history["items"][0]["finished_at"] >= history["items"][0]["started_at"]
        with client.app.state.runtime.database().session() as session:
            subjects = list(session.execute(select(Outbox.subject).order_by(Outbox.seq)).scalars())
        assert subjects.count("arrakis.data.transform.completed") == 2
        assert subjects.count("arrakis.data.dataset.created") == 2  # source and output
        assert subjects.count("arrakis.data.dataset.updated") == 4  # 2 ingests + 2 runs


def test_failed_run_is_recorded_and_leaves_output_untouched(database_url, make_client, auth_header, sales):
    editor = auth_header("ed", "editor")
    with make_client(database_url) as client:
        source = sales(client, editor)
        upstream = make_transform(client, editor, source, [{"type": "select", "columns": ["region", "price"]}],
                                  name="up", target="mid").json()
        mid = client.post(f"/transforms/{upstream['id']}/run", headers=editor).json()["output_dataset_id"]
        downstream = make_transform(client, editor, mid, [{"type": "filter", "column": "price", "op": ">", "value": 5}],
                                    name="down", target="final").json()
        assert client.post(f"/transforms/{downstream['id']}/run", headers=editor).json()["rows_out"] == 2
        # Upstream now drops the column downstream filters on: the next downstream run fails, output is kept.
        with client.app.state.runtime.database().session() as session:
            from data_kernel_service.models import Transform

            session.get(Transform, upstream["id"]).steps = [{"type": "select", "columns": ["region"]}]
        client.post(f"/transforms/{upstream['id']}/run", headers=editor)
        failed = client.post(f"/transforms/{downstream['id']}/run", headers=editor).json()
        assert failed["status"] == "failed" and "price" in failed["error"] and failed["output_dataset_id"] is None
        final = client.get("/datasets", headers=editor).json()["items"]
        final = next(d for d in final if d["name"] == "final")
        assert final["record_count"] == 2 and final["version"] == 1
        assert client.get(f"/transforms/{downstream['id']}", headers=editor).json()["output_columns"] == []
        with client.app.state.runtime.database().session() as session:
            subjects = list(session.execute(select(Outbox.subject)).scalars())
        assert subjects.count("arrakis.data.transform.failed") == 1


def test_numbers_past_64_bits_are_refused_at_ingest_and_fail_the_run(tmp_path, make_client, auth_header):
    editor = auth_header("ed", "editor", "viewer")
    with make_client(f"sqlite:///{(tmp_path / 'dk.db').as_posix()}") as client:
        dataset = client.post("/datasets", json={"name": "n", "columns": [{"name": "q", "type": "integer"}]},
                              headers=editor).json()
        rows = [{"q": 2**63 - 1}, {"q": 2**63}, {"q": str(-(2**63) - 1)}, {"q": 1e300}, {"q": 10**40}]
        result = client.post(f"/datasets/{dataset['id']}/records", json=rows, headers=editor).json()
        assert result["accepted"] == 1 and {e["row"] for e in result["errors"]} == {2, 3, 4, 5}
        assert all("64-bit" in e["message"] for e in result["errors"])
        # q * q * ... (30 times) grows to hundreds of digits: the run fails with the reason, nothing is stored
        huge = make_transform(client, editor, dataset["id"],
                              [{"type": "derive", "column": "big", "expression": " * ".join(["q"] * 30)}])
        assert huge.status_code == 201, huge.text
        run = client.post(f"/transforms/{huge.json()['id']}/run", headers=editor)
        assert run.status_code == 200 and run.json()["status"] == "failed" and "64-bit" in run.json()["error"]
        assert client.get(f"/transforms/{huge.json()['id']}/runs", headers=editor).status_code == 200


TRANSFORM_CHANGES = [
    ("PUT", "", {"name": "t", "source_dataset_id": None, "target_dataset": "out",
                 "steps": [{"type": "select", "columns": ["product"]}]}, 200),
    ("DELETE", "", None, 204),
    ("POST", "/run", None, 200),
]


@pytest.mark.parametrize(("method", "suffix", "body", "ok_status"), TRANSFORM_CHANGES,
                         ids=[f"{c[0]}{c[1]}" for c in TRANSFORM_CHANGES])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_only_the_owner_or_an_admin_changes_deletes_or_runs_a_transform(database_url, make_client, auth_header, sales,
                                                                        caller, method, suffix, body, ok_status):
    headers = {"owner": auth_header("alice", "editor"), "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    with make_client(database_url) as client:
        source = sales(client, headers["owner"])
        created = make_transform(client, headers["owner"], source, [{"type": "select", "columns": ["region"]}])
        transform_id = created.json()["id"]
        assert client.post(f"/transforms/{transform_id}/run", headers=headers["owner"]).json()["status"] == "succeeded"
        kwargs = {"json": {**body, "source_dataset_id": source}} if body is not None else {}
        response = client.request(method, f"/transforms/{transform_id}{suffix}", headers=headers[caller], **kwargs)
        after = client.get(f"/transforms/{transform_id}", headers=headers["owner"])
        runs = client.get(f"/transforms/{transform_id}/runs", headers=headers["owner"])
        if caller == "other-editor":
            # Transforms are visible to every signed-in user: 403, and hers is unchanged with its one run.
            assert response.status_code == 403, response.text
            assert after.json() == created.json() and runs.json()["total"] == 1
        else:
            assert response.status_code == ok_status, response.text
            if method == "PUT":
                assert after.json()["output_columns"] == [{"name": "product", "type": "string", "nullable": True}]
                assert after.json()["created_by"] == "alice"
            elif method == "DELETE":
                assert after.status_code == 404 and runs.status_code == 404
            else:
                assert runs.json()["total"] == 2


def test_a_replaced_transform_is_checked_as_at_creation(database_url, make_client, auth_header, sales):
    editor = auth_header("ed", "editor")
    with make_client(database_url) as client:
        source = sales(client, editor)
        sales(client, editor, name="plain")
        created = make_transform(client, editor, source, [{"type": "select", "columns": ["region"]}]).json()
        body = {"name": "t", "source_dataset_id": source, "target_dataset": "out",
                "steps": [{"type": "select", "columns": ["nope"]}]}
        url = f"/transforms/{created['id']}"
        assert client.put(url, json=body, headers=editor).json()["detail"][0]["loc"][:2] == ["body", "steps"]
        assert client.put(url, json={**body, "steps": created["steps"], "target_dataset": "plain"},
                          headers=editor).status_code == 409
        assert client.put(url, json={**body, "source_dataset_id": "missing"}, headers=editor).status_code == 422
        assert client.put("/transforms/missing", json=body, headers=editor).status_code == 404
        assert client.delete("/transforms/missing", headers=editor).status_code == 404
        assert client.get(url, headers=editor).json() == created
