# Generated monitoring (monitoring/): promtool and amtool from Debian's prometheus and prometheus-alertmanager
# packages. `make test` runs the same checks through pytest (tests/test_monitoring.py, and the live check in
# tests/platform/test_monitoring_live.py); this target is the quick one to run by hand after `arrakis-docs generate`.
.PHONY: monitoring-check

monitoring-check: install system-deps
	promtool check rules monitoring/prometheus/rules/*.yml
	cd monitoring/prometheus/tests && promtool test rules *.test.yml
	amtool check-config monitoring/alertmanager/alertmanager.yml
	$(BIN)/python scripts/run_alertmanager.py --config-only  # the copy `make up` runs (null receivers), amtool-checked
