"""Firing due jobs: both events reach a real NATS, paused jobs stay quiet, a slot fires once across instances."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from arrakis_common.db import Database
from arrakis_common.testing import StreamMessage, stream_messages, wait_until
from scheduler_service.firing import RUN_NAMESPACE, fire_due_jobs, fired_event_id, idempotency_key
from scheduler_service.models import Job, JobRun, Outbox


def create_job(client, headers, **overrides: object) -> dict:  # noqa: ANN001
    body = {"name": f"job-{uuid.uuid4().hex[:8]}", "cron": "*/5 * * * *",
            "target_subject": "arrakis.test.scheduler.ping", "payload": {"hello": "world"}, **overrides}
    response = client.post("/jobs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def make_due(client, job_id: str, at: datetime) -> None:  # noqa: ANN001
    with client.app.state.runtime.database().session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(next_run_at=at))


def scalar(client, stmt):  # noqa: ANN001, ANN201
    with client.app.state.runtime.database().session() as session:
        return session.execute(stmt).scalar_one()


def find_message(nats_url: str, subject: str, predicate: Callable[[dict], bool]) -> StreamMessage | None:
    """The first message on ``subject`` in the stream whose envelope satisfies ``predicate`` (None if absent)."""
    return next((m for m in stream_messages(nats_url, subject) if predicate(m.envelope)), None)


def test_due_job_publishes_fired_and_target_events_to_nats(database_url, nats_server, make_client, auth_header):
    subject = f"arrakis.test.sched{uuid.uuid4().hex[:8]}.ping"
    with make_client(database_url, nats_server.url) as client:
        wait_until(lambda: client.get("/health/ready").status_code == 200)
        job = create_job(client, auth_header("ed", "editor"), cron="* * * * * *", target_subject=subject,
                         payload={"transform_id": "t-42", "n": 1})
        runs = wait_until(lambda: client.get(f"/jobs/{job['id']}/runs", headers=auth_header("v")).json()["items"])
        run = runs[-1]
        assert run["idempotency_key"] == idempotency_key(job["id"], datetime.fromisoformat(run["scheduled_for"]))
        assert run["trigger"] == "schedule"
        client.post(f"/jobs/{job['id']}/pause", headers=auth_header("ed", "editor"))
        wait_until(lambda: scalar(client, select(func.count()).where(Outbox.published_at.is_(None))) == 0)

    first = find_message(nats_server.url, subject, lambda e: e["id"] == run["event_id"])
    assert first is not None, "target event not published"
    envelope = first.envelope
    assert first.subject == subject and envelope["subject"] == subject
    assert envelope["payload"] == {"transform_id": "t-42", "n": 1}
    assert envelope["id"] == str(uuid.uuid5(RUN_NAMESPACE, run["idempotency_key"]))
    assert first.headers["Nats-Msg-Id"] == envelope["id"] and envelope["source"] == "scheduler-service"

    fired = find_message(nats_server.url, "arrakis.scheduler.job.fired",
                         lambda e: e["payload"]["run_id"] == run["id"])
    assert fired is not None, "job.fired not published"
    fired_envelope = fired.envelope
    assert fired.headers["Nats-Msg-Id"] == fired_envelope["id"] and fired_envelope["payload"]["job_id"] == job["id"]
    assert fired_envelope["id"] == fired_event_id(run["idempotency_key"])
    assert fired_envelope["payload"]["idempotency_key"] == run["idempotency_key"]
    assert fired_envelope["payload"]["target_subject"] == subject


def test_paused_jobs_do_not_fire_and_resumed_ones_do(database_url, make_client, auth_header):
    editor = auth_header("ed", "editor")
    with make_client(database_url, scheduler_loop_enabled=False) as client:
        runtime = client.app.state.runtime
        job = create_job(client, editor, paused=True)
        future = datetime.now(UTC) + timedelta(days=1)
        assert fire_due_jobs(runtime.database(), runtime.bus, future) == []
        client.post(f"/jobs/{job['id']}/resume", headers=editor)
        assert len(fire_due_jobs(runtime.database(), runtime.bus, future)) == 1
        client.post(f"/jobs/{job['id']}/pause", headers=editor)
        assert fire_due_jobs(runtime.database(), runtime.bus, future + timedelta(days=1)) == []
        assert scalar(client, select(func.count()).select_from(JobRun)) == 1


def test_due_slot_fires_once_and_schedule_advances(database_url, make_client, auth_header):
    with make_client(database_url, scheduler_loop_enabled=False) as client:
        runtime = client.app.state.runtime
        job = create_job(client, auth_header("ed", "editor"))
        slot = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
        make_due(client, job["id"], slot)
        now = slot + timedelta(minutes=12)  # two slots were missed: they collapse into one run
        [run_id] = fire_due_jobs(runtime.database(), runtime.bus, now)
        assert fire_due_jobs(runtime.database(), runtime.bus, now) == []
        job_after = client.get(f"/jobs/{job['id']}", headers=auth_header("v")).json()
        assert datetime.fromisoformat(job_after["next_run_at"]) == datetime(2024, 5, 1, 12, 20, tzinfo=UTC)
        run = client.get(f"/jobs/{job['id']}/runs", headers=auth_header("v")).json()["items"][0]
        assert run["id"] == run_id and run["idempotency_key"] == f"{job['id']}:2024-05-01T12:05:00+00:00"

        # Another instance that read the same due time: the UNIQUE key makes it roll back, nothing is enqueued.
        make_due(client, job["id"], slot)
        outbox_before = scalar(client, select(func.count()).select_from(Outbox))
        assert fire_due_jobs(runtime.database(), runtime.bus, now) == []
        assert scalar(client, select(func.count()).select_from(JobRun)) == 1
        assert scalar(client, select(func.count()).select_from(Outbox)) == outbox_before == 2
        # ... and the job is moved past the taken slot instead of conflicting on every tick.
        assert scalar(client, select(Job.next_run_at).where(Job.id == job["id"])).replace(tzinfo=UTC) > slot


def test_two_instances_racing_for_a_slot_fire_it_once(database_url, make_client, auth_header):
    with make_client(database_url, scheduler_loop_enabled=False) as client:
        runtime = client.app.state.runtime
        for _ in range(5):
            create_job(client, auth_header("ed", "editor"))
        slot = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
        with runtime.database().session() as session:
            session.execute(update(Job).values(next_run_at=slot))
        other = Database(database_url)  # a second scheduler instance with its own connections
        barrier = threading.Barrier(2)
        results: list[list[str]] = []

        def tick(db: Database) -> None:
            barrier.wait()
            results.append(fire_due_jobs(db, runtime.bus, slot + timedelta(seconds=1)))

        threads = [threading.Thread(target=tick, args=(db,)) for db in (runtime.database(), other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        other.dispose()
        assert sum(len(r) for r in results) == 5
        assert scalar(client, select(func.count()).select_from(JobRun)) == 5
        assert scalar(client, select(func.count(func.distinct(JobRun.idempotency_key)))) == 5
        assert scalar(client, select(func.count()).select_from(Outbox)) == 10
