"""Code model and diagram writers on a fixture platform that breaks the cross-service rule, and on the real one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from arrakis_docs.cli import main
from arrakis_docs.commands.common import Target
from arrakis_docs.diagrams import definitions
from arrakis_docs.diagrams.printers import print_figure, printer_for
from arrakis_docs.diagrams_output import BEGIN, END, with_platform_map
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.progress import Progress
from arrakis_docs.validation import code_rule_problems

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "diagrams_platform"


def scan(repo: Path, static_only: bool) -> ArchitectureModel:
    target = Target.of(str(repo), None)
    return target.model(Progress(enabled=False), ExtractOptions(static_only=static_only), use_cache=False)


@pytest.fixture(scope="module")
def fixture_models(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, ArchitectureModel]:
    repo = tmp_path_factory.mktemp("diagrams") / "platform"
    shutil.copytree(FIXTURE, repo)
    return {static: scan(repo, static) for static in (True, False)}


def test_cross_service_import_is_an_error_with_file_and_line(fixture_models: dict) -> None:
    errors, warnings = code_rule_problems(fixture_models[True])
    assert [(e.path, e.line) for e in errors] == [("services/alpha/alpha/reach.py", 3)]
    assert "alpha imports beta of beta" in errors[0].message
    assert len(warnings) == 1 and "alpha.first -> alpha.second" in warnings[0].message


def test_validate_command_reports_the_violation(tmp_path: Path) -> None:
    repo = tmp_path / "platform"
    shutil.copytree(FIXTURE, repo)
    assert CliRunner().invoke(main, ["generate", "--repo", str(repo), "--static-only"]).exit_code == 0
    result = CliRunner().invoke(main, ["validate", "--repo", str(repo)])
    assert result.exit_code == 1
    assert "services/alpha/alpha/reach.py:3: imports: alpha imports beta of beta" in result.output


def test_module_graph_from_pydeps_flags_the_cycle(fixture_models: dict) -> None:
    alpha = fixture_models[True].code.of("alpha")
    assert alpha.graph_source == "pydeps"
    assert alpha.packages == ["alpha"]
    assert alpha.cycles == [["alpha.first", "alpha.second"]]
    edges = {(i.source, i.target): str(i.location) for i in alpha.imports}
    assert edges[("alpha.first", "alpha.second")] == "services/alpha/alpha/first.py:1"
    assert edges[("alpha.second", "alpha.first")] == "services/alpha/alpha/second.py:1"
    assert not any(i.target.startswith(("fastapi", "sqlalchemy", "beta")) for i in alpha.imports)
    mermaid = print_figure(printer_for("mermaid"), definitions.module_graph(alpha))
    assert "linkStyle" in mermaid and "stroke:#d62728" in mermaid


def test_classes_fully_qualified_without_framework_bases(fixture_models: dict) -> None:
    alpha = fixture_models[True].code.of("alpha")
    classes = {c.name: c for c in alpha.classes}
    assert set(classes) == {"alpha.models.Base", "alpha.models.Owner", "alpha.models.Pet", "alpha.models.PetView"}
    assert classes["alpha.models.Pet"].bases == ["alpha.models.Base"]
    assert classes["alpha.models.Base"].framework_bases == ["sqlalchemy.orm.DeclarativeBase"]
    assert classes["alpha.models.PetView"].associations == ["alpha.models.Owner"]
    mermaid = print_figure(printer_for("mermaid"), definitions.class_figure(alpha))
    assert 'class alpha_models_Pet["alpha.models.Pet"]' in mermaid
    assert "<<DeclarativeBase>>" in mermaid and "class DeclarativeBase" not in mermaid


def test_static_tables_match_sqlalchemy_metadata(fixture_models: dict) -> None:
    static, imported = fixture_models[True].code.of("alpha"), fixture_models[False].code.of("alpha")
    assert (static.schema_source, imported.schema_source) == ("static", "import")
    assert [t.name for t in static.tables] == ["owners", "pets"]
    for a, b in zip(static.tables, imported.tables, strict=True):
        assert sorted(a.columns) == sorted(b.columns)
        assert (a.indexes, a.unique) == (b.indexes, b.unique)
    pets = next(t for t in imported.tables if t.name == "pets")
    owner_id = next(c for c in pets.columns if c.name == "owner_id")
    assert (owner_id.type, owner_id.foreign_key, owner_id.nullable) == ("Integer", "owners.id", True)
    er = print_figure(printer_for("mermaid"), definitions.er_figure(imported))
    assert 'pets }o--o| owners : "owner_id"' in er
    assert "String(320) email UK" in er


def test_real_platform_static_tables_match_import() -> None:
    static, imported = scan(ROOT, True), Target.of(str(ROOT), None).model(Progress(enabled=False))
    assert len(imported.code.services) == 7
    for code in imported.code.services:
        other = static.code.of(code.service)
        assert code.schema_source == "import" and code.tables, code.service
        assert [(t.name, sorted(t.columns), t.indexes, t.unique) for t in code.tables] == \
            [(t.name, sorted(t.columns), t.indexes, t.unique) for t in other.tables], code.service
        assert code.package_imports and all(p.package != "user_service" or code.service == "user-service"
                                            for p in code.package_imports)
    assert code_rule_problems(imported)[0] == []


def test_readme_section_replaced_between_markers(fixture_models: dict) -> None:
    model = fixture_models[True]
    first = with_platform_map("# Title\n\nmake up\n", model)
    assert first.startswith("# Title\n\nmake up\n") and first.count(BEGIN) == 1 and "## Platform map" in first
    again = with_platform_map(first, model)
    assert again == first
    edited = first.replace("flowchart LR", "flowchart TB")
    assert with_platform_map(edited, model) == first
    assert first.index(END) > first.index("flowchart LR")
