"""The two sides of a diff: a git ref (exported from git objects into a temporary folder, the working tree never
touched), a folder (scanned as a repository, or holding a ``model.json``), or a ``model --json`` file. A ref's model
is cached by its git tree id, so asking again about the same commits costs a file read."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from arrakis_docs.diff.architecture_changes import Locator, Side
from arrakis_docs.extractors.config import load_config
from arrakis_docs.extractors.discovery import WORKER_MARKERS
from arrakis_docs.extractors.env_values import COMPOSE_FILES, ENV_FILES
from arrakis_docs.extractors.options import ExtractOptions
from arrakis_docs.extractors.source_tree import SourcePool, scanned_name
from arrakis_docs.model.architecture import ArchitectureModel, dumps, from_jsonable
from arrakis_docs.model.refs import SourceRef
from arrakis_docs.progress import Progress
from arrakis_docs.scan import TOOL_DIGEST, ScanRequest, scan

ROUTE_VERBS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route"})
MODEL_CACHE = "diff-models"
SCAN_CACHE = "diff-scan"
KEEP_MODELS = 16  # a bounded cache: the most recent models by tree id
# Files a static scan reads from disk besides the source tree's own (dotenv and compose files give settings).
STATIC_EXTRA = frozenset((*ENV_FILES, *COMPOSE_FILES, *WORKER_MARKERS))
# A line that may declare a route: only files holding one are parsed for the route table.
ROUTE_LINE = re.compile(rb"^[ \t]*@[\w.]+\.(?:" + b"|".join(v.encode() for v in sorted(ROUTE_VERBS)) + rb")\s*\(",
                        re.MULTILINE)


class SideError(Exception):
    """A side that cannot be read (unknown ref, unreadable model file)."""


def load_side(repo: Path, spec: str, role: str, static_only: bool, use_cache: bool, progress: Progress,
              pool: SourcePool | None = None) -> Side:
    """The model (and route locator, when a source tree exists) of one side named by ``spec``. Sides loaded with
    one ``pool`` share the files they have in common: each is read, hashed and parsed once."""
    path = Path(spec)
    pool = pool if pool is not None else SourcePool()
    if path.is_file():
        return Side(_read_model(path))
    if path.is_dir() and (path / "model.json").is_file():
        return Side(_read_model(path / "model.json"))
    if path.is_dir() and not _is_ref(repo, spec):
        root = path.resolve()
        return _side(_scan(root, static_only, use_cache, progress, pool), _route_table(root, pool))
    return _ref_side(repo, spec, role, static_only, use_cache, progress, pool)


def _read_model(path: Path) -> ArchitectureModel:
    try:
        return from_jsonable(ArchitectureModel, json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise SideError(f"{path}: not a model written by `arrakis-docs model --json` ({error})") from error


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=120, check=False)


def _is_ref(repo: Path, spec: str) -> bool:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{spec}^{{tree}}").returncode == 0


def _scan(root: Path, static_only: bool, use_cache: bool, progress: Progress, pool: SourcePool,
          cache_dir: Path | None = None) -> ArchitectureModel:
    config, diagnostics = load_config(root)
    if cache_dir is not None:
        config.cache_dir = str(cache_dir)  # an absolute folder: the exported tree's cache outlives the tree
    options = ExtractOptions(static_only=static_only, python=config.python, import_timeout=config.import_timeout,
                             streams=config.streams)
    return scan(ScanRequest(root, config, options, "", diagnostics, use_cache, pool=pool), progress)


def _export(repo: Path, tree_id: str, root: Path, static_only: bool) -> int:
    """Write the files of git tree ``tree_id`` under ``root`` from git objects (the working tree is not touched):
    for a static scan only the files it reads (sources, Terraform, metadata, dotenv and compose files), else all.
    Returns how many files were written."""
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", tree_id)
    if listing.returncode != 0:
        raise SideError(f"{tree_id}: git ls-tree failed: {listing.stderr.decode(errors='replace').strip()}")
    entries: list[tuple[str, str, str]] = []  # mode, blob id, path
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        head, _, name = record.partition(b"\t")
        mode, kind, blob = head.decode().split()
        path = name.decode("utf-8", errors="surrogateescape")
        if kind != "blob":
            continue  # a submodule's commit has no content here
        base = path.rsplit("/", 1)[-1]
        if static_only and not (scanned_name(base, path) or base in STATIC_EXTRA):
            continue
        entries.append((mode, blob, path))
    if not entries:
        return 0
    # One `git cat-file --batch` answers every blob: "<id> blob <size>\n<bytes>\n" each.
    batch = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"],
                           input="".join(f"{blob}\n" for _, blob, _ in entries).encode(),
                           capture_output=True, timeout=300, check=False)
    if batch.returncode != 0:
        raise SideError(f"{tree_id}: git cat-file failed: {batch.stderr.decode(errors='replace').strip()}")
    out, at = batch.stdout, 0
    for mode, _, path in entries:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        data = out[header_end + 1:header_end + 1 + size]
        at = header_end + 2 + size
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(data), target)  # as git archive would: the link, not a copy
            continue
        target.write_bytes(data)
        if mode == "100755":
            target.chmod(0o755)
    return len(entries)


def _ref_side(repo: Path, ref: str, role: str, static_only: bool, use_cache: bool, progress: Progress,
              pool: SourcePool) -> Side:
    done = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{tree}}")
    if done.returncode != 0:
        raise SideError(f"{ref}: neither a git ref of {repo.name} nor a folder or model file")
    tree_id = done.stdout.decode().strip()
    config, _ = load_config(repo)
    cache_root = repo / config.cache_dir
    salt = hashlib.sha256(f"{TOOL_DIGEST};static_only={static_only}".encode()).hexdigest()[:12]
    cached = cache_root / MODEL_CACHE / f"{tree_id}-{salt}.json"
    locations = cache_root / MODEL_CACHE / f"{tree_id}-{salt}.routes.json"
    if use_cache and cached.is_file() and locations.is_file():
        progress.line(f"{role} {ref}: model of tree {tree_id[:12]} from the cache")
        try:
            routes = json.loads(locations.read_text(encoding="utf-8"))
            return _side(_read_model(cached), routes)
        except (SideError, ValueError):
            pass
    with tempfile.TemporaryDirectory(prefix="arrakis-diff-") as scratch:
        # Named like the repository: the model's name (and so its ids) come from the folder when nothing else says.
        root = Path(scratch) / repo.resolve().name
        root.mkdir()
        with progress.step(f"export {role} {ref}") as notes:
            notes.append(f"{_export(repo, tree_id, root, static_only)} files")
        # One scan cache for both sides: a service unchanged between the refs is extracted once, the Terraform
        # parsed once when its files did not change; the pool shares parsed files between the sides.
        model = _scan(root, static_only, use_cache, progress, pool, cache_root / SCAN_CACHE)
        routes = _route_table(root, pool)
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(dumps(model, compact=True), encoding="utf-8")
        locations.write_text(json.dumps(routes, sort_keys=True), encoding="utf-8")
        old = sorted(cached.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP_MODELS * 2:]:
            stale.unlink(missing_ok=True)
    return _side(model, routes)


def history(repo: Path, base: str, model: ArchitectureModel, limit: int, static_only: bool, use_cache: bool,
            progress: Progress, pool: SourcePool) -> list[tuple[str, ArchitectureModel]]:
    """Models of the commits before ``base`` that changed a file declaring one of its payload models (newest
    first, at most ``limit`` of them): the earlier versions a ``_TRANSITIVE`` mode judges. A file renamed in
    that history is followed no further than its rename (``git rev-list`` on the current paths)."""
    paths = sorted({m.location.path for m in model.events.messages if m.location.path})
    if not paths or limit <= 0 or not _is_ref(repo, base):
        return []
    commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").stdout.decode().strip()
    listed = _git(repo, "rev-list", f"--max-count={limit + 1}", commit, "--", *paths)
    commits = [c for c in listed.stdout.decode().split() if c != commit][:limit]
    out = []
    for sha in commits:
        out.append((sha[:12], _ref_side(repo, sha, f"history {sha[:12]}", static_only, use_cache, progress,
                                        pool).model))
    return out


# ---------------------------------------------------------------- where an operation is declared


def _route_table(root: Path, pool: SourcePool) -> dict[str, list[list[object]]]:
    """Route decorators with a literal path: ``method literal -> [[file, line], ...]``, read with ``ast`` (nothing
    imported). The model's OpenAPI documents carry no locations; this finds them. Only files with a line that
    looks like a route decorator are parsed, through the pool (a file the scan parsed is not parsed again)."""
    table: dict[str, list[list[object]]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith(".") or part in ("node_modules", "tests") for part in path.relative_to(root).parts):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if not ROUTE_LINE.search(data):
            continue
        tree = pool.file(relative, data).tree
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                    continue
                verb = decorator.func.attr
                first = decorator.args[0] if decorator.args else None
                if verb in ROUTE_VERBS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    methods = [verb] if verb != "api_route" else ["*"]
                    for method in methods:
                        table.setdefault(f"{method} {first.value}", []).append([relative, node.lineno])
    return table


def _table_locator(table: dict[str, list[list[object]]], model: ArchitectureModel) -> Callable[[str], Locator]:
    """Per service, a locator over a route table: the longest declared literal the path ends with, among the
    declarations inside the service's folder."""
    entries = sorted((key.split(" ", 1)[0], key.split(" ", 1)[1], [SourceRef(str(p), int(str(n))) for p, n in refs])
                     for key, refs in table.items())
    roots = {s.name: s.root for s in model.services}

    @cache
    def find(root: str, path: str, method: str) -> SourceRef | None:
        best: tuple[int, SourceRef] | None = None
        prefix = f"{root}/" if root and root != "." else ""
        for verb, literal, refs in entries:
            if verb not in (method, "*") or not path.endswith(literal):
                continue
            inside = [r for r in refs if r.path.startswith(prefix)]
            if inside and (best is None or len(literal) > best[0]):
                best = (len(literal), inside[0])
        return best[1] if best else None

    def for_service(service: str) -> Locator:
        root = roots.get(service, "")
        return lambda path, method: find(root, path, method)
    return for_service


def _side(model: ArchitectureModel, table: dict[str, list[list[object]]]) -> Side:
    return Side(model, _table_locator(table, model))
