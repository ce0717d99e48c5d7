# arrakis-docs: the pinned Node toolset, the drift check + validation run by `make test`, and the benchmark.
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: npm-install docs-check bench

npm-install: $(NODE_MODULES_STAMP)

# npm ci when node_modules is missing or older than the lock file.
$(NODE_MODULES_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

docs-check: install npm-install
	$(BIN)/arrakis-docs generate --check
	$(BIN)/arrakis-docs validate

TEST_TARGETS += docs-check

bench: install
	$(BIN)/python bench/generate_bench.py
