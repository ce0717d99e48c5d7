"""`make bench`: time `arrakis-docs generate` cold and no-op on this repository beside a naive baseline.

Baseline, measured in the same run: one Python process imports each service app, calls app.openapi() and dumps it
as YAML, one after another. Cold: no cache. No-op: everything cached and the output already up to date.
Target: the no-op run takes at most 1 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOOP_TARGET_SECONDS = 1.0

BASELINE = """
import importlib, os, sys, tomllib
from pathlib import Path
import yaml
out = Path(sys.argv[1])
for project in sorted(Path("services").glob("*/pyproject.toml")):
    name = tomllib.loads(project.read_text())["project"]["name"]
    package = name.replace("-", "_")
    if not (project.parent / package / "app.py").is_file():
        continue
    sys.path.insert(0, str(project.parent))
    factory = getattr(importlib.import_module(f"{package}.app"), "create_app", None)
    if factory is None:  # the shared library has an app module but no app
        continue
    app = factory()
    (out / f"{name}.yaml").write_text(yaml.safe_dump(app.openapi(), sort_keys=True))
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={"ARRAKIS_DOCS_IMPORT": "1", "PATH": f"{BIN}:/usr/bin:/bin"})
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="arrakis-bench-") as scratch:
        out = Path(scratch)
        baseline_out = out / "baseline"
        baseline_out.mkdir()
        baseline = timed([sys.executable, "-c", BASELINE, str(baseline_out)])
        shutil.rmtree(REPO / ".arrakis-cache", ignore_errors=True)
        generate = [str(BIN / "arrakis-docs"), "generate", "--repo", str(REPO), "--out", str(out / "docs")]
        cold = timed(generate)
        noop = min(timed(generate) for _ in range(3))
    print(f"baseline (import + app.openapi() + YAML, sequential): {baseline:6.2f} s")
    print(f"arrakis-docs generate, cold:                          {cold:6.2f} s  (x{cold / baseline:.2f} of baseline)")
    print(f"arrakis-docs generate, no-op:                         {noop:6.2f} s  (x{noop / baseline:.3f} of baseline)")
    print(f"ratio baseline / no-op: {baseline / noop:.1f}x faster; no-op target <= {NOOP_TARGET_SECONDS:.1f} s: "
          f"{'met' if noop <= NOOP_TARGET_SECONDS else 'MISSED'}")
    return 0 if noop <= NOOP_TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
