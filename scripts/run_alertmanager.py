"""Part of `make up`: runs Alertmanager (Debian's `prometheus-alertmanager`) with the generated routes, so the alerts
the Prometheus of scripts/run_prometheus.py fires have somewhere to go.

The generated monitoring/alertmanager/alertmanager.yml routes by team to webhook receivers whose URLs a deployment
replaces; on a developer's machine there is nobody to notify, so the run's copy keeps every route and receiver name
and drops the receivers' notifiers (null receivers): alerts are received, grouped and shown at /api/v2/alerts and in
the UI, and nothing is sent. The copy is written under $ARRAKIS_VAR_DIR/alertmanager and checked with `amtool
check-config` (when amtool is installed) before Alertmanager is exec'd on ARRAKIS_ALERTMANAGER_PORT. Also usable
alone: `python scripts/run_alertmanager.py --config-only` writes and checks the file and prints its path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GENERATED = REPO / "monitoring" / "alertmanager" / "alertmanager.yml"
BINARY = "prometheus-alertmanager"  # Debian's name; upstream's tarball calls it alertmanager


def local_config(generated: dict) -> dict:
    """The generated configuration with every receiver's notifiers removed (same names, so routing is unchanged)."""
    config = dict(generated)
    config["receivers"] = [{"name": r["name"]} for r in generated.get("receivers", [])]
    return config


def write_config(var_dir: Path) -> Path:
    """The run's configuration under ``var_dir``; returns its path."""
    var_dir.mkdir(parents=True, exist_ok=True)
    config = local_config(yaml.safe_load(GENERATED.read_text(encoding="utf-8")))
    path = var_dir / "alertmanager.yml"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("# Written by scripts/run_alertmanager.py from monitoring/alertmanager/alertmanager.yml: "
                   "null receivers.\n" + yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path


def check(path: Path) -> str | None:
    """``amtool check-config``'s complaint about ``path``, or None when it passes (or amtool is not installed)."""
    amtool = shutil.which("amtool")
    if amtool is None:
        return None
    done = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60,
                          check=False)
    return None if done.returncode == 0 else (done.stdout + done.stderr).strip()


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    var_dir = Path(env.get("ARRAKIS_VAR_DIR", REPO / "var")) / "alertmanager"
    config = write_config(var_dir)
    problem = check(config)
    if problem is not None:
        print(f"{config}: amtool check-config failed:\n{problem}", file=sys.stderr, flush=True)
        return 1
    if "--config-only" in argv:
        print(config)
        return 0
    binary = shutil.which(BINARY) or shutil.which("alertmanager")
    if binary is None:
        # Say why and idle: an exit would only be restarted by the supervisor, again and again.
        print(f"{BINARY} is not installed (Debian package `prometheus-alertmanager`, see scripts/system-deps.sh); "
              "the platform runs without it", flush=True)
        while True:
            time.sleep(3600)
    host = env.get("ARRAKIS_HOST", "127.0.0.1")
    port = env.get("ARRAKIS_ALERTMANAGER_PORT", "9093")
    # No cluster: one local instance, and the gossip port (9094) would clash with a second run on the machine.
    os.execv(binary, [binary, f"--config.file={config}", f"--storage.path={var_dir / 'data'}",
                      f"--web.listen-address={host}:{port}", f"--web.external-url=http://{host}:{port}",
                      "--cluster.listen-address=", "--log.level=warn"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
