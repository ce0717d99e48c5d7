"""Generated files as a set: written atomically (build beside, then swap) and compared for the drift check."""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from arrakis_docs.model.architecture import Diagnostic


class OutsideOutput(ValueError):
    """A path a writer produced would land outside the output root; it is refused, never written."""


def contained(root: Path, path: str) -> Path:
    """Where ``path`` (POSIX, relative to ``root``) is written; raises :class:`OutsideOutput` unless it lies under
    ``root`` once symlinks are resolved. The one guard every writer goes through before a file or folder is made."""
    pure = PurePosixPath(path)
    if not path or "\\" in path or "\0" in path or pure.is_absolute() or ".." in pure.parts:
        raise OutsideOutput(f"{path or '(empty path)'}: not a plain relative path")
    base = root.resolve()
    target = base / pure
    # resolve() follows every symlinked parent (and the file itself), so a link pointing elsewhere is caught.
    real = target.resolve()
    if real != base and base not in real.parents:
        raise OutsideOutput(f"{path}: resolves to {real}, outside the output root {base}")
    return target


def refusal(path: str, problem: OutsideOutput) -> Diagnostic:
    """The error diagnostic a refused path becomes."""
    return Diagnostic(path or "(empty path)", 1, f"refused to write outside the output root: {problem}; "
                      "the writer that produced this path has a bug, please report it")


@dataclass
class OutputSet:
    """Text files by POSIX path relative to the output root, and the folders this run owns entirely."""

    files: dict[str, str] = field(default_factory=dict)
    owned_dirs: list[str] = field(default_factory=list)
    # Paths the containment guard refused (absolute, ``..``, escaping): error diagnostics, never written.
    refused: list[Diagnostic] = field(default_factory=list)

    def add(self, path: str, text: str) -> None:
        """Add one file; two writers producing the same path is a bug, a path outside the root is refused."""
        if path in self.files:
            raise ValueError(f"two writers produced {path}")
        pure = PurePosixPath(path)
        if not path or pure.is_absolute() or ".." in pure.parts:
            self.refused.append(refusal(path, OutsideOutput(f"{path or '(empty path)'}: not a plain relative path")))
            return
        self.files[path] = text

    def guard(self, root: Path) -> None:
        """Drop (and record as refused) every file and owned folder that would land outside ``root``."""
        for directory in list(self.owned_dirs):
            try:
                contained(root, directory)
            except OutsideOutput as problem:
                self.refused.append(refusal(directory, problem))
                self.owned_dirs.remove(directory)
                for path in [p for p in self.files if p.startswith(f"{directory}/")]:
                    del self.files[path]
        for path in list(self.files):
            try:
                contained(root, path)
            except OutsideOutput as problem:
                self.refused.append(refusal(path, problem))
                del self.files[path]


@dataclass
class Rendered:
    """What one group of writers produces: text files by path, and the folders it owns entirely (stale files in
    them are removed). Binary renders (SVG/PNG) are not part of it: they are git-ignored and not drift-checked."""

    files: dict[str, str] = field(default_factory=dict)
    owned_dirs: list[str] = field(default_factory=list)


def _existing(root: Path, owned_dirs: list[str]) -> dict[str, Path]:
    found = {}
    for directory in owned_dirs:
        base = root / directory
        if base.is_dir() and not base.is_symlink():  # a linked owned folder is refused by the guard, never read
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    found[path.relative_to(root).as_posix()] = path
    return found


def differences(root: Path, output: OutputSet) -> list[str]:
    """Human-readable drift between ``output`` and the files under ``root`` (empty when identical); files in owned
    folders that would no longer be generated count as drift too."""
    lines: list[str] = []
    output.guard(root)
    existing = _existing(root, output.owned_dirs)
    for path in sorted(set(output.files) | set(existing)):
        target = root / path
        new = output.files.get(path)
        old = target.read_text(encoding="utf-8") if target.is_file() else None
        if new == old:
            continue
        if old is None:
            lines.append(f"added: {path}")
        elif new is None:
            lines.append(f"removed: {path}")
        else:
            lines.append(f"changed: {path}")
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), f"a/{path}", f"b/{path}", lineterm="", n=1)
            lines.extend(f"    {d}" for d in list(diff)[:40])
    return lines


def write_atomic(root: Path, output: OutputSet) -> list[str]:
    """Bring ``root`` in line with ``output``; returns the changed paths. Nothing is touched when nothing differs.

    Each owned folder is built complete in a sibling temporary folder and swapped in with renames, so a run that
    fails halfway leaves the previous output whole. Files outside owned folders are replaced one by one, by rename.
    Every path is checked by :func:`contained` first; refused ones land in ``output.refused``, unwritten.
    """
    output.guard(root)
    changed = [line.split(": ", 1)[1] for line in differences(root, output) if not line.startswith("    ")]
    if not changed:
        return []
    staged: list[tuple[Path, Path]] = []
    try:
        for directory in output.owned_dirs:
            final = root / directory
            final.parent.mkdir(parents=True, exist_ok=True)
            stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.new-", dir=final.parent))
            staged.append((stage, final))
            for path, text in output.files.items():
                if path.startswith(f"{directory}/"):
                    target = contained(stage, path[len(directory) + 1 :])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
        for stage, final in staged:
            old = final.parent / f".{final.name}.old-{os.getpid()}"
            if final.exists():
                final.rename(old)
            stage.rename(final)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        for stage, _ in staged:
            shutil.rmtree(stage, ignore_errors=True)
    loose = [p for p in output.files if not any(p.startswith(f"{d}/") for d in output.owned_dirs)]
    for path in loose:
        _replace_file(contained(root, path), output.files[path])
    return changed


def digests(output: OutputSet) -> dict[str, str]:
    """Content hash of every file in ``output``: what a later run compares the disk against."""
    return {path: hashlib.sha256(text.encode("utf-8")).hexdigest() for path, text in sorted(output.files.items())}


def matches(root: Path, owned_dirs: list[str], expected: dict[str, str]) -> bool:
    """Whether the owned folders under ``root`` hold exactly the files ``expected`` lists, with those hashes."""
    existing = _existing(root, owned_dirs)
    if set(existing) != {p for p in expected if any(p.startswith(f"{d}/") for d in owned_dirs)}:
        return False
    for path, digest in expected.items():
        target = root / path
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            return False
    return True


def write_contained(root: Path, path: str, data: str | bytes) -> Path:
    """Write one file (text or bytes) under ``root`` by rename, after the containment guard; for writers outside
    an :class:`OutputSet` (SVG renders, TechDocs copies). Raises :class:`OutsideOutput` instead of writing."""
    target = contained(root, path)
    if isinstance(data, bytes):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(target)
    else:
        _replace_file(target, data)
    return target


def _replace_file(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
