"""An OpenAPI document as data for a static Markdown reference: operations, parameters, bodies and schemas.

Only the shaping lives here (type strings, table cells, anchors); ``templates/pages/api.md.j2`` lays it out.
"""

from __future__ import annotations

from typing import Any

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
_REF_PREFIX = "#/components/schemas/"


def cell(value: Any) -> str:
    """Text safe inside one Markdown table cell."""
    text = " ".join(str(value if value is not None else "").split())
    return text.replace("|", "\\|")


def schema_anchor(name: str) -> str:
    """Heading id of a component schema."""
    return "schema-" + "".join(c if c.isalnum() else "-" for c in name).lower()


def op_anchor(method: str, path: str, operation: dict[str, Any]) -> str:
    """Heading id of an operation: its operationId, else method and path."""
    raw = operation.get("operationId") or f"{method}-{path}"
    return "op-" + "".join(c if c.isalnum() else "-" for c in str(raw)).lower().strip("-")


def type_of(schema: Any) -> str:
    """A one-line Markdown description of a JSON schema's type, linking referenced component schemas."""
    if not isinstance(schema, dict):
        return ""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix(_REF_PREFIX)
        return f"[{name}](#{schema_anchor(name)})" if ref.startswith(_REF_PREFIX) else f"`{ref}`"
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            parts = [type_of(s) for s in schema[key]]
            joiner = " and " if key == "allOf" else " or "
            return joiner.join(p for p in parts if p) or "any"
    kind = schema.get("type", "")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {})) or 'any'}"
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    text = str(kind or ("object" if "properties" in schema else "any"))
    if schema.get("format"):
        text += f" ({schema['format']})"
    if isinstance(schema.get("enum"), list):
        text += ": " + ", ".join(f"`{v}`" for v in schema["enum"])
    return text


def constraints(schema: Any) -> str:
    """Validation keywords worth showing beside a field."""
    if not isinstance(schema, dict):
        return ""
    keys = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern",
            "minItems", "maxItems", "default")
    parts = [f"{k}: `{schema[k]}`" for k in keys if k in schema]
    return ", ".join(parts)


def _describe(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    text = schema.get("description") or ""
    extra = constraints(schema)
    return cell(f"{text} {extra}".strip())


def schema_rows(schema: dict[str, Any]) -> list[dict[str, str]]:
    """One row per property of an object schema."""
    required = set(schema.get("required", []))
    return [{"name": cell(name), "type": cell(type_of(prop)), "required": "yes" if name in required else "",
             "description": _describe(prop)}
            for name, prop in sorted(schema.get("properties", {}).items())]


def _body(content: Any) -> list[dict[str, str]]:
    if not isinstance(content, dict):
        return []
    return [{"media": cell(media), "type": cell(type_of(spec.get("schema", {})))}
            for media, spec in sorted(content.items()) if isinstance(spec, dict)]


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation, grouped by nothing, sorted by path then method order."""
    result = []
    for path, item in sorted(document.get("paths", {}).items()):
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params = [*shared, *op.get("parameters", [])]
            body = op.get("requestBody", {}) if isinstance(op.get("requestBody"), dict) else {}
            result.append({
                "method": method.upper(), "path": path, "anchor": op_anchor(method, path, op),
                "summary": cell(op.get("summary", "")), "description": (op.get("description") or "").strip(),
                "tags": sorted(op.get("tags", [])), "deprecated": bool(op.get("deprecated")),
                "secured": bool(op.get("security", document.get("security"))),
                "parameters": [{"name": cell(p.get("name", "")), "in": cell(p.get("in", "")),
                                "type": cell(type_of(p.get("schema", {}))),
                                "required": "yes" if p.get("required") else "",
                                "description": _describe({**p.get("schema", {}), **p})}
                               for p in params if isinstance(p, dict) and "name" in p],
                "body": _body(body.get("content")), "body_required": bool(body.get("required")),
                "responses": [{"status": cell(code), "description": cell(r.get("description", "")),
                               "types": cell(", ".join(b["type"] for b in _body(r.get("content")) if b["type"]))}
                              for code, r in sorted(op.get("responses", {}).items()) if isinstance(r, dict)],
            })
    return result


def schemas(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every component schema with its property rows."""
    found = document.get("components", {}).get("schemas", {})
    return [{"name": name, "anchor": schema_anchor(name), "description": cell(s.get("description", "")),
             "type": cell(type_of({k: v for k, v in s.items() if k != "properties"})) if not s.get("properties")
             else "object", "rows": schema_rows(s)}
            for name, s in sorted(found.items()) if isinstance(s, dict)]
