"""Big trees stay readable and bounded: diagrams past the configured size are split per package group beside an
overview, every external render is cut after its timeout with a ``path:line`` diagnostic, renders are keyed by
what they draw (an unchanged service draws nothing), and the OpenAPI check keeps finding every kind of problem on
its fast path. The fixture (tests/fixtures/scale_bounds, written by bench/synthetic.py) sets low limits in its
``[tool.arrakis-docs]``; the size and time targets themselves live in ``make bench-scale``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arrakis_docs.commands.common import Target
from arrakis_docs.diagrams_output import RENDERS_DIR, diagram_renders
from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.progress import Progress
from arrakis_docs.validation import openapi_problems

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "scale_bounds"
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import openapi_document  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` not installed")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(FIXTURE, target)
    return target


def model_of(repo: Path):  # noqa: ANN201 - the architecture model
    return Target.of(str(repo), None).model(Progress(enabled=False), ExtractOptions(static_only=True),
                                            use_cache=False)


def mermaid_blocks(page: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", page, re.DOTALL)


def generate(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("arrakis-docs")), "generate", "--static-only", "--repo", str(repo),
               *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)


def test_class_and_module_diagrams_past_the_limit_are_split_per_package_group(repo: Path) -> None:
    done = generate(repo)
    assert done.returncode == 0, done.stderr
    page = (repo / "docs" / "diagrams" / "svc-000" / "index.md").read_text(encoding="utf-8")
    assert "### Class groups" in page and "### Module groups" in page
    assert "`diagram_max_classes` under `[tool.arrakis-docs]`" in page
    class_sections = re.findall(r"^### Classes: (.+)$", page, re.MULTILINE)
    module_sections = re.findall(r"^### Modules: (.+)$", page, re.MULTILINE)
    assert len(class_sections) >= 3 and len(module_sections) >= 3
    drawn = set()
    for block in mermaid_blocks(page):
        if block.startswith("classDiagram"):
            own = re.findall(r'class \w+\["([^"]+)"\] \{\n(?!\s+<<other group>>)', block)
            assert len(own) <= 6, block  # diagram_max_classes of the fixture
            drawn |= set(own)
        elif "flowchart" in block and "svc_000_domain_g00_m000[" in block:
            assert len(re.findall(r"^\s+svc_000\w*\[\"svc_000", block, re.MULTILINE)) <= 5  # diagram_max_modules
    classes = {c.name for c in model_of(repo).code.services[0].classes}
    assert drawn == classes  # split, never dropped: every class is drawn in full in exactly one group
    renders = sorted(p.name for p in (repo / RENDERS_DIR / "svc-000").glob("classes-*.svg"))
    assert len(renders) == len(class_sections), renders
    assert "render cut: pyreverse's class diagram of svc-000 not drawn" in done.stderr


def test_under_the_limit_one_diagram_is_drawn(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "scale-bounds"\nversion = "0.1.0"\n', encoding="utf-8")
    assert generate(repo).returncode == 0
    page = (repo / "docs" / "diagrams" / "svc-000" / "index.md").read_text(encoding="utf-8")
    assert "### Class groups" not in page and "### Modules\n" in page
    assert sum(b.startswith("classDiagram") for b in mermaid_blocks(page)) == 1


@needs_dot
def test_a_render_past_its_timeout_is_cut_with_a_located_diagnostic(repo: Path, tmp_path: Path) -> None:
    model = model_of(repo)
    problems = diagram_renders(model, repo, tmp_path / "out", RepoConfig(render_timeout=0.000001))
    cut = [p for p in problems if "render cut" in p]
    assert cut, problems
    for line in cut:
        path, number, _ = line.split(":", 2)
        assert path.endswith("/app.py") and int(number) > 0, line  # never path:0
        assert "render_timeout" in line
    assert not list((tmp_path / "out").rglob("classes.svg"))  # nothing half-drawn left behind


@needs_dot
def test_renders_are_keyed_by_what_they_draw(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = RepoConfig(diagram_max_classes=6, diagram_max_modules=5)
    first: list[str] = []
    diagram_renders(model_of(repo), repo, out, config, first)
    assert int(first[0].split(" ", 1)[0]) > 10, first
    again: list[str] = []
    diagram_renders(model_of(repo), repo, out, config, again)
    assert again == ["0 drawn, " + again[0].split(", ", 1)[1]], again  # nothing changed, nothing drawn
    module = repo / "services" / "svc-001" / "svc_001" / "domain" / "g00" / "m001.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n\n@dataclass\nclass Added:\n    n: int = 0\n",
                      encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in (out / RENDERS_DIR / "svc-000").glob("*.svg")}
    touched: list[str] = []
    diagram_renders(model_of(repo), repo, out, config, touched)
    drawn = int(touched[0].split(" ", 1)[0])
    svc_001 = len(list((out / RENDERS_DIR / "svc-001").glob("*.svg")))
    assert 0 < drawn < svc_001, touched  # some of svc-001's class diagrams, nothing of svc-000 or the architecture
    assert before == {p: p.stat().st_mtime_ns for p in (out / RENDERS_DIR / "svc-000").glob("*.svg")}


def spec(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "api.openapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_fast_openapi_check_passes_a_large_valid_spec(tmp_path: Path) -> None:
    assert openapi_problems([spec(tmp_path, openapi_document(400))], tmp_path) == []


def renamed(item: dict) -> dict:
    """A copy of a path item whose operations have ids of their own."""
    copy = json.loads(json.dumps(item))
    for method, operation in copy.items():
        operation["operationId"] = f"extra_{method}"
    return copy


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["paths"]["/resources7/{item_id}"]["get"].update(operationId="op_0"), "DuplicateOperationIDError"),
    (lambda d: d["paths"].update({"/extra/{other}": renamed(d["paths"]["/resources0/{item_id}"])}),
     "Path parameter 'other' for 'get' operation in '/extra/{other}' was not resolved"),
    (lambda d: d["paths"]["/resources9/{item_id}"]["put"]["parameters"][0]["schema"].update(type="integr"),
     "integr"),
])
def test_the_fast_openapi_check_still_finds_every_kind_of_problem(tmp_path: Path, change, expected: str) -> None:
    document = openapi_document(400)
    change(document)
    problems = openapi_problems([spec(tmp_path, document)], tmp_path)
    assert len(problems) == 1 and expected in problems[0].message, problems


@needs_dot
def test_the_infrastructure_render_is_cut_after_its_timeout(tmp_path: Path) -> None:
    from arrakis_docs.infra_renders import infra_renders
    from arrakis_docs.model.architecture import ArchitectureModel, RepoInfo
    from arrakis_docs.model.infra import InfraModel, InfraNode
    from arrakis_docs.model.refs import SourceRef

    node = InfraNode(id="infra:aws_vpc.main", kind="resource", address="aws_vpc.main", root="infra", module="",
                     definition="infra", type="aws_vpc", name="main", location=SourceRef("infra/main.tf", 3))
    model = ArchitectureModel(repo=RepoInfo(name="infra"), infra=InfraModel(nodes=[node]))
    problems = infra_renders(model, tmp_path, tmp_path / "out", timeout=0.000001)
    assert problems == ["infra/main.tf:3: render cut: the infrastructure overview (diagrams + Graphviz) ran past "
                        "render_timeout = 1e-06 s and was stopped; raise `render_timeout` under `[tool.arrakis-docs]` "
                        "to get it"]
