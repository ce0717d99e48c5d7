# `make bench-corpus`: arrakis-docs on the open evaluation corpus of public repositories (bench/corpus/README.md),
# scored against hand-checked ground truth. Needs the mirrors ($ARRAKIS_CORPUS_MIRROR, default ../.mirror); a
# repository whose mirror is absent is skipped. Part of `make bench`.
.PHONY: bench-corpus

bench-corpus: install
	$(BIN)/python bench/corpus/corpus_bench.py

bench: bench-corpus
