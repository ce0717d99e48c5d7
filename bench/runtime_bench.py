"""Benchmark: ``arrakis-docs runtime`` on 1,000,000 synthetic spans from 200 services, beside a baseline of the
same run.

The spans (written once, deterministic) are what 200 services exporting in batches would send: each request is a
server span, a client call to another service (and that service's server span), a database statement and a
publish; each event is consumed in a trace of its own, linked to the publish, by another service, which queries
its database. Lines hold one batch of one service, so every join crosses lines.

Measured, each in its own process (so its peak memory is its own):

- baseline: read the file line by line and ``json.loads`` every line, nothing else;
- runtime: the CLI's whole job on the same file (``arrakis-docs runtime --model``: graph, flows, reconciliation
  with a 200-service model, the JSON report).

Targets (exit 1 when one is missed): runtime at most 60 s and at most 2 GB peak RSS; the ratio to the baseline is
printed. ``--quick`` runs 50,000 spans and enforces nothing (a smoke run).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("arrakis-docs"))
SERVICES = 200
BATCH = 512  # spans per exported batch, the SDK's default
SPANS_PER_REQUEST = 7  # server, client + server, db, producer; consumer + db
SECONDS_TARGET = 60.0
MEMORY_TARGET_MB = 2048.0
T0 = 1_764_000_000_000_000_000


def _attrs(**values: object) -> list[dict[str, object]]:
    out = []
    for key, value in values.items():
        kind = "intValue" if isinstance(value, int) else "stringValue"
        out.append({"key": key.replace("__", "."), "value": {kind: str(value)}})
    return out


def _span(trace: str, span: str, parent: str, name: str, kind: int, start: int, ns: int, **attrs: object) -> dict:
    body: dict[str, object] = {"traceId": trace, "spanId": span, "name": name, "kind": kind,
                               "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + ns),
                               "attributes": _attrs(**attrs), "status": {}}
    if parent:
        body["parentSpanId"] = parent
    return body


def write_spans(path: Path, total: int) -> int:
    """Write ``total`` spans (rounded to whole requests) as OTLP JSON lines; returns how many were written."""
    rng = random.Random(14)
    names = [f"svc-{i:03d}" for i in range(SERVICES)]
    pending: dict[str, list[dict]] = {name: [] for name in names}
    written = 0
    counter = 0

    def sid() -> str:
        nonlocal counter
        counter += 1
        return f"{counter:016x}"

    with path.open("w", encoding="utf-8") as out:
        def flush(service: str) -> None:
            batch = pending[service]
            if batch:
                line = {"resourceSpans": [{"resource": {"attributes": _attrs(service__name=service)},
                                           "scopeSpans": [{"scope": {"name": "bench"}, "spans": batch}]}]}
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
                pending[service] = []

        def emit(service: str, span: dict) -> None:
            nonlocal written
            pending[service].append(span)
            written += 1
            if len(pending[service]) >= BATCH:
                flush(service)

        for request in range(total // SPANS_PER_REQUEST):
            caller = rng.randrange(SERVICES)
            callee = (caller + 1 + rng.randrange(3)) % SERVICES  # each service calls its next three neighbours
            consumer = (caller + 7) % SERVICES
            a, b, c = names[caller], names[callee], names[consumer]
            start = T0 + request * 1_000_000
            trace, follow = f"{request:032x}", f"{request + 10**9:032x}"
            root, client, producer, handler = sid(), sid(), sid(), sid()
            route = f"/things/{{id}}/v{request % 3}"
            emit(a, _span(trace, root, "", f"POST /orders/{request % 3}", 2, start, 30_000_000,
                          http__request__method="POST", http__route=f"/orders/{request % 3}"))
            emit(a, _span(trace, client, root, "GET", 3, start + 1_000_000, 10_000_000, http__request__method="GET"))
            emit(b, _span(trace, sid(), client, f"GET {route}", 2, start + 2_000_000, 8_000_000,
                          http__request__method="GET", http__route=route))
            emit(a, _span(trace, sid(), root, "INSERT", 3, start + 12_000_000, 1_000_000, db__system="postgresql",
                          db__name=f"{a}-db", db__statement="INSERT INTO orders VALUES ($1)"))
            emit(a, _span(trace, producer, root, f"send bench.{a}.created", 4, start + 20_000_000, 500_000,
                          messaging__system="nats", messaging__destination__name=f"bench.{a}.created"))
            consumed = _span(follow, handler, "", f"process bench.{a}.created", 5, start + 40_000_000, 5_000_000,
                             messaging__system="nats", messaging__destination__name=f"bench.{a}.created",
                             messaging__destination__template="bench.*.created")
            consumed["links"] = [{"traceId": trace, "spanId": producer}]
            emit(c, consumed)
            emit(c, _span(follow, sid(), handler, "SELECT", 3, start + 41_000_000, 700_000, db__system="postgresql",
                          db__name=f"{c}-db", db__statement="SELECT * FROM things"))
        for name in names:
            flush(name)
    return written


def write_model(path: Path) -> None:
    """A 200-service model: each service declares its routes, its neighbours, its database, its send and a wildcard
    receive."""
    sys.path.insert(0, str(ROOT))
    from arrakis_docs.model.architecture import (
        Api,
        AppEntry,
        ArchitectureModel,
        Datastore,
        RepoInfo,
        Service,
        SourceRef,
        SpecMode,
    )
    from arrakis_docs.model.events import EventUsage
    from arrakis_docs.model.refs import Edge

    names = [f"svc-{i:03d}" for i in range(SERVICES)]
    model = ArchitectureModel(repo=RepoInfo("bench"))
    for i, name in enumerate(names):
        where = SourceRef(f"{name}/app.py", 1)
        model.services.append(Service(f"service:{name}", name, name, AppEntry(f"{name}.app", "app", "instance", ".",
                                                                                where)))
        paths = {f"/orders/{k}": {"post": {}} for k in range(3)} | {f"/things/{{id}}/v{k}": {"get": {}}
                                                                    for k in range(3)}
        model.apis.append(Api(f"api:{name}", name, name, "openapi", SpecMode.STATIC, {"paths": paths}))
        model.datastores.append(Datastore(f"datastore:{name}-db", f"{name}-db", "database", "postgresql"))
        model.edges.append(Edge(f"service:{name}", f"datastore:{name}-db", "depends-on", (where,)))
        for step in (1, 2, 3):
            model.edges.append(Edge(f"service:{name}", f"service:{names[(i + step) % SERVICES]}", "depends-on",
                                    (where,)))
        model.events.usages.append(EventUsage(name, "send", f"bench.{name}.created", "bus", "publish", where))
        model.events.usages.append(EventUsage(name, "receive", "bench.*.created", "bus", "subscribe", where))
    path.write_text(model.to_json(), encoding="utf-8")


# VmHWM, not ru_maxrss: the latter can carry the forking parent's size across exec.
PEAK = ("\nimport sys\nprint('peak-kb', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')),"
        " file=sys.stderr)\n")


def measure(code: str) -> tuple[float, float, int]:
    """Run ``code`` in a fresh Python; (wall seconds, its own peak RSS in MB, exit code)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code + PEAK], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak-kb ")]
    return seconds, int(peaks[-1]) / 1024 if peaks else float("inf"), done.returncode


BASELINE = """
import json, sys
n = 0
with open(sys.argv[1] if len(sys.argv) > 1 else {path!r}, "rb") as handle:
    for line in handle:
        n += len(json.loads(line)["resourceSpans"])
print(n)
"""

RUNTIME = """
import sys
from arrakis_docs.cli import main
sys.argv = ["arrakis-docs", "runtime", "--repo", {repo!r}, "--traces", {path!r}, "--model", {model!r},
            "--report", {report!r}]
try:
    main()
except SystemExit as exit:
    code = 0 if exit.code in (0, None) else exit.code
    if code:
        sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50,000 spans, no targets")
    parser.add_argument("--spans", type=int, default=0, help="how many spans (default 1,000,000)")
    args = parser.parse_args()
    total = args.spans or (50_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="runtime-bench-") as folder:
        work = Path(folder)
        spans, model, report = work / "spans.jsonl", work / "model.json", work / "report.json"
        started = time.perf_counter()
        written = write_spans(spans, total)
        write_model(model)
        print(f"wrote {written:,} spans from {SERVICES} services ({spans.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
        base_s, base_mb, base_code = measure(BASELINE.format(path=str(spans)))
        run_s, run_mb, run_code = measure(RUNTIME.format(repo=str(work), path=str(spans), model=str(model),
                                                         report=str(report)))
        if base_code or run_code:
            print(f"a run failed (baseline exit {base_code}, runtime exit {run_code})")
            return 1
        body = json.loads(report.read_text(encoding="utf-8"))
        observed = body["observed"]
        print(f"baseline (read + json.loads every line): {base_s:6.1f} s, peak {base_mb:7.0f} MB")
        print(f"arrakis-docs runtime (graph, flows, reconciliation, report): {run_s:6.1f} s, peak "
              f"{run_mb:7.0f} MB, {run_s / base_s:.1f}x the baseline")
        print(f"  {observed['spans']:,} spans, {observed['traces']:,} traces, {len(observed['edges']):,} edges, "
              f"{len(observed['flows'])} flows; counts {json.dumps(body['counts'], sort_keys=True)}")
        if args.quick:
            return 0
        missed = []
        if run_s > SECONDS_TARGET:
            missed.append(f"time {run_s:.1f} s > {SECONDS_TARGET:.0f} s")
        if run_mb > MEMORY_TARGET_MB:
            missed.append(f"memory {run_mb:.0f} MB > {MEMORY_TARGET_MB:.0f} MB")
        print("targets: " + ("missed: " + "; ".join(missed) if missed else
                             f"met (<= {SECONDS_TARGET:.0f} s, <= {MEMORY_TARGET_MB:.0f} MB)"))
        return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
