"""The two sides of a diff: a git ref (exported from git objects into a temporary folder, the working tree never
touched), a folder (scanned as a repository, or holding a ``model.json``), or a ``model --json`` file. A ref's model
is cached by its git tree id, so asking again about the same commits costs a file read."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from arrakis_docs.diff.architecture_changes import Locator, Side
from arrakis_docs.extractors.config import load_config
from arrakis_docs.extractors.options import ExtractOptions
from arrakis_docs.model.architecture import ArchitectureModel, dumps, from_jsonable
from arrakis_docs.model.refs import SourceRef
from arrakis_docs.progress import Progress
from arrakis_docs.scan import TOOL_DIGEST, ScanRequest, scan

ROUTE_VERBS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route"})
MODEL_CACHE = "diff-models"
SCAN_CACHE = "diff-scan"
KEEP_MODELS = 16  # a bounded cache: the most recent models by tree id


class SideError(Exception):
    """A side that cannot be read (unknown ref, unreadable model file)."""


def load_side(repo: Path, spec: str, role: str, static_only: bool, use_cache: bool, progress: Progress) -> Side:
    """The model (and route locator, when a source tree exists) of one side named by ``spec``."""
    path = Path(spec)
    if path.is_file():
        return Side(_read_model(path))
    if path.is_dir() and (path / "model.json").is_file():
        return Side(_read_model(path / "model.json"))
    if path.is_dir() and not _is_ref(repo, spec):
        root = path.resolve()
        return _side(_scan(root, static_only, use_cache, progress), _route_table(root))
    return _ref_side(repo, spec, role, static_only, use_cache, progress)


def _read_model(path: Path) -> ArchitectureModel:
    try:
        return from_jsonable(ArchitectureModel, json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise SideError(f"{path}: not a model written by `arrakis-docs model --json` ({error})") from error


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=120, check=False)


def _is_ref(repo: Path, spec: str) -> bool:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{spec}^{{tree}}").returncode == 0


def _scan(root: Path, static_only: bool, use_cache: bool, progress: Progress,
          cache_dir: Path | None = None) -> ArchitectureModel:
    config, diagnostics = load_config(root)
    if cache_dir is not None:
        config.cache_dir = str(cache_dir)  # an absolute folder: the exported tree's cache outlives the tree
    options = ExtractOptions(static_only=static_only, python=config.python, import_timeout=config.import_timeout,
                             streams=config.streams)
    return scan(ScanRequest(root, config, options, "", diagnostics, use_cache), progress)


def _ref_side(repo: Path, ref: str, role: str, static_only: bool, use_cache: bool, progress: Progress) -> Side:
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
        with progress.step(f"export {role} {ref}"):
            archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", tree_id],
                                     capture_output=True, timeout=300, check=False)
            if archive.returncode != 0:
                raise SideError(f"{ref}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
            untar = subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, capture_output=True,
                                   timeout=300, check=False)
            if untar.returncode != 0:
                raise SideError(f"{ref}: tar failed: {untar.stderr.decode(errors='replace').strip()}")
        # One scan cache for both sides: a service unchanged between the refs is extracted once.
        model = _scan(root, static_only, use_cache, progress, cache_root / SCAN_CACHE)
        routes = _route_table(root)
    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(dumps(model), encoding="utf-8")
        locations.write_text(json.dumps(routes, sort_keys=True), encoding="utf-8")
        old = sorted(cached.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP_MODELS * 2:]:
            stale.unlink(missing_ok=True)
    return _side(model, routes)


# ---------------------------------------------------------------- where an operation is declared


def _route_table(root: Path) -> dict[str, list[list[object]]]:
    """Route decorators and ``add_api_route`` calls with a literal path: ``method literal -> [[file, line], ...]``,
    read with ``ast`` (nothing imported). The model's OpenAPI documents carry no locations; this finds them."""
    table: dict[str, list[list[object]]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith(".") or part in ("node_modules", "tests") for part in path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
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
