# `make bench-runtime`: `arrakis-docs runtime` on 1,000,000 synthetic spans from 200 services (bench/runtime_bench.py),
# beside a baseline of reading and parsing the same file; targets <= 60 s and <= 2 GB, enforced. Part of `make bench`.
# The runtime tests themselves (tests/test_runtime.py, the traced walk in tests/platform/) run in test-python.
.PHONY: bench-runtime

bench-runtime: install
	PATH="$(BIN):$$PATH" $(BIN)/python bench/runtime_bench.py

bench: bench-runtime
