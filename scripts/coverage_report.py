"""Coverage per package, from coverage.py's JSON report: the toolkit (arrakis_docs), the shared library and each
service, one line each, and a Markdown table for the README and the CI artifact.

    python scripts/coverage_report.py var/coverage/coverage.json [--min 85] [--markdown var/coverage/summary.md]

A package is the top folder of the file's import path (``portal/``, ``extractors/``, ``model/`` and ``templates/``
are all arrakis_docs; ``services/<name>/<package>/`` is that package). Exits 1 when a package is under ``--min``
(per cent of statements and branches together, as coverage.py counts them), 2 when the report is unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

TOOLKIT_FOLDERS = {"portal", "extractors", "model", "templates"}


def package_of(path: str) -> str | None:
    """The package a measured file belongs to, from its path relative to the repository root."""
    parts = Path(path).parts
    if parts and parts[0] in TOOLKIT_FOLDERS:
        return "arrakis_docs"
    if len(parts) >= 3 and parts[0] == "services":
        return parts[2]
    return None


def per_package(report: dict) -> dict[str, tuple[int, int]]:
    """(covered, total) statements plus branches, per package."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, data in report.get("files", {}).items():
        package = package_of(path)
        if package is None:
            continue
        summary = data["summary"]
        covered = summary["covered_lines"] + summary.get("covered_branches", 0)
        total = summary["num_statements"] + summary.get("num_branches", 0)
        sums[package][0] += covered
        sums[package][1] += total
    return {name: (c, t) for name, (c, t) in sorted(sums.items())}


def percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--min", type=float, default=0.0, help="fail when a package is under this per cent")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args(argv)
    try:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{args.report}: cannot read the coverage report ({exc}); run `make coverage` first", file=sys.stderr)
        return 2
    packages = per_package(report)
    if not packages:
        print(f"{args.report}: no file of ours was measured", file=sys.stderr)
        return 2
    rows = [(name, percent(c, t), c, t) for name, (c, t) in packages.items()]
    low = [row for row in rows if row[1] < args.min]
    for name, pct, covered, total in rows:
        mark = "  < min" if pct < args.min else ""
        print(f"{name:32} {pct:6.1f}%  ({covered}/{total} statements and branches){mark}")
    if args.markdown:
        lines = ["| Package | Coverage | Covered / total |", "| --- | ---: | ---: |"]
        lines += [f"| `{name}` | {pct:.1f}% | {covered} / {total} |" for name, pct, covered, total in rows]
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if low:
        print(f"under {args.min:g}%: " + ", ".join(name for name, *_ in low), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
