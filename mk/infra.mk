# Infrastructure extraction: the Terraform parse-and-graph benchmark (bench/infra_bench.py); `make bench` runs it.
.PHONY: bench-infra

bench-infra: install
	$(BIN)/python bench/infra_bench.py

bench: bench-infra
