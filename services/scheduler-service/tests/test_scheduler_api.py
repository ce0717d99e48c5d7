"""scheduler-service HTTP API on SQLite and PostgreSQL: CRUD, validation, auth, pause/resume, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler_service.cron import cron_problem, next_fire_time
from scheduler_service.models import Outbox

SUBJECT = "arrakis.data.transform.requested"


def job_body(**overrides: object) -> dict[str, object]:
    return {"name": "nightly", "cron": "0 3 * * *", "target_subject": SUBJECT, "payload": {"transform_id": "t-1"},
            **overrides}


@pytest.mark.parametrize(("expression", "ok"), [
    ("*/5 * * * *", True),
    ("0 3 * * 1-5", True),
    ("*/10 * * * * *", True),
    ("30 0 3 * * *", True),
    ("* * * *", False),
    ("* * * * * * *", False),
    ("61 * * * *", False),
    ("*/10 * * * * 99", False),
    ("every day", False),
    ("@hourly", False),
    ("0 0 31 2 *", False),  # valid field by field, but no 31 February: it never fires
    ("0 0 30 2 *", False),
    ("0 0 0 31 4 *", False),
    ("0 0 29 2 *", True),  # leap days come
])
def test_cron_validation_accepts_five_and_six_fields(expression: str, ok: bool):
    assert (cron_problem(expression) is None) is ok


def test_six_field_expressions_put_seconds_first_and_run_in_utc():
    start = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert next_fire_time("30 */5 * * * *", start) == datetime(2024, 1, 1, 0, 0, 30, tzinfo=UTC)
    assert next_fire_time("0 3 * * *", start) == datetime(2024, 1, 1, 3, 0, tzinfo=UTC)
    naive = datetime(2024, 1, 1, 0, 0, 0)
    assert next_fire_time("*/15 * * * *", naive) == datetime(2024, 1, 1, 0, 15, tzinfo=UTC)


def test_job_crud_pause_resume_and_history(database_url, make_client, auth_header):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    # The loop stays off: the every-5-seconds jobs below would otherwise fire on a slow run and add outbox rows.
    with make_client(database_url, scheduler_loop_enabled=False) as client:
        created = client.post("/jobs", json=job_body(), headers=editor)
        assert created.status_code == 201, created.text
        job = created.json()
        assert job["created_by"] == "ed" and job["paused"] is False
        next_run = datetime.fromisoformat(job["next_run_at"])
        assert next_run.hour == 3 and next_run.minute == 0 and next_run > datetime.now(UTC)
        assert client.get(f"/jobs/{job['id']}", headers=viewer).json()["payload"] == {"transform_id": "t-1"}

        for i in range(3):
            assert client.post("/jobs", json=job_body(name=f"extra-{i}", cron="*/5 * * * * *"),
                               headers=editor).status_code == 201
        page = client.get("/jobs", params={"limit": 2, "offset": 1}, headers=viewer).json()
        assert page["total"] == 4 and len(page["items"]) == 2 and page["items"][0]["name"] == "extra-0"

        patched = client.patch(f"/jobs/{job['id']}", json={"cron": "*/10 * * * *", "payload": {"x": 1}},
                               headers=editor).json()
        assert patched["cron"] == "*/10 * * * *" and patched["payload"] == {"x": 1}
        assert datetime.fromisoformat(patched["next_run_at"]).minute % 10 == 0

        paused = client.post(f"/jobs/{job['id']}/pause", headers=editor).json()
        assert paused["paused"] is True
        assert client.get("/jobs", params={"paused": True}, headers=viewer).json()["total"] == 1
        resumed = client.post(f"/jobs/{job['id']}/resume", headers=editor).json()
        assert resumed["paused"] is False and datetime.fromisoformat(resumed["next_run_at"]) > datetime.now(UTC)

        runs = [client.post(f"/jobs/{job['id']}/trigger", headers=editor) for _ in range(3)]
        assert all(r.status_code == 202 for r in runs)
        keys = {r.json()["idempotency_key"] for r in runs}
        assert len(keys) == 3 and all(k.startswith("manual:") for k in keys)
        history = client.get(f"/jobs/{job['id']}/runs", params={"limit": 2}, headers=viewer).json()
        assert history["total"] == 3 and len(history["items"]) == 2
        assert history["items"][0]["trigger"] == "manual" and history["items"][0]["status"] == "fired"
        with client.app.state.runtime.database().session() as session:
            subjects = sorted(session.execute(select(Outbox.subject)).scalars())
        assert subjects == sorted([SUBJECT] * 3 + ["arrakis.scheduler.job.fired"] * 3)

        assert client.delete(f"/jobs/{job['id']}", headers=editor).status_code == 204
        assert client.get(f"/jobs/{job['id']}", headers=viewer).status_code == 404
        assert client.get(f"/jobs/{job['id']}/runs", headers=viewer).status_code == 404


def test_bad_input_auth_and_unknown_ids(database_url, make_client, auth_header):
    editor, viewer = auth_header("ed", "editor"), auth_header("vi", "viewer")
    with make_client(database_url) as client:
        for bad in (job_body(cron="61 * * * *"), job_body(cron="* * * *"), job_body(target_subject="arrakis.a.b"),
                    job_body(target_subject="arrakis.data.*.requested"), job_body(target_subject="other.a.b.c"),
                    job_body(target_subject="arrakis.data..requested"), job_body(payload=[1, 2]),
                    job_body(name="")):
            response = client.post("/jobs", json=bad, headers=editor)
            assert response.status_code == 422, bad
            assert response.json()["detail"][0]["loc"][0] == "body"
        detail = client.post("/jobs", json=job_body(cron="61 * * * *"), headers=editor).json()["detail"][0]
        assert detail["loc"] == ["body", "cron"] and "cron" in detail["msg"]
        assert client.post("/jobs", json=job_body(), headers=viewer).status_code == 403
        assert client.post("/jobs", json=job_body()).status_code == 401
        assert client.get("/jobs").status_code == 401
        assert client.get("/jobs", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.post("/jobs", json=job_body(), headers=auth_header("root", "admin")).status_code == 201
        assert client.post("/jobs", json=job_body(), headers=editor).status_code == 409
        job_id = client.get("/jobs", headers=viewer).json()["items"][0]["id"]
        assert client.patch(f"/jobs/{job_id}", json={"cron": "nope"}, headers=editor).status_code == 422
        never = client.post("/jobs", json=job_body(name="never", cron="0 0 31 2 *"), headers=editor)
        assert never.status_code == 422 and "never fires" in never.json()["detail"][0]["msg"]
        assert client.post(f"/jobs/{job_id}/pause", headers=viewer).status_code == 403
        assert client.post(f"/jobs/{job_id}/trigger", headers=viewer).status_code == 403
        for method, path in (("get", "/jobs/missing"), ("patch", "/jobs/missing"), ("delete", "/jobs/missing"),
                             ("post", "/jobs/missing/pause"), ("post", "/jobs/missing/resume"),
                             ("post", "/jobs/missing/trigger"), ("get", "/jobs/missing/runs")):
            kwargs = {"json": {}} if method == "patch" else {}
            assert getattr(client, method)(path, headers=editor, **kwargs).status_code == 404, path
        assert client.get("/jobs", params={"limit": 0}, headers=viewer).status_code == 422


def test_resume_skips_slots_missed_while_paused(database_url, make_client, auth_header):
    editor = auth_header("ed", "editor")
    with make_client(database_url) as client:
        job = client.post("/jobs", json=job_body(cron="* * * * *", paused=True), headers=editor).json()
        before = datetime.now(UTC)
        resumed = client.post(f"/jobs/{job['id']}/resume", headers=editor).json()
        assert before < datetime.fromisoformat(resumed["next_run_at"]) <= before + timedelta(minutes=1, seconds=1)


JOB_CHANGES = [
    ("patch", "", {"cron": "0 4 * * *"}, 200),
    ("post", "/pause", None, 200),
    ("post", "/resume", None, 200),
    ("post", "/trigger", None, 202),
    ("delete", "", None, 204),
]


@pytest.mark.parametrize(("method", "suffix", "body", "ok_status"), JOB_CHANGES,
                         ids=[f"{m}{s or ''}" for m, s, _, _ in JOB_CHANGES])
@pytest.mark.parametrize("caller", ["other-editor", "owner", "admin"])
def test_only_the_owner_or_an_admin_changes_a_job(database_url, make_client, auth_header, caller: str,
                                                  method: str, suffix: str, body: dict | None, ok_status: int):
    headers = {"owner": auth_header("alice", "editor"), "other-editor": auth_header("mallory", "editor"),
               "admin": auth_header("root", "admin")}
    with make_client(database_url, scheduler_loop_enabled=False) as client:
        job = client.post("/jobs", json=job_body(name=f"owned-{method}{suffix}"), headers=headers["owner"]).json()
        kwargs = {"json": body} if body is not None else {}
        response = client.request(method.upper(), f"/jobs/{job['id']}{suffix}", headers=headers[caller], **kwargs)
        if caller == "other-editor":
            assert response.status_code == 403, response.text
            # Jobs are visible to every signed-in user, so the refusal is 403 and the job is unchanged.
            after = client.get(f"/jobs/{job['id']}", headers=headers["owner"]).json()
            assert after["cron"] == job["cron"] and after["paused"] == job["paused"]
            assert client.get(f"/jobs/{job['id']}/runs", headers=headers["owner"]).json()["total"] == 0
        else:
            assert response.status_code == ok_status, response.text
