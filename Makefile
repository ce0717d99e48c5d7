# The two README commands: `make up` (run the platform) and `make test` (every test). Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
SERVICE_PROJECTS := $(sort $(dir $(wildcard services/*/pyproject.toml)))

# Fragments in mk/ add their own test steps to TEST_TARGETS.
TEST_TARGETS := test-python
include $(sort $(wildcard mk/*.mk))

.PHONY: up test install system-deps lint test-python bench

install: $(STAMP)

$(STAMP): pyproject.toml $(wildcard services/*/pyproject.toml) constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel
	$(BIN)/pip install -q -c constraints.txt $(foreach p,$(SERVICE_PROJECTS),-e ./$(p)) -e '.[dev]'
	touch $@

# embedding-service's optional MiniLM embedder, so its tests run too. torch first, pinned to the CPU build that
# pip takes from this machine's disk; sentence-transformers then keeps it instead of pulling a CUDA build.
MINILM_STAMP := $(VENV)/.minilm
$(MINILM_STAMP): $(STAMP) services/embedding-service/pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e './services/embedding-service[minilm]'
	touch $@

system-deps:
	@scripts/system-deps.sh

lint: install
	$(BIN)/ruff check .

# COVERAGE_RUN (mk/delivery.mk) measures the run; PYTEST_ARGS narrows it (e.g. PYTEST_ARGS=tests/platform).
test-python: install $(MINILM_STAMP) system-deps npm-install
	mkdir -p var/coverage
	PATH="$(BIN):$$PATH" $(BIN)/python $(COVERAGE_RUN) -m pytest -q -rs $(PYTEST_ARGS)

test: lint $(TEST_TARGETS)

up: install system-deps
	PATH="$(BIN):$$PATH" scripts/up.sh
