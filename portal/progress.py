"""Progress lines with per-step timings, written to stderr so stdout stays for data (``model --json``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import click


class Progress:
    """Prints ``[ 0.12s] step: detail`` lines; quiet unless ``enabled``."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()

    def line(self, message: str) -> None:
        """One progress line, stamped with the time since the run began."""
        if self.enabled:
            click.echo(f"[{time.perf_counter() - self.started:6.2f}s] {message}", err=True)

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Times a step; text appended to the yielded list is shown after its duration."""
        notes: list[str] = []
        begin = time.perf_counter()
        yield notes
        detail = f" ({'; '.join(notes)})" if notes else ""
        self.line(f"{name}: {time.perf_counter() - begin:.2f}s{detail}")
