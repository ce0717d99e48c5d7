# arrakis-docs diagrams: benchmark against the pydeps and pyreverse CLIs run per service.
.PHONY: bench-diagrams

bench-diagrams: install
	$(BIN)/python bench/diagrams_bench.py

bench: bench-diagrams
