"""Typed property definitions and the pydantic model built from them to validate an object's properties."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
    model_validator,
)

PropertyKind = Literal["string", "integer", "number", "boolean", "datetime", "enum"]
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
# Longest canonical value kept in the equality-filter index (the column is String(500)).
MAX_INDEXED_VALUE = 500


class PropertyDefinition(BaseModel):
    """One typed property of an object type."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN, description="Property name, unique within the type")
    type: PropertyKind
    values: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, description="Allowed values; required for (and only for) type enum")
    required: bool = False
    description: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _enum_values(self) -> PropertyDefinition:
        if self.type == "enum":
            if not self.values:
                raise ValueError("an enum property needs a non-empty list of values")
            if len(set(self.values)) != len(self.values):
                raise ValueError("enum values must be unique")
        elif self.values is not None:
            raise ValueError("values is only allowed for enum properties")
        return self


def check_definitions(properties: list[PropertyDefinition], title_property: str) -> None:
    """Property names are unique and the title property is one of them (raises ValueError otherwise)."""
    names = [p.name for p in properties]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate property names: {', '.join(duplicates)}")
    if title_property not in names:
        raise ValueError(f"title_property {title_property!r} is not one of the properties")


def _python_type(prop: PropertyDefinition) -> Any:
    # An integer property is a 64-bit integer: what PostgreSQL, SQLite and most clients hold.
    int64 = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]
    kinds: dict[str, Any] = {"string": StrictStr, "integer": int64, "number": StrictFloat,
                             "boolean": StrictBool, "datetime": datetime}
    if prop.type == "enum":
        return Literal[tuple(prop.values or ())]
    return kinds[prop.type]


@lru_cache(maxsize=256)
def _model_for(definition_json: str) -> type[BaseModel]:
    properties = [PropertyDefinition.model_validate(p) for p in json.loads(definition_json)]
    fields: dict[str, Any] = {}
    for index, prop in enumerate(properties):
        annotation = _python_type(prop)
        # Internal field names avoid clashes with BaseModel attributes; the alias is the property name.
        if prop.required:
            fields[f"p{index}"] = (annotation, Field(alias=prop.name))
        else:
            fields[f"p{index}"] = (annotation | None, Field(default=None, alias=prop.name))
    return create_model("ObjectProperties", __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields)


def validate_properties(properties: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` checked and normalised against the type's property definitions; 422 with per-field detail."""
    model = _model_for(json.dumps(properties, sort_keys=True))
    try:
        parsed = model.model_validate(values)
    except ValidationError as exc:
        errors = [{"type": e["type"], "loc": ("body", "properties", *e["loc"]), "msg": e["msg"],
                   "input": e.get("input")} for e in exc.errors(include_url=False, include_context=False)]
        raise RequestValidationError(errors) from exc
    return parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)


def canonical(value: Any) -> str | None:
    """The text form of a scalar property value used by equality filters (None for null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)[:MAX_INDEXED_VALUE]


def filter_value(prop: dict[str, Any] | None, name: str, raw: str) -> str:
    """A query-string filter value in canonical form, parsed by the property's type when it is known."""
    if prop is None:
        return raw[:MAX_INDEXED_VALUE]
    kind = prop["type"]
    try:
        if kind == "integer":
            return canonical(int(raw)) or ""
        if kind == "number":
            return canonical(float(raw)) or ""
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError("expected true or false")
            return raw.lower()
        if kind == "datetime":
            stored = validate_properties([prop], {name: raw})[name]
            return canonical(stored) or ""
    except (ValueError, RequestValidationError) as exc:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", f"property.{name}"),
                                       "msg": f"not a valid {kind}: {raw!r}", "input": raw}]) from exc
    return raw[:MAX_INDEXED_VALUE]


def object_title(title_property: str, values: dict[str, Any]) -> str:
    value = values.get(title_property)
    return "" if value is None else str(value)[:500]


def search_text(values: dict[str, Any]) -> str:
    """Lower-cased text of all string values, searched by the listing's ``q``."""
    return " ".join(str(v) for v in values.values() if isinstance(v, str)).lower()
