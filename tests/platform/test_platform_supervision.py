"""`make up` under supervisord: a service killed with SIGKILL comes back, and no other process is touched."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from arrakis_common.testing import http_ready, wait_until

SUPERVISORCTL = Path(sys.executable).parent / "supervisorctl"
STATUS_LINE = re.compile(r"^(?P<name>\S+)\s+RUNNING\s+pid (?P<pid>\d+),")


def running(config: Path) -> dict[str, int]:
    """The PID of every RUNNING program, as `supervisorctl status` reports it."""
    out = subprocess.run([str(SUPERVISORCTL), "-c", str(config), "status"], capture_output=True, text=True,
                         timeout=30).stdout
    return {m["name"]: int(m["pid"]) for line in out.splitlines() if (m := STATUS_LINE.match(line))}


def test_a_killed_service_is_restarted_while_the_others_keep_running(platform):
    config = platform.var_dir / "supervisord.conf"
    before = wait_until(lambda: (found := running(config)) and set(platform.ports) <= set(found) and found)
    victim = "audit-service"
    os.kill(before[victim], signal.SIGKILL)
    after = wait_until(lambda: (now := running(config)).get(victim, before[victim]) != before[victim] and now,
                       timeout=60)
    wait_until(lambda: http_ready(platform.url(victim)), timeout=60)
    assert {n: p for n, p in after.items() if n != victim} == {n: p for n, p in before.items() if n != victim}
    assert all(http_ready(platform.url(name)) for name in platform.ports)
