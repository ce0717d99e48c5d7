"""`make bench-diff`: time `arrakis-docs diff HEAD~1 HEAD` on a repository (default: this one), cold and with both
sides cached, against `arrakis-docs generate` on the same tree measured in the same run.

Cold: the diff's caches emptied (both refs exported with git archive and scanned; a service unchanged between
them is extracted once). Cached: the next run (both models answered by git tree id). Baseline: ``generate
--static-only`` on HEAD exported into a fresh folder (cold, no cache), then again (warm).
Targets: cold at most 10 s, cached at most 2 s.
Usage: python bench/diff_bench.py [REPO] [BASE] [HEAD]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COLD_TARGET_SECONDS = 10.0
CACHED_TARGET_SECONDS = 2.0


CPU: list[float] = []  # CPU seconds (user + system) of each timed command, in order


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path | None = None) -> float:
    """Wall time of one command (its CPU time appended to CPU: on a loaded machine it is the steadier number);
    output discarded, a failure (exit 2 or worse) stops the benchmark."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    if done.returncode not in (0, 1):  # diff exits 1 when it finds breaking changes
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    """Run the three measurements and print them with their ratios; exit 1 when a target is missed."""
    repo = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO
    base, head = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("HEAD~1", "HEAD")
    tool = str(BIN / "arrakis-docs")
    with tempfile.TemporaryDirectory(prefix="diff-bench-") as scratch:
        # A local clone pins both refs (a shared tree's HEAD may move mid-run) and starts with no cache: cold.
        clone = Path(scratch) / "clone" / repo.name
        subprocess.run(["git", "clone", "--quiet", "--local", str(repo), str(clone)], check=True)
        shas = {}
        for role, ref in (("base", base), ("head", head)):
            shas[role] = subprocess.run(["git", "-C", str(repo), "rev-parse", ref], capture_output=True, text=True,
                                        check=True).stdout.strip()
            subprocess.run(["git", "-C", str(clone), "tag", f"bench-{role}", shas[role]], check=True)
        diff = [tool, "diff", "bench-base", "bench-head", "--repo", str(clone), "--format", "json", "--fail-on",
                "never"]
        cold = timed(diff)
        # Cached: the best of three runs after a refill; the refill absorbs a toolkit edit made meanwhile (the cache
        # key includes the toolkit's own sources, so on a tree being edited the cold run's entries may be stale).
        timed(diff)
        CPU.pop()
        runs = [(timed(diff), CPU.pop()) for _ in range(3)]
        cached, cached_cpu = min(runs)
        CPU.append(cached_cpu)
        tree = Path(scratch) / repo.name
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(clone), "archive", "--format=tar", shas["head"]],
                                 capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        out = Path(scratch) / "out"
        generate = [tool, "generate", "--static-only", "--repo", str(tree), "--out", str(out)]
        generate_cold = timed(generate)
        generate_warm = timed(generate)
    cpu_cold, cpu_cached, cpu_generate_cold, cpu_generate_warm = CPU
    rows = [
        ("diff cold", cold, cpu_cold, generate_cold, cpu_generate_cold, COLD_TARGET_SECONDS),
        ("diff, both sides cached", cached, cpu_cached, generate_warm, cpu_generate_warm, CACHED_TARGET_SECONDS),
    ]
    print(f"repository {repo.name}, {base}..{head}; wall seconds (CPU seconds), generate on the same tree")
    print(f"{'run':26} {'wall':>7} {'cpu':>7} {'generate':>9} {'cpu':>7} {'ratio':>6} {'target':>7}")
    missed = False
    for name, seconds, cpu, baseline, baseline_cpu, target in rows:
        ok = seconds <= target
        missed |= not ok
        print(f"{name:26} {seconds:7.2f} {cpu:7.2f} {baseline:9.2f} {baseline_cpu:7.2f} {seconds / baseline:6.2f} "
              f"{target:6.1f}s{'' if ok else '  MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
