"""`make bench-portal`: time the portal build (render the pages from the model + `mkdocs build --strict`) beside a
baseline measured in the same run: `mkdocs build --strict` of the hand-written pages only (no generated pages).

The model comes from the content-hash cache (a warm `arrakis-docs generate` first), so the numbers are the portal's
own cost, not extraction. Prints seconds and the ratio portal / baseline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from arrakis_docs.commands.common import Target  # noqa: E402
from arrakis_docs.progress import Progress  # noqa: E402
from arrakis_docs.site_output import site_outputs  # noqa: E402

HAND_WRITTEN = ("how-to", "assets")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def mkdocs_build(config: Path, site: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config), "-d",
                    str(site)], cwd=config.parent, env=ENV, check=True)
    return time.perf_counter() - started


def main() -> None:
    target = Target.of(str(REPO), None)
    model = target.model(Progress(enabled=False))
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        # Baseline: the toolkit's mkdocs.yml over a docs/ folder holding only the hand-written pages.
        base = work / "baseline"
        for folder in HAND_WRITTEN:
            shutil.copytree(REPO / "docs" / folder, base / "docs" / folder)
        (base / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
        shutil.copyfile(REPO / "mkdocs.yml", base / "mkdocs.yml")
        shutil.copytree(REPO / "portal", base / "portal", ignore=shutil.ignore_patterns("__pycache__"))
        os.symlink(REPO / "node_modules", base / "node_modules")
        baseline = mkdocs_build(base / "mkdocs.yml", work / "site-baseline")

        started = time.perf_counter()
        site_outputs(model, REPO, target.config)
        render = time.perf_counter() - started
        build = mkdocs_build(REPO / "mkdocs.yml", work / "site-portal")
        pages = sum(1 for _ in (work / "site-portal").rglob("*.html"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = render + build
    print(f"baseline  mkdocs build, hand-written pages only: {baseline:6.2f} s")
    print(f"portal    render pages from the model:            {render:6.2f} s")
    print(f"portal    mkdocs build --strict ({pages} pages):      {build:6.2f} s")
    print(f"portal    total:                                  {total:6.2f} s  ({total / baseline:.1f}x baseline)")


if __name__ == "__main__":
    main()
