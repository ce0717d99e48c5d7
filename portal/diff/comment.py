"""The diff's printers: a verdict-first Markdown pull-request comment, plain text, and JSON.

The comment fits GitHub's 65,536-character limit: long sections are collapsed in ``<details>``, the diagram falls
back to a table past 500 edges or 50,000 characters, and what does not fit is cut with a note saying what was left
out."""

from __future__ import annotations

import json
import re

from arrakis_docs.diff.architecture_changes import Comparison
from arrakis_docs.diff.findings import Finding, Level, counts

COMMENT_LIMIT = 65_536
DIAGRAM_EDGES = 500
DIAGRAM_CHARS = 50_000
MARKER = "<!-- arrakis-docs diff -->"  # lets the Action find and update its previous comment
SECTIONS = (("http", "HTTP APIs"), ("events", "Events"), ("architecture", "Architecture"),
            ("infrastructure", "Infrastructure"))
OPEN_ROWS = 30  # rows shown before the rest of a section collapses


def verdict(findings: list[Finding]) -> str:
    """One line: how many breaking changes and which, else warnings, else "no contract changes"."""
    n = counts(findings)
    breaking = [f for f in findings if f.level == Level.BREAKING]
    if breaking:
        names = ", ".join(f"`{f.id}` {f.subject}" for f in breaking[:3]) + (" ..." if len(breaking) > 3 else "")
        return f"{n[Level.BREAKING]} breaking change{'s' if len(breaking) != 1 else ''}: {names}"
    if n[Level.WARNING]:
        return f"No breaking changes; {n[Level.WARNING]} warning{'s' if n[Level.WARNING] != 1 else ''} to review"
    if findings:
        return f"No breaking changes ({len(findings)} compatible change{'s' if len(findings) != 1 else ''})"
    return "No architecture or contract changes"


def as_json(comparison: Comparison, base: str, head: str) -> str:
    """The findings as canonical JSON."""
    data = {"base": base, "head": head, "verdict": verdict(comparison.findings),
            "counts": {k.value: v for k, v in counts(comparison.findings).items()},
            "findings": [f.to_jsonable() for f in comparison.findings],
            "edges": {"added": [list(e) for e in comparison.added_edges],
                      "removed": [list(e) for e in comparison.removed_edges]}}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def as_text(comparison: Comparison, base: str, head: str) -> str:
    """One line per finding: ``severity id subject: message [base -> head]``."""
    lines = [f"{base}..{head}: {verdict(comparison.findings)}"]
    for f in comparison.findings:
        where = " ".join(x for x in (f"base {f.base}" if f.base else "", f"head {f.head}" if f.head else "") if x)
        direction = f" ({f.direction})" if f.direction else ""
        lines.append(f"{f.level.value:8} {f.id} {f.subject}{direction}: {f.message}" + (f" [{where}]" if where else ""))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _row(f: Finding) -> str:
    icon = {Level.BREAKING: "🔴", Level.WARNING: "🟠", Level.INFO: "⚪"}[f.level]
    where = "<br>".join(x for x in (f"base `{f.base}`" if f.base else "", f"head `{f.head}`" if f.head else "") if x)
    return (f"| {icon} {f.level.value} | `{f.id}` | {_cell(f.subject)} | {f.direction or ''} | {_cell(f.message)} "
            f"| {where} |")


HEADER = "| severity | rule | what | direction | change | where |\n|---|---|---|---|---|---|"


def _section(title: str, findings: list[Finding]) -> str:
    rows = [_row(f) for f in findings]
    n = counts(findings)
    summary = ", ".join(f"{v} {k.value}" for k, v in n.items() if v)
    head = f"### {title} ({summary})\n\n{HEADER}\n" + "\n".join(rows[:OPEN_ROWS]) + "\n"
    if len(rows) > OPEN_ROWS:
        head += (f"\n<details><summary>{len(rows) - OPEN_ROWS} more</summary>\n\n{HEADER}\n" +
                 "\n".join(rows[OPEN_ROWS:]) + "\n\n</details>\n")
    return head


def _node(entity: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", entity)


def diagram(comparison: Comparison) -> str:
    """A Mermaid flowchart of the changed neighbourhood only: added edges green, removed red dashed, nodes whose
    contract changed amber; a table instead when it would be too big to render."""
    edges = [(e, "added") for e in comparison.added_edges] + [(e, "removed") for e in comparison.removed_edges]
    if not edges and not comparison.changed_nodes:
        return ""
    if len(edges) > DIAGRAM_EDGES:
        return _edge_table(edges, f"{len(edges)} changed edges: more than {DIAGRAM_EDGES}, shown as a table")
    nodes = sorted({x for (s, t, _), _ in edges for x in (s, t)} | set(comparison.changed_nodes))
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'  {_node(n)}["{n}"]' for n in nodes]
    styles = []
    for index, ((source, target, kind), change) in enumerate(edges):
        arrow = "-.->" if change == "removed" else "-->"
        lines.append(f"  {_node(source)} {arrow}|{kind}| {_node(target)}")
        colour = "#2da44e" if change == "added" else "#cf222e"
        styles.append(f"  linkStyle {index} stroke:{colour},stroke-width:2px"
                      + (",stroke-dasharray:5 5" if change == "removed" else ""))
    lines += styles
    lines += [f"  style {_node(n)} fill:#fff3cd,stroke:#bf8700" for n in comparison.changed_nodes]
    lines.append("```")
    text = "\n".join(lines)
    if len(text) > DIAGRAM_CHARS:
        return _edge_table(edges, f"diagram of {len(text)} characters: more than {DIAGRAM_CHARS}, shown as a table")
    legend = "Green: edge added · red dashed: edge removed · amber: contract changed"
    return text + "\n\n" + legend


def _edge_table(edges: list[tuple[tuple[str, str, str], str]], note: str) -> str:
    rows = [f"| {change} | {_cell(s)} | {kind} | {_cell(t)} |" for (s, t, kind), change in edges]
    table = "| change | from | kind | to |\n|---|---|---|---|\n" + "\n".join(rows)
    return f"{note}.\n\n<details><summary>changed edges</summary>\n\n{table}\n\n</details>"


def as_markdown(comparison: Comparison, base: str, head: str, limit: int = COMMENT_LIMIT) -> str:
    """The pull-request comment, verdict first, never longer than ``limit`` characters."""
    findings = comparison.findings
    n = counts(findings)
    icon = "🔴" if n[Level.BREAKING] else "🟠" if n[Level.WARNING] else "🟢"
    top = [MARKER, f"## {icon} Architecture diff: {verdict(findings)}", "",
           f"`{base}` → `{head}` · {n[Level.BREAKING]} breaking · {n[Level.WARNING]} warnings · "
           f"{n[Level.INFO]} info", ""]
    parts = []
    for family, title in SECTIONS:
        mine = [f for f in findings if f.family == family]
        if mine:
            parts.append(_section(title, mine))
    picture = diagram(comparison)
    if picture:
        parts.append("### Changed neighbourhood\n\n" + picture + "\n")
    text = "\n".join(top) + "\n" + "\n".join(parts)
    if len(text) <= limit:
        return text
    return _truncate(top, parts, findings, limit)


def _truncate(top: list[str], parts: list[str], findings: list[Finding], limit: int) -> str:
    """Keep the verdict and as many whole rows as fit, worst first; say what was left out."""
    head = "\n".join(top) + "\n"
    budget = limit - len(head) - 400
    body = [f"{HEADER}"]
    used = len(body[0])
    shown = 0
    for f in findings:
        row = _row(f)
        if used + len(row) + 1 > budget:
            break
        body.append(row)
        used += len(row) + 1
        shown += 1
    left = findings[shown:]
    left_counts = counts(left)
    note = (f"\n\n> Truncated to fit GitHub's {COMMENT_LIMIT:,}-character limit: {len(left)} findings left out "
            f"({', '.join(f'{v} {k.value}' for k, v in left_counts.items() if v) or 'none'}) and the diagram; run "
            "`arrakis-docs diff --format text` for the whole list.")
    return head + "\n".join(body) + note + "\n"
