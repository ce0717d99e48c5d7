"""Nothing is written outside --out: generate, export and build on odd layouts (a service at the repository root, a
one-file service, symlinks pointing out of the repository and out of the output folder), with the filesystem around
the run snapshotted before and after."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from arrakis_docs.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "odd_layouts"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every entry under ``root`` (symlinks not followed): its kind and, for files, a content hash."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        for name in [*dirnames, *filenames]:
            path = here / name
            if path in skip:
                continue
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = f"link:{os.readlink(path)}"
            elif path.is_file():
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[key] = "dir"
    return found


def filesystem_root() -> dict[str, str]:
    """The filesystem root's entries, and what the files directly in it hold (where the TechDocs bug wrote)."""
    entries = {}
    for entry in sorted(os.scandir("/"), key=lambda e: e.name):
        if entry.is_file(follow_symlinks=False):
            entries[entry.name] = hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
        else:
            entries[entry.name] = "dir" if entry.is_dir(follow_symlinks=False) else "other"
    return entries


def outside(tmp_path: Path, out: Path, repo: Path) -> dict[str, object]:
    """Everything a run must leave alone: the temporary parent (minus --out, which holds the cache too) and ``/``."""
    return {"tmp": snapshot(tmp_path, skip=(out,)), "root": filesystem_root()}


@pytest.mark.parametrize(("layout", "service"), [("root_service", "ledger"), ("one_file", "repo")])
def test_generate_export_and_build_write_only_under_out(tmp_path: Path, layout: str, service: str) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / layout, repo)
    out = tmp_path / "out"
    before = outside(tmp_path, out, repo)

    code, output = run("generate", "--repo", str(repo), "--out", str(out), "--static-only", "--strict")
    assert outside(tmp_path, out, repo) == before  # first: before the TechDocs bug was fixed, /mkdocs.yml appeared
    assert code == 0, output
    # A service without a folder of its own gets its TechDocs inside --out, under techdocs/<name>.
    techdocs = out / "techdocs" / service
    assert "techdocs-core" in (techdocs / "mkdocs.yml").read_text(encoding="utf-8")
    assert (techdocs / "docs" / "index.md").is_file() and (techdocs / "docs" / "api.md").is_file()
    component = yaml.safe_load((out / "catalog" / "components" / f"{service}.yaml").read_text(encoding="utf-8"))
    assert component["metadata"]["annotations"]["backstage.io/techdocs-ref"] == f"dir:../../techdocs/{service}"
    assert not (out / "mkdocs.yml").exists()  # the portal's own configuration is never a service's TechDocs

    code, output = run("export", "eventcatalog", str(out / "eventcatalog"), "--repo", str(repo), "--static-only")
    assert code == 0, output
    run("build", "--repo", str(repo), "--out", str(out), "--skip-generate")  # its outcome is not the point here
    assert outside(tmp_path, out, repo) == before


def test_symlinks_out_of_the_output_root_are_refused_never_followed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "root_service", repo)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "techdocs").mkdir(parents=True)
    (elsewhere / "renders").mkdir()
    (elsewhere / "renders" / "keep-me.svg").write_text("<svg/>", encoding="utf-8")
    (repo / "linked-out").symlink_to(elsewhere, target_is_directory=True)  # a repository link pointing outside
    out = tmp_path / "out"
    (out / "docs").mkdir(parents=True)
    (out / "techdocs").symlink_to(elsewhere / "techdocs", target_is_directory=True)
    (out / "docs" / "renders").symlink_to(elsewhere / "renders", target_is_directory=True)
    before = outside(tmp_path, out, repo)

    code, output = run("generate", "--repo", str(repo), "--out", str(out), "--static-only", "--strict")
    assert outside(tmp_path, out, repo) == before
    assert code == 2, output  # a refused path is an error diagnostic: --strict fails
    assert "techdocs/ledger/mkdocs.yml:1: error: refused to write outside the output root" in output
    assert (out / "catalog" / "components" / "ledger.yaml").is_file()  # everything else is written
    run("build", "--repo", str(repo), "--out", str(out), "--skip-generate")  # TechDocs renders: the same guard
    assert outside(tmp_path, out, repo) == before
    assert sorted(p.name for p in (elsewhere / "techdocs").iterdir()) == []
    assert [p.name for p in (elsewhere / "renders").iterdir()] == ["keep-me.svg"]


def test_a_terraform_root_at_the_repository_root_gets_a_page_the_index_links(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "terraform_at_root", repo)  # `.` calls ./platform, the primary root (providers)
    out = tmp_path / "out"
    assert run("generate", "--repo", str(repo), "--out", str(out), "--static-only")[0] == 0
    pages = sorted(p.name for p in (out / "docs" / "infrastructure").iterdir())
    assert pages == ["checkov.md", "index.md", "repository-root.md", "root.md"]  # never a hidden `..md`
    index = (out / "docs" / "infrastructure" / "index.md").read_text(encoding="utf-8")
    assert "| [.](repository-root.md) | `.` |" in index and "| [platform](root.md) | `platform` |" in index
