"""The Python sources of a repository: which files count, their content hashes, and their parsed ASTs."""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import os
import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from arrakis_docs.model.architecture import Diagnostic

# Files besides Python sources whose content changes what the extractors report.
METADATA_FILES = ("pyproject.toml", "service.yaml", "setup.py", "setup.cfg",
                  # deployment manifests name services (extractors/deploy_manifests.py)
                  "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml", "Chart.yaml",
                  # a service's container image (linked from its pages) and the CI workflows (extractors/workflows.py)
                  "Dockerfile")
WORKFLOW_DIR = ".github/workflows/"
# Terraform sources and the committed checkov summary: the infrastructure extractor reads them from the tree.
INFRA_SUFFIXES = (".tf", ".tf.json", "checkov-summary.json")


_NODES: weakref.WeakKeyDictionary[ast.AST, tuple[ast.AST, ...]] = weakref.WeakKeyDictionary()
_NODES_LOCK = threading.Lock()


def module_nodes(tree: ast.AST) -> tuple[ast.AST, ...]:
    """Every node of ``tree`` in ``ast.walk`` order, listed once per tree (kept while the tree lives): a dozen
    extractors scan whole modules, and walking a module costs ten times more than reading its list."""
    found = _NODES.get(tree)
    if found is None:
        found = tuple(ast.walk(tree))
        with _NODES_LOCK:  # extractors run in threads
            _NODES[tree] = found
    return found


@dataclass
class SourceFile:
    """One file of the scanned repository, read once."""

    path: str  # repo-relative POSIX path
    data: bytes

    @cached_property
    def digest(self) -> str:
        """Content hash (sha256, hex)."""
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def text(self) -> str:
        """The file decoded as UTF-8 (undecodable bytes replaced)."""
        return self.data.decode("utf-8", errors="replace")

    @cached_property
    def parsed(self) -> ast.Module | Diagnostic:
        """The module's AST, or a diagnostic naming file:line when it does not parse."""
        try:
            return ast.parse(self.data, filename=self.path)
        except (SyntaxError, ValueError) as exc:  # ValueError: null bytes on older Pythons
            return self._bad_bytes() or Diagnostic(self.path, getattr(exc, "lineno", None) or 1,
                                                   f"syntax error: {getattr(exc, 'msg', exc)}")

    def _bad_bytes(self) -> Diagnostic | None:
        """A NUL byte or bytes that are not UTF-8, at the line that holds them (the parser names the end of the
        token, or no line at all); None when the bytes are fine and the error is real syntax."""
        if b"\0" in self.data:
            line = self.data[: self.data.index(b"\0")].count(b"\n") + 1
            return Diagnostic(self.path, line, "cannot parse: NUL byte in the source; remove it (a binary or "
                              "corrupted file?) or exclude the file")
        try:
            self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if b"coding" in b"\n".join(self.data.splitlines()[:2]):
                return None  # a PEP 263 declaration names another encoding: the parser's own message stands
            line = self.data[: exc.start].count(b"\n") + 1
            return Diagnostic(self.path, line, f"cannot parse: byte 0x{self.data[exc.start]:02x} is not UTF-8; "
                              "save the file as UTF-8 or declare its encoding (# -*- coding: latin-1 -*-)")
        return None

    @property
    def tree(self) -> ast.Module | None:
        """The AST, or None when the file does not parse."""
        parsed = self.parsed
        return parsed if isinstance(parsed, ast.Module) else None


class SourcePool:
    """Files shared by the trees one process reads (both sides of a diff): a file with the same path and bytes is
    one ``SourceFile``, so it is hashed, decoded and parsed once however many trees hold it. Extractors treat
    ASTs as read-only (a rewrite works on a copy), which is what makes sharing safe."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], SourceFile] = {}

    def file(self, path: str, data: bytes) -> SourceFile:
        """The pooled ``SourceFile`` for ``path`` holding ``data``."""
        digest = hashlib.sha256(data).hexdigest()
        found = self._files.get((path, digest))
        if found is None:
            found = self._files[(path, digest)] = SourceFile(path, data)
            found.__dict__["digest"] = digest  # already computed: seed the cached property
        return found


def scanned_name(name: str, path: str = "") -> bool:
    """Whether a file of this name (at this repo-relative ``path``) is one the tree reads: Python, Terraform, the
    checkov summary, metadata, and the GitHub Actions workflows."""
    return (name.endswith((".py", *INFRA_SUFFIXES)) or name in METADATA_FILES
            or (path.startswith(WORKFLOW_DIR) and path.count("/") == 2 and name.endswith((".yml", ".yaml"))))


@dataclass
class SourceTree:
    """Every relevant file under ``root``, keyed by repo-relative path."""

    root: Path
    files: dict[str, SourceFile] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path, exclude: tuple[str, ...], pool: SourcePool | None = None) -> SourceTree:
        """Walk ``root`` (sorted, so the result never depends on directory order) skipping excluded parts; with a
        ``pool``, files another tree already read come back as the same objects (parsed once)."""
        tree = cls(root)
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = PurePosixPath(Path(dirpath).relative_to(root).as_posix())
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not _excluded(d, exclude) and not _excluded_path(_join(rel_dir, d), exclude)
            )
            for name in sorted(filenames):
                rel = _join(rel_dir, name)
                if not scanned_name(name, rel) or _excluded(name, exclude):
                    continue
                if _excluded_path(rel, exclude):
                    continue
                data = (Path(dirpath) / name).read_bytes()
                tree.files[rel] = pool.file(rel, data) if pool is not None else SourceFile(rel, data)
        return tree

    def python_files(self) -> list[SourceFile]:
        """The Python sources, sorted by path."""
        return [f for p, f in sorted(self.files.items()) if p.endswith(".py")]

    def under(self, directory: str) -> list[SourceFile]:
        """Files inside ``directory`` ("" or "." is the whole tree), sorted by path."""
        prefix = "" if directory in ("", ".") else directory.rstrip("/") + "/"
        return [f for p, f in sorted(self.files.items()) if p.startswith(prefix)]

    def digest(self, directories: list[str], salt: str = "") -> str:
        """One hash over the paths and contents of every file under the given directories."""
        h = hashlib.sha256(salt.encode())
        for directory in sorted(set(directories)):
            for f in self.under(directory):
                h.update(f"{f.path}\0{f.digest}\n".encode())
        return h.hexdigest()


def _excluded(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _excluded_path(rel: str, patterns: tuple[str, ...]) -> bool:
    # Patterns with a slash match the whole relative path (e.g. "docs/examples/*").
    return any("/" in p and fnmatch.fnmatchcase(rel, p) for p in patterns)


def _join(directory: PurePosixPath, name: str) -> str:
    return (directory / name).as_posix().removeprefix("./")
