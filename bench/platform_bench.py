"""Benchmark: the platform under load and faults, beside a baseline measured in the same run (`make bench-platform`).

On loopback, with nats-server and user-service, ontology-management-service and audit-service as processes (the
ports, data files and settings `make up` gives them):

1. baseline: ``bench/platform_baseline_app.py``, a bare FastAPI + SQLAlchemy app doing the same insert and select;
2. platform: ontology-management-service (auth, idempotency, outbox, events, metrics);

each with ``--clients`` clients (default 20), each creating an object then reading it back, for ``--seconds``
(default 30) in all, in three alternating slices (the machine's other load then weighs on both alike).
Printed: requests/s, p50/p95/p99 latency, and the ratio platform / baseline (target >= 0.5). Then the
fault runs, each ``--seconds`` long under the same load: ``kill -9`` of ontology-management-service a third of the
way in (started again a second later, as supervisord does), and nats-server paused (SIGSTOP) for
``--pause-seconds``. After each run, once events have drained: the loss table (acknowledged / in database / in
audit / duplicates / lost) and the event lag (audit's recorded_at minus the event's occurred_at).

Exit 1 when the ratio is under 0.5 or an acknowledged create is lost or duplicated.
``--quick`` runs 5 s phases (a smoke run, nothing enforced).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from arrakis_common.testing import (
    TEST_BOOTSTRAP_TOKEN,
    NatsServer,
    ServiceProcess,
    free_port,
    http_ready,
    platform_env,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["user-service", "ontology-management-service", "audit-service"]
ONTOLOGY = "ontology-management-service"
RATIO_TARGET = 0.5
OBJECT_TYPE = "BenchThing"
CREATED = "arrakis.ontology.object.created"
SLICES = 3  # the throughput runs alternate baseline and platform in this many slices each


@dataclass
class Load:
    """What one load phase saw."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, other: Load) -> None:
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.acknowledged += other.acknowledged
        self.errors.update(other.errors)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self, name: str) -> str:
        errors = sum(self.errors.values())
        return (f"{name:<10} {self.rate:8.1f} req/s  {len(self.acknowledged) / self.seconds:7.1f} creates/s  "
                f"p50 {self.percentile(50) * 1000:7.1f} ms  p95 {self.percentile(95) * 1000:7.1f} ms  "
                f"p99 {self.percentile(99) * 1000:7.1f} ms  errors {errors}"
                + (f" ({', '.join(f'{k} {v}' for k, v in sorted(self.errors.items()))})" if errors else ""))


async def run_load(base_url: str, headers: dict[str, str], clients: int, seconds: float, tag: str) -> Load:
    """``clients`` loops of create-then-read against ``base_url`` for ``seconds``."""
    load = Load()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(n: int, client: httpx.AsyncClient) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            body = {"object_type": OBJECT_TYPE, "properties": {"name": f"{tag}-{n}-{i}"}}
            started = time.perf_counter()
            try:
                created = await client.post("/objects", json=body)
                load.latencies.append(time.perf_counter() - started)
                if created.status_code != 201:
                    load.errors[f"POST {created.status_code}"] += 1
                    continue
                object_id = created.json()["id"]
                load.acknowledged.append(object_id)
                started = time.perf_counter()
                got = await client.get(f"/objects/{object_id}")
                load.latencies.append(time.perf_counter() - started)
                if got.status_code != 200:
                    load.errors[f"GET {got.status_code}"] += 1
            except httpx.HTTPError as exc:
                load.errors[type(exc).__name__] += 1
                await asyncio.sleep(0.1)

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30, limits=limits,
                                 trust_env=False) as client:
        await asyncio.gather(*(worker(n, client) for n in range(clients)))
    load.seconds = time.monotonic() - started
    return load


@dataclass
class Platform:
    var_dir: Path
    nats: NatsServer = field(init=False)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    token: str = ""

    def __post_init__(self) -> None:
        self.nats = NatsServer(store_dir=self.var_dir / "nats")

    def start(self) -> None:
        self.nats.start()
        ports = {name: free_port() for name in SERVICES}
        env = platform_env(self.var_dir, self.nats.url, ports)
        env["ARRAKIS_OUTBOX_POLL_SECONDS"] = "0.2"  # `make up`'s default, not the tests' faster poll
        self.processes = {name: ServiceProcess(name, env, self.var_dir / f"{name}.log", port=ports[name])
                          for name in SERVICES}
        for process in self.processes.values():
            process.start()
        self.wait_ready()
        with httpx.Client(base_url=self.url("user-service"), timeout=30, trust_env=False) as users:
            self.token = sign_in(users)
        with httpx.Client(base_url=self.url(ONTOLOGY), headers=self.headers, timeout=30, trust_env=False) as c:
            made = c.post("/object-types", json={"api_name": OBJECT_TYPE, "display_name": "Bench thing",
                                                 "title_property": "name",
                                                 "properties": [{"name": "name", "type": "string",
                                                                 "required": True}]})
            assert made.status_code == 201, made.text

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not all(http_ready(p.url) for p in self.processes.values()):
            if time.monotonic() > deadline:
                raise TimeoutError("services not ready; see the logs in " + str(self.var_dir))
            time.sleep(0.25)

    def url(self, name: str) -> str:
        return self.processes[name].url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def db(self, name: str) -> Path:
        return self.var_dir / "data" / f"{name}.db"

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.nats.stop()


def sign_in(users: httpx.Client) -> str:
    email, password = "bench@arrakis.example", "correct horse battery staple"  # pragma: allowlist secret
    assert users.post("/auth/register", json={"email": email, "password": password,
                                              "display_name": "Bench"}).status_code == 201
    login = users.post("/auth/login", json={"email": email, "password": password}).json()
    made = users.post("/auth/bootstrap", json={"token": TEST_BOOTSTRAP_TOKEN},
                      headers={"Authorization": f"Bearer {login['access_token']}"})
    assert made.status_code == 200, made.text
    return made.json()["access_token"]


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Loss:
    acknowledged: int
    in_database: int
    in_audit: int
    duplicates: int
    lost: int
    lag: list[float]
    drained_seconds: float
    trend: list[float] = field(default_factory=list)

    def lines(self, name: str) -> list[str]:
        lag = sorted(self.lag)
        pick = (lambda p: lag[min(len(lag) - 1, int(p / 100 * len(lag)))]) if lag else (lambda p: 0.0)
        return [f"{name:<14} {self.acknowledged:>12} {self.in_database:>11} {self.in_audit:>8} {self.duplicates:>10} "
                f"{self.lost:>5}   lag p50 {pick(50):.2f} s  p95 {pick(95):.2f} s  max {lag[-1] if lag else 0:.2f} s"
                f"  (drained {self.drained_seconds:.1f} s after the load)",
                f"{'':<14} worst lag per sixth of the run: " + " ".join(f"{v:.2f}" for v in self.trend) + " s"]


def account(platform: Platform, acknowledged: list[str], drain_timeout: float) -> Loss:
    """Wait until every acknowledged create is in the audit log (or ``drain_timeout``), then count."""
    wanted = set(acknowledged)
    started = time.monotonic()

    def audited() -> dict[str, list[tuple[str, str]]]:
        with read_only(platform.db("audit-service")) as conn:
            rows = conn.execute("SELECT payload, occurred_at, recorded_at FROM audit_log WHERE subject = ?",
                                (CREATED,)).fetchall()
        found: dict[str, list[tuple[str, str]]] = {}
        for payload, occurred, recorded in rows:
            object_id = json.loads(payload).get("object_id")
            if object_id in wanted:
                found.setdefault(object_id, []).append((occurred, recorded))
        return found

    found = audited()
    while len(found) < len(wanted) and time.monotonic() - started < drain_timeout:
        time.sleep(0.5)
        found = audited()
    drained = time.monotonic() - started
    with read_only(platform.db(ONTOLOGY)) as conn:
        in_db = {row[0] for row in conn.execute("SELECT id FROM objects")} & wanted
    timed = sorted((parse_time(occurred), (parse_time(recorded) - parse_time(occurred)).total_seconds())
                   for entries in found.values() for occurred, recorded in entries)
    return Loss(acknowledged=len(wanted), in_database=len(in_db), in_audit=len(found),
                duplicates=sum(len(entries) - 1 for entries in found.values()),
                lost=len(wanted - (in_db & set(found))), lag=[lag for _, lag in timed], drained_seconds=drained,
                trend=lag_trend(timed))


def lag_trend(timed: list[tuple[datetime, float]], windows: int = 6) -> list[float]:
    """The worst lag in each of ``windows`` equal slices of the run, by when the event occurred: bounded lag stays
    flat, a relay that falls behind shows it growing."""
    if not timed:
        return []
    start, end = timed[0][0], timed[-1][0]
    width = max((end - start).total_seconds() / windows, 1e-9)
    worst = [0.0] * windows
    for moment, lag in timed:
        slot = min(windows - 1, int((moment - start).total_seconds() / width))
        worst[slot] = max(worst[slot], lag)
    return worst


async def with_fault(platform: Platform, clients: int, seconds: float, fault: str, pause: float) -> Load:
    """The load, with ``fault`` injected a third of the way in."""
    load_task = asyncio.create_task(run_load(platform.url(ONTOLOGY), platform.headers, clients, seconds, fault))
    await asyncio.sleep(seconds / 3)
    if fault == "kill -9":
        victim = platform.processes[ONTOLOGY]
        assert victim.proc is not None
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait()
        await asyncio.sleep(1.0)  # supervisord's first restart comes about a second later
        victim.start()
    else:
        assert platform.nats.proc is not None
        os.kill(platform.nats.proc.pid, signal.SIGSTOP)
        await asyncio.sleep(pause)
        os.kill(platform.nats.proc.pid, signal.SIGCONT)
    return await load_task


def start_baseline(var_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "BENCH_BASELINE_DB": str(var_dir / "baseline.db")}
    log = open(var_dir / "baseline.log", "ab")  # noqa: SIM115 - kept open for the process's life
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"),
                             "platform_baseline_app:create_app", "--factory", "--host", "127.0.0.1", "--port",
                             str(port), "--no-access-log"], env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, timeout=60, proc=proc)
    return proc, f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_PLATFORM_SECONDS", 30)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_PLATFORM_CLIENTS", 20)))
    parser.add_argument("--pause-seconds", type=float, default=10.0, help="how long nats-server stays frozen")
    parser.add_argument("--drain-seconds", type=float, default=120.0, help="bound on waiting for events after a run")
    parser.add_argument("--no-faults", action="store_true", help="only the throughput runs")
    parser.add_argument("--quick", action="store_true", help="5 s phases, nothing enforced")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.pause_seconds = 5.0, 2.0
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="arrakis-bench-platform-") as tmp:
        var_dir = Path(tmp)
        baseline_proc, baseline_url = start_baseline(var_dir)
        platform = Platform(var_dir)
        try:
            platform.start()
            print(f"{args.clients} clients, {args.seconds:.0f} s per run, each client: create an object, read it back")
            # Interleaved slices, so a change in the machine's other load during the run weighs on both sides.
            baseline, ontology = Load(), Load()
            for n in range(SLICES):
                for target, url, headers, tag in ((baseline, baseline_url, {}, "baseline"),
                                                  (ontology, platform.url(ONTOLOGY), platform.headers, "steady")):
                    target.add(asyncio.run(run_load(url, headers, args.clients, args.seconds / SLICES,
                                                    f"{tag}{n}")))
            baseline_proc.terminate()
            print(baseline.line("baseline"), flush=True)
            print(ontology.line("platform"), flush=True)
            ratio = ontology.rate / baseline.rate if baseline.rate else 0.0
            print(f"ratio platform / baseline: {ratio:.2f} (target >= {RATIO_TARGET})")
            if ratio < RATIO_TARGET:
                failures.append(f"ratio {ratio:.2f} < {RATIO_TARGET}")
            runs = [("steady", ontology)]
            losses = [("steady", account(platform, ontology.acknowledged, args.drain_seconds))]
            if not args.no_faults:
                for fault in ("kill -9", "nats paused"):
                    load = asyncio.run(with_fault(platform, args.clients, args.seconds, fault, args.pause_seconds))
                    print(load.line(fault), flush=True)
                    runs.append((fault, load))
                    losses.append((fault, account(platform, load.acknowledged, args.drain_seconds)))
            print(f"\n{'run':<14} {'acknowledged':>12} {'in database':>11} {'in audit':>8} {'duplicates':>10} "
                  f"{'lost':>5}")
            for name, loss in losses:
                print("\n".join(loss.lines(name)))
                if loss.lost or loss.duplicates:
                    failures.append(f"{name}: {loss.lost} lost, {loss.duplicates} duplicated")
        finally:
            if baseline_proc.poll() is None:
                baseline_proc.terminate()
            baseline_proc.wait(timeout=15)
            platform.stop()
    if failures and not args.quick:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
