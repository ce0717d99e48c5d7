"""Prometheus metric families a service's code defines, read from ``prometheus_client`` constructor calls.

``Histogram("http_request_duration_seconds", "...", ["method", "route"], buckets=(...))`` becomes a
:class:`MetricDefinition` with its labels and bucket bounds (the client's defaults when none are given), so a latency
objective can be snapped to a boundary the histogram really has. Names, labels and buckets may be literals or
module-level constants; anything else is reported at its line and the metric is still listed with what is known.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from arrakis_docs.extractors.source_tree import SourceFile
from arrakis_docs.model.monitoring import MetricDefinition
from arrakis_docs.model.refs import Diagnostic, Severity, SourceRef

CLIENT = "prometheus_client"
KINDS = {"Counter": "counter", "Gauge": "gauge", "Histogram": "histogram", "Summary": "summary", "Info": "info"}
# prometheus_client.Histogram.DEFAULT_BUCKETS without +Inf: what a histogram has when its code names no buckets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def service_metrics(service: str, files: list[SourceFile], diagnostics: list[Diagnostic]) -> list[MetricDefinition]:
    """Every metric family constructed in ``files`` (the service's own and its libraries', tests left out)."""
    found: list[MetricDefinition] = []
    for source in files:
        name = PurePosixPath(source.path).name
        if "/tests/" in source.path or name.startswith("test_") or name in ("testing.py", "conftest.py"):
            continue
        if CLIENT not in source.text:  # cheap filter: a file that never names the client defines no metric
            continue
        tree = source.tree
        if tree is not None:
            found.extend(_module_metrics(service, source.path, tree, diagnostics))
    return sorted(set(found))


def _module_metrics(service: str, path: str, tree: ast.Module, diagnostics: list[Diagnostic]) -> list[MetricDefinition]:
    names, modules = _client_imports(tree)
    constants = _constants(tree)
    metrics = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        kind = _kind(node.func, names, modules)
        if kind is None:
            continue
        where = SourceRef(path, node.lineno)
        name_node = node.args[0] if node.args else _keyword(node, "name")
        name = _text(name_node, constants)
        if not name:
            diagnostics.append(Diagnostic(path, node.lineno, f"{kind} metric whose name is only known at run time: "
                                          "not monitored; pass a string literal or a module constant",
                                          Severity.INFO))
            continue
        prefix = "_".join(p for p in (_text(_keyword(node, "namespace"), constants),
                                      _text(_keyword(node, "subsystem"), constants)) if p)
        name = f"{prefix}_{name}" if prefix else name
        if kind == "counter" and not name.endswith("_total"):
            name += "_total"  # the client exposes a counter's samples as <name>_total
        labels_node = node.args[2] if len(node.args) > 2 else _keyword(node, "labelnames")
        labels = _strings(labels_node, constants)
        if labels is None:
            diagnostics.append(Diagnostic(path, node.lineno, f"metric {name}: label names are not literals; "
                                          "its labels are unknown, so rules cannot check them", Severity.INFO))
            labels = ()
        buckets: tuple[float, ...] = ()
        if kind == "histogram":
            bucket_node = _keyword(node, "buckets")
            read = _numbers(bucket_node, constants) if bucket_node is not None else DEFAULT_BUCKETS
            if read is None:
                diagnostics.append(Diagnostic(path, node.lineno, f"histogram {name}: buckets are not literal "
                                              "numbers; latency objectives on it cannot be snapped to a bucket",
                                              Severity.WARNING))
                read = ()
            buckets = tuple(sorted(b for b in read if b != float("inf")))
        help_text = _text(node.args[1] if len(node.args) > 1 else _keyword(node, "documentation"), constants)
        metrics.append(MetricDefinition(service=service, name=name, kind=kind, location=where,
                                        labels=tuple(labels), buckets=buckets, help=help_text))
    return metrics


def _client_imports(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local names bound to the client's metric classes, and local names of the client module itself."""
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == CLIENT:
            for alias in node.names:
                if alias.name in KINDS:
                    names[alias.asname or alias.name] = KINDS[alias.name]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == CLIENT:
                    modules.add(alias.asname or alias.name)
    return names, modules


def _kind(func: ast.expr, names: dict[str, str], modules: set[str]) -> str | None:
    if isinstance(func, ast.Name):
        return names.get(func.id)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
        return KINDS.get(func.attr)
    return None


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = <expr>`` assignments (plain or annotated)."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found[node.target.id] = node.value
    return found


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _resolve(node: ast.expr | None, constants: dict[str, ast.expr]) -> ast.expr | None:
    seen = 0
    while isinstance(node, ast.Name) and node.id in constants and seen < 5:  # bounded: a = b; b = a never loops
        node, seen = constants[node.id], seen + 1
    return node


def _text(node: ast.expr | None, constants: dict[str, ast.expr]) -> str:
    node = _resolve(node, constants)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _strings(node: ast.expr | None, constants: dict[str, ast.expr]) -> tuple[str, ...] | None:
    node = _resolve(node, constants)
    if node is None:
        return ()
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_text(item, constants) for item in node.elts]
        return tuple(items) if all(items) else None
    return None


def _numbers(node: ast.expr | None, constants: dict[str, ast.expr]) -> tuple[float, ...] | None:
    node = _resolve(node, constants)
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    values = []
    for item in node.elts:
        item = _resolve(item, constants)
        if isinstance(item, ast.Constant) and isinstance(item.value, (int, float)) and not isinstance(item.value, bool):
            values.append(float(item.value))
        elif isinstance(item, ast.Name) and item.id == "INF" or (
                isinstance(item, ast.Call) and isinstance(item.func, ast.Name) and item.func.id == "float"):
            values.append(float("inf"))
        else:
            return None
    return tuple(values)
