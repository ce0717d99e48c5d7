"""The import graph of the one package, ``arrakis_docs``, read with ``ast`` from the folders pyproject.toml maps onto
it: no circles, and every import goes the way the layers do: cli -> writers -> model <- extractors.

- ``arrakis_docs.model`` imports nothing of ours outside itself (the leaf);
- ``arrakis_docs.extractors`` imports the model and itself, never a writer or the CLI;
- the writers (every other module of the package) never import the CLI (``arrakis_docs.cli``,
  ``arrakis_docs.commands``).

Every import counts, module-level or inside a function: a lazy import still ties the two modules together.
"""

from __future__ import annotations

import ast
import shutil
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "arrakis_docs"
MODEL = f"{PACKAGE}.model"
EXTRACTORS = f"{PACKAGE}.extractors"
CLI = (f"{PACKAGE}.cli", f"{PACKAGE}.commands")


def package_dirs(root: Path) -> dict[str, Path]:
    """Package name -> folder, as ``[tool.setuptools.package-dir]`` in ``root/pyproject.toml`` maps them."""
    setuptools = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping = setuptools.get("package-dir", {})
    dirs = {}
    for name in setuptools["packages"]:
        # setuptools' rule: an unmapped package lies under its nearest mapped parent
        parent = next((".".join(name.split(".")[:end]) for end in range(name.count(".") + 1, 0, -1)
                       if ".".join(name.split(".")[:end]) in mapping), "")
        rest = name[len(parent):].lstrip(".").replace(".", "/")
        dirs[name] = root / mapping.get(parent, "") / rest if parent else root / rest
    return dirs


def module_files(dirs: dict[str, Path]) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file directly inside each mapped package folder."""
    modules = {}
    for package, folder in dirs.items():
        for path in sorted(folder.glob("*.py")):
            modules[package if path.name == "__init__.py" else f"{package}.{path.stem}"] = path
    return modules


def _owner(name: str, known: set[str]) -> str | None:
    """The module an imported dotted name lives in: the longest known prefix."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return None


def import_graph(dirs: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (absolute and relative imports, at any depth of the file)."""
    files = module_files(dirs)
    known = set(files)
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from pkg import x` names the submodule pkg.x when there is one, else something defined in pkg
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            for target in targets:
                owner = _owner(target, known) if target.split(".")[0] == PACKAGE else None
                if owner and owner != name:
                    graph[name].add(owner)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _layer(module: str) -> str:
    if module == MODEL or module.startswith(f"{MODEL}."):
        return "model"
    if module == EXTRACTORS or module.startswith(f"{EXTRACTORS}."):
        return "extractors"
    if any(module == c or module.startswith(f"{c}.") for c in CLI):
        return "cli"
    return "writers"


# layer -> the layers it may import
ALLOWED = {
    "model": {"model"},
    "extractors": {"extractors", "model"},
    "writers": {"writers", "extractors", "model"},
    "cli": {"cli", "writers", "extractors", "model"},
}


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``source -> target`` for every import against the layers' direction."""
    return sorted(f"{source} ({_layer(source)}) -> {target} ({_layer(target)})"
                  for source, targets in graph.items() for target in targets
                  if _layer(target) not in ALLOWED[_layer(source)])


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(package_dirs(ROOT))


def test_the_graph_covers_every_layer(graph: dict[str, set[str]]) -> None:
    layers = {_layer(m) for m in graph}
    assert layers == set(ALLOWED), layers
    assert f"{MODEL}.architecture" in graph and f"{EXTRACTORS}.config" in graph
    # the CLI's lazy per-command imports and its module-level one are all edges
    assert {f"{PACKAGE}.commands.common", f"{PACKAGE}.commands.generate"} <= graph[f"{PACKAGE}.cli"]


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_imports_follow_the_layers(graph: dict[str, set[str]]) -> None:
    assert layer_violations(graph) == []


def _scratch_copy(tmp_path: Path) -> Path:
    """The package's sources and pyproject.toml in a scratch folder, to break on purpose."""
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for folder in {p.relative_to(ROOT).parts[0] for p in package_dirs(ROOT).values()}:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("assets", "node", "*.j2"))
    return tmp_path


def test_the_check_finds_a_circle_and_an_upward_import(tmp_path: Path) -> None:
    scratch = _scratch_copy(tmp_path)
    dirs = package_dirs(scratch)
    assert cycles(import_graph(dirs)) == [] and layer_violations(import_graph(dirs)) == []
    # the model's leaf reaching up to the CLI, lazily and relatively: a circle through the whole stack
    refs = dirs[MODEL] / "refs.py"
    refs.write_text(refs.read_text(encoding="utf-8") + "\n\ndef _late() -> None:\n    from .. import cli  # noqa\n",
                    encoding="utf-8")
    broken = import_graph(dirs)
    assert any(f"{MODEL}.refs" in group and f"{PACKAGE}.cli" in group for group in cycles(broken)), cycles(broken)
    assert f"{MODEL}.refs (model) -> {PACKAGE}.cli (cli)" in layer_violations(broken)


def test_the_check_finds_an_extractor_importing_a_writer(tmp_path: Path) -> None:
    scratch = _scratch_copy(tmp_path)
    dirs = package_dirs(scratch)
    victim = sorted(dirs[EXTRACTORS].glob("*.py"))[-1]
    victim.write_text("from arrakis_docs.output import OutputSet  # noqa\n" + victim.read_text(encoding="utf-8"),
                      encoding="utf-8")
    assert f"{EXTRACTORS}.{victim.stem} (extractors) -> {PACKAGE}.output (writers)" in layer_violations(
        import_graph(dirs))
