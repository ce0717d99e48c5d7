"""Pydantic and FastAPI value constraints read from the AST, as JSON Schema keywords: ``Field``/``Query``/... keyword
arguments, ``constr``/``conint``/``confloat``/``condecimal``/``conbytes``/``conlist``/``conset``,
``Annotated[T, Field(...)]``, ``StringConstraints`` and the ``annotated_types`` markers (``Ge``, ``Le``, ``Gt``,
``Lt``, ``MultipleOf``, ``MinLen``, ``MaxLen``, ``Len``, ``Interval``). Nothing is imported, so a ``--static-only``
spec carries the same ``maxLength``/``minimum``/``pattern`` an imported one would."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from arrakis_docs.extractors.python_modules import call_name, literal

# Calls whose keyword arguments carry constraints (pydantic's Field and FastAPI's parameter markers).
FIELD_CALLS = frozenset({"Field", "Query", "Path", "Header", "Cookie", "Body", "Form", "File"})
# constr(...) and friends: the JSON type they constrain (conlist/conset take the item type as first argument).
CONSTRAINED_TYPES: dict[str, dict[str, Any]] = {
    "constr": {"type": "string"}, "conbytes": {"type": "string", "format": "binary"},
    "conint": {"type": "integer"}, "confloat": {"type": "number"}, "condecimal": {"type": "number"},
    "conlist": {"type": "array"}, "conset": {"type": "array", "uniqueItems": True},
    "confrozenset": {"type": "array", "uniqueItems": True},
}
# Constraint arguments under their pydantic v2 names (v1 spellings mapped onto them).
NAMES = {"ge": "ge", "le": "le", "gt": "gt", "lt": "lt", "multiple_of": "multiple_of", "pattern": "pattern",
         "regex": "pattern", "min_length": "min_length", "max_length": "max_length", "min_items": "min_length",
         "max_items": "max_length"}
NUMERIC = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum",
           "multiple_of": "multipleOf"}
# annotated_types markers with one positional value, and the argument each stands for.
SINGLE_MARKERS = {"Ge": "ge", "Le": "le", "Gt": "gt", "Lt": "lt", "MultipleOf": "multiple_of", "MinLen": "min_length",
                  "MaxLen": "max_length"}
LENGTH_KEYWORDS = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems"),
                   "object": ("minProperties", "maxProperties")}


def annotated(annotation: ast.expr | None) -> tuple[ast.expr | None, list[ast.expr]]:
    """``Annotated[T, m1, m2]`` -> ``(T, [m1, m2])``; anything else -> ``(annotation, [])``."""
    if isinstance(annotation, ast.Subscript) and call_name(annotation.value) == "Annotated":
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        return items[0], list(items[1:])
    return annotation, []


def raw_constraints(node: ast.expr | None) -> dict[str, object]:
    """The literal constraints one call states: a Field-like call, ``StringConstraints``, a constrained type or an
    ``annotated_types`` marker. Non-literal values are left out (they cannot be known without running the code)."""
    if not isinstance(node, ast.Call):
        return {}
    name = call_name(node)
    out: dict[str, object] = {}
    if name in SINGLE_MARKERS and node.args:
        out[SINGLE_MARKERS[name]] = literal(node.args[0])
    elif name == "Len":
        for index, key in enumerate(("min_length", "max_length")):
            given = node.args[index] if len(node.args) > index else None
            out[key] = literal(given if given is not None else _keyword(node, key))
    if name in FIELD_CALLS or name in CONSTRAINED_TYPES or name in ("StringConstraints", "Interval", "Len"):
        for argument in node.keywords:
            if argument.arg in NAMES and name != "Len":
                out[NAMES[argument.arg]] = literal(argument.value)
    return {k: v for k, v in out.items() if v is not None and not isinstance(v, bool)}


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def apply(schema: dict[str, Any], raw: dict[str, object]) -> dict[str, Any]:
    """``schema`` with the constraints of ``raw`` added as JSON Schema keywords; on a union (``T | None``) they go
    on each non-null option, as pydantic puts them."""
    if not raw:
        return schema
    if isinstance(schema.get("anyOf"), list):
        return {**schema, "anyOf": [o if o.get("type") == "null" else apply(o, raw) for o in schema["anyOf"]]}
    out = dict(schema)
    for key, value in raw.items():
        if key in NUMERIC and isinstance(value, int | float):
            out[NUMERIC[key]] = value
        elif key == "pattern" and isinstance(value, str):
            out["pattern"] = value
        elif key in ("min_length", "max_length") and isinstance(value, int):
            lower, upper = LENGTH_KEYWORDS.get(str(out.get("type", "string")), LENGTH_KEYWORDS["string"])
            out[lower if key == "min_length" else upper] = value
    return out


def constrained_schema(annotation: ast.expr | None, value: ast.expr | None,
                       schema_of: Callable[[ast.expr | None], dict[str, Any]]) -> dict[str, Any]:
    """The JSON Schema of a field or parameter with its constraints: ``annotation`` (bare, ``Annotated[...]`` or a
    constrained type), ``value`` its default (a ``Field(...)``/``Query(...)`` call or a plain value);
    ``schema_of`` gives the schema of a bare type."""
    inner, metadata = annotated(annotation)
    raw: dict[str, object] = {}
    if isinstance(inner, ast.Call) and call_name(inner) in CONSTRAINED_TYPES:
        schema = dict(CONSTRAINED_TYPES[call_name(inner)])
        item = inner.args[0] if inner.args else _keyword(inner, "item_type")
        if schema["type"] == "array" and item is not None:
            schema["items"] = schema_of(item)
        raw.update(raw_constraints(inner))
    else:
        schema = schema_of(inner)
    for marker in metadata:
        raw.update(raw_constraints(marker))
    raw.update(raw_constraints(value))
    return apply(schema, raw)
