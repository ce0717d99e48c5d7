"""Generated files as a set: written atomically (build beside, then swap) and compared for the drift check."""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class OutputSet:
    """Text files by POSIX path relative to the output root, and the folders this run owns entirely."""

    files: dict[str, str] = field(default_factory=dict)
    owned_dirs: list[str] = field(default_factory=list)

    def add(self, path: str, text: str) -> None:
        """Add one file; two writers producing the same path is a bug."""
        if path in self.files:
            raise ValueError(f"two writers produced {path}")
        self.files[path] = text


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
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    found[path.relative_to(root).as_posix()] = path
    return found


def differences(root: Path, output: OutputSet) -> list[str]:
    """Human-readable drift between ``output`` and the files under ``root`` (empty when identical); files in owned
    folders that would no longer be generated count as drift too."""
    lines: list[str] = []
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
    """
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
                    target = stage / path[len(directory) + 1 :]
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
        _replace_file(root / path, output.files[path])
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


def _replace_file(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
