"""`make bench-diff`: time `arrakis-docs diff HEAD~1 HEAD` on a repository (default: this one), cold and with both
sides cached, against `arrakis-docs generate` on the same tree measured in the same run.

Cold: the diff's caches emptied (both refs exported from git objects and scanned; a file unchanged between them
is parsed once, a service extracted once, the Terraform parsed once when its files did not change). Cached: the
next run (both models answered by git tree id). Baselines, measured in the same run: ``git diff --stat`` of the
two refs (the floor: what git alone costs), one cold ``model --static-only`` of HEAD exported into a fresh folder
(what one side costs; a cold diff should cost little more than one), and ``generate --static-only`` cold and warm.
A second cold diff, from HEAD to a commit made on the clone that adds one resource to ``terraform/main.tf``, shows
what a Terraform change costs: the other side's parses are reused, only the changed file is parsed again.
Targets: cold at most 10 s, cached at most 2 s.
Usage: python bench/diff_bench.py [REPO] [BASE] [HEAD]
"""

from __future__ import annotations

import resource
import shutil
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
        # Cold again, across a Terraform change: HEAD against a commit that adds one resource to the root module.
        main_tf = clone / "terraform" / "main.tf"
        terraform = None
        if main_tf.is_file():
            subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "bench-head"], check=True)
            with main_tf.open("a", encoding="utf-8") as tf:
                tf.write('\nresource "aws_sqs_queue" "bench_probe" {\n  name = "bench-probe"\n}\n')
            subprocess.run(["git", "-C", str(clone), "-c", "user.email=bench@example.invalid", "-c",
                            "user.name=bench", "-c", "commit.gpgsign=false", "commit", "--quiet", "-am",
                            "bench: one Terraform resource more"], check=True)
            shutil.rmtree(clone / ".arrakis-cache", ignore_errors=True)
            terraform = timed([*diff[:2], "bench-head", "HEAD", *diff[4:]])
            terraform_cpu = CPU.pop()
        tree = Path(scratch) / repo.name
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(clone), "archive", "--format=tar", shas["head"]],
                                 capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        git_stat = timed(["git", "-C", str(clone), "diff", "--stat", "bench-base", "bench-head"])
        model = timed([tool, "model", "--static-only", "--json", "--repo", str(tree), "--out",
                       str(Path(scratch) / "model-out")])
        out = Path(scratch) / "out"
        generate = [tool, "generate", "--static-only", "--repo", str(tree), "--out", str(out)]
        generate_cold = timed(generate)
        generate_warm = timed(generate)
    cpu_cold, cpu_cached, cpu_git, cpu_model, cpu_generate_cold, cpu_generate_warm = CPU
    print(f"repository {repo.name}, {base}..{head}; wall seconds (CPU seconds)")
    print(f"{'baseline':34} {'wall':>7} {'cpu':>7}")
    for name, seconds, cpu in (("git diff --stat", git_stat, cpu_git), ("model --static-only, cold", model, cpu_model),
                               ("generate --static-only, cold", generate_cold, cpu_generate_cold),
                               ("generate --static-only, warm", generate_warm, cpu_generate_warm)):
        print(f"{name:34} {seconds:7.2f} {cpu:7.2f}")
    print(f"{'run':26} {'wall':>7} {'cpu':>7} {'/model':>7} {'cpu/model':>9} {'/git':>7} {'target':>7}")
    missed = False
    rows = [("diff cold", cold, cpu_cold, COLD_TARGET_SECONDS),
            ("diff, both sides cached", cached, cpu_cached, CACHED_TARGET_SECONDS)]
    if terraform is not None:
        rows.insert(1, ("diff cold, one .tf changed", terraform, terraform_cpu, COLD_TARGET_SECONDS))
    for name, seconds, cpu, target in rows:
        ok = seconds <= target
        missed |= not ok
        print(f"{name:26} {seconds:7.2f} {cpu:7.2f} {seconds / model:7.2f} {cpu / max(cpu_model, 1e-9):9.2f} "
              f"{seconds / max(git_stat, 1e-9):7.0f} {target:6.1f}s{'' if ok else '  MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
