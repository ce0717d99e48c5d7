"""`make bench-corpus`: run `arrakis-docs model --static-only` on the open evaluation corpus and score it.

For each repository of bench/corpus/repos.toml whose mirror is present, the pinned commit is exported to a temporary
folder (`git archive`), `arrakis-docs model --json --static-only --repo <tmp>` runs on it under a timeout, and its
model is compared with the hand-checked ground truth in bench/corpus/truth/<owner>__<name>.json:

* services found / expected: services with a FastAPI app (type other than `worker`) against the truth's apps, and
  the broker-only programs found as workers, counted on their own;
* route recall and precision on normalised `METHOD /path` (`{anything}` -> `{}`, no trailing slash but on `/`),
  counted as multisets so that two services both serving `GET /health` count twice;
* broker call-site recall by `file:line` (+-2 lines; a usage reported at a wrapper's call site counts for the
  broker call inside that wrapper, through the usage's `via`; a JetStream stream's evidence location counts as the
  call site of the `add_stream(...)` that declared it);
* subjects resolved: the model's usages with a subject (literal or `{param}` pattern) / all its usages, and the
  truth's known subjects found among the model's;
* Terraform resource coverage: resource blocks found (distinct file:line) / resource blocks in the tree;
* diagnostics by severity, wall time and peak RSS of the run.

The mirrors are found through ARRAKIS_CORPUS_MIRROR (default: the `.mirror` folder beside this repository), as
`<owner>+<name>/` holding a bare git directory. A repository whose mirror is absent is skipped with one line.
Exit status is 0 unless a --min-* threshold is given and missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TRUTH_DIR = HERE / "truth"
HTTP = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
LINE_TOLERANCE = 2


def mirror_root() -> Path:
    env = os.environ.get("ARRAKIS_CORPUS_MIRROR")
    return Path(env) if env else REPO.parent / ".mirror"


def find_git_dir(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    for cand in [folder, *sorted(folder.iterdir()), *sorted(folder.glob("*/*"))]:
        if cand.is_dir() and (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    return None


def git(git_dir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, **kw)


def export(git_dir: Path, commit: str, subdir: str, dest: Path) -> str:
    """Export the pinned tree (or one folder of it) into dest; blobs the mirror lacks (large files) are left out."""
    paths = [subdir] if subdir else []
    archive = git(git_dir, "archive", commit, *paths)
    note = ""
    if archive.returncode != 0:
        listing = git(git_dir, "ls-tree", "-r", commit, *paths, text=True).stdout.splitlines()
        objs = {line.split()[2]: line.split("\t", 1)[1] for line in listing if " blob " in line}
        check = git(git_dir, "cat-file", "--batch-check", input="\n".join(objs) + "\n", text=True).stdout
        missing = [objs[line.split()[0]] for line in check.splitlines() if line.endswith(" missing")]
        excludes = [f":(exclude){p}" for p in missing]
        archive = git(git_dir, "archive", commit, "--", *(paths or ["."]), *excludes)
        if archive.returncode != 0:
            raise RuntimeError(archive.stderr.decode(errors="replace").strip())
        note = f"{len(missing)} file(s) absent from the mirror left out"
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return note


def code_at(rev: str, dest: Path) -> tuple[list[str], dict]:
    """A command running this repository's CLI as committed at `rev`, and the environment for it.

    The commit is exported into dest and its import packages laid out as pyproject.toml's package-dir says, first on
    PYTHONPATH, so that neither uncommitted work in the tree nor the editable install decides what is measured."""
    src, pkgroot = dest / "src", dest / "pkg"
    src.mkdir()
    pkgroot.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    project = tomllib.loads((src / "pyproject.toml").read_text())
    package_dir = project.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    for pkg, folder in sorted(package_dir.items(), key=lambda kv: kv[0].count(".")):
        target = pkgroot.joinpath(*pkg.split("."))
        if target.exists():
            shutil.rmtree(target)
        if "." in pkg:
            target.symlink_to((src / folder).resolve(), target_is_directory=True)
        else:
            shutil.copytree(src / folder, target, symlinks=True)
    module, _, func = project["project"]["scripts"]["arrakis-docs"].partition(":")
    launcher = f"import sys; sys.argv[0] = 'arrakis-docs'; from {module} import {func} as m; sys.exit(m())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pkgroot), os.environ.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)}
    return [sys.executable, "-c", launcher], env


def installed_cli() -> list[str]:
    exe = Path(sys.executable).parent / "arrakis-docs"
    return [str(exe) if exe.exists() else (shutil.which("arrakis-docs") or "arrakis-docs")]


def run_model(tree: Path, timeout: float, cli: list[str], env: dict | None = None) -> dict:
    """The model of `tree`, with wall time, peak RSS (MiB) and exit status of the run."""
    cmd = [*cli, "model", "--json", "--static-only", "--repo", str(tree)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=tree, env=env)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            proc.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().decode(errors="replace")
    result = {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "exit": proc.returncode,
              "timed_out": timed_out.is_set(), "model": None, "error": ""}
    if proc.returncode == 0 and not timed_out.is_set():
        try:
            result["model"] = json.loads(stdout)
        except ValueError as exc:
            result["error"] = f"model output is not JSON: {exc}"
    else:
        result["error"] = "timed out" if timed_out.is_set() else (stderr.strip().splitlines() or ["failed"])[-1]
    return result


def norm_path(path: str) -> str:
    path = re.sub(r"\{[^{}]*\}", "{}", path)
    path = re.sub(r"/{2,}", "/", path)
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def norm_route(route: str) -> str:
    method, _, path = route.partition(" ")
    return f"{method.upper()} {norm_path(path)}"


def model_routes(model: dict) -> Counter:
    routes: Counter = Counter()
    for api in model.get("apis", []):
        if api.get("kind", "openapi") != "openapi":
            continue
        seen = set()
        for path, ops in ((api.get("document") or {}).get("paths") or {}).items():
            for method in ops or {}:
                if method.lower() in HTTP:
                    seen.add(f"{method.upper()} {norm_path(path)}")
        routes.update(seen)
    return routes


VIA = re.compile(r"\((?P<path>[^():]+):(?P<line>\d+)\)\s*$")


def score_brokers(truth_sites: list[dict], usages: list[dict], streams: list[dict] = ()) -> tuple[int, list[str]]:
    direct: dict[str, list[int]] = {}
    via: dict[str, list[int]] = {}
    for stream in streams:  # a declared stream: its add_stream(...) call site is extracted
        for loc in stream.get("evidence") or []:
            if loc.get("path"):
                direct.setdefault(loc["path"], []).append(int(loc.get("line") or 0))
    for u in usages:
        loc = u.get("location") or {}
        if loc.get("path"):
            direct.setdefault(loc["path"], []).append(int(loc.get("line") or 0))
        m = VIA.search(u.get("via") or "")
        if m:
            via.setdefault(m["path"], []).append(int(m["line"]))
    found, missed = 0, []
    for site in truth_sites:
        path, _, line = site["site"].rpartition(":")
        line = int(line)
        hit = any(abs(line - x) <= LINE_TOLERANCE for x in direct.get(path, []) + via.get(path, []))
        fn = site.get("function") or ""
        if not hit and "@" in fn:  # a `via` naming the wrapper's definition line
            def_line = int(fn.rsplit("@", 1)[1])
            hit = any(abs(def_line - x) <= LINE_TOLERANCE for x in via.get(path, []))
        if hit:
            found += 1
        else:
            missed.append(f"{site['site']} {site.get('call', '')} {site.get('subject') or '?'}")
    return found, missed


def norm_subject(s: str) -> str:
    return re.sub(r"\{[^{}]*\}", "{}", s)


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def score(truth: dict, model: dict) -> dict:
    t_routes = Counter(norm_route(r) for r in truth.get("routes", []))
    m_routes = model_routes(model)
    matched = sum((t_routes & m_routes).values())
    usages = (model.get("events") or {}).get("usages") or []
    streams = (model.get("events") or {}).get("streams") or []
    b_found, b_missed = score_brokers(truth.get("broker_sites", []), usages, streams)
    services = model.get("services") or []
    workers = sum(1 for x in services if x.get("type") == "worker")
    resolved = sum(1 for u in usages if u.get("address"))
    m_subjects = {norm_subject(u["address"]) for u in usages if u.get("address")}
    t_subjects = {norm_subject(s) for s in truth.get("subjects", [])}
    m_tf = Counter()
    for n in (model.get("infra") or {}).get("nodes") or []:
        if n.get("kind") == "resource":
            loc = n.get("location") or {}
            m_tf[(loc.get("path"), loc.get("line"))] += 1
    m_tf_files = Counter(path for path, _line in m_tf)
    t_tf_files = truth.get("terraform_by_file", {})
    tf_found = sum(min(n, m_tf_files.get(f, 0)) for f, n in t_tf_files.items())
    diags = Counter(d.get("severity", "?") for d in model.get("diagnostics") or [])
    return {
        "services": len(services) - workers, "workers": workers, "services_true": truth.get("expected_services", 0),
        "routes_true": sum(t_routes.values()), "routes_model": sum(m_routes.values()), "routes_matched": matched,
        "route_recall": ratio(matched, sum(t_routes.values())),
        "route_precision": ratio(matched, sum(m_routes.values())),
        "missed_routes": sorted((t_routes - m_routes).elements()),
        "spurious_routes": sorted((m_routes - t_routes).elements()),
        "broker_true": len(truth.get("broker_sites", [])), "broker_found": b_found,
        "broker_recall": ratio(b_found, len(truth.get("broker_sites", []))), "missed_broker_sites": b_missed,
        "usages": len(usages), "usages_resolved": resolved,
        "subjects_true": len(t_subjects), "subjects_found": len(t_subjects & m_subjects),
        "tf_true": truth.get("terraform_resources", 0), "tf_found": tf_found, "tf_model_blocks": len(m_tf),
        "diagnostics": dict(sorted(diags.items())),
    }


def fmt_ratio(a, b) -> str:
    return f"{a}/{b}" if b else "-"


def pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


COLUMNS = ("repository", "svc", "workers", "routes", "recall", "prec.", "broker", "subj. res.", "subj. found", "tf",
           "diag e/w/i", "wall s", "RSS MiB")


def row(name: str, s: dict, run: dict) -> list[str]:
    d = s["diagnostics"]
    return [name, f"{s['services']}/{s['services_true']}", str(s["workers"]),
            f"{s['routes_matched']}/{s['routes_true']}",
            pct(s["route_recall"]), pct(s["route_precision"]), fmt_ratio(s["broker_found"], s["broker_true"]),
            fmt_ratio(s["usages_resolved"], s["usages"]), fmt_ratio(s["subjects_found"], s["subjects_true"]),
            fmt_ratio(s["tf_found"], s["tf_true"]),
            f"{d.get('error', 0)}/{d.get('warning', 0)}/{d.get('info', 0)}", f"{run['wall_s']:.1f}",
            f"{run['peak_rss_mib']:.0f}"]


def print_table(rows: list[list[str]], markdown: bool):
    widths = [max(len(r[i]) for r in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    if markdown:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    else:
        print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--only", action="append", default=[], help="owner/name (repeatable)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per repository (default 600)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list missed and spurious routes, missed sites")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--raw-truth", type=Path, help="write count_truth.py's unreviewed counts per repository here")
    ap.add_argument("--min-route-recall", type=float)
    ap.add_argument("--min-route-precision", type=float)
    ap.add_argument("--min-broker-recall", type=float)
    ap.add_argument("--code", metavar="REV", help="measure this repository's CLI as committed at REV (e.g. HEAD) "
                    "instead of the installed arrakis-docs, which runs the work tree")
    ap.add_argument("--max-list", type=int, default=40, help="entries shown per list with -v (default 40)")
    args = ap.parse_args()

    repos = tomllib.loads((HERE / "repos.toml").read_text())["repo"]
    if args.only:
        repos = [r for r in repos if r["name"] in args.only]
    mirrors = mirror_root()
    code_tmp = None
    cli, env = installed_cli(), None
    if args.code:
        code_tmp = tempfile.TemporaryDirectory(prefix="arrakis-code-")
        cli, env = code_at(args.code, Path(code_tmp.name))
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", args.code], capture_output=True, text=True)
        print(f"measuring arrakis-docs as committed at {rev.stdout.strip()}")
    results, rows = [], []
    totals = Counter()
    for entry in repos:
        name, commit, subdir = entry["name"], entry["commit"], entry.get("subdir", "")
        git_dir = find_git_dir(mirrors / name.replace("/", "+"))
        if git_dir is None:
            print(f"SKIP {name}: no mirror under {mirrors.name}/{name.replace('/', '+')}")
            continue
        if git(git_dir, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
            print(f"SKIP {name}: the mirror lacks commit {commit[:12]}")
            continue
        truth_file = TRUTH_DIR / f"{name.replace('/', '__')}.json"
        truth = json.loads(truth_file.read_text()) if truth_file.exists() else None
        with tempfile.TemporaryDirectory(prefix="arrakis-corpus-") as tmp:
            tree = Path(tmp) / name.split("/")[1]
            tree.mkdir()
            try:
                note = export(git_dir, commit, subdir, tree)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                print(f"SKIP {name}: export failed: {exc}")
                continue
            if args.raw_truth:
                sys.path.insert(0, str(HERE))
                from count_truth import count  # our own counter, not the project's extractors

                args.raw_truth.mkdir(parents=True, exist_ok=True)
                raw = count(tree)
                (args.raw_truth / truth_file.name).write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
            run = run_model(tree, args.timeout, cli, env)
        if note:
            print(f"note {name}: {note}")
        if run["model"] is None:
            print(f"FAIL {name}: {run['error']} (exit {run['exit']}, {run['wall_s']} s)")
            results.append({"repo": name, "commit": commit, "run": {k: v for k, v in run.items() if k != "model"}})
            continue
        if truth is None:
            print(f"NOTRUTH {name}: {truth_file.relative_to(REPO)} is missing")
            continue
        s = score(truth, run["model"])
        rows.append(row(name, s, run))
        results.append({"repo": name, "commit": commit, "subdir": subdir,
                        "run": {k: v for k, v in run.items() if k != "model"}, **s})
        for k in ("services", "workers", "services_true", "routes_true", "routes_model", "routes_matched",
                  "broker_true", "broker_found", "usages", "usages_resolved", "subjects_true", "subjects_found",
                  "tf_true", "tf_found"):
            totals[k] += s[k]
        for sev, n in s["diagnostics"].items():
            totals[f"diag_{sev}"] += n
        totals["wall_s"] += run["wall_s"]
        totals["peak_rss_mib"] = max(totals["peak_rss_mib"], run["peak_rss_mib"])
    summary = {
        **totals,
        "route_recall": ratio(totals["routes_matched"], totals["routes_true"]),
        "route_precision": ratio(totals["routes_matched"], totals["routes_model"]),
        "broker_recall": ratio(totals["broker_found"], totals["broker_true"]),
        "tf_coverage": ratio(totals["tf_found"], totals["tf_true"]),
    }
    if rows:
        total_row = ["TOTAL", f"{totals['services']}/{totals['services_true']}", str(totals["workers"]),
                     f"{totals['routes_matched']}/{totals['routes_true']}", pct(summary["route_recall"]),
                     pct(summary["route_precision"]), fmt_ratio(totals["broker_found"], totals["broker_true"]),
                     fmt_ratio(totals["usages_resolved"], totals["usages"]),
                     fmt_ratio(totals["subjects_found"], totals["subjects_true"]),
                     fmt_ratio(totals["tf_found"], totals["tf_true"]),
                     f"{totals['diag_error']}/{totals['diag_warning']}/{totals['diag_info']}",
                     f"{totals['wall_s']:.1f}", f"{totals['peak_rss_mib']:.0f}"]
        print()
        print_table([*rows, total_row], args.markdown)
    if args.verbose:
        for r in results:
            if "missed_routes" not in r:
                continue
            print(f"\n== {r['repo']}")
            for label, key in (("missed route", "missed_routes"), ("spurious route", "spurious_routes"),
                               ("missed broker site", "missed_broker_sites")):
                items = r[key]
                for item in items[: args.max_list]:
                    print(f"  {label}: {item}")
                if len(items) > args.max_list:
                    print(f"  ... {len(items) - args.max_list} more {label}s")
    if code_tmp is not None:
        code_tmp.cleanup()
    if args.json:
        args.json.write_text(json.dumps({"repos": results, "totals": summary}, indent=1, sort_keys=True) + "\n")
    failed = []
    for flag, key in (("min_route_recall", "route_recall"), ("min_route_precision", "route_precision"),
                      ("min_broker_recall", "broker_recall")):
        limit = getattr(args, flag)
        if limit is not None and (summary[key] or 0) < limit:
            failed.append(f"{key} {summary[key]} < {limit}")
    if failed:
        print("threshold missed: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
