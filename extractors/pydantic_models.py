"""JSON Schemas of pydantic models read from the AST across modules, laid out as FastAPI lays them out: each model
(and each ``Enum``) once under ``components/schemas``, referenced by ``$ref``, its fields carrying the constraints
:mod:`~arrakis_docs.extractors.pydantic_constraints` reads. This is what lets a ``--static-only`` spec describe
request and response bodies field by field, so that a tightened body field is a finding of a static diff.

    models = ModelSchemas(resolver, scalars)
    schema = models.schema(file, annotation)     # {"$ref": "#/components/schemas/Order"}, {"type": "array", ...}
    models.components                            # {"Order": {...}, "Line": {...}}
"""

from __future__ import annotations

import ast
from functools import partial
from typing import Any

from arrakis_docs.extractors.pydantic_constraints import CONSTRAINED_TYPES, constrained_schema
from arrakis_docs.extractors.python_modules import call_name, literal
from arrakis_docs.extractors.source_tree import SourceFile
from arrakis_docs.extractors.symbols import SymbolResolver

REF_PREFIX = "#/components/schemas/"
# Base classes (from libraries the scan does not read) that make a class a pydantic model or an enum.
MODEL_BASES = frozenset({"BaseModel", "SQLModel", "GenericModel"})
ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum"})
_ARRAYS = frozenset({"list", "List", "Sequence", "tuple", "Tuple", "set", "Set", "frozenset", "FrozenSet"})
_MAPPINGS = frozenset({"dict", "Dict", "Mapping"})
MAX_DEPTH = 12
# pydantic's own types, as pydantic v2 writes their schemas (the caller's scalars come first).
PYDANTIC_TYPES: dict[str, dict[str, Any]] = {
    "StrictStr": {"type": "string"}, "StrictInt": {"type": "integer"}, "StrictFloat": {"type": "number"},
    "StrictBool": {"type": "boolean"}, "StrictBytes": {"type": "string", "format": "binary"},
    "bytes": {"type": "string", "format": "binary"}, "time": {"type": "string", "format": "time"},
    "timedelta": {"type": "string", "format": "duration"},
    "PositiveInt": {"type": "integer", "exclusiveMinimum": 0}, "NonNegativeInt": {"type": "integer", "minimum": 0},
    "NegativeInt": {"type": "integer", "exclusiveMaximum": 0}, "NonPositiveInt": {"type": "integer", "maximum": 0},
    "PositiveFloat": {"type": "number", "exclusiveMinimum": 0}, "NonNegativeFloat": {"type": "number", "minimum": 0},
    "AnyUrl": {"type": "string", "format": "uri", "minLength": 1},
    "AnyHttpUrl": {"type": "string", "format": "uri", "minLength": 1},
    "HttpUrl": {"type": "string", "format": "uri", "minLength": 1, "maxLength": 2083},
    "SecretStr": {"type": "string", "format": "password", "writeOnly": True},
    "IPvAnyAddress": {"type": "string", "format": "ipvanyaddress"}, "Json": {},
}


class ModelSchemas:
    """Schemas of annotations as pydantic v2 writes them (nullable unions kept), models collected as components."""

    def __init__(self, resolver: SymbolResolver, scalars: dict[str, dict[str, str]]) -> None:
        self.resolver = resolver
        self.scalars = {**PYDANTIC_TYPES, **scalars}
        self.components: dict[str, dict[str, Any]] = {}
        self._names: dict[int, str] = {}  # id(class node) -> its component name

    def schema(self, f: SourceFile | None, annotation: ast.expr | None, depth: int = 0) -> dict[str, Any]:
        """The schema of a type annotation written in ``f``; a model becomes a ``$ref`` to its component."""
        if annotation is None or depth > MAX_DEPTH:
            return {}
        again = partial(self._again, f, depth + 1)
        if isinstance(annotation, ast.Constant):
            if annotation.value is None:
                return {"type": "null"}
            if isinstance(annotation.value, str):  # a forward reference: "Order"
                try:
                    return self.schema(f, ast.parse(annotation.value, mode="eval").body, depth + 1)
                except SyntaxError:
                    return {}
            return {}
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return _union([again(annotation.left), again(annotation.right)])
        if isinstance(annotation, ast.Call):
            return constrained_schema(annotation, None, again) if call_name(annotation) in CONSTRAINED_TYPES else {}
        if isinstance(annotation, ast.Subscript):
            return self._subscript(f, annotation, depth)
        if isinstance(annotation, ast.Name | ast.Attribute):
            name = call_name(annotation)
            if name in self.scalars:
                return dict(self.scalars[name])
            if name in ("Any", "object"):
                return {}
            if name in _MAPPINGS:
                return {"type": "object"}
            if name in _ARRAYS:
                return {"type": "array", "items": {}}
            symbol = self.resolver.resolve(f, annotation) if f is not None else None
            if symbol is not None and symbol.kind == "value" and symbol.file is not None:
                return self._alias(symbol.file, symbol.node, depth)
            found = self._class(f, annotation)
            if found is not None:
                ref = self._component(*found, depth=depth)
                if ref is not None:
                    return {"$ref": REF_PREFIX + ref}
            return {"title": name, "type": "object"} if name else {}
        return {}

    def _alias(self, f: SourceFile, node: ast.AST | None, depth: int) -> dict[str, Any]:
        """A module-level name bound to a type: an alias (``Email = Annotated[str, ...]``), ``NewType("X", str)``,
        or a ``TypeVar`` (any value, as an unbound generic parameter is)."""
        if isinstance(node, ast.Call):
            name = call_name(node)
            if name == "NewType" and len(node.args) > 1:
                return self.schema(f, node.args[1], depth + 1)
            if name == "TypeVar":
                bound = _keyword(node, "bound")
                return self.schema(f, bound, depth + 1) if bound is not None else {}
            return {}
        if isinstance(node, ast.Subscript | ast.Name | ast.Attribute | ast.BinOp | ast.Constant):
            return self.schema(f, node, depth + 1)
        return {}

    def _again(self, f: SourceFile | None, depth: int, annotation: ast.expr | None) -> dict[str, Any]:
        return self.schema(f, annotation, depth)

    def _subscript(self, f: SourceFile | None, node: ast.Subscript, depth: int) -> dict[str, Any]:
        outer = call_name(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        again = partial(self._again, f, depth + 1)
        if outer == "Annotated":
            return constrained_schema(node, None, again)
        if outer in _ARRAYS:
            schema: dict[str, Any] = {"type": "array", "items": again(items[0])}
            if outer in ("set", "Set", "frozenset", "FrozenSet"):
                schema["uniqueItems"] = True
            return schema
        if outer in _MAPPINGS:
            value = again(items[-1]) if len(items) > 1 else {}
            return {"type": "object", "additionalProperties": value} if value else {"type": "object"}
        if outer == "Optional":
            return _union([again(items[0]), {"type": "null"}])
        if outer == "Union":
            return _union([again(i) for i in items])
        if outer == "Literal":
            values = [literal(i) for i in items]
            schema = {"enum": values}
            kinds = {type(v) for v in values}
            if kinds == {str}:
                schema["type"] = "string"
            elif kinds == {int}:
                schema["type"] = "integer"
            return schema
        return again(node.value)

    # ------------------------------------------------------------ classes

    def _class(self, f: SourceFile | None, expr: ast.expr) -> tuple[SourceFile, ast.ClassDef] | None:
        if f is None:
            return None
        symbol = self.resolver.deref(self.resolver.resolve(f, expr))
        if symbol is None or symbol.kind != "class" or symbol.file is None or not isinstance(symbol.node,
                                                                                            ast.ClassDef):
            return None
        return symbol.file, symbol.node

    def _lineage(self, f: SourceFile, cls: ast.ClassDef, depth: int = 0) -> tuple[list[tuple[SourceFile,
                                                                                            ast.ClassDef]], set[str]]:
        """The class and the classes it derives from in the repository (most derived first), and the names of the
        outside bases it reaches (``BaseModel``, ``Enum``...)."""
        chain, outside = [(f, cls)], set()
        for base in cls.bases:
            found = self._class(f, base) if depth < MAX_DEPTH else None
            if found is None:
                outside.add(call_name(base.value if isinstance(base, ast.Subscript) else base))
                continue
            more, names = self._lineage(*found, depth=depth + 1)
            chain += [c for c in more if c not in chain]
            outside |= names
        return chain, outside

    def _component(self, f: SourceFile, cls: ast.ClassDef, depth: int) -> str | None:
        """The component name of a model or enum class (built on first sight), or None for any other class."""
        key = id(cls)
        if key in self._names:
            return self._names[key]
        chain, outside = self._lineage(f, cls)
        if outside & ENUM_BASES:
            build = self._enum
        elif outside & MODEL_BASES:
            build = self._model
        else:
            return None
        name = cls.name
        if name in self.components:  # another class of that name: FastAPI qualifies it by module
            name = f"{f.path.removesuffix('.py').replace('/', '.')}__{cls.name}"
        self._names[key] = name
        self.components[name] = {}  # reserved first: a model that refers to itself terminates
        self.components[name] = build(chain, depth)
        return name

    def _enum(self, chain: list[tuple[SourceFile, ast.ClassDef]], _depth: int) -> dict[str, Any]:
        _f, cls = chain[0]
        values = [literal(s.value) for s in cls.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                  and isinstance(s.targets[0], ast.Name) and not s.targets[0].id.startswith("_")]
        schema: dict[str, Any] = {"enum": values, "title": cls.name}
        kinds = {type(v) for v in values}
        if kinds == {str}:
            schema["type"] = "string"
        elif kinds == {int}:
            schema["type"] = "integer"
        if (doc := ast.get_docstring(cls)) is not None:
            schema["description"] = doc
        return schema

    def _model(self, chain: list[tuple[SourceFile, ast.ClassDef]], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        closed = False
        for f, node in reversed(chain):  # base classes first: a subclass overrides their fields
            for stmt in node.body:
                closed = _forbids_extra(stmt, closed)
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    continue
                name, value = stmt.target.id, stmt.value
                if name.startswith("_") or name == "model_config" or "ClassVar" in ast.unparse(stmt.annotation):
                    continue
                has_default, default = _default(value)
                if isinstance(value, ast.Call) and call_name(value) == "Field":
                    alias = literal(_keyword(value, "validation_alias")) or literal(_keyword(value, "alias"))
                    name = alias if isinstance(alias, str) else name
                schema = constrained_schema(stmt.annotation, value, partial(self._again, f, depth + 1))
                if "$ref" not in schema:
                    schema["title"] = name.replace("_", " ").title()
                if has_default and default is not None:
                    schema["default"] = default
                properties[name] = schema
                required = [r for r in required if r != name]
                if not has_default:
                    required.append(name)
        _f, cls = chain[0]
        schema: dict[str, Any] = {"properties": properties, "type": "object", "title": cls.name}
        if required:
            schema["required"] = required
        if closed:
            schema["additionalProperties"] = False
        if (doc := ast.get_docstring(cls)) is not None:
            schema["description"] = doc
        return schema


def _union(options: list[dict[str, Any]]) -> dict[str, Any]:
    """``A | B | None`` as pydantic writes it: one ``anyOf`` (nested unions flattened), null last."""
    flat: list[dict[str, Any]] = []
    for option in options:
        for one in option["anyOf"] if list(option) == ["anyOf"] else [option]:
            if one not in flat:
                flat.append(one)
    flat.sort(key=lambda o: o == {"type": "null"})
    return flat[0] if len(flat) == 1 else {"anyOf": flat}


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _default(value: ast.expr | None) -> tuple[bool, object]:
    """Whether a field has a default (``= x``, ``Field(x)``, ``Field(default=...)``/``default_factory``), and its
    literal value when it has one (None when it is not a literal)."""
    if value is None:
        return False, None
    if isinstance(value, ast.Call) and call_name(value) == "Field":
        given = value.args[0] if value.args else _keyword(value, "default")
        if given is None:
            return _keyword(value, "default_factory") is not None, None
        if isinstance(given, ast.Constant) and given.value is Ellipsis:
            return False, None
        return True, literal(given)
    return True, literal(value)


def _forbids_extra(stmt: ast.stmt, closed: bool) -> bool:
    """``model_config = ConfigDict(extra="forbid")`` or ``class Config: extra = "forbid"`` closes the model."""
    if isinstance(stmt, ast.Assign | ast.AnnAssign) and isinstance(stmt.value, ast.Call):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets):
            extra = literal(_keyword(stmt.value, "extra"))
            return extra == "forbid" if isinstance(extra, str) else closed
    if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
        for inner in stmt.body:
            if isinstance(inner, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "extra" for t in
                                                     inner.targets):
                extra = literal(inner.value)
                return extra == "forbid" if isinstance(extra, str) else closed
    return closed
