"""`make bench-portal`: time the portal build (render the pages from the model + `mkdocs build --strict`) beside a
baseline measured in the same run: `mkdocs build --strict` of the hand-written pages only (no generated pages).

The model comes from the content-hash cache (a warm `arrakis-docs generate` first), so the numbers are the portal's
own cost, not extraction. Prints seconds and the ratio portal / baseline.

Then the portal at scale: a cold `arrakis-docs build` (fresh linked synthetic platform from bench/synthetic.py, no
cache) at each of ``--sizes`` services (default 25 50 100 200), its wall-clock and CPU time (this process's children:
the build, its import sandboxes, dot, pyreverse, mkdocs; the machine is shared, CPU time is what load does not
change), the site's size and the most nav links a page carries; on the largest site, headless Chromium opens the
home, a service, an event and the catalog graph (screenshots under ``var/bench-portal/``) and checks that each
page's Mermaid renders and its nav stays under ``NAV_BOUND``. Targets (issue 19): the build at the largest size
within ``RATIO_TARGET`` times the build at 50 services, judged on CPU time (the wall-clock ratio is printed beside it:
on a shared machine it also measures everyone else's load), and a site under ``SITE_TARGET_MB``. Exit 1 when a
target or a browser check fails.
"""

from __future__ import annotations

import argparse
import os
import resource
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

sys.path.insert(0, str(REPO / "bench"))
from portal_browse import (  # noqa: E402
    NAV_BOUND,
    browser_available,
    check_page,
    chromium,
    folder_megabytes,
    largest_nav,
    served,
)
from synthetic import write_repo  # noqa: E402

HAND_WRITTEN = ("how-to", "assets")
SIZES = (25, 50, 100, 200)
RATIO_TARGET = 4.0  # build at the largest size / build at 50 services
SITE_TARGET_MB = 100.0
SHOTS = REPO / "var" / "bench-portal"
BROWSED = ("index.html", "services/svc-007.html", "events/arrakis.svc_007.item0.changed.html", "catalog/graph.html")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def mkdocs_build(config: Path, site: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config), "-d",
                    str(site)], cwd=config.parent, env=ENV, check=True)
    return time.perf_counter() - started


def own_portal() -> None:
    target = Target.of(str(REPO), None)
    model = target.model(Progress(enabled=False))
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        # Baseline: the toolkit's mkdocs.yml over a docs/ folder holding only the hand-written pages.
        base = work / "baseline"
        for folder in (f for f in HAND_WRITTEN if (REPO / "docs" / f).is_dir()):
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


def children_cpu() -> float:
    """CPU seconds (user + system) of every waited-for child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scale_run(services: int, work: Path) -> dict[str, float | int | str]:
    """A cold ``arrakis-docs build`` of a fresh linked synthetic platform of ``services`` services."""
    repo = work / f"platform-{services}"
    write_repo(repo, services=services, linked=True)
    site = work / f"site-{services}"
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", "from arrakis_docs.cli import main; main()", "build", "--repo", str(repo),
                    "--site", str(site)], cwd=repo, env=ENV, check=True, stdout=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    most, page = largest_nav(site)
    return {"services": services, "wall": wall, "cpu": cpu, "mb": folder_megabytes(site), "nav": most,
            "nav_page": page, "pages": sum(1 for _ in site.rglob("*.html"))}


def browse(site: Path) -> list[str]:
    """Open ``BROWSED`` in headless Chromium; problems (Mermaid not rendered, nav past the bound), one per line."""
    if not browser_available():
        return ["headless Chromium / chromedriver / selenium not installed: browser checks not run"]
    shutil.rmtree(SHOTS, ignore_errors=True)
    with served(site) as base, chromium() as driver:
        checks = [check_page(driver, base, page, SHOTS) for page in BROWSED]
    for check in checks:
        print(f"browser   {check.page}: {check.nav_links} nav links, {check.diagrams} Mermaid pictures rendered "
              f"{check.diagrams - len(check.failures)}, screenshot {check.screenshot}")
    problems = [f for c in checks for f in c.failures]
    problems += [f"{c.page}: {c.nav_links} nav links (bound {NAV_BOUND})" for c in checks if c.nav_links > NAV_BOUND]
    return problems + [f"{c.page}: no Mermaid picture" for c in checks if not c.diagrams]


def at_scale(sizes: list[int]) -> int:
    """Build at each size, print the table and the ratios, browse the largest site; returns the exit code."""
    work = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    problems: list[str] = []
    try:
        rows = []
        for services in sizes:
            row = scale_run(services, work)
            rows.append(row)
            print(f"scale     {services:4d} services: build {row['wall']:7.1f} s wall, {row['cpu']:7.1f} s CPU; "
                  f"site {row['mb']:6.1f} MB, {row['pages']} pages; most nav links {row['nav']} "
                  f"({row['nav_page']})", flush=True)
            if int(row["nav"]) > NAV_BOUND:
                problems.append(f"{services} services: {row['nav_page']} carries {row['nav']} nav links "
                                f"(bound {NAV_BOUND})")
        base = next((r for r in rows if r["services"] == 50), rows[0])
        top = rows[-1]
        wall, cpu = top["wall"] / base["wall"], top["cpu"] / base["cpu"]
        print(f"scale     {top['services']} / {base['services']} services: {wall:.1f}x wall, {cpu:.1f}x CPU "
              f"(target <= {RATIO_TARGET:g}x); site {top['mb']:.1f} MB (target < {SITE_TARGET_MB:g} MB)")
        if cpu > RATIO_TARGET:
            problems.append(f"build {wall:.1f}x wall, {cpu:.1f}x CPU of the {base['services']}-service build")
        if float(top["mb"]) >= SITE_TARGET_MB:
            problems.append(f"site of {top['services']} services is {top['mb']:.1f} MB")
        problems += browse(work / f"site-{top['services']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"FAIL      {problem}")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES), help="services per scale run")
    parser.add_argument("--scale-only", action="store_true", help="skip this repository's own portal")
    args = parser.parse_args()
    if not args.scale_only:
        own_portal()
    return at_scale(sorted(args.sizes)) if args.sizes else 0


if __name__ == "__main__":
    raise SystemExit(main())
