"""Figures as Mermaid text (flowchart, classDiagram, erDiagram). Class ids are sanitised and labelled with the fully
qualified name, so two modules' same-named classes never merge (pyreverse's Mermaid writer merges them)."""

from __future__ import annotations

import re

from arrakis_docs.diagrams.figures import ClassFigure, ErFigure, Graph, Node, node_id

# C4 colours (as the C4 model's own diagrams use them) and a neutral style for code diagrams.
STYLES = {
    "person": "fill:#08427b,stroke:#052e56,color:#ffffff",
    "system": "fill:#1168bd,stroke:#0b4884,color:#ffffff",
    "container": "fill:#438dd5,stroke:#2e6295,color:#ffffff",
    "database": "fill:#438dd5,stroke:#2e6295,color:#ffffff",
    "queue": "fill:#438dd5,stroke:#2e6295,color:#ffffff",
    "cache": "fill:#438dd5,stroke:#2e6295,color:#ffffff",
    "external": "fill:#999999,stroke:#6b6b6b,color:#ffffff",
    "module": "fill:#f4f4f4,stroke:#666666,color:#000000",
    "package": "fill:#dde8f5,stroke:#2e6295,color:#000000",
}
SHAPES = {"person": ('(["', '"])'), "database": ('[("', '")]'), "cache": ('[("', '")]'), "queue": ('[["', '"]]'),
          "external": ('{{"', '"}}')}


def text(value: str) -> str:
    """Label text safe inside Mermaid quotes."""
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("#lt;br/#gt;", "<br/>")


class MermaidPrinter:
    """One printer per format: this one writes Mermaid."""

    name = "mermaid"

    def graph(self, graph: Graph) -> str:
        """A ``flowchart``; nodes styled by kind, flagged links red, dashed links dotted."""
        lines = [f"flowchart {graph.direction}"]
        grouped: dict[str, list[Node]] = {}
        for node in graph.nodes:
            grouped.setdefault(node.group, []).append(node)
        for group, nodes in sorted(grouped.items()):
            indent = "    "
            if group:
                lines.append(f'    subgraph {node_id(group)}["{text(graph.groups.get(group, group))}"]')
                indent = "        "
            lines += [f"{indent}{self._node(n)}" for n in nodes]
            if group:
                lines.append("    end")
        red = []
        for number, link in enumerate(graph.links):
            arrow = "-.->" if link.dashed else "-->"
            label = f'|"{text(link.label)}"|' if link.label else ""
            lines.append(f"    {link.source} {arrow}{label} {link.target}")
            if link.flagged:
                red.append(str(number))
        kinds = sorted({n.kind for n in graph.nodes})
        lines += [f"    classDef {k} {STYLES.get(k, STYLES['module'])}" for k in kinds]
        for kind in kinds:
            lines.append(f"    class {','.join(n.id for n in graph.nodes if n.kind == kind)} {kind}")
        if red:
            lines.append(f"    linkStyle {','.join(red)} stroke:#d62728,stroke-width:2px,color:#d62728")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _node(node: Node) -> str:
        start, end = SHAPES.get(node.kind, ('["', '"]'))
        label = f"<b>{text(node.label)}</b>" if node.kind in ("person", "system", "container", "external") else \
            text(node.label)
        if node.detail:
            label += f"<br/><small>{text(node.detail)}</small>"
        return f"{node.id}{start}{label}{end}"

    def classes(self, figure: ClassFigure) -> str:
        """A ``classDiagram``; every class labelled with its fully qualified name."""
        lines = ["classDiagram", "    direction LR"]
        for box in figure.boxes:
            lines.append(f'    class {node_id(box.name)}["{box.name}"] {{')
            if box.stereotype:
                lines.append(f"        <<{_member(box.stereotype)}>>")
            lines += [f"        +{_member(a)}" for a in box.attributes]
            lines += [f"        +{_member(m)}" for m in box.methods]
            lines.append("    }")
        lines += [f"    {node_id(parent)} <|-- {node_id(child)}" for child, parent in figure.inherits]
        lines += [f"    {node_id(owner)} --> {node_id(target)}" for owner, target in figure.associations]
        return "\n".join(lines) + "\n"

    def er(self, figure: ErFigure) -> str:
        """An ``erDiagram``: columns with types and PK/FK/UK keys, indexes in the comment, foreign keys as relations."""
        lines = ["erDiagram"]
        for table in figure.tables:
            unique = {u[0] for u in table.unique if len(u) == 1}
            indexed = {i.columns[0]: i.name for i in table.indexes if len(i.columns) == 1}
            lines.append(f"    {node_id(table.name)} {{")
            for column in table.columns:
                keys = [k for k, on in (("PK", column.primary_key), ("FK", bool(column.foreign_key)),
                                        ("UK", column.name in unique)) if on]
                notes = [n for n in (indexed.get(column.name, ""), "" if column.nullable else "not null") if n]
                comment = f' "{", ".join(notes)}"' if notes else ""
                kind = re.sub(r"[^A-Za-z0-9_()]", "_", column.type or "unknown")
                lines.append(f"        {kind} {node_id(column.name)} {','.join(keys)}{comment}".rstrip())
            lines.append("    }")
        for ref in figure.references:
            lines.append(f'    {node_id(ref.child)} }}o--{"o|" if ref.optional else "||"} {node_id(ref.parent)} '
                         f': "{ref.column}"')
        return "\n".join(lines) + "\n"


def _member(value: str) -> str:
    """Class member text: Mermaid reads ``~T~`` as a type parameter; brackets and braces would end the block."""
    return re.sub(r"[\[\]]", "~", value).replace("{", "(").replace("}", ")").replace('"', "'")
