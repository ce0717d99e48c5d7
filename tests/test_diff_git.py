"""`arrakis-docs diff` on real git history: fixture repositories built in temporary folders with two commits, one
per rule family, and an end-to-end run on a copy of the diff fixture platform."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from arrakis_docs.cli import main
from arrakis_docs.diff.architecture_changes import Comparison
from arrakis_docs.diff.comment import COMMENT_LIMIT, as_markdown, diagram
from arrakis_docs.diff.findings import Finding, Level

PLATFORM = Path(__file__).parent / "fixtures" / "diff" / "platform"
GIT = ["git", "-c", "user.email=diff@example.invalid", "-c", "user.name=diff", "-c", "commit.gpgsign=false"]


def commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True, capture_output=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", message], check=True, capture_output=True)


def new_repo(tmp_path: Path, source: Path = PLATFORM) -> Path:
    repo = tmp_path / "platform"
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".arrakis-cache"))
    (repo / ".gitignore").write_text(".arrakis-cache/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    commit(repo, "base")
    return repo


def edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_diff(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", "HEAD~1", "HEAD", "--repo", str(repo), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def findings(repo: Path, *args: str) -> list[dict]:
    code, out = run_diff(repo, "--format", "json", "--fail-on", "never", *args)
    assert code == 0, out
    return json.loads(out)["findings"]


def by_id(found: list[dict], rule: str) -> list[dict]:
    return [f for f in found if f["id"] == rule]


def test_end_to_end_route_event_terraform_and_import_rule(tmp_path: Path) -> None:
    """One commit changes a route's parameter type, removes an event field, adds a Terraform resource and makes
    orders import billing's package (billing importing orders' events is already in the base: not reported)."""
    repo = new_repo(tmp_path)
    edit(repo, "services/orders/orders/app.py", "get_order(order_id: int)", "get_order(order_id: str)")
    with (repo / "services" / "orders" / "orders" / "app.py").open("a", encoding="utf-8") as app:
        app.write("\n\nfrom billing.app import list_invoices  # noqa: E402\n")
    edit(repo, "services/orders/orders/events.py", "    total: float\n", "")
    with (repo / "terraform" / "main.tf").open("a", encoding="utf-8") as tf:
        tf.write('\nresource "aws_sqs_queue" "orders_dlq" {\n  name = "orders-dlq"\n}\n')
    commit(repo, "head")
    found = findings(repo)
    summary = sorted((f["id"], f["severity"], f["subject"]) for f in found)
    assert summary == [
        ("event-payload-property-removed-required-open", "breaking", "event OrderPlaced"),
        ("import-rule-violation-introduced", "warning", "orders -> billing"),
        ("request-parameter-type-changed", "breaking", "orders GET /v1/orders/{order_id}"),
        ("terraform-resource-added", "info", "terraform: aws_sqs_queue.orders_dlq"),
    ]
    coupling = by_id(found, "import-rule-violation-introduced")[0]
    assert coupling["base"] is None and coupling["head"].startswith("services/orders/orders/app.py:"), coupling
    assert coupling["message"].startswith("orders imports billing, a package of service billing"), coupling
    route = by_id(found, "request-parameter-type-changed")[0]
    assert route["direction"] == "request"
    assert route["message"] == "path parameter order_id: type integer became string"
    assert route["base"] == route["head"] == "services/orders/orders/app.py:16"
    event = by_id(found, "event-payload-property-removed-required-open")[0]
    assert event["direction"] == "forward"  # old consumers (billing) reading the new events break
    assert event["base"] == event["head"] == "services/orders/orders/events.py:4"
    assert by_id(found, "terraform-resource-added")[0]["head"] == "terraform/main.tf:9"
    # the working tree is untouched: nothing checked out, nothing written but the ignored cache
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    # exit codes and formats
    assert run_diff(repo)[0] == 1
    assert run_diff(repo, "--fail-on", "never")[0] == 0
    assert run_diff(repo, "--compatibility", "BACKWARD", "--fail-on", "breaking", "--format", "text")[0] == 1
    code, markdown = run_diff(repo, "--fail-on", "never")
    lines = markdown.splitlines()
    assert lines[1].startswith("## 🔴 Architecture diff: 2 breaking changes: ")
    assert "```mermaid" in markdown and "fill:#fff3cd" in markdown  # changed service and subject in amber
    code, text = run_diff(repo, "--format", "text", "--fail-on", "never")
    assert "breaking request-parameter-type-changed orders GET /v1/orders/{order_id} (request)" in text


def test_cached_sides_give_the_same_answer(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    edit(repo, "services/billing/billing/app.py", 'status: str = "open"', 'status: str = "open", page: int = 1')
    commit(repo, "head")
    first = findings(repo)
    assert (repo / ".arrakis-cache" / "diff-models").is_dir()
    assert findings(repo) == first
    assert findings(repo, "--no-cache") == first
    assert [f["id"] for f in first] == ["new-optional-request-parameter"]


def test_event_family_subject_renamed_and_publisher_removed(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    edit(repo, "services/orders/orders/app.py", '"shop.orders.placed"', '"shop.orders.accepted"')
    commit(repo, "head")
    found = findings(repo)
    renamed = by_id(found, "event-subject-renamed")
    assert renamed and renamed[0]["severity"] == "breaking"
    assert "shop.orders.accepted" in renamed[0]["message"]
    assert by_id(found, "event-publisher-removed")[0]["base"] == "services/orders/orders/app.py:24"


def test_event_family_subscriber_removed_leaves_an_orphan(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    edit(repo, "services/billing/billing/app.py", '    await nc.subscribe("shop.orders.placed", queue="billing", '
         'cb=on_placed)\n', "    await nc.flush()\n")
    commit(repo, "head")
    found = findings(repo)
    assert by_id(found, "event-subscriber-removed")[0]["subject"] == "subject shop.orders.placed"
    assert by_id(found, "event-became-orphan")[0]["severity"] == "warning"


def test_architecture_family_service_and_edges(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    shutil.rmtree(repo / "services" / "billing")
    commit(repo, "head")
    found = findings(repo)
    assert by_id(found, "service-removed")[0]["subject"] == "service:billing"
    assert by_id(found, "api-removed")
    assert any(f["id"] == "edge-consumes-api-removed" for f in found)
    code, markdown = run_diff(repo, "--fail-on", "never")
    assert "-.->" in markdown and "stroke-dasharray" in markdown  # removed edges drawn red dashed


def test_terraform_family_removed_and_unresolvable_count(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    edit(repo, "terraform/main.tf", 'resource "aws_sqs_queue" "orders" {\n  name = "orders"\n}',
         'variable "queues" {\n  type = number\n}\n\nresource "aws_sqs_queue" "shards" {\n  count = var.queues\n'
         '  name  = "shard"\n}')
    commit(repo, "head")
    found = findings(repo)
    assert by_id(found, "terraform-resource-removed")[0]["base"] == "terraform/main.tf:5"
    added = by_id(found, "terraform-resource-added")[0]
    assert "count = var.queues: instance count not resolvable statically" in added["message"]


def test_sides_as_folders_and_model_files(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(repo, other, ignore=shutil.ignore_patterns(".git", ".arrakis-cache"))
    edit(other, "services/orders/orders/app.py", "limit: int = 10", "region: str, limit: int = 10")
    runner = CliRunner()
    result = runner.invoke(main, ["diff", str(repo), str(other), "--repo", str(repo), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert [f["id"] for f in json.loads(result.output)["findings"]] == ["new-required-request-parameter"]
    model = runner.invoke(main, ["model", "--json", "--static-only", "--repo", str(other)])
    (tmp_path / "head.json").write_text(model.output, encoding="utf-8")
    result = runner.invoke(main, ["diff", str(repo), str(tmp_path / "head.json"), "--repo", str(repo),
                                  "--format", "text", "--fail-on", "warning"])
    assert result.exit_code == 1
    assert "new-required-request-parameter" in result.output
    bad = runner.invoke(main, ["diff", "no-such-ref", "HEAD", "--repo", str(repo)])
    assert bad.exit_code == 2


def _finding(i: int, level: Level = Level.BREAKING) -> Finding:
    return Finding("response-required-property-removed", level, "http", f"svc GET /v1/items/{i}",
                   f"field_{i}: removed " + "x" * 80, "response")


def test_comment_stays_under_the_limit_and_says_what_was_cut() -> None:
    comparison = Comparison(findings=[_finding(i) for i in range(3000)])
    text = as_markdown(comparison, "main", "feature")
    assert len(text) <= COMMENT_LIMIT
    assert "Truncated to fit" in text and "findings left out" in text
    assert text.splitlines()[1].startswith("## 🔴 Architecture diff: 3000 breaking changes")
    small = as_markdown(Comparison(findings=[_finding(i) for i in range(40)]), "main", "feature")
    assert "<details><summary>10 more</summary>" in small and "Truncated" not in small


def test_diagram_falls_back_to_a_table_past_500_edges() -> None:
    many = Comparison(added_edges=[(f"service:s{i}", "api:x", "consumes-api") for i in range(501)])
    assert "```mermaid" not in diagram(many) and "| added |" in diagram(many)
    few = Comparison(added_edges=[("service:a", "api:b", "consumes-api")],
                     removed_edges=[("service:a", "api:c", "consumes-api")], changed_nodes=["service:a"])
    text = diagram(few)
    assert "linkStyle 0 stroke:#2da44e" in text
    assert "linkStyle 1 stroke:#cf222e,stroke-width:2px,stroke-dasharray" in text


@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_no_changes_exit_zero(tmp_path: Path, fmt: str) -> None:
    repo = new_repo(tmp_path)
    (repo / "README.md").write_text("docs only\n", encoding="utf-8")
    commit(repo, "head")
    code, out = run_diff(repo, "--format", fmt, "--fail-on", "warning")
    assert code == 0, out


def test_transitive_modes_judge_every_earlier_version(tmp_path: Path) -> None:
    """Three versions of OrderPlaced: v1 has note: str, v2 drops it, v3 brings it back as an int. Each step is
    compatible under BACKWARD (v3 readers of v2 events: v2 never declared note), but v3 readers reject v1 events
    (note was a string): BACKWARD_TRANSITIVE, which reads the git history before BASE, breaks."""
    repo = new_repo(tmp_path)
    events = "services/orders/orders/events.py"
    edit(repo, events, "    note: str | None = None\n", "")
    commit(repo, "v2: drop note")
    edit(repo, events, '    currency: str = "EUR"\n', '    currency: str = "EUR"\n    note: int | None = None\n')
    commit(repo, "v3: note again, as an integer")
    code, out = run_diff(repo, "--compatibility", "BACKWARD", "--format", "json")
    assert code == 0, out
    assert all(f["severity"] != "breaking" for f in json.loads(out)["findings"])
    code, out = run_diff(repo, "--compatibility", "BACKWARD_TRANSITIVE", "--format", "json")
    assert code == 1, out
    breaking = [f for f in json.loads(out)["findings"] if f["severity"] == "breaking"]
    assert [(f["subject"], f["direction"]) for f in breaking] == [("event OrderPlaced", "backward")]
    assert breaking[0]["message"].startswith("note")
    first = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD~2"], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert f"against the version of {first[:12]}, earlier than BASE" in breaking[0]["message"]
    # a bounded history: with none of it read, the transitive mode sees what BACKWARD sees
    assert run_diff(repo, "--compatibility", "BACKWARD_TRANSITIVE", "--history", "0")[0] == 0


def test_a_cold_diff_reuses_what_did_not_change(tmp_path: Path) -> None:
    """Only Python changed: the head side takes the Terraform model and the untouched service from the cache the
    base side just filled, and exports only the files a static scan reads."""
    repo = new_repo(tmp_path)
    (repo / "docs.md").write_text("not read by a static scan\n", encoding="utf-8")
    commit(repo, "docs")
    edit(repo, "services/billing/billing/app.py", 'status: str = "open"', 'status: str = "open", page: int = 1')
    commit(repo, "head")
    code, out = run_diff(repo, "--format", "text", "--fail-on", "never", "-v")
    assert code == 0, out
    infra = [line for line in out.splitlines() if "] infrastructure:" in line]
    assert len(infra) == 2 and "cached" not in infra[0] and infra[1].endswith("; cached)"), infra
    extract = [line for line in out.splitlines() if "] extract:" in line]
    assert "(0/2 cached" in extract[0] and "(1/2 cached" in extract[1], extract
    exported = [line for line in out.splitlines() if "] export " in line]
    tracked = subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, text=True).stdout.split()
    assert all(f"({len(tracked) - 2} files)" in line for line in exported), (exported, tracked)


THIS_REPO = Path(__file__).resolve().parents[1]


def _path_parameter_route(repo: Path) -> tuple[Path, ast.FunctionDef, str]:
    """The first service route (sorted by file) with a path parameter annotated ``str``: its file, function, name."""
    for path in sorted(repo.glob("services/*/*/api/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "get" and decorator.args
                        and isinstance(decorator.args[0], ast.Constant)):
                    continue
                for arg in node.args.args:
                    if f"{{{arg.arg}}}" in str(decorator.args[0].value) and ast.unparse(arg.annotation or
                                                                                          ast.Pass()) == "str":
                        return path, node, arg.arg
    raise AssertionError("no GET route with a str path parameter under services/*/*/api/")


def _event_field(repo: Path) -> tuple[Path, str, str, int]:
    """The first event class (sorted by file) with two required one-line fields: its file, class, last such field
    and that field's line."""
    for path in sorted(repo.glob("services/*/*/events.py")):
        for cls in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            fields = [s for s in cls.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                      and "ClassVar" not in ast.unparse(s.annotation) and s.value is None
                      and s.end_lineno == s.lineno]
            if len(fields) >= 2:
                return path, cls.name, fields[-1].target.id, fields[-1].lineno
    raise AssertionError("no event class with two required fields under services/*/*/events.py")


@pytest.mark.timeout(180)
def test_end_to_end_on_a_copy_of_this_repository(tmp_path: Path) -> None:
    """A clone of this repository; one commit changes a route's path parameter type, removes an event field, adds
    a Terraform resource and makes one service import another's package. The static diff reports exactly these
    four, each located."""
    if not (THIS_REPO / ".git").exists():
        pytest.skip("not a git checkout")
    repo = tmp_path / "arrakis"
    subprocess.run(["git", "clone", "-q", "--shared", str(THIS_REPO), str(repo)], check=True, capture_output=True)
    route_file, route, parameter = _path_parameter_route(repo)
    lines = route_file.read_text(encoding="utf-8").splitlines(keepends=True)
    signature = "".join(lines[route.lineno - 1:route.body[0].lineno - 1])
    changed = re.sub(rf"\b{parameter}: str\b", f"{parameter}: int", signature, count=1)
    lines[route.lineno - 1:route.body[0].lineno - 1] = [changed]
    service_dir = route_file.relative_to(repo).parts[1]
    other = next(p for p in sorted(repo.glob("services/*/*/__init__.py"))
                 if p.relative_to(repo).parts[1] not in (service_dir, "common"))
    text = "".join(lines)
    import_line = len(text.splitlines()) + 3
    route_file.write_text(f"{text}\n\nimport {other.parent.name}  # noqa: E402,F401\n", encoding="utf-8")
    event_file, event, field, field_line = _event_field(repo)
    event_lines = event_file.read_text(encoding="utf-8").splitlines(keepends=True)
    del event_lines[field_line - 1]
    event_file.write_text("".join(event_lines), encoding="utf-8")
    main_tf = repo / "terraform" / "main.tf"
    tf_line = len(main_tf.read_text(encoding="utf-8").splitlines()) + 2
    with main_tf.open("a", encoding="utf-8") as tf:
        tf.write('\nresource "aws_sqs_queue" "e2e_probe" {\n  name = "e2e-probe"\n}\n')
    commit(repo, "head")

    found = findings(repo)
    route_at = f"{route_file.relative_to(repo).as_posix()}:{route.lineno}"
    summary = sorted((f["id"], f["severity"], f["subject"].split(" ", 1)[0], f.get("direction")) for f in found)
    assert summary == [
        ("event-payload-property-removed-required-open", "breaking", "event", "forward"),
        ("import-rule-violation-introduced", "warning", service_dir, ""),
        ("request-parameter-type-changed", "breaking", service_dir, "request"),
        ("terraform-resource-added", "info", "terraform:", ""),
    ], found
    http = by_id(found, "request-parameter-type-changed")[0]
    assert http["message"] == f"path parameter {parameter}: type string became integer"
    assert http["base"] == http["head"] == route_at
    removed = by_id(found, "event-payload-property-removed-required-open")[0]
    assert removed["subject"] == f"event {event}" and removed["message"].startswith(f"{field}:")
    assert removed["head"].startswith(event_file.relative_to(repo).as_posix() + ":")
    coupling = by_id(found, "import-rule-violation-introduced")[0]
    assert coupling["head"] == f"{route_file.relative_to(repo).as_posix()}:{import_line}", coupling
    terraform = by_id(found, "terraform-resource-added")[0]
    assert terraform["subject"] == "terraform: aws_sqs_queue.e2e_probe"
    assert terraform["head"] == f"terraform/main.tf:{tf_line}"


def test_a_terraform_change_parses_only_the_changed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both sides of a cold diff share their .tf parses by content, and the parses outlive the run in the cache:
    a later diff whose head changed one other file parses that file alone."""
    from arrakis_docs.extractors import hcl_graph

    source = tmp_path / "source"
    shutil.copytree(PLATFORM, source, ignore=shutil.ignore_patterns(".arrakis-cache"))
    (source / "terraform" / "queues.tf").write_text('resource "aws_sqs_queue" "audit" {\n  name = "audit"\n}\n',
                                                    encoding="utf-8")
    repo = new_repo(tmp_path, source)
    with (repo / "terraform" / "main.tf").open("a", encoding="utf-8") as tf:
        tf.write('\nresource "aws_sqs_queue" "orders_dlq" {\n  name = "orders-dlq"\n}\n')
    commit(repo, "head")
    parsed: list[str] = []
    real = hcl_graph.parse_hcl
    monkeypatch.setattr(hcl_graph, "parse_hcl", lambda text: parsed.append(text) or real(text))
    hcl_graph.PARSES.clear()  # cold: nothing known in this process either
    assert [f["id"] for f in findings(repo)] == ["terraform-resource-added"]
    assert len(parsed) == 3, parsed  # main.tf twice (it changed), queues.tf once for both sides
    edit(repo, "terraform/queues.tf", '"audit"\n}', '"audit"\n  delay_seconds = 5\n}')
    commit(repo, "third")
    parsed.clear()
    hcl_graph.PARSES.clear()  # a new process: only the cache remembers
    findings(repo)
    assert parsed == [(repo / "terraform" / "queues.tf").read_text(encoding="utf-8")]
