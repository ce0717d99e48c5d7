"""The delivery pipeline's own checks: every pre-commit hook passes on a fresh clone, offline; bandit, yamllint,
check-jsonschema and detect-secrets each report a planted problem; the coverage table groups files by package and
fails under its minimum; CI's database matrix and external NATS reach the test fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))
import coverage_report  # noqa: E402

ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(cmd: list[str], cwd: Path, timeout: int = 600, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env={**ENV, **env}, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of the committed tree: none of the working copy's caches or untracked files; the installed
    tools are this environment's."""
    target = tmp_path_factory.mktemp("clone") / "repo"
    done = run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(target)], cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    # what `make install npm-install` would put beside it: the Node linters (git-ignored, never committed)
    (target / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return target


def test_every_hook_is_local_and_offline() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook["language"] for hook in hooks} == {"system"}
    wanted = {"ruff", "terraform-hcl", "yamllint", "service-yaml-schema", "detect-secrets", "bandit",
              "arrakis-docs-check", "hadolint", "workflows"}
    assert wanted <= {hook["id"] for hook in hooks}


def test_pre_commit_passes_on_a_fresh_clone(clone: Path, tmp_path: Path) -> None:
    done = run([str(BIN / "pre-commit"), "run", "--all-files", "--show-diff-on-failure", "--color", "never"],
               cwd=clone, timeout=900, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Failed" not in done.stdout
    # every hook ran (none skipped for want of files) and nothing was fetched: the home holds no cloned repository
    for name in ("ruff", "yamllint", "hadolint", "bandit", "detect-secrets", "arrakis-docs drift check"):
        assert any(line.startswith(name) and line.endswith("Passed") for line in done.stdout.splitlines()), name
    assert not list((tmp_path / "pre-commit-home").glob("repo*/"))


@pytest.mark.parametrize("hook, path, text, expect", [
    ("bandit", "services/common/arrakis_common/unsafe.py",
     "import subprocess\n\n\ndef go(cmd):\n    return subprocess.run(cmd, shell=True)\n", "B602"),
    ("yamllint", "catalog/extra.yaml", "a: 1\na: 2\n", "duplication of key"),
    ("service-yaml-schema", "services/user-service/service.yaml", "name: user-service\ntier: [1]\n", "$.tier"),
    ("detect-secrets", "services/common/arrakis_common/keys.py",
     'AWS_KEY = "AKIAIOSFODNN7EXAMPLF"\n', "AWS Access Key"),  # pragma: allowlist secret
])
def test_each_hook_reports_a_planted_problem(clone: Path, tmp_path: Path, hook: str, path: str, text: str,
                                             expect: str) -> None:
    target = clone / path
    before = target.read_text(encoding="utf-8") if target.exists() else None
    target.write_text(text, encoding="utf-8")
    run(["git", "add", path], cwd=clone)
    try:
        done = run([str(BIN / "pre-commit"), "run", hook, "--files", path, "--color", "never"], cwd=clone,
                   timeout=300, PRE_COMMIT_HOME=str(tmp_path / "home"))
        assert done.returncode != 0, done.stdout
        assert expect in done.stdout, done.stdout
    finally:
        if before is None:
            run(["git", "rm", "-q", "--cached", path], cwd=clone)
            target.unlink()
        else:
            target.write_text(before, encoding="utf-8")
            run(["git", "add", path], cwd=clone)


def test_coverage_table_groups_by_package_and_fails_under_the_minimum(tmp_path: Path) -> None:
    def file(statements: int, covered: int) -> dict:
        return {"summary": {"num_statements": statements, "covered_lines": covered, "num_branches": 0,
                            "covered_branches": 0}}

    report = {"files": {"portal/cli.py": file(10, 9), "extractors/hcl.py": file(10, 10),
                        "services/user-service/user_service/app.py": file(20, 10),
                        "services/common/arrakis_common/db.py": file(4, 4), "scripts/x.py": file(5, 0)}}
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    assert coverage_report.per_package(report) == {"arrakis_common": (4, 4), "arrakis_docs": (19, 20),
                                                   "user_service": (10, 20)}
    assert coverage_report.main([str(path), "--min", "85", "--markdown", str(tmp_path / "s.md")]) == 1
    assert "| `user_service` | 50.0% | 10 / 20 |" in (tmp_path / "s.md").read_text(encoding="utf-8")
    assert coverage_report.main([str(path), "--min", "50"]) == 0
    assert coverage_report.main([str(tmp_path / "missing.json")]) == 2


def test_ci_matrix_and_external_nats_reach_the_fixtures(tmp_path: Path, nats_server) -> None:
    """ARRAKIS_TEST_DATABASES keeps one database of the two; ARRAKIS_TEST_NATS_URL is used instead of a new server."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent("""
        def test_db(database_url):
            assert database_url.startswith("sqlite")

        def test_nats(nats_server):
            print("NATS=" + nats_server.url)
            assert nats_server.proc is None
    """), encoding="utf-8")
    done = run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_probe.py"], cwd=tmp_path,
               timeout=300, ARRAKIS_TEST_DATABASES="sqlite", ARRAKIS_TEST_NATS_URL=nats_server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 1 skipped" in done.stdout, done.stdout
    assert f"NATS={nats_server.url}" in done.stdout
