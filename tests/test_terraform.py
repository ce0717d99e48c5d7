"""The platform's Terraform: every file parses, the reference lint is clean, and the lint catches real mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

from arrakis_docs.extractors.hcl_references import Diagnostic, lint_directory

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "terraform"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "terraform"
MODULES = [
    "application",
    "backup",
    "dns",
    "eks",
    "elasticache",
    "kms",
    "monitoring",
    "nats",
    "networking",
    "rds",
    "security",
]


def _tf_files() -> list[Path]:
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def _as_text(diagnostics: list[Diagnostic], base: Path) -> list[str]:
    return [str(d).removeprefix(f"{base}/") for d in diagnostics]


def test_every_tf_file_parses() -> None:
    files = _tf_files()
    found = subprocess.run(
        ["find", str(TERRAFORM), "-name", "*.tf", "-type", "f"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(files) == len(found) > 0
    parsed = 0
    for path in files:
        document = hcl2.loads(path.read_text(encoding="utf-8"))
        assert isinstance(document, dict), path
        parsed += 1
    assert parsed == len(found)


@pytest.mark.parametrize("module", MODULES)
def test_module_layout(module: str) -> None:
    directory = TERRAFORM / "modules" / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"{module}/{name}"
    readme = (directory / "README.md").read_text(encoding="utf-8")
    assert readme.index("<!-- BEGIN_TF_DOCS -->") < readme.index("<!-- END_TF_DOCS -->")


def test_variables_and_outputs_are_described() -> None:
    missing = []
    for path in _tf_files():
        document = hcl2.loads(path.read_text(encoding="utf-8"))
        for kind, needs in (("variable", ("description", "type")), ("output", ("description",))):
            for block in document.get(kind, []):
                for name, body in block.items():
                    missing += [
                        f"{path.relative_to(TERRAFORM)}: {kind} {name} lacks {k}" for k in needs if k not in body
                    ]
    assert missing == []


def test_reference_lint_is_clean_on_the_platform() -> None:
    assert _as_text(lint_directory(TERRAFORM), TERRAFORM) == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("typo_var", ['main.tf:6: reference to undeclared input variable "nmae"']),
        ("missing_module_variable", ['main.tf:1: module "child": missing required argument "name"']),
        (
            "unknown_module_argument",
            [
                'main.tf:5: module "child": unsupported argument "sizee"',
                'main.tf:9: module "child" has no output "idd"',
            ],
        ),
        (
            "output_missing_resource",
            [
                'main.tf:6: reference to undeclared resource "aws_s3_bucket.log"',
                'main.tf:10: reference to undeclared data source "data.aws_iam_policy_document.missing"',
            ],
        ),
        (
            "bad_local",
            [
                'main.tf:6: reference to undeclared local value "prefx"',
                'main.tf:7: "count.index" used outside a block with count',
            ],
        ),
        (
            "nested_errors",
            [
                'main.tf:8: reference to undeclared input variable "rulez"',
                'main.tf:10: reference to unknown name "ingres"',
                'main.tf:17: reference to undeclared local value "factor"',
                'main.tf:17: reference to unknown name "rule"',
                'main.tf:18: reference to undeclared resource "aws_instance.web"',
                'main.tf:19: reference to undeclared input variable "missing"',
                'main.tf:19: unsupported attribute "path.nowhere"',
                'main.tf:24: "each.key" used outside a block with for_each',
            ],
        ),
    ],
)
def test_lint_catches(fixture: str, expected: list[str]) -> None:
    directory = FIXTURES / fixture
    assert _as_text(lint_directory(directory), directory) == expected


def test_no_false_positives_on_valid_expressions() -> None:
    # for-expressions, dynamic blocks with and without iterator, splats, count.index, each.key, try(),
    # templatefile(), template directives, provider aliases (declared and configuration_aliases), module for_each.
    assert lint_directory(FIXTURES / "valid_expressions") == []


def test_parse_errors_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('variable "x" {\n  type = string\n\n', encoding="utf-8")
    diagnostics = lint_directory(tmp_path)
    assert len(diagnostics) == 1
    assert diagnostics[0].path == str(tmp_path / "broken.tf")
    assert diagnostics[0].message.startswith("parse error:")


def test_cli_exit_status() -> None:
    def run(target: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "arrakis_docs.extractors.hcl_references", str(target)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    clean = run(TERRAFORM)
    assert (clean.returncode, clean.stdout) == (0, "")
    dirty = run(FIXTURES / "typo_var")
    assert dirty.returncode == 1
    assert dirty.stdout.strip().endswith('main.tf:6: reference to undeclared input variable "nmae"')
