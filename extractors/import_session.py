"""One sandboxed interpreter per service that imports the service's code once for every import job.

The OpenAPI document (``app.openapi()``), the event models' JSON Schemas and the SQLAlchemy tables all come from
importing the scanned code; one :class:`ImportSession` per service runs ``import_runner.py`` once and sends it each
job in turn, so the imports they share are paid for once. The interpreter is started on the first job, gets no
network (socket calls refused, proxies pointed nowhere) and ``ARRAKIS_DOCS_IMPORT=1``. A job whose import raises or
kills the interpreter fails alone, and the next job starts a fresh one; a job that times out ends the session: the
service's remaining jobs are skipped at once (``JobResult.skipped``, naming the job that hung), so an import that
hangs costs its timeout once per service, not once per job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

RUNNER = Path(__file__).with_name("import_runner.py")


@dataclass(frozen=True)
class JobResult:
    """What one job answered: ``result`` when ``ok``, else ``error`` (one line) and the scanned code's traceback."""

    ok: bool
    result: Any = None
    error: str = ""
    traceback: str = ""
    skipped: bool = False  # not attempted: an earlier job of the session timed out


def sandbox_env() -> dict[str, str]:
    """The environment of the importing interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env.update({
        "ARRAKIS_DOCS_IMPORT": "1",
        "PYTHONHASHSEED": "0",  # set iteration order inside the app (e.g. methods of api_route) is then stable
        "PYTHONDONTWRITEBYTECODE": "1",
        # Belt and braces beside the socket guard in the runner: any HTTP client honouring proxies goes nowhere.
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    })
    return env


class ImportSession:
    """Import jobs of one service, answered by one long-lived interpreter (``python``, or this one)."""

    def __init__(self, python: str = "", timeout: float = 60.0) -> None:
        self.python = python or sys.executable
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._stderr: IO[str] | None = None
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arrakis-import")
        self.cut = ""  # why the session stopped taking jobs (a timed-out job), or ""

    def __enter__(self) -> ImportSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run(self, job: str, roots: list[str], **args: Any) -> JobResult:
        """Answer ``job`` with ``roots`` on the import path; never raises for anything the scanned code does. After
        a job timed out, every later job is skipped without starting an interpreter."""
        if self.cut:
            return JobResult(False, error=f"skipped: {self.cut}", skipped=True)
        try:
            proc = self._start()
        except OSError as exc:
            return JobResult(False, error=f"cannot run {self.python}: {exc}")
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps({"job": job, "roots": roots, "args": args}) + "\n")
            proc.stdin.flush()
            line = self._reader.submit(proc.stdout.readline).result(timeout=self.timeout)
        except FutureTimeout:
            self._stop()
            # The same import would hang again for the next job: one timeout per service is enough.
            self.cut = f"the {job} import timed out after {self.timeout:g}s (import_timeout)"
            return JobResult(False, error=f"timed out after {self.timeout:g}s; the service's remaining import jobs "
                                          "are skipped")
        except OSError as exc:  # the interpreter is gone (broken pipe)
            self._stop()
            return JobResult(False, error=f"the importing interpreter exited: {exc}", traceback=self._stderr_tail())
        if not line:
            tail = self._stderr_tail()
            self._stop()
            last = (tail.strip().splitlines() or ["no output"])[-1]
            return JobResult(False, error=f"the importing interpreter exited: {last}", traceback=tail)
        try:
            reply = json.loads(line)
        except json.JSONDecodeError as exc:
            return JobResult(False, error=f"the reply was not JSON: {exc}")
        return JobResult(bool(reply.get("ok")), reply.get("result"), reply.get("error", ""), reply.get("traceback", ""))

    def close(self) -> None:
        self._stop()
        self._reader.shutdown(wait=False, cancel_futures=True)

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop()
        self._scratch = tempfile.TemporaryDirectory(prefix="arrakis-docs-import-")  # stray files land here
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        self._proc = subprocess.Popen([self.python, str(RUNNER)], cwd=self._scratch.name, env=sandbox_env(),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                      encoding="utf-8", errors="replace")
        return self._proc

    def _stderr_tail(self, limit: int = 20_000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()
        return text[-limit:]

    def _stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


@contextmanager
def session_or_own(imports: ImportSession | None, python: str, timeout: float) -> Iterator[ImportSession]:
    """``imports`` when the caller shares one, else a session of its own for the duration."""
    if imports is not None:
        yield imports
        return
    with ImportSession(python, timeout) as own:
        yield own
