"""Where a broker call sits: the parsed module and the call site, shared by every broker's reader (NATS, Kafka).

A leaf of the event readers: ``nats_usage`` builds these, ``kafka_usage`` reads them through ``SiteReader``, and
neither imports the other's module for it (no import circle).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Protocol

from arrakis_docs.model.refs import SourceRef


@dataclass
class Module:
    """One parsed module of the service and the names it defines or imports."""

    name: str
    path: str
    tree: ast.Module
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, name)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)


@dataclass
class Site:
    """Where a call is: module, enclosing class and function."""

    module: Module
    cls: ast.ClassDef | None
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    node: ast.Call

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.module.path, self.node.lineno)


class SiteReader(Protocol):
    """What another broker's reader asks of the service's event reader (``nats_usage.EventReader``)."""

    modules: dict[str, Module]

    def lookup(self, module: Module, name: str, depth: int = 0) -> tuple[Module, Any] | None:
        """What ``name`` in ``module`` is bound to, following imports."""

    def assigned(self, site: Site, name: str) -> ast.expr | None:
        """The value ``name`` was last assigned before the call, in its function."""

    def params(self, site: Site) -> list[str]:
        """The enclosing function's parameter names."""

    def _with_bound(self, site: Site, name: str) -> ast.expr | None:
        """The expression a ``with ... as name`` bound."""

    def subject(self, node: ast.expr | None, site: Site, module: Module | None = None, depth: int = 0) -> Any:
        """The statically evaluated subject (topic) expression: ``nats_usage.Subject``."""

    def _arg(self, site: Site, index: int, name: str) -> ast.expr | None:
        """The call's argument at ``index`` or by keyword ``name``."""

    def _text(self, node: ast.expr | None, site: Site) -> str:
        """A short source text of ``node``."""

    def _add(self, site: Site, action: str, subject: Any, api: str, call: str, **extra: str) -> None:
        """Record one usage at the site."""
