# Terraform checks without a terraform binary: HCL parse + reference lint (pytest, tests/test_terraform.py)
# and checkov, which lives in its own venv because its hcl2 fork would replace python-hcl2 in the main one.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_MIN_PASS := 90

.PHONY: checkov test-terraform

$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q checkov==$(CHECKOV_VERSION)
	touch $@

# Offline (no guideline download); the JSON report goes to scripts/checkov_ratio.py, which prints only a summary.
checkov: $(CHECKOV_VENV)/.installed
	set -o pipefail; BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
	  $(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --compact --skip-download \
	  --download-external-modules false -o json 2>/dev/null \
	  | $(BIN)/python scripts/checkov_ratio.py --min $(CHECKOV_MIN_PASS)

test-terraform: install
	$(BIN)/python -m arrakis_docs.extractors.hcl_references terraform

TEST_TARGETS += test-terraform checkov
