"""Figures as Graphviz DOT, for SVG renders through ``dot``. No URLs or image paths: the SVG stays self-contained."""

from __future__ import annotations

from html import escape

from arrakis_docs.diagrams.figures import ClassFigure, ErFigure, Graph, Node, node_id

COLOURS = {"person": "#08427b", "system": "#1168bd", "container": "#438dd5", "database": "#438dd5",
           "queue": "#438dd5", "cache": "#438dd5", "external": "#999999", "module": "#f4f4f4", "package": "#dde8f5"}
SHAPES = {"person": "ellipse", "database": "cylinder", "cache": "cylinder", "queue": "cds", "external": "hexagon"}


def quoted(value: str) -> str:
    """A DOT string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DotPrinter:
    """One printer per format: this one writes Graphviz DOT."""

    name = "dot"

    def graph(self, graph: Graph) -> str:
        """A ``digraph`` with one cluster per group."""
        lines = [f"digraph {quoted(graph.title)} {{", f"  rankdir={graph.direction};",
                 '  node [fontname="Helvetica", fontsize=10, style="filled,rounded", shape=box];',
                 '  edge [fontname="Helvetica", fontsize=9];']
        grouped: dict[str, list[Node]] = {}
        for node in graph.nodes:
            grouped.setdefault(node.group, []).append(node)
        for group, nodes in sorted(grouped.items()):
            if group:
                lines += [f"  subgraph {quoted('cluster_' + node_id(group))} {{",
                          f"    label={quoted(graph.groups.get(group, group))}; style=dashed;"]
            lines += [f"  {self._node(n)}" for n in nodes]
            if group:
                lines.append("  }")
        for link in graph.links:
            attributes = [f"label={quoted(link.label.replace('<br/>', chr(10)))}"] if link.label else []
            attributes += ["style=dashed"] if link.dashed else []
            attributes += ['color="#d62728"', "penwidth=2"] if link.flagged else []
            lines.append(f"  {link.source} -> {link.target} [{', '.join(attributes)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _node(node: Node) -> str:
        colour = COLOURS.get(node.kind, COLOURS["module"])
        font = "#000000" if node.kind in ("module", "package") else "#ffffff"
        label = node.label + (f"\n{node.detail}" if node.detail else "")
        return (f"{node.id} [label={quoted(label)}, shape={SHAPES.get(node.kind, 'box')}, fillcolor={quoted(colour)}, "
                f"fontcolor={quoted(font)}];")

    def classes(self, figure: ClassFigure) -> str:
        """UML-style boxes as HTML-like labels: name, attributes, methods."""
        lines = [f"digraph {quoted(figure.title)} {{", "  rankdir=BT;",
                 '  node [shape=plain, fontname="Helvetica", fontsize=10];']
        for box in figure.boxes:
            head = (f"&laquo;{escape(box.stereotype)}&raquo;<br/>" if box.stereotype else "") + \
                f"<b>{escape(box.name)}</b>"
            rows = [f'<tr><td bgcolor="#dde8f5">{head}</td></tr>',
                    f'<tr><td align="left" balign="left">{"<br/>".join(escape(a) for a in box.attributes)}</td></tr>',
                    f'<tr><td align="left" balign="left">{"<br/>".join(escape(m) for m in box.methods)}</td></tr>']
            lines.append(f'  {node_id(box.name)} [label=<<table border="0" cellborder="1" cellspacing="0">'
                         f'{"".join(rows)}</table>>];')
        lines += [f"  {node_id(c)} -> {node_id(p)} [arrowhead=empty];" for c, p in figure.inherits]
        lines += [f"  {node_id(o)} -> {node_id(t)} [arrowhead=vee, style=dashed];" for o, t in figure.associations]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def er(self, figure: ErFigure) -> str:
        """Tables as HTML-like labels with one row per column; foreign keys as arrows to the referenced table."""
        lines = [f"digraph {quoted(figure.title)} {{", "  rankdir=LR;",
                 '  node [shape=plain, fontname="Helvetica", fontsize=10];']
        for table in figure.tables:
            rows = [f'<tr><td colspan="3" bgcolor="#dde8f5"><b>{escape(table.name)}</b></td></tr>']
            for column in table.columns:
                keys = " ".join(k for k, on in (("PK", column.primary_key), ("FK", bool(column.foreign_key))) if on)
                rows.append(f'<tr><td align="left">{escape(column.name)}</td><td align="left">{escape(column.type)}'
                            f"</td><td>{keys}</td></tr>")
            for index in table.indexes:
                rows.append(f'<tr><td colspan="3" align="left"><i>{"unique " if index.unique else ""}index '
                            f'{escape(index.name)} ({escape(", ".join(index.columns))})</i></td></tr>')
            lines.append(f'  {node_id(table.name)} [label=<<table border="0" cellborder="1" cellspacing="0">'
                         f'{"".join(rows)}</table>>];')
        for ref in figure.references:
            style = ", style=dashed" if ref.optional else ""
            lines.append(f"  {node_id(ref.child)} -> {node_id(ref.parent)} [label={quoted(ref.column)}{style}];")
        lines.append("}")
        return "\n".join(lines) + "\n"
