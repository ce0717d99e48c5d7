# The delivery pipeline's checks (ci.yml runs the same targets): coverage per package from the test run itself,
# bandit, and the pre-commit hooks (tests/test_delivery_pipeline.py runs them all in a fresh clone).
COVERAGE_DIR := var/coverage
COVERAGE_MIN := 85
# coverage.py starts before pytest, so the modules pytest's plugins import early (arrakis_common's fixtures and
# what they import) are measured from their first line; pytest-cov starts after plugins load and misses those.
COVERAGE_RUN := -m coverage run --data-file=$(COVERAGE_DIR)/.coverage

.PHONY: coverage coverage-check bandit pre-commit

# Per package (the toolkit, arrakis_common, each service): a table on stdout and in var/coverage/summary.md.
coverage-check: test-python
	$(BIN)/python -m coverage json -q --data-file=$(COVERAGE_DIR)/.coverage -o $(COVERAGE_DIR)/coverage.json
	$(BIN)/python -m coverage xml -q --data-file=$(COVERAGE_DIR)/.coverage -o $(COVERAGE_DIR)/coverage.xml
	$(BIN)/python -m coverage html -q --data-file=$(COVERAGE_DIR)/.coverage -d $(COVERAGE_DIR)/html
	$(BIN)/python scripts/coverage_report.py $(COVERAGE_DIR)/coverage.json --min $(COVERAGE_MIN) \
	  --markdown $(COVERAGE_DIR)/summary.md

coverage: coverage-check

bandit: install
	$(BIN)/bandit -q -c pyproject.toml -r .

pre-commit: install
	PATH="$(BIN):$$PATH" $(BIN)/pre-commit run --all-files --show-diff-on-failure

TEST_TARGETS += coverage-check
