"""What the site build needs besides mkdocs: the configuration to use and the diagram renders TechDocs shows.

TechDocs runs no Mermaid, so each service's TechDocs gets the SVGs the diagrams writer rendered for it (git-ignored,
copied into ``services/<name>/docs/diagrams/``) and a ``diagrams.md`` page showing them; with no renders, nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import yaml

from arrakis_docs.output import OutsideOutput, contained

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_CONFIG = PACKAGE_DIR / "site_config.yml"  # the portal's MkDocs base, shipped in the package
HOOKS = PACKAGE_DIR / "site_hooks.py"
RENDERS = Path("docs/renders")
TECHDOCS_DIAGRAMS = "diagrams"


def mkdocs_config(repo: Path, out: Path) -> Path:
    """The repository's own mkdocs.yml, else one (in the cache folder) inheriting the package's base configuration
    for ``out/docs``, with the hooks taken from the installed module (MkDocs resolves hook paths per child file)."""
    own = out / "mkdocs.yml"
    if own.is_file():
        return own
    target = out / ".arrakis-cache" / "mkdocs.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"INHERIT": str(BASE_CONFIG), "site_name": f"{repo.name} docs",
                           "docs_dir": str(out / "docs"), "hooks": [str(HOOKS)]})
    target.write_text(text, encoding="utf-8")
    return target


def _techdocs_roots(out: Path) -> dict[str, Path]:
    """Service name -> folder holding the TechDocs mkdocs.yml the site writer generated."""
    roots = {}
    for config in sorted([*out.glob("services/*/mkdocs.yml"), *out.glob("techdocs/*/mkdocs.yml")]):
        if "techdocs-core" in config.read_text(encoding="utf-8"):
            roots[config.parent.name] = config.parent
    return roots


def techdocs_renders(out: Path) -> int:
    """Copy each service's rendered SVGs into its TechDocs folder with a page listing them; returns files copied."""
    copied = 0
    for name, root in _techdocs_roots(out).items():
        try:  # the containment guard: a TechDocs folder linked out of the output root is never touched
            contained(out, f"{root.relative_to(out).as_posix()}/docs/{TECHDOCS_DIAGRAMS}")
        except OutsideOutput as problem:
            click.echo(f"warning: refused to write outside the output root: {problem}", err=True)
            continue
        target = root / "docs" / TECHDOCS_DIAGRAMS
        page = root / "docs" / f"{TECHDOCS_DIAGRAMS}.md"
        shutil.rmtree(target, ignore_errors=True)
        page.unlink(missing_ok=True)
        svgs = sorted((out / RENDERS / name).glob("*.svg"))
        if not svgs:
            continue
        target.mkdir(parents=True)
        lines = [f"# {name} diagrams", "", "Rendered from the code by arrakis-docs (TechDocs runs no Mermaid).", ""]
        for svg in svgs:
            shutil.copyfile(svg, target / svg.name)
            title = svg.stem.replace("-", " ").capitalize()
            lines += [f"## {title}", "", f"![{title} of {name}]({TECHDOCS_DIAGRAMS}/{svg.name})", ""]
            copied += 1
        page.write_text("\n".join(lines), encoding="utf-8")
    return copied
