#!/usr/bin/env bash
# Runs the platform the way `make up` does: NATS JetStream, the seven services and the docs portal under supervisord
# (every line of the Procfile, scripts/supervise.py): a crashed process is restarted, the others keep running.
# Every port is configurable through its ARRAKIS_*_PORT variable; data lives under ARRAKIS_VAR_DIR (default var/).
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's virtual environment first, so supervisord, uvicorn and nats-server come from it.
if [[ -x "${VENV:-.venv}/bin/python" ]]; then export PATH="$(cd "${VENV:-.venv}/bin" && pwd):$PATH"; fi
export ARRAKIS_HOST=${ARRAKIS_HOST:-127.0.0.1}
export ARRAKIS_VAR_DIR=${ARRAKIS_VAR_DIR:-$PWD/var}
export ARRAKIS_NATS_PORT=${ARRAKIS_NATS_PORT:-4222}
export ARRAKIS_NATS_MONITOR_PORT=${ARRAKIS_NATS_MONITOR_PORT:-8222}
export ARRAKIS_USER_SERVICE_PORT=${ARRAKIS_USER_SERVICE_PORT:-8001}
export ARRAKIS_ONTOLOGY_MANAGEMENT_SERVICE_PORT=${ARRAKIS_ONTOLOGY_MANAGEMENT_SERVICE_PORT:-8002}
export ARRAKIS_AUDIT_SERVICE_PORT=${ARRAKIS_AUDIT_SERVICE_PORT:-8003}
export ARRAKIS_DATA_KERNEL_SERVICE_PORT=${ARRAKIS_DATA_KERNEL_SERVICE_PORT:-8004}
export ARRAKIS_EMBEDDING_SERVICE_PORT=${ARRAKIS_EMBEDDING_SERVICE_PORT:-8005}
export ARRAKIS_SCHEDULER_SERVICE_PORT=${ARRAKIS_SCHEDULER_SERVICE_PORT:-8006}
export ARRAKIS_EVENT_GATEWAY_PORT=${ARRAKIS_EVENT_GATEWAY_PORT:-8007}
export ARRAKIS_PORTAL_PORT=${ARRAKIS_PORTAL_PORT:-8000}  # arrakis-docs serve: the portal and its /status.json
export ARRAKIS_PROMETHEUS_PORT=${ARRAKIS_PROMETHEUS_PORT:-9090}  # Prometheus with the generated rules
export ARRAKIS_PROMETHEUS_URL="http://$ARRAKIS_HOST:$ARRAKIS_PROMETHEUS_PORT"  # the portal's status page reads alerts
export ARRAKIS_ALERTMANAGER_PORT=${ARRAKIS_ALERTMANAGER_PORT:-9093}  # Alertmanager with the generated routes
# What the services read (pydantic-settings, prefix ARRAKIS_).
export ARRAKIS_DATA_DIR="$ARRAKIS_VAR_DIR/data"
export ARRAKIS_NATS_URL="nats://$ARRAKIS_HOST:$ARRAKIS_NATS_PORT"
export ARRAKIS_USER_SERVICE_URL="http://$ARRAKIS_HOST:$ARRAKIS_USER_SERVICE_PORT"
export ARRAKIS_ONTOLOGY_MANAGEMENT_SERVICE_URL="http://$ARRAKIS_HOST:$ARRAKIS_ONTOLOGY_MANAGEMENT_SERVICE_PORT"
export ARRAKIS_DATA_KERNEL_SERVICE_URL="http://$ARRAKIS_HOST:$ARRAKIS_DATA_KERNEL_SERVICE_PORT"
# Spans go to the portal (OTLP/HTTP), which appends them to $ARRAKIS_TRACES_DIR for `arrakis-docs runtime`; point
# ARRAKIS_OTLP_ENDPOINT at a collector, Jaeger or Tempo instead to send them there.
export ARRAKIS_OTLP_ENDPOINT=${ARRAKIS_OTLP_ENDPOINT:-"http://$ARRAKIS_HOST:$ARRAKIS_PORTAL_PORT/v1/traces"}
export ARRAKIS_TRACES_DIR=${ARRAKIS_TRACES_DIR:-"$ARRAKIS_VAR_DIR/traces"}
# On a developer's machine webhooks may also go to local receivers; a deployment leaves this unset (public only).
export ARRAKIS_WEBHOOK_ALLOWED_NETWORKS=${ARRAKIS_WEBHOOK_ALLOWED_NETWORKS:-'["127.0.0.0/8", "::1/128"]'}
mkdir -p "$ARRAKIS_VAR_DIR/nats" "$ARRAKIS_DATA_DIR"
exec python scripts/supervise.py "$@"
