"""Summarise a checkov JSON report and fail below a pass-ratio threshold.

Usage: checkov ... -o json | python scripts/checkov_ratio.py [--min 90]
Prints `checkov: P passed, F failed, S skipped (R% pass)`, then each failure and each distinct skip with its reason
(a skip inside a module counts once per module call in S).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def reports(document: Any) -> list[dict[str, Any]]:
    """checkov prints one report object, or a list of them when several frameworks ran."""
    if isinstance(document, list):
        return [r for r in document if isinstance(r, dict)]
    return [document] if isinstance(document, dict) else []


def summarise(document: Any) -> tuple[int, int, int, list[dict[str, Any]], list[dict[str, Any]]]:
    """Passed, failed and skipped counts, then the failed and the skipped checks, over every report."""
    passed = failed = skipped = 0
    failures: list[dict[str, Any]] = []
    skips: list[dict[str, Any]] = []
    for report in reports(document):
        summary = report.get("summary", {})
        passed += int(summary.get("passed", 0))
        failed += int(summary.get("failed", 0))
        skipped += int(summary.get("skipped", 0))
        results = report.get("results", {})
        failures.extend(results.get("failed_checks", []))
        skips.extend(results.get("skipped_checks", []))
    return passed, failed, skipped, failures, skips


def _describe(check: dict[str, Any]) -> str:
    location = f"{check.get('file_path', '')}:{(check.get('file_line_range') or [0])[0]}"
    return f"{check.get('check_id')} {check.get('resource')} ({location})"


def _skip(check: dict[str, Any]) -> tuple[str, str, str]:
    reason = (check.get("check_result") or {}).get("suppress_comment") or check.get("suppress_comment") or "(no reason)"
    return str(check.get("check_id", "")), str(check.get("file_path", "")), str(reason)


def main(argv: list[str] | None = None) -> int:
    """Read the report from stdin (or a file) and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", nargs="?", help="checkov JSON report (default: stdin)")
    parser.add_argument("--min", type=float, default=90.0, help="minimum pass percentage")
    options = parser.parse_args(argv)
    text = open(options.report, encoding="utf-8").read() if options.report else sys.stdin.read()
    try:
        document = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        print(f"checkov: report is not JSON ({error})")
        return 1
    passed, failed, skipped, failures, skips = summarise(document)
    total = passed + failed
    if total == 0:
        print("checkov: no checks ran")
        return 1
    ratio = 100.0 * passed / total
    print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped ({ratio:.1f}% pass)")
    for check in failures:
        print(f"  failed  {_describe(check)}: {check.get('check_name', '')}")
    for check_id, path, reason in sorted({_skip(check) for check in skips}):
        print(f"  skipped {check_id} {path}: {reason}")
    return 0 if ratio >= options.min else 1


if __name__ == "__main__":
    raise SystemExit(main())
