"""A repository of bad inputs beside one good service: every bad file is one exact ``path:line:`` diagnostic, nothing
is coerced, the good service comes out whole, and --strict / --check fail on the errors."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from arrakis_docs.cli import main
from arrakis_docs.commands.generate import show_diagnostics
from arrakis_docs.extractors.config import load_config
from arrakis_docs.model.architecture import AppEntry, Coverage, Diagnostic, Service, Severity, SourceRef
from arrakis_docs.site_output import coverage_line
from arrakis_docs.validation import load_catalog, openapi_problems, referential_problems

FIXTURE = Path(__file__).parent / "fixtures" / "bad_inputs"
TAIL = "; the field is ignored (the default is used), fix the file"
EXPECTED = [
    "services/factory/factory/app.py:4: warning: app factory create_app() needs arguments and nothing calls it, so "
    "no app is documented from it; write `app = create_app(...)` at module level where it is served",
    "services/latin1/latin1/app.py:1: error: cannot parse: byte 0xe9 is not UTF-8; save the file as UTF-8 or "
    "declare its encoding (# -*- coding: latin-1 -*-)",
    "services/malformed/service.yaml:2: error: service.yaml is not valid YAML: while scanning a quoted scalar, found "
    "unexpected end of stream (line 5); fix the file (defaults used)",
    f"services/mistyped/service.yaml:1: error: service.yaml: field 'name' must be a string, not an integer 42{TAIL}",
    f"services/mistyped/service.yaml:4: error: service.yaml: field 'lifecycle' must be a string, not a mapping{TAIL}",
    "services/mistyped/service.yaml:8: error: service.yaml: field 'links' must be a list, not a string "
    f'"https://example.com/not-a-list"{TAIL}',
    "services/nul_byte/nul_byte/app.py:4: error: cannot parse: NUL byte in the source; remove it (a binary or "
    "corrupted file?) or exclude the file",
    "services/syntax/syntax/app.py:8: error: syntax error: closing parenthesis '}' does not match opening "
    "parenthesis '['",
    'terraform/main.tf:9: warning: module "missing": source "./modules/not-there" has no .tf files in the scanned '
    "tree; its resources are not documented: fix the source path or stop excluding that folder",
    'terraform/modules/loop/main.tf:3: error: module "again": source "./" calls itself; not expanded, point the '
    "source at another folder",
    'terraform/modules/outer/main.tf:3: error: module "inner": source "./inner" calls a module already on its call '
    "chain (terraform/modules/outer/inner -> terraform/modules/outer -> terraform/modules/outer/inner); not "
    "expanded, point the source at another folder",
]
LONG = "settlement-reconciliation-and-ledger-export-worker-service"
NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")  # Backstage's object-name rule
BAD = ("services/latin1/", "services/malformed/", "services/mistyped/", "services/nul_byte/", "services/syntax/",
       "services/factory/", "terraform/")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def diagnostic_lines(output: str, prefixes: tuple[str, ...] = BAD) -> list[str]:
    return sorted(line for line in output.splitlines() if line.startswith(prefixes))


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "bad_inputs"
    shutil.copytree(FIXTURE, target)
    return target


def test_every_bad_input_is_one_exact_diagnostic_shown_without_verbose(repo: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    code, output = run("generate", "--repo", str(repo), "--out", str(tmp_path / "out"), "--static-only")
    elapsed = time.perf_counter() - started
    assert code == 0, output  # errors are data: without --strict the run succeeds
    assert diagnostic_lines(output) == EXPECTED
    assert "diagnostics: 9 errors, 2 warnings" in output
    assert elapsed < 30, f"--static-only on the bad-input repository took {elapsed:.1f} s"


def test_strict_and_check_fail_on_error_diagnostics(repo: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert run("generate", "--repo", str(repo), "--out", out, "--static-only", "--check")[0] == 1  # drift first
    code, output = run("generate", "--repo", str(repo), "--out", out, "--static-only", "--strict")
    assert code == 2 and "9 error diagnostics: failing" in output
    assert (tmp_path / "out" / "catalog" / "components" / "good.yaml").is_file()  # strict still writes
    assert run("generate", "--repo", str(repo), "--out", out, "--static-only", "--check")[0] == 2  # no drift, errors
    # The no-op path (unchanged model, files as the last run left them) fails the same way.
    assert run("generate", "--repo", str(repo), "--out", out, "--static-only", "--strict")[0] == 2


def test_nothing_is_coerced_and_the_good_service_comes_out_whole(repo: Path, tmp_path: Path) -> None:
    code, output = run("model", "--json", "--static-only", "--repo", str(repo))
    assert code == 0
    model = json.loads(output[output.index("{"):])
    services = {s["name"]: s for s in model["services"]}
    assert "42" not in services
    mistyped = services["mistyped"]  # its name from pyproject.toml, the lifecycle default, no links
    assert (mistyped["lifecycle"], mistyped["links"], mistyped["system"]) == ("production", [], "bad-inputs")
    good = services["good"]
    assert (good["owner"], good["lifecycle"], good["tier"], good["system"]) == ("team-good", "production", "1",
                                                                                 "bad-inputs")
    assert good["links"] == [{"title": "Runbook", "url": "https://example.com/runbooks/good"}]
    api = next(a for a in model["apis"] if a["service"] == "good")
    operations = sorted((method.upper(), path) for path, item in api["document"]["paths"].items()
                        for method in item)
    assert operations == [("GET", "/health"), ("GET", "/orders/{order_id}"), ("POST", "/orders")]
    run("generate", "--repo", str(repo), "--out", str(tmp_path / "out"), "--static-only")
    groups = sorted(p.stem for p in (tmp_path / "out" / "catalog" / "groups").glob("*.yaml"))
    assert not [g for g in groups if "stage" in g]  # no Group invented from a mistyped field
    component = yaml.safe_load((tmp_path / "out" / "catalog" / "components" / "good.yaml").read_text())
    assert component["spec"]["owner"] == "group:team-good"


def test_the_catalog_of_a_repository_with_a_long_name_passes_the_referential_check(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("generate", "--repo", str(repo), "--out", str(out), "--static-only")
    loaded = load_catalog(out, "catalog")
    names = [entity["metadata"]["name"] for _, entity in loaded.entities]
    assert all(len(name) <= 63 and NAME.match(name) for name in names), names
    # The events API of a 58-character service would be 65 characters: a stable short hash keeps it unique.
    events = yaml.safe_load((out / "catalog" / "apis" / f"{LONG}-events.yaml").read_text(encoding="utf-8"))
    renamed = events["metadata"]["name"]
    assert len(renamed) == 63 and renamed.startswith(LONG[:50]) and renamed != LONG
    component = yaml.safe_load((out / "catalog" / "components" / f"{LONG}.yaml").read_text(encoding="utf-8"))
    assert renamed in component["spec"]["providesApis"]  # every reference follows the rename
    assert referential_problems(loaded.entities) == [] and loaded.problems == []


def test_validate_reports_an_openapi_spec_with_no_paths(tmp_path: Path) -> None:
    spec = tmp_path / "empty.openapi.yaml"
    spec.write_text("openapi: 3.1.0\ninfo:\n  title: Empty\n  version: 0.1.0\npaths: {}\n", encoding="utf-8")
    assert [str(p) for p in openapi_problems([spec], tmp_path)] == [
        "empty.openapi.yaml:1: openapi: the spec has 0 paths: no route of the service was understood; see the "
        "diagnostics of `arrakis-docs generate`"]


def test_the_published_schema_is_printed_and_rejects_a_mistyped_field() -> None:
    code, output = run("schema", "service-yaml")
    assert code == 0
    schema = json.loads(output)
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors({"name": 42, "owner": "x"})]
    assert errors == ["42 is not of type 'string'"]


def test_service_pages_show_the_extraction_coverage_line(repo: Path, tmp_path: Path) -> None:
    app = AppEntry("x.app", "app", "instance", "x", SourceRef("x/app.py", 1))
    service = Service(id="service:x", name="x", root="x", app=app,
                      coverage={"routes": Coverage(28, 30), "events": Coverage(5, 6), "http-clients": Coverage()})
    assert coverage_line(service) == "events 5 of 6 candidates, routes 28 of 30"
    service.coverage = {}
    assert coverage_line(service) == ""  # and the page leaves the line out
    run("generate", "--repo", str(repo), "--out", str(tmp_path / "out"), "--static-only")
    page = (tmp_path / "out" / "docs" / "services" / "good.md").read_text(encoding="utf-8")
    assert re.search(r"^Extraction coverage: routes \d+ of \d+ candidates\.$", page, re.MULTILINE), page[:400]


def test_an_import_that_exits_is_one_warning_line_without_verbose(repo: Path, tmp_path: Path) -> None:
    code, output = run("generate", "--repo", str(repo), "--out", str(tmp_path / "out"))  # the import mode
    assert code == 0, output
    assert diagnostic_lines(output, ("services/exits/",)) == [
        "services/exits/exits/app.py:15: warning: import failed, static extraction used instead: SystemExit: "
        "refusing to start without configuration; install the service's dependencies for the imported spec, or "
        "pass --static-only"]
    assert "services/good/" not in output  # the good service imports cleanly


def test_repository_settings_diagnostics_name_their_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.arrakis-docs]\nsystem = "a"\n'
                                             'colour = "blue"\n', encoding="utf-8")
    _, diagnostics = load_config(tmp_path)
    assert [(d.line, d.message.split(";")[0]) for d in diagnostics] == [
        (6, "unknown setting [tool.arrakis-docs] colour ignored")]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nbad =\n', encoding="utf-8")
    _, diagnostics = load_config(tmp_path)
    assert [str(d) for d in diagnostics] == [
        "pyproject.toml:3: error: cannot read: Invalid value (at line 3, column 6)"]


def test_without_verbose_at_most_fifty_diagnostic_lines_then_a_count(capsys: pytest.CaptureFixture[str]) -> None:
    many = [Diagnostic(f"src/m{n:02}.py", n + 1, "route-like decorator not understood", Severity.WARNING)
            for n in range(60)] + [Diagnostic("src/x.py", 3, "resolved", Severity.INFO)]
    show_diagnostics(many, verbose=False)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 51 and lines[0] == "src/m00.py:1: warning: route-like decorator not understood"
    assert lines[-1] == "diagnostics: 0 errors, 60 warnings; 10 more not shown: run with -v to see every one"
    show_diagnostics(many, verbose=True)
    assert len(capsys.readouterr().err.splitlines()) == 62  # every line, info too, and the count
