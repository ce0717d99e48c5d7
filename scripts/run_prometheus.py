"""Part of `make up`: runs Prometheus (Debian's `prometheus`) with the generated scrape configuration and rules
against the services on the ports `make up` gave them.

The generated monitoring/prometheus/prometheus.yml names one job per service and reads each job's targets from
targets/<service>.json; this writes those files (from ARRAKIS_HOST and ARRAKIS_<SERVICE>_PORT) and a copy of the
configuration with short scrape and evaluation intervals under $ARRAKIS_VAR_DIR/prometheus (sending alerts to the
Alertmanager of scripts/run_alertmanager.py when ARRAKIS_ALERTMANAGER_PORT is set), then execs Prometheus on
ARRAKIS_PROMETHEUS_PORT. Also usable alone: `python scripts/run_prometheus.py --config-only` writes the files only.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
GENERATED = REPO / "monitoring" / "prometheus"


def env_key(name: str) -> str:
    """``user-service`` -> ``USER_SERVICE``."""
    return name.upper().replace("-", "_")


def write_config(var_dir: Path, env: dict[str, str]) -> Path:
    """The run's configuration, targets and rules under ``var_dir``; returns the configuration's path."""
    config = yaml.safe_load((GENERATED / "prometheus.yml").read_text(encoding="utf-8"))
    interval = env.get("ARRAKIS_PROMETHEUS_INTERVAL", "2s")  # seconds, not the deployment's 15s: alerts show fast
    config["global"].update({"scrape_interval": interval, "evaluation_interval": interval,
                             "scrape_timeout": interval})
    host = env.get("ARRAKIS_HOST", "127.0.0.1")
    if env.get("ARRAKIS_ALERTMANAGER_PORT"):  # scripts/run_alertmanager.py's, on the same host
        config["alerting"] = {"alertmanagers": [{"api_version": "v2", "static_configs": [
            {"targets": [f"{host}:{env['ARRAKIS_ALERTMANAGER_PORT']}"]}]}]}
    (var_dir / "targets").mkdir(parents=True, exist_ok=True)
    for job in config["scrape_configs"]:
        name = job["job_name"]
        port = env.get(f"ARRAKIS_{env_key(name)}_PORT")
        targets = [{"targets": [f"{host}:{port}"]}] if port else []
        _write(var_dir / "targets" / f"{name}.json", json.dumps(targets, indent=2) + "\n")
    rules = var_dir / "rules"
    shutil.rmtree(rules, ignore_errors=True)
    shutil.copytree(GENERATED / "rules", rules)
    path = var_dir / "prometheus.yml"
    _write(path, yaml.safe_dump(config, sort_keys=True))
    return path


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    var_dir = Path(env.get("ARRAKIS_VAR_DIR", REPO / "var")) / "prometheus"
    config = write_config(var_dir, env)
    if "--config-only" in argv:
        print(config)
        return 0
    binary = shutil.which("prometheus")
    if binary is None:
        # Say why and idle: an exit would only be restarted by the supervisor, again and again.
        print("prometheus is not installed (Debian package `prometheus`, see scripts/system-deps.sh); the platform "
              "runs without it", flush=True)
        while True:
            time.sleep(3600)
    address = f"{env.get('ARRAKIS_HOST', '127.0.0.1')}:{env.get('ARRAKIS_PROMETHEUS_PORT', '9090')}"
    os.execv(binary, [binary, f"--config.file={config}", f"--storage.tsdb.path={var_dir / 'data'}",
                      f"--web.listen-address={address}", "--storage.tsdb.retention.time=2d", "--log.level=warn"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
