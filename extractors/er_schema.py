"""Tables of a service's database: from SQLAlchemy's metadata (import in a sandboxed subprocess) or, when code must
not run (``--static-only``) or the import fails, from the mapped classes' AST.

Both paths give the same shape: column types are SQLAlchemy type class names with their length (``String(36)``),
foreign keys ``table.column``, indexes as SQLAlchemy names them by default (``ix_<table>_<column>``).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from arrakis_docs.extractors.class_graph import ClassDef, ClassResolver
from arrakis_docs.extractors.python_modules import call_name, keyword, literal
from arrakis_docs.model.code import Column, Index, Table
from arrakis_docs.model.refs import Diagnostic, Severity, SourceRef

if TYPE_CHECKING:
    from arrakis_docs.extractors.import_session import ImportSession

# SQLAlchemy's default type for a ``Mapped[...]`` annotation without an explicit column type.
_ANNOTATION_TYPES = {"int": "Integer", "str": "String", "bool": "Boolean", "float": "Float", "datetime": "DateTime",
                     "date": "Date", "time": "Time", "Decimal": "Numeric", "UUID": "Uuid", "bytes": "LargeBinary",
                     "timedelta": "Interval"}
_COLUMN_CALLS = {"mapped_column", "Column"}


def mapped_classes(resolver: ClassResolver, own: set[str]) -> list[ClassDef]:
    """Classes of the service that SQLAlchemy maps to a table: a ``__tablename__`` and a declarative base."""
    found = []
    for name, cls in sorted(resolver.classes.items()):
        if name.split(".")[0] not in own or _tablename(resolver, name) is None:
            continue
        if any(b.split(".")[-1] in ("DeclarativeBase", "DeclarativeBaseNoMeta") for b in
               resolver.framework_ancestors(name)) and not _declares_base(cls):
            found.append(cls)
    return found


def _declares_base(cls: ClassDef) -> bool:
    return any(ast.unparse(b).split(".")[-1].startswith("DeclarativeBase") for b in cls.node.bases)


def _tablename(resolver: ClassResolver, name: str) -> str | None:
    for cls in resolver.mro(name):
        for stmt in cls.node.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__tablename__"
                                                    for t in stmt.targets):
                value = literal(stmt.value)
                return value if isinstance(value, str) else None
    return None


def static_tables(resolver: ClassResolver, own: set[str]) -> list[Table]:
    """Tables rebuilt from the mapped classes' AST, mixin columns included."""
    tables = []
    for cls in mapped_classes(resolver, own):
        table_name = _tablename(resolver, cls.name) or ""
        table = Table(name=table_name, mapped_by=cls.name, location=SourceRef(cls.path, cls.node.lineno))
        seen: set[str] = set()
        for owner in resolver.mro(cls.name):
            for stmt in owner.node.body:
                column = _column(stmt)
                if column is None or column[0].name in seen:
                    continue
                seen.add(column[0].name)
                table.columns.append(column[0])
                if column[1]:
                    table.indexes.append(Index(f"ix_{table_name}_{column[0].name}", (column[0].name,), column[2]))
                elif column[2]:
                    table.unique.append((column[0].name,))
            _table_args(owner.node, table)
        tables.append(table)
    types = {f"{t.name}.{c.name}": c.type for t in tables for c in t.columns}
    for table in tables:  # a ForeignKey column without a type takes the referenced column's type
        table.columns = [Column(c.name, c.type or types.get(c.foreign_key, ""), c.primary_key, c.nullable,
                                c.foreign_key) for c in table.columns]
    return tables


def _column(stmt: ast.stmt) -> tuple[Column, bool, bool] | None:
    """``(column, indexed, unique)`` for ``name: Mapped[T] = mapped_column(...)`` and ``name = Column(...)``."""
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        target, annotation, value = stmt.target.id, stmt.annotation, stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        target, annotation, value = stmt.targets[0].id, None, stmt.value
    else:
        return None
    if target.startswith("__"):
        return None
    call = value if isinstance(value, ast.Call) and call_name(value) in _COLUMN_CALLS else None
    inner = _mapped_inner(annotation)
    if call is None and (value is not None or inner is None):
        return None
    name, kind, foreign_key = target, "", ""
    for arg in call.args if call else []:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            name = arg.value
        elif isinstance(arg, ast.Call) and call_name(arg) == "ForeignKey":
            foreign_key = str(literal(arg.args[0], "")) if arg.args else ""
        elif isinstance(arg, ast.Call | ast.Name | ast.Attribute):
            kind = _type_text(arg)
    optional = inner is not None and _is_optional(inner)
    if not kind and inner is not None and not foreign_key:
        kind = _ANNOTATION_TYPES.get(_bare(inner), "")
    primary = literal(keyword(call, "primary_key"), False) is True if call else False
    default_nullable = optional if call is None or call_name(call) == "mapped_column" else True
    nullable = bool(literal(keyword(call, "nullable"), default_nullable)) if call else default_nullable
    if primary:
        nullable = False
    indexed = bool(literal(keyword(call, "index"), False)) if call else False
    unique = bool(literal(keyword(call, "unique"), False)) if call else False
    return Column(name, kind, primary, nullable, foreign_key), indexed, unique


def _mapped_inner(annotation: ast.expr | None) -> ast.expr | None:
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).split(".")[-1] == "Mapped":
        return annotation.slice
    return None


def _is_optional(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return "None" in text.replace(" ", "").split("|") or text.startswith("Optional[")


def _bare(node: ast.expr) -> str:
    """``datetime`` for ``datetime | None``; ``UUID`` for ``uuid.UUID``."""
    if isinstance(node, ast.BinOp):
        left, right = _bare(node.left), _bare(node.right)
        return left if left != "None" else right
    if isinstance(node, ast.Subscript):
        return _bare(node.slice) if ast.unparse(node.value) == "Optional" else ast.unparse(node.value)
    return ast.unparse(node).split(".")[-1]


def _type_text(node: ast.expr) -> str:
    """``String(36)`` for ``String(36)``, ``DateTime`` for ``DateTime(timezone=True)``."""
    if isinstance(node, ast.Call):
        name = call_name(node)
        length = literal(node.args[0]) if node.args else literal(keyword(node, "length"))
        return f"{name}({length})" if isinstance(length, int) and not isinstance(length, bool) else name
    return ast.unparse(node).split(".")[-1]


def _table_args(node: ast.ClassDef, table: Table) -> None:
    """``Index(...)`` and ``UniqueConstraint(...)`` entries of ``__table_args__``."""
    for stmt in node.body:
        if not (isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__table_args__"
                                                     for t in stmt.targets)):
            continue
        items = stmt.value.elts if isinstance(stmt.value, ast.Tuple | ast.List) else [stmt.value]
        for item in items:
            if not isinstance(item, ast.Call):
                continue
            names = [literal(a) for a in item.args]
            if call_name(item) == "Index" and names and all(isinstance(n, str) for n in names):
                unique = literal(keyword(item, "unique"), False) is True
                table.indexes.append(Index(str(names[0]), tuple(str(n) for n in names[1:]), unique))
            elif call_name(item) == "UniqueConstraint" and all(isinstance(n, str) for n in names):
                table.unique.append(tuple(str(n) for n in names))


def import_tables(modules: list[str], roots: list[str], imports: ImportSession,
                  where: SourceRef) -> tuple[list[Table] | None, Diagnostic | None]:
    """Tables from SQLAlchemy's own metadata, by importing ``modules`` in the service's sandboxed interpreter."""
    done = imports.run("tables", roots, modules=modules)
    if not done.ok:
        return None, Diagnostic(where.path, where.line, f"importing the models failed, tables read from the AST: "
                                f"{done.error}", Severity.WARNING)
    data = done.result
    tables = []
    for item in data:
        tables.append(Table(
            name=item["name"], mapped_by=item.get("mapped_by", ""),
            columns=[Column(c["name"], c["type"], c["primary_key"], c["nullable"], c["foreign_key"])
                     for c in item["columns"]],
            indexes=[Index(i["name"], tuple(i["columns"]), i["unique"]) for i in item["indexes"]],
            unique=[tuple(u) for u in item["unique"]],
        ))
    return tables, None
