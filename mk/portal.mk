# The portal: `make up` serves it (mermaid.js and Swagger UI ship inside the package); the TechDocs check needs
# mkdocs-techdocs-core, kept in its own venv because it pins an older mkdocs-material than the portal uses.
TECHDOCS_CORE_VERSION := 1.7.1
TECHDOCS_VENV := .venv-techdocs

.PHONY: techdocs-venv portal-build bench-portal

$(TECHDOCS_VENV)/.installed:
	test -x $(TECHDOCS_VENV)/bin/python || $(PYTHON) -m venv $(TECHDOCS_VENV)
	$(TECHDOCS_VENV)/bin/pip install -q mkdocs-techdocs-core==$(TECHDOCS_CORE_VERSION)
	touch $@

techdocs-venv: $(TECHDOCS_VENV)/.installed

portal-build: install npm-install
	$(BIN)/arrakis-docs build

# The scale runs build 25 to 200 synthetic services cold: niced, the machine is shared.
bench-portal: install npm-install
	nice -n 10 $(BIN)/python bench/portal_bench.py $(PORTAL_BENCH_ARGS)

up: npm-install
test-python: npm-install techdocs-venv
bench: bench-portal
