# The platform under load and faults (bench/platform_bench.py): 20 clients on loopback against
# ontology-management-service beside a bare FastAPI + SQLAlchemy baseline of the same run (ratio >= 0.5), then
# kill -9 of the service and a frozen nats-server with the loss table and event lag. Not part of `make test`.
# BENCH_PLATFORM_SECONDS (default 30) bounds each run; BENCH_PLATFORM_CLIENTS (default 20) sets the clients.
.PHONY: bench-platform

bench-platform: install system-deps
	PATH="$(BIN):$$PATH" $(BIN)/python bench/platform_bench.py
