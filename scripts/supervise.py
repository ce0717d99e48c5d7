"""Part of `make up` (scripts/up.sh): runs every line of the Procfile under supervisord.

A crashed process is restarted with backoff while the others keep running (honcho, which ran them before, stopped
the whole platform when any one process ended). Output stays on one console; Ctrl-C (SIGINT) or SIGTERM stops
everything. `supervisorctl -c $ARRAKIS_VAR_DIR/supervisord.conf status` shows each process, its PID and uptime.

    python scripts/supervise.py                 # write $ARRAKIS_VAR_DIR/supervisord.conf and exec supervisord
    python scripts/supervise.py --config-only   # only write it, print its path
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROCFILE_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")
# Processes that are done once they have said their piece are not restarted.
ONE_SHOT = {"ready"}


def procfile(path: Path) -> list[tuple[str, str]]:
    """The (name, command) pairs of a Procfile; a line that is none names the file and line."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PROCFILE_LINE.match(line)
        if match is None:
            raise SystemExit(f"{path}:{number}: not a Procfile line `name: command`")
        entries.append((match["name"], match["command"]))
    return entries


def program(name: str, command: str) -> str:
    """One [program:...] section: the command through bash (it expands the ARRAKIS_* variables), restarted with
    supervisord's backoff (1 s, 2 s, 3 s ... between failed starts), its whole process group signalled on stop."""
    restart = "false" if name in ONE_SHOT else "true"
    return "\n".join([
        f"[program:{name}]",
        # supervisord expands %(...)s in its values: a literal % is written %%.
        f"command=/bin/bash -c {shlex.quote('exec ' + command)}".replace("%", "%%"),
        f"directory={REPO}",
        f"autorestart={restart}",
        "startsecs=2",
        "startretries=10",
        "stopsignal=TERM",
        "stopwaitsecs=15",
        "stopasgroup=true",
        "killasgroup=true",
        "redirect_stderr=true",
        "stdout_logfile=/dev/stdout",
        "stdout_logfile_maxbytes=0",
        "",
    ])


def write_config(var_dir: Path, entries: list[tuple[str, str]]) -> Path:
    var_dir.mkdir(parents=True, exist_ok=True)
    socket = var_dir / "supervisor.sock"
    sections = [
        "[supervisord]",
        "nodaemon=true",
        f"logfile={var_dir / 'supervisord.log'}",
        f"pidfile={var_dir / 'supervisord.pid'}",
        "loglevel=warn",
        "",
        "[unix_http_server]",
        f"file={socket}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{socket}",
        "",
        *(program(name, command) for name, command in entries),
    ]
    config = var_dir / "supervisord.conf"
    config.write_text("\n".join(sections), encoding="utf-8")
    return config


def main(argv: list[str]) -> int:
    var_dir = Path(os.environ.get("ARRAKIS_VAR_DIR", REPO / "var"))
    config = write_config(var_dir, procfile(REPO / "Procfile"))
    if "--config-only" in argv:
        print(config)
        return 0
    binary = shutil.which("supervisord")
    if binary is None:
        raise SystemExit("supervisord is not installed: run `make install` (it comes from PyPI `supervisor`)")
    os.execv(binary, [binary, "-c", str(config)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
