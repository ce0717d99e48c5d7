"""JSON Schema normalisation shared by the HTTP and event rules: ``$ref`` resolved, ``allOf`` merged, ``anyOf``/
``oneOf`` kept as variants, nullability and types read the same way whatever spelling the document uses."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

# Past this depth a schema is treated as opaque: recursive or absurdly nested documents stay bounded.
MAX_DEPTH = 24
NUMERIC_LIMITS = ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum")
KEYWORDS_TO_MERGE_TIGHTEST_MAX = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
KEYWORDS_TO_MERGE_TIGHTEST_MIN = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


def pointer(document: dict[str, Any], ref: str) -> Any:
    """The value a local JSON pointer (``#/components/schemas/Item``, ``#/$defs/Line``) names, or None."""
    if not ref.startswith("#"):
        return None
    node: Any = document
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def ref_name(ref: str) -> str:
    """The last segment of a ``$ref``: the schema's name."""
    return ref.rstrip("/").rsplit("/", 1)[-1]


class Normaliser:
    """Resolves and flattens the schemas of one document (an OpenAPI file or one event payload schema)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def schema(self, schema: Any, stack: tuple[str, ...] = (), depth: int = 0) -> dict[str, Any]:
        """A self-contained schema: references inlined (a cycle becomes ``{"x-recursive": name}``), ``allOf``
        merged into one object, ``anyOf``/``oneOf`` variants normalised, ``[X, null]`` unions read as nullable X."""
        if not isinstance(schema, dict):
            return {} if schema in (True, None) else {"not": {}}
        if depth > MAX_DEPTH:
            return {"x-opaque": True}
        if isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in stack:
                return {"x-recursive": ref_name(ref)}
            target = pointer(self.document, ref)
            if target is None:
                return {"x-unresolved": ref}
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            resolved = self.schema(target, (*stack, ref), depth + 1)
            resolved = {"x-ref": ref_name(ref), **resolved}
            return merge_all([resolved, self.schema(siblings, stack, depth + 1)]) if siblings else resolved
        out = {k: v for k, v in schema.items() if k not in ("allOf", "anyOf", "oneOf", "properties", "items",
                                                             "additionalProperties", "$defs", "definitions")}
        if isinstance(schema.get("properties"), dict):
            out["properties"] = {name: self.schema(sub, stack, depth + 1) for name, sub in schema["properties"].items()}
        if "items" in schema:
            out["items"] = self.schema(schema["items"], stack, depth + 1)
        if isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = self.schema(schema["additionalProperties"], stack, depth + 1)
        elif isinstance(schema.get("additionalProperties"), bool):
            out["additionalProperties"] = schema["additionalProperties"]
        if isinstance(schema.get("type"), list) or schema.get("nullable") is True:
            out.pop("nullable", None)
            types = types_of(schema)
            if types is not None:
                out["type"] = sorted(types)
        for keyword in ("anyOf", "oneOf"):
            variants = [self.schema(v, stack, depth + 1) for v in schema.get(keyword) or [] if v is not None]
            if not variants:
                continue
            nulls = [v for v in variants if v.get("type") == ["null"] or v.get("type") == "null"]
            rest = [v for v in variants if v not in nulls]
            if nulls and len(rest) == 1:
                # Optional[X] as pydantic writes it: X that may be null, not a union to match variant by variant.
                single = dict(rest[0])
                base = types_of(single)
                single["type"] = sorted((base or {"object", "array", "string", "number", "integer", "boolean"}) |
                                        {"null"})
                out = merge_all([out, single])
            else:
                out[keyword] = variants
        if isinstance(schema.get("allOf"), list):
            out = merge_all([out, *(self.schema(v, stack, depth + 1) for v in schema["allOf"])])
        return out


def types_of(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema allows (``null`` included when nullable), or None when it does not say."""
    raw = schema.get("type")
    if isinstance(raw, str):
        types = {raw}
    elif isinstance(raw, list):
        types = {t for t in raw if isinstance(t, str)}
    elif "properties" in schema:
        types = {"object"}
    elif "items" in schema:
        types = {"array"}
    else:
        return None
    if schema.get("nullable") is True:
        types.add("null")
    return types


def merge_all(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """The conjunction of schemas (``allOf``): properties and required united, types intersected, the tightest
    limit of each constraint kept, enums intersected."""
    out: dict[str, Any] = {}
    for schema in schemas:
        for key, value in schema.items():
            if key not in out:
                out[key] = value
            elif key == "properties":
                merged = dict(out[key])
                for name, sub in value.items():
                    merged[name] = merge_all([merged[name], sub]) if name in merged else sub
                out[key] = merged
            elif key == "required":
                out[key] = sorted(set(out[key]) | set(value))
            elif key == "type":
                left, right = types_of({"type": out[key]}) or set(), types_of({"type": value}) or set()
                both = left & right
                if {"number"} & (left | right) and "integer" in (left | right):
                    both |= {"integer"}  # integer is a number: the intersection keeps it
                out[key] = sorted(both) if len(both) != 1 else next(iter(both))
            elif key in KEYWORDS_TO_MERGE_TIGHTEST_MAX and _number(value) and _number(out[key]):
                out[key] = min(out[key], value)
            elif key in KEYWORDS_TO_MERGE_TIGHTEST_MIN and _number(value) and _number(out[key]):
                out[key] = max(out[key], value)
            elif key == "multipleOf" and _number(value) and _number(out[key]) and value > 0 and out[key] > 0:
                out[key] = _as_number(_lcm(_fraction(out[key]), _fraction(value)))
            elif key == "enum" and isinstance(value, list) and isinstance(out[key], list):
                out[key] = [v for v in out[key] if v in value]
            elif key == "items" and isinstance(value, dict) and isinstance(out[key], dict):
                out[key] = merge_all([out[key], value])
            elif key == "additionalProperties":
                if value is False or out[key] is False:
                    out[key] = False
                elif isinstance(value, dict) and isinstance(out[key], dict):
                    out[key] = merge_all([out[key], value])
                elif isinstance(value, dict):
                    out[key] = value
            elif key in ("x-ref", "title", "description"):
                continue  # the first name wins: the schema that was referenced
            else:
                out[key] = value
    if isinstance(out.get("type"), list) and len(out["type"]) == 1:
        out["type"] = out["type"][0]
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fraction(value: float) -> Fraction:
    # Through the decimal text, so that 0.1 is one tenth rather than the nearest binary float.
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _lcm(a: Fraction, b: Fraction) -> Fraction:
    return Fraction(math.lcm(a.numerator, b.numerator), math.gcd(a.denominator, b.denominator))


def _as_number(value: Fraction) -> float | int:
    return value.numerator if value.denominator == 1 else float(value)


def multiple_of_divides(divisor: object, value: object) -> bool:
    """Whether every multiple of ``value`` is a multiple of ``divisor`` (``value / divisor`` is a whole number),
    i.e. a schema with ``multipleOf: divisor`` accepts everything one with ``multipleOf: value`` accepts."""
    if not (_number(divisor) and _number(value)) or divisor <= 0 or value <= 0:  # type: ignore[operator]
        return False
    ratio = _fraction(value) / _fraction(divisor)  # type: ignore[arg-type]
    return ratio.denominator == 1


def variant_key(schema: dict[str, Any]) -> str:
    """How a union's variant is recognised on the other side: its referenced name, its title, else its content."""
    for key in ("x-ref", "title"):
        if isinstance(schema.get(key), str):
            return schema[key]
    return json.dumps(schema, sort_keys=True)[:200]


def content_model(schema: dict[str, Any]) -> str:
    """``closed`` (additionalProperties false), ``partial`` (a schema or patternProperties limits extra
    properties) or ``open`` (anything else goes)."""
    extra = schema.get("additionalProperties", schema.get("unevaluatedProperties"))
    if extra is False:
        return "closed"
    if isinstance(extra, dict) and extra or schema.get("patternProperties"):
        return "partial"
    return "open"
