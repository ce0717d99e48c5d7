# `make bench-diff`: arrakis-docs diff HEAD~1 HEAD on this repository, cold and with both sides cached, against
# generate on the same tree in the same run (bench/diff_bench.py). Part of `make bench`.
.PHONY: bench-diff

bench-diff: install
	$(BIN)/python bench/diff_bench.py

bench: bench-diff
