"""The scan step of the pipeline: read sources, discover services, extract each (in parallel, cached by content
hash), link. Lives on the write side because the cache is written here; extractors stay free of file writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import arrakis_docs.extractors
import arrakis_docs.model
from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.extractors.discovery import Discovery, discover, sanitise_name
from arrakis_docs.extractors.hcl_graph import infrastructure, known_parses, remember_parses
from arrakis_docs.extractors.service_scan import (
    ExtractOptions,
    ServiceExtraction,
    extract_service,
    input_directories,
    link,
)
from arrakis_docs.extractors.source_tree import INFRA_SUFFIXES, SourcePool, SourceTree
from arrakis_docs.extractors.workflows import read_workflows
from arrakis_docs.model.architecture import (
    SCHEMA_VERSION,
    ArchitectureModel,
    Diagnostic,
    RepoInfo,
    dumps,
    from_jsonable,
)
from arrakis_docs.model.infra import InfraModel
from arrakis_docs.progress import Progress


def _tool_digest() -> str:
    """Hash of the toolkit's own sources: a changed extractor or writer invalidates every cache entry."""
    h = hashlib.sha256(str(SCHEMA_VERSION).encode())
    for package in (Path(arrakis_docs.extractors.__file__).parent, Path(arrakis_docs.model.__file__).parent,
                    Path(__file__).parent):
        for path in sorted(package.rglob("*.py")):
            h.update(path.relative_to(package.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


TOOL_DIGEST = _tool_digest()


@dataclass
class ScanRequest:
    """What to scan and how."""

    repo: Path
    config: RepoConfig
    options: ExtractOptions = field(default_factory=ExtractOptions)
    only: str = ""  # extract this service afresh, ignoring its cache entry
    config_diagnostics: list[Diagnostic] = field(default_factory=list)
    use_cache: bool = True
    # Where the content-hash cache lives; default: the repository's cache folder. Commands pass one under --out,
    # so a run never writes outside its output folder.
    cache_root: Path | None = None
    # Files shared with other scans in this process (both sides of a diff): unchanged files are parsed once.
    pool: SourcePool | None = None


@dataclass
class InfraEntry:
    """The infrastructure step's result as cached: the model, the diagnostics it raised, its progress notes."""

    infra: InfraModel
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ContentCache:
    """JSON documents keyed by content hash under the repository's git-ignored cache folder."""

    def __init__(self, directory: Path, enabled: bool = True) -> None:
        self.directory = directory
        self.enabled = enabled

    def get(self, slot: str, key: str) -> Any | None:
        """The document stored for ``slot`` under ``key``, or None."""
        path = self.directory / f"{slot}-{key[:32]}.json"
        if not self.enabled or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, slot: str, key: str, text: str) -> None:
        """Store ``text`` for ``slot`` and drop that slot's older entries."""
        if not self.enabled:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob(f"{slot}-*.json"):
            old.unlink(missing_ok=True)
        path = self.directory / f"{slot}-{key[:32]}.json"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def repo_info(repo: Path, config: RepoConfig) -> RepoInfo:
    """Name, GitHub slug and source URL of the scanned repository (config first, then the git remote)."""
    name = config_name = ""
    pyproject = repo / "pyproject.toml"
    if pyproject.is_file():
        try:
            config_name = str(tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name", ""))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            config_name = ""
    name = sanitise_name(config_name or repo.resolve().name)
    slug = config.project_slug or _github_slug(repo)
    source = config.source_url or (f"https://github.com/{slug}" if slug else "")
    return RepoInfo(name=name, project_slug=slug, source_url=source.rstrip("/"), default_branch=_branch(repo))


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _github_slug(repo: Path) -> str:
    match = re.search(r"github\.com[:/]([^/]+/[^/]+?)(?:\.git)?/?$", _git(repo, "remote", "get-url", "origin"))
    return match.group(1) if match else ""


def _branch(repo: Path) -> str:
    head = _git(repo, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    return head.split("/", 1)[1] if "/" in head else "main"


def scan(request: ScanRequest, progress: Progress) -> ArchitectureModel:
    """The architecture model of ``request.repo``; unchanged inputs are answered from the cache."""
    config, options = request.config, request.options
    with progress.step("read sources") as notes:
        tree = SourceTree.read(request.repo, config.exclude_patterns, request.pool)
        info = repo_info(request.repo, config)
        workflow_diagnostics: list[Diagnostic] = []
        info.workflows = read_workflows(tree, workflow_diagnostics)
        notes.append(f"{len(tree.files)} files")
    cache = ContentCache(request.cache_root or request.repo / config.cache_dir,
                         request.use_cache and not options.spec_urls)
    salt = f"{TOOL_DIGEST};{options.cache_salt()};{dumps(info)};{dumps(config.__dict__)}"
    model_key = tree.digest([""], salt=salt)
    variant = "model-" + hashlib.sha256(options.cache_salt().encode()).hexdigest()[:8]
    cached = None if request.only else cache.get(variant, model_key)
    if cached is not None:
        progress.line("model: unchanged inputs, taken from the cache")
        return from_jsonable(ArchitectureModel, cached)

    with progress.step("discover services") as notes:
        discovery = discover(tree, config, info.name)
        services = discovery.services
        for service in services:
            dockerfile = f"{service.root}/Dockerfile" if service.root else "Dockerfile"
            service.dockerfile = dockerfile if dockerfile in tree.files else ""
        notes.append(f"{len(services)} services, {len(discovery.libraries)} libraries")
    with progress.step("extract") as notes:
        extractions = _extract_all(request, tree, discovery, services, cache, salt, notes)
    with progress.step("link"):
        model = link(info, extractions, [*request.config_diagnostics, *workflow_diagnostics, *discovery.diagnostics])
    with progress.step("infrastructure") as notes:
        model.infra = _infrastructure(request, tree, cache, model.diagnostics, notes)
        model.normalise()
    if not request.only:
        cache.put(variant, model_key, dumps(model, compact=True))
    return model


def _infrastructure(request: ScanRequest, tree: SourceTree, cache: ContentCache, diagnostics: list[Diagnostic],
                    notes: list[str]) -> InfraModel:
    """The infrastructure model, cached by the digest of the Terraform files (and checkov summary) alone: a change
    to Python code, or the other side of a diff with the same .tf files, does not parse HCL again."""
    h = hashlib.sha256(f"{TOOL_DIGEST};{dumps(request.config.__dict__)}".encode())
    for path, f in sorted(tree.files.items()):
        if path.endswith(INFRA_SUFFIXES):
            h.update(f"{path}\0{f.digest}\n".encode())
    key = h.hexdigest()
    hit = cache.get("infra", key)
    if hit is not None:
        entry = from_jsonable(InfraEntry, hit)
        diagnostics.extend(entry.diagnostics)
        notes.extend([*entry.notes, "cached"])
        return entry.infra
    found: list[Diagnostic] = []
    own_notes: list[str] = []
    # Parses of single .tf files by content: a tree that changed one file parses that file only.
    saved = cache.get("hcl", "parses")
    remember_parses(saved if isinstance(saved, dict) else {})
    infra = infrastructure(request.repo, tree, request.config, found, own_notes)
    cache.put("hcl", "parses", json.dumps(known_parses(), separators=(",", ":")))
    diagnostics.extend(found)
    notes.extend(own_notes)
    # The timing in the notes is dropped from the entry: a cached answer must not repeat an old duration.
    cache.put("infra", key, dumps(InfraEntry(infra, found, [n.rsplit(" in ", 1)[0] for n in own_notes]), compact=True))
    return infra


def _extract_all(request: ScanRequest, tree: SourceTree, discovery: Discovery, services: list, cache: ContentCache,
                 salt: str, notes: list[str]) -> list[ServiceExtraction]:
    def one(service: Any) -> tuple[ServiceExtraction, bool]:
        key = tree.digest(input_directories(service, discovery), salt=f"{salt};{dumps(service)}")
        slot = f"service-{service.name}"
        hit = None if service.name == request.only else cache.get(slot, key)
        if hit is not None:
            return from_jsonable(ServiceExtraction, hit), True
        result = extract_service(request.repo, tree, discovery, service, request.options)
        cache.put(slot, key, dumps(result, compact=True))
        return result, False

    # Threads suffice: the expensive part (importing apps) runs in subprocesses.
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        results = list(pool.map(one, services))
    modes = sorted(f"{x.service.name}={x.api.mode}" for x, _ in results if x.api is not None)
    notes.append(f"{sum(hit for _, hit in results)}/{len(results)} cached")
    if modes:
        notes.append(", ".join(modes))
    return [x for x, _ in results]
