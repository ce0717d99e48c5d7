"""Benchmark: diagram generation for the whole platform beside the pydeps and pyreverse CLIs run per service.

Ours: the code extraction of every service (pydeps with third-party packages excluded, classes, tables from the AST)
plus every diagram page and SVG render. Theirs: `pydeps <package>` and `pyreverse <core modules>` as their CLIs run
by default (pydeps crawls every third-party package; pyreverse infers through them). Prints both times and the ratio.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arrakis_docs.commands.common import Target  # noqa: E402
from arrakis_docs.diagrams_output import diagram_outputs, diagram_renders  # noqa: E402
from arrakis_docs.extractors.service_scan import ExtractOptions  # noqa: E402
from arrakis_docs.progress import Progress  # noqa: E402


def ours(out: Path) -> tuple[float, object]:
    target = Target.of(str(ROOT), None)
    start = time.perf_counter()
    model = target.model(Progress(enabled=False), ExtractOptions(static_only=True), use_cache=False)
    diagram_outputs(model, ROOT, target.config)
    problems = diagram_renders(model, ROOT, out)
    if problems:
        print("\n".join(problems), file=sys.stderr)
    return time.perf_counter() - start, model


def theirs(model: object, out: Path) -> float:
    start = time.perf_counter()
    for code in model.code.services:
        service = model.service(code.service)
        root = ROOT / service.root
        core = sorted({c.module for c in code.classes if c.core})
        for command in ([sys.executable, "-m", "pydeps", code.packages[0], "--no-config", "-T", "svg", "-o",
                         str(out / f"{code.service}-pydeps.svg"), "--no-show"],
                        [sys.executable, "-m", "pylint.pyreverse.main", "-o", "dot", "-p", code.service, "-d",
                         str(out), *core]):
            subprocess.run(command, cwd=root, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        ours_s, model = ours(Path(scratch))
        theirs_s = theirs(model, Path(scratch))
    print(f"arrakis-docs diagrams (7 services: modules, classes, ER, C4, map; Mermaid + SVG): {ours_s:.2f} s")
    print(f"pydeps + pyreverse CLIs per service (module SVG + class DOT only):                 {theirs_s:.2f} s")
    print(f"ratio (CLIs / ours): {theirs_s / ours_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
