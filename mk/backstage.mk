# A real Backstage catalog backend (tests/backstage: @backstage/backend-defaults 0.19.0, @backstage/plugin-catalog-backend
# 4.0.5, better-sqlite3 12.11.1, the newest that run on Node 20) for tests/test_backstage_ingest.py. Its own
# package.json and lock file keep these ~340 MB (770 packages) out of the root node_modules; `npm ci` took 5 to 10
# minutes on a busy 2-core machine (better-sqlite3 compiles from source when no prebuilt binary is at hand).
BACKSTAGE_DIR := tests/backstage
BACKSTAGE_STAMP := $(BACKSTAGE_DIR)/node_modules/.package-lock.json

.PHONY: backstage-install

backstage-install: $(BACKSTAGE_STAMP)

# npm ci when tests/backstage/node_modules is missing or older than its lock file.
$(BACKSTAGE_STAMP): $(BACKSTAGE_DIR)/package-lock.json $(BACKSTAGE_DIR)/package.json
	cd $(BACKSTAGE_DIR) && npm ci --no-audit --no-fund
	touch $@

test-python: backstage-install
