# arrakis-docs on big synthetic trees (bench/synthetic.py): 100 modules cold, 50 services cold and incremental,
# a 700-module / 1,000-class app, a 20,000-route spec; each against a baseline of the same run, targets enforced.
.PHONY: bench-scale

bench-scale: install
	PATH="$(BIN):$$PATH" $(BIN)/python bench/scale_bench.py

bench: bench-scale
