# A real Backstage catalog backend (tests/backstage: @backstage/backend-defaults 0.19.0 and
# @backstage/plugin-catalog-backend 4.0.5, on Node 20) for tests/test_backstage_ingest.py, which keeps its data on the
# suite's throwaway PostgreSQL server (the postgres_server fixture; client pg, a dependency of backend-defaults). Its
# own package.json and lock file keep these ~315 MB (742 packages) out of the root node_modules. Nothing compiles (no
# native addon, no node-gyp): `npm ci` from an empty node_modules with a warm npm cache took 1m47s on a 2-core
# machine; with better-sqlite3, which compiles from source when no prebuilt binary is at hand, it took 5 to 10 minutes.
BACKSTAGE_DIR := tests/backstage
BACKSTAGE_STAMP := $(BACKSTAGE_DIR)/node_modules/.package-lock.json

.PHONY: backstage-install

backstage-install: $(BACKSTAGE_STAMP)

# npm ci when tests/backstage/node_modules is missing or older than its lock file.
$(BACKSTAGE_STAMP): $(BACKSTAGE_DIR)/package-lock.json $(BACKSTAGE_DIR)/package.json
	cd $(BACKSTAGE_DIR) && npm ci --no-audit --no-fund
	touch $@

test-python: backstage-install
