"""The portal's Runtime pages: the observed graph as Mermaid, per-service runtime sections, and one flow diagram
(a Mermaid sequence diagram) per traced public operation.

Built output, not committed and not drift-checked: ``arrakis-docs runtime --pages`` writes them into
``var/runtime/pages``, and the portal's MkDocs hook adds that folder's pages to the site under ``runtime/`` (or a
page saying how to get them, when there are none yet).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zlib
from pathlib import Path

from arrakis_docs.model.events import is_wildcard, subject_matches
from arrakis_docs.model.runtime import (
    DECLARED_AND_OBSERVED,
    DECLARED_ONLY,
    EXTERNAL,
    LABELS,
    OBSERVED_ONLY,
    Flow,
    ObservedGraph,
    ReconciledEdge,
    Reconciliation,
)

MAX_GRAPH_EDGES = 150  # beyond this the graph page keeps the busiest edges and says how many it left out
MAX_FLOW_STEPS = 80
STYLE = {DECLARED_AND_OBSERVED: "stroke:#2e7d32,stroke-width:2px", DECLARED_ONLY: "stroke:#9e9e9e,stroke-dasharray:4 4",
         OBSERVED_ONLY: "stroke:#c62828,stroke-width:3px", EXTERNAL: "stroke:#1565c0,stroke-dasharray:2 2"}
ARROW = {DECLARED_AND_OBSERVED: "-->", DECLARED_ONLY: "-.->", OBSERVED_ONLY: "==>", EXTERNAL: "-.->"}
EMPTY_PAGE = """# Runtime

No runtime data yet. Run the platform (`make up`), use it, then

```
arrakis-docs runtime --site
```

reads the spans the services sent to the portal (`var/traces/`), compares the calls they show with the code, and
rebuilds this page: the observed graph, each service's operations, and one flow diagram per traced operation.
"""


def slug(text: str) -> str:
    """A file-name-safe form of an operation (``POST /objects/{id}`` -> ``post-objects-id``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "root"


def node_id(entity: str) -> str:
    """A Mermaid node id for an entity: readable, and unique (``shop.>`` and ``shop.*`` differ by their hash)."""
    return "n_" + re.sub(r"[^A-Za-z0-9]", "_", entity) + f"_{zlib.crc32(entity.encode()):08x}"


def _text(value: str) -> str:
    """Mermaid label text without the characters that end a label."""
    return value.replace('"', "'").replace("|", "/").replace("#", "")


def _shape(entity: str) -> str:
    kind, _, name = entity.partition(":")
    if kind == "channel":
        return f'{node_id(entity)}[/"{_text(name)}"/]'
    if kind in ("datastore", "database"):
        return f'{node_id(entity)}[("{_text(name)}")]'
    if kind == "external":
        return f'{node_id(entity)}{{{{"{_text(name)}"}}}}'
    return f'{node_id(entity)}["{_text(name)}"]'


def _numbers(edge: ReconciledEdge) -> str:
    if not edge.observed:
        return "never seen"
    return f"{edge.stats.calls}x, p95 {edge.stats.p95_ms:g} ms" + (f", {edge.stats.errors} err"
                                                                   if edge.stats.errors else "")


def graph_mermaid(result: Reconciliation) -> tuple[str, int]:
    """The labelled graph as a Mermaid flowchart (HTTP and database edges, NATS through its subjects; the
    producer-to-consumer ``delivers`` summaries and stream uses are in the tables), and how many edges were left
    out to keep it readable."""
    drawn = [e for e in result.edges if e.kind not in ("delivers", "uses-stream")]
    drawn.sort(key=lambda e: (-e.stats.calls, e.protocol, e.source, e.target))
    left_out = max(len(drawn) - MAX_GRAPH_EDGES, 0)
    drawn = sorted(drawn[:MAX_GRAPH_EDGES], key=lambda e: (e.protocol, e.kind, e.source, e.target))
    nodes = sorted({x for e in drawn for x in (e.source, e.target)})
    lines = ["flowchart LR"] + [f"    {_shape(n)}" for n in nodes]
    styles = []
    for index, edge in enumerate(drawn):
        label = _text(_numbers(edge))
        lines.append(f'    {node_id(edge.source)} {ARROW[edge.label]}|"{label}"| {node_id(edge.target)}')
        styles.append(f"    linkStyle {index} {STYLE[edge.label]}")
    # A subscription pattern (arrakis.>) is its own node: thin links show which subjects it takes in.
    channels = [n.removeprefix("channel:") for n in nodes if n.startswith("channel:")]
    index = len(drawn)
    for pattern in [c for c in channels if is_wildcard(c)]:
        for subject in [c for c in channels if not is_wildcard(c) and subject_matches(pattern, c)]:
            lines.append(f"    {node_id('channel:' + subject)} --- {node_id('channel:' + pattern)}")
            styles.append(f"    linkStyle {index} stroke:#bdbdbd,stroke-width:1px")
            index += 1
    return "\n".join(lines + styles) + "\n", left_out


def _table(edges: list[ReconciledEdge]) -> list[str]:
    rows = ["| Label | Protocol | Kind | From | To | Calls | Errors | p50 ms | p95 ms | First seen | Last seen "
            "| Seen as |", "|---|---|---|---|---|---:|---:|---:|---:|---|---|---|"]
    for e in edges:
        seen = ", ".join(f"`{d}`" for d in e.details[:8]) + (" ..." if len(e.details) > 8 else "")
        rows.append(f"| {e.label} | {e.protocol} | {e.kind} | `{e.source}` | `{e.target}` | {e.stats.calls} | "
                    f"{e.stats.errors} | {e.stats.p50_ms:g} | {e.stats.p95_ms:g} | {e.stats.first_seen or '-'} | "
                    f"{e.stats.last_seen or '-'} | {seen} |")
    return rows


def index_page(graph: ObservedGraph, result: Reconciliation) -> str:
    """``runtime/index.md``: what was read, the counts, the graph, every edge, each service's operations."""
    counts = result.counts()
    mermaid, left_out = graph_mermaid(result)
    lines = ["# Runtime", "",
             f"What the running platform did: {graph.spans} spans in {graph.traces} traces from "
             f"{len(graph.services)} services, {graph.first_seen or '-'} to {graph.last_seen or '-'}, compared with "
             "what the code declares. Green: declared and observed; grey, dashed: declared, never seen in this "
             "window; red, thick: observed, declared nowhere; blue, dotted: calls leaving the platform.", "",
             "| Protocol | " + " | ".join(LABELS) + " |", "|---|" + "---:|" * len(LABELS)]
    for protocol, row in counts.items():
        lines.append(f"| {protocol} | " + " | ".join(str(row[label]) for label in LABELS) + " |")
    lines += ["", "## Observed graph", "", "```mermaid", mermaid.rstrip("\n"), "```", ""]
    if left_out:
        lines += [f"The {left_out} least used edges are left out of the drawing; the table below has them all.", ""]
    if graph.flows:
        lines += ["## Flows", "", "One sequence diagram per traced operation, drawn from a real trace:", ""]
        for flow in graph.flows:
            page = f"flows/{slug(flow.service)}--{slug(flow.operation)}.md"
            lines.append(f"- [{flow.service}: `{flow.operation}`]({page}) ({flow.traces} traces, "
                         f"{flow.duration_ms:g} ms end to end)")
        lines.append("")
    lines += ["## Edges", "", *_table(result.edges), ""]
    lines += ["## Services", ""]
    for service in graph.services:
        lines += [f"### {service.name}", "", f"{service.spans} spans.", ""]
        if service.operations:
            lines += ["| Operation | Calls | Errors | p50 ms | p95 ms | Last seen |", "|---|---:|---:|---:|---:|---|"]
            for name, stats in sorted(service.operations.items()):
                lines.append(f"| `{name}` | {stats.calls} | {stats.errors} | {stats.p50_ms:g} | {stats.p95_ms:g} | "
                             f"{stats.last_seen} |")
            lines.append("")
        mine = [e for e in result.edges if f"service:{service.name}" in (e.source, e.target) and e.observed]
        if mine:
            lines += ["Observed relations:", ""]
            lines += [f"- {e.label}: {e.protocol} {e.kind} `{e.source}` -> `{e.target}` ({_numbers(e)})"
                      for e in mine]
            lines.append("")
    if graph.problems:
        lines += ["## Unreadable input", "", *[f"- `{p}`" for p in graph.problems[:50]], ""]
    return "\n".join(lines)


def flow_page(flow: Flow) -> str:
    """``runtime/flows/<service>--<operation>.md``: the operation as a Mermaid sequence diagram, with durations."""
    steps = flow.steps[:MAX_FLOW_STEPS]
    participants: list[str] = []
    for step in steps:
        for name in (step.source, step.target):
            if name not in participants:
                participants.append(name)
    alias = {name: f"p{i}" for i, name in enumerate(participants)}
    lines = ["sequenceDiagram"]
    for name in participants:
        kind = "actor" if name == "client" else "participant"
        lines.append(f"    {kind} {alias[name]} as {_text(name.removeprefix('external:'))}")
    for step in steps:
        arrow = "-x" if step.error else "->>"
        lines.append(f"    {alias[step.source]}{arrow}{alias[step.target]}: "
                     f"{_text(step.label)} (+{step.start_ms:g} ms, {step.duration_ms:g} ms)")
    text = ["# " + f"{flow.service}: {flow.operation}", "",
            f"Drawn from trace `{flow.trace_id}`, one of {flow.traces} traces of this operation, and the traces "
            f"linked from it (the consumers of the events it published): {flow.duration_ms:g} ms from the request "
            "to the last step. Times are since the request began; consecutive statements of one service to its "
            "database are one arrow.", "", "```mermaid", *lines, "```", ""]
    if len(flow.steps) > MAX_FLOW_STEPS:
        text += [f"The last {len(flow.steps) - MAX_FLOW_STEPS} steps are left out.", ""]
    return "\n".join(text)


def pages(graph: ObservedGraph, result: Reconciliation) -> dict[str, str]:
    """Relative path -> Markdown of every runtime page."""
    found = {"index.md": index_page(graph, result)}
    for flow in graph.flows:
        found[f"flows/{slug(flow.service)}--{slug(flow.operation)}.md"] = flow_page(flow)
    return found


def write_pages(folder: Path, graph: ObservedGraph, result: Reconciliation) -> int:
    """Replace ``folder`` with the runtime pages (written beside it first, swapped in whole); returns the count."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".runtime-pages-", dir=folder.parent))
    written = pages(graph, result)
    for relative, text in written.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return len(written)
