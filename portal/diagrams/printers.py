"""The printer factory: one printer per output format behind one name."""

from __future__ import annotations

from typing import Protocol

from arrakis_docs.diagrams.dot_printer import DotPrinter
from arrakis_docs.diagrams.figures import ClassFigure, ErFigure, Graph
from arrakis_docs.diagrams.mermaid_printer import MermaidPrinter


class Printer(Protocol):
    """What every printer can print."""

    name: str

    def graph(self, graph: Graph) -> str: ...

    def classes(self, figure: ClassFigure) -> str: ...

    def er(self, figure: ErFigure) -> str: ...


PRINTERS: dict[str, type[Printer]] = {"mermaid": MermaidPrinter, "dot": DotPrinter}


def printer_for(fmt: str) -> Printer:
    """The printer of ``fmt`` (``mermaid`` or ``dot``)."""
    try:
        return PRINTERS[fmt]()
    except KeyError:
        raise ValueError(f"no printer for {fmt!r}; known: {', '.join(sorted(PRINTERS))}") from None


def print_figure(printer: Printer, figure: Graph | ClassFigure | ErFigure) -> str:
    """Dispatch on the figure's type."""
    if isinstance(figure, ClassFigure):
        return printer.classes(figure)
    if isinstance(figure, ErFigure):
        return printer.er(figure)
    return printer.graph(figure)
