"""HTTP contract rules: two OpenAPI documents compared operation by operation, on resolved schemas.

Rule ids follow oasdiff's names where oasdiff has the rule. A request schema may only widen (clients send what
they always sent); a response schema may only narrow (clients parse what they always parsed). Constraint rules are
generated for every place a schema appears (request parameter, request body, request property, response body,
response property), so each place answers tightening and loosening the same way."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from arrakis_docs.diff.findings import Finding, Level
from arrakis_docs.diff.schema_walk import Normaliser, multiple_of_divides, types_of, variant_key
from arrakis_docs.model.refs import SourceRef

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
B, W, N = Level.BREAKING, Level.WARNING, Level.INFO

# Constraint changes: (rule suffix, narrows the accepted values?). Narrowing a request breaks clients that send
# the old values; widening a response breaks clients that parse only the old ones.
CONSTRAINT_RULES: dict[str, bool] = {
    "max-length-decreased": True, "max-length-increased": False,
    "min-length-increased": True, "min-length-decreased": False,
    "max-decreased": True, "max-increased": False,
    "min-increased": True, "min-decreased": False,
    "max-items-decreased": True, "max-items-increased": False,
    "min-items-increased": True, "min-items-decreased": False,
    "pattern-added": True, "pattern-removed": False, "pattern-changed": True,
    "multiple-of-added": True, "multiple-of-removed": False,
    "multiple-of-tightened": True, "multiple-of-loosened": False,  # loosened: the new one divides the old one
    "enum-value-removed": True, "enum-value-added": False,
    "became-not-nullable": True, "became-nullable": False,
    "one-of-removed": True, "one-of-added": False,
    "any-of-removed": True, "any-of-added": False,
    "format-added": True, "format-removed": False, "format-changed": True,
    "type-narrowed": True, "type-widened": False, "type-changed": True,
    "additional-properties-closed": True, "additional-properties-opened": False,
}
PLACES = ("request-parameter", "request-body", "request-property", "response-body", "response-property")


def _constraint_level(place: str, suffix: str) -> Level:
    narrows = CONSTRAINT_RULES[suffix]
    if suffix in ("type-changed", "pattern-changed", "format-changed"):
        return B if place.startswith("request") or suffix == "type-changed" else W
    if place.startswith("request"):
        return B if narrows else N
    if suffix in ("became-nullable", "type-widened"):
        return B  # a client that never saw null (or a string) now gets one
    return N if narrows else W


# The rule table: id -> (severity, what it means). Tests and the README read it.
RULES: dict[str, tuple[Level, str]] = {
    "api-path-removed-without-deprecation": (B, "a path was removed while not deprecated"),
    "api-path-removed-with-deprecation": (N, "a deprecated path was removed"),
    "api-removed-without-deprecation": (B, "an operation was removed while not deprecated"),
    "api-removed-with-deprecation": (N, "a deprecated operation was removed"),
    "endpoint-added": (N, "an operation was added"),
    "endpoint-deprecated": (N, "an operation became deprecated"),
    "endpoint-reactivated": (N, "a deprecated operation is no longer deprecated"),
    "api-operation-id-removed": (W, "the operationId changed: generated clients rename their method"),
    "api-tag-removed": (N, "an operation lost a tag"),
    "api-security-added": (B, "an operation without security now requires it"),
    "api-security-removed": (W, "an operation no longer requires any security"),
    "api-security-requirement-removed": (B, "a way to authenticate was removed"),
    "api-security-requirement-added": (N, "a way to authenticate was added"),
    "api-security-scope-added": (B, "a security requirement needs an extra scope"),
    "api-security-scope-removed": (N, "a security requirement needs one scope less"),
    "new-required-request-parameter": (B, "a required parameter was added"),
    "new-optional-request-parameter": (N, "an optional parameter was added"),
    "request-parameter-removed": (W, "a parameter was removed: clients still send it"),
    "request-parameter-became-required": (B, "an optional parameter became required"),
    "request-parameter-became-optional": (N, "a required parameter became optional"),
    "request-parameter-location-changed": (B, "a parameter moved (query, header, path, cookie)"),
    "request-parameter-default-value-changed": (W, "a parameter's default changed"),
    "request-body-added-required": (B, "a required request body was added"),
    "request-body-added-optional": (N, "an optional request body was added"),
    "request-body-removed": (W, "the request body was removed"),
    "request-body-became-required": (B, "the request body became required"),
    "request-body-became-optional": (N, "the request body became optional"),
    "request-body-media-type-removed": (B, "a request media type is no longer accepted"),
    "request-body-media-type-added": (N, "a request media type was added"),
    "new-required-request-property": (B, "a required request property was added"),
    "new-optional-request-property": (N, "an optional request property was added"),
    "request-property-removed": (W, "a request property was removed: clients still send it"),
    "request-property-became-required": (B, "an optional request property became required"),
    "request-property-became-optional": (N, "a required request property became optional"),
    "request-property-became-read-only": (W, "a request property became read-only: sent values are ignored"),
    "response-success-status-removed": (B, "a success status is no longer returned"),
    "response-non-success-status-removed": (W, "an error status is no longer returned"),
    "response-success-status-added": (N, "a success status was added"),
    "response-non-success-status-added": (N, "an error status was added"),
    "response-media-type-removed": (B, "a response media type is no longer produced"),
    "response-media-type-added": (N, "a response media type was added"),
    "response-required-property-removed": (B, "a required response property was removed"),
    "response-optional-property-removed": (W, "an optional response property was removed"),
    "response-property-became-optional": (B, "a required response property became optional"),
    "response-property-became-required": (N, "an optional response property became required"),
    "response-required-property-added": (N, "a required response property was added"),
    "response-optional-property-added": (N, "an optional response property was added"),
    "response-property-became-write-only": (B, "a response property became write-only: no longer returned"),
}
for _place in PLACES:
    for _suffix in CONSTRAINT_RULES:
        RULES[f"{_place}-{_suffix}"] = (_constraint_level(_place, _suffix), f"{_place.replace('-', ' ')}: "
                                        f"{_suffix.replace('-', ' ')}")

Locator = Callable[[str, str], SourceRef | None]


@dataclass(frozen=True)
class _Where:
    """Where in the document a comparison stands."""

    api: str
    subject: str  # "GET /v1/items"
    base: SourceRef | None
    head: SourceRef | None
    side: str = "request"  # request | response
    kind: str = "body"  # parameter | body | property
    name: str = ""  # the property path (items/0/price) or the parameter name

    def place(self) -> str:
        return f"{self.side}-{self.kind}"


class _Comparer:
    def __init__(self, api: str, base: dict[str, Any], head: dict[str, Any], base_locate: Locator,
                 head_locate: Locator) -> None:
        self.api = api
        self.base, self.head = base, head
        self.old, self.new = Normaliser(base), Normaliser(head)
        self.base_locate, self.head_locate = base_locate, head_locate
        self.findings: list[Finding] = []

    def emit(self, rule: str, where: _Where, message: str, level: Level | None = None) -> None:
        """Record one finding of ``rule`` (its severity from the rule table unless the rule decides per case)."""
        severity = level or RULES[rule][0]
        subject = f"{self.api} {where.subject}".strip()
        text = f"{where.name}: {message}" if where.name else message
        direction = where.side if rule not in _ENDPOINT_RULES else ""
        self.findings.append(Finding(rule, severity, "http", subject, text, direction, where.base, where.head))

    # ------------------------------------------------------------ paths and operations

    def compare(self) -> list[Finding]:
        old_paths = _paths(self.base)
        new_paths = _paths(self.head)
        for key in sorted(old_paths.keys() | new_paths.keys()):
            old_path, new_path = old_paths.get(key), new_paths.get(key)
            if new_path is None:
                assert old_path is not None
                path, item = old_path
                ops = _operations(item)
                deprecated = bool(ops) and all(op.get("deprecated") for op in ops.values())
                where = _Where(self.api, path, self._loc(self.base_locate, path, next(iter(ops), "")), None)
                rule = "api-path-removed-with-deprecation" if deprecated else "api-path-removed-without-deprecation"
                self.emit(rule, where, f"path {path} removed ({', '.join(m.upper() for m in ops)})")
                continue
            if old_path is None:
                path, item = new_path
                for method in _operations(item):
                    where = _Where(self.api, f"{method.upper()} {path}", None,
                                   self._loc(self.head_locate, path, method))
                    self.emit("endpoint-added", where, "operation added")
                continue
            self._path(old_path, new_path)
        return self.findings

    def _loc(self, locate: Locator, path: str, method: str) -> SourceRef | None:
        return locate(path, method) if method else None

    def _path(self, old_path: tuple[str, dict[str, Any]], new_path: tuple[str, dict[str, Any]]) -> None:
        (old_name, old_item), (new_name, new_item) = old_path, new_path
        old_ops, new_ops = _operations(old_item), _operations(new_item)
        for method in sorted(old_ops.keys() | new_ops.keys(), key=METHODS.index):
            where = _Where(self.api, f"{method.upper()} {new_name}", self._loc(self.base_locate, old_name, method),
                           self._loc(self.head_locate, new_name, method))
            if method not in new_ops:
                deprecated = old_ops[method].get("deprecated") is True
                rule = "api-removed-with-deprecation" if deprecated else "api-removed-without-deprecation"
                self.emit(rule, where, "operation removed")
            elif method not in old_ops:
                self.emit("endpoint-added", where, "operation added")
            else:
                self._operation(where, old_item, old_ops[method], new_item, new_ops[method])

    def _operation(self, where: _Where, old_item: dict[str, Any], old: dict[str, Any], new_item: dict[str, Any],
                   new: dict[str, Any]) -> None:
        if not old.get("deprecated") and new.get("deprecated"):
            self.emit("endpoint-deprecated", where, "operation deprecated")
        if old.get("deprecated") and not new.get("deprecated"):
            self.emit("endpoint-reactivated", where, "operation no longer deprecated")
        if old.get("operationId") and new.get("operationId") and old["operationId"] != new["operationId"]:
            self.emit("api-operation-id-removed", where,
                      f"operationId {old['operationId']} became {new['operationId']}")
        for tag in sorted(set(old.get("tags") or []) - set(new.get("tags") or [])):
            self.emit("api-tag-removed", where, f"tag {tag} removed")
        self._security(where, _security(self.base, old), _security(self.head, new))
        self._parameters(where, self._params(self.base, old_item, old), self._params(self.head, new_item, new))
        self._request_body(where, old.get("requestBody"), new.get("requestBody"))
        self._responses(replace(where, side="response"), old.get("responses") or {}, new.get("responses") or {})

    def _security(self, where: _Where, old: dict[tuple[str, ...], dict[str, set[str]]],
                  new: dict[tuple[str, ...], dict[str, set[str]]]) -> None:
        if not old and new:
            self.emit("api-security-added", where, f"now requires {_alternatives(new)}")
            return
        if old and not new:
            self.emit("api-security-removed", where, f"no longer requires {_alternatives(old)}")
            return
        for key in sorted(old.keys() - new.keys()):
            self.emit("api-security-requirement-removed", where, f"security {' + '.join(key)} no longer accepted")
        for key in sorted(new.keys() - old.keys()):
            self.emit("api-security-requirement-added", where, f"security {' + '.join(key)} now accepted")
        for key in sorted(old.keys() & new.keys()):
            for scheme in key:
                for scope in sorted(new[key].get(scheme, set()) - old[key].get(scheme, set())):
                    self.emit("api-security-scope-added", where, f"{scheme} needs scope {scope}")
                for scope in sorted(old[key].get(scheme, set()) - new[key].get(scheme, set())):
                    self.emit("api-security-scope-removed", where, f"{scheme} no longer needs scope {scope}")

    # ------------------------------------------------------------ parameters

    def _params(self, document: dict[str, Any], item: dict[str, Any],
                op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        normaliser = Normaliser(document)
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:  # operation wins
            param = normaliser.schema(raw) if isinstance(raw, dict) and "$ref" in raw else raw
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                continue
            location = str(param.get("in", "query"))
            name = param["name"].lower() if location == "header" else param["name"]
            out[(location, name)] = param
        return out

    def _parameters(self, where: _Where, old: dict[tuple[str, str], dict[str, Any]],
                    new: dict[tuple[str, str], dict[str, Any]]) -> None:
        old_by_name = {name: loc for loc, name in old}
        new_by_name = {name: loc for loc, name in new}
        for key in sorted(old.keys() | new.keys()):
            location, name = key
            here = replace(where, kind="parameter", name=f"{location} parameter {name}")
            if key not in new:
                if location != "path" and name in new_by_name and (new_by_name[name], name) not in old:
                    self.emit("request-parameter-location-changed", here, f"moved from {location} to "
                              f"{new_by_name[name]}")
                elif location != "path":
                    self.emit("request-parameter-removed", here, "removed")
                continue
            if key not in old:
                if location != "path" and name in old_by_name and (old_by_name[name], name) not in new:
                    continue  # reported as moved on the old side
                required = new[key].get("required") is True or location == "path"
                if location != "path":
                    self.emit("new-required-request-parameter" if required else "new-optional-request-parameter",
                              here, "added as required" if required else "added as optional")
                continue
            was, now = old[key].get("required") is True, new[key].get("required") is True
            if not was and now:
                self.emit("request-parameter-became-required", here, "became required")
            if was and not now:
                self.emit("request-parameter-became-optional", here, "became optional")
            old_schema = self.old.schema(old[key].get("schema") or {})
            new_schema = self.new.schema(new[key].get("schema") or {})
            if "default" in old_schema and "default" in new_schema and old_schema["default"] != new_schema["default"]:
                self.emit("request-parameter-default-value-changed", here,
                          f"default {_show(old_schema['default'])} became {_show(new_schema['default'])}")
            self._schema(here, old_schema, new_schema)

    # ------------------------------------------------------------ bodies

    def _request_body(self, where: _Where, old: Any, new: Any) -> None:
        old = self.old.schema(old) if isinstance(old, dict) and "$ref" in old else old
        new = self.new.schema(new) if isinstance(new, dict) and "$ref" in new else new
        here = replace(where, side="request", kind="body")
        if not isinstance(old, dict) and isinstance(new, dict):
            required = new.get("required") is True
            self.emit("request-body-added-required" if required else "request-body-added-optional", here,
                      "request body added")
            return
        if isinstance(old, dict) and not isinstance(new, dict):
            self.emit("request-body-removed", here, "request body removed")
            return
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        if not old.get("required") and new.get("required"):
            self.emit("request-body-became-required", here, "request body became required")
        if old.get("required") and not new.get("required"):
            self.emit("request-body-became-optional", here, "request body became optional")
        self._content(here, old.get("content") or {}, new.get("content") or {}, "request-body-media-type")

    def _content(self, where: _Where, old: dict[str, Any], new: dict[str, Any], media_rule: str) -> None:
        for media in sorted(old.keys() - new.keys()):
            self.emit(f"{media_rule}-removed", where, f"media type {media} removed")
        for media in sorted(new.keys() - old.keys()):
            self.emit(f"{media_rule}-added", where, f"media type {media} added")
        for media in sorted(old.keys() & new.keys()):
            old_schema = self.old.schema((old[media] or {}).get("schema") or {})
            new_schema = self.new.schema((new[media] or {}).get("schema") or {})
            self._schema(where, old_schema, new_schema)

    def _responses(self, where: _Where, old: dict[str, Any], new: dict[str, Any]) -> None:
        for status in sorted(old.keys() - new.keys()):
            success = str(status).startswith("2")
            self.emit("response-success-status-removed" if success else "response-non-success-status-removed",
                      where, f"status {status} removed")
        for status in sorted(new.keys() - old.keys()):
            success = str(status).startswith("2")
            self.emit("response-success-status-added" if success else "response-non-success-status-added",
                      where, f"status {status} added")
        for status in sorted(old.keys() & new.keys()):
            old_response = self.old.schema(old[status]) if "$ref" in (old[status] or {}) else old[status] or {}
            new_response = self.new.schema(new[status]) if "$ref" in (new[status] or {}) else new[status] or {}
            here = replace(where, subject=f"{where.subject} {status}", kind="body")
            self._content(here, old_response.get("content") or {}, new_response.get("content") or {},
                          "response-media-type")

    # ------------------------------------------------------------ schemas

    def _schema(self, where: _Where, old: dict[str, Any], new: dict[str, Any], depth: int = 0) -> None:
        """Compare two normalised schemas at one place; recurse into properties, items and union variants."""
        if depth > 16 or old == new:
            return
        place = where.place()
        self._types(where, old, new)
        self._constraints(where, old, new)
        for keyword, rule in (("oneOf", "one-of"), ("anyOf", "any-of")):
            old_variants = {variant_key(v): v for v in old.get(keyword) or []}
            new_variants = {variant_key(v): v for v in new.get(keyword) or []}
            if not old_variants and not new_variants:
                continue
            for key in sorted(old_variants.keys() - new_variants.keys()):
                self.emit(f"{place}-{rule}-removed", where, f"{keyword} variant {_short(key)} removed")
            for key in sorted(new_variants.keys() - old_variants.keys()):
                self.emit(f"{place}-{rule}-added", where, f"{keyword} variant {_short(key)} added")
            for key in sorted(old_variants.keys() & new_variants.keys()):
                self._schema(where, old_variants[key], new_variants[key], depth + 1)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self._schema(replace(where, name=_join(where, "items")), old["items"], new["items"], depth + 1)
        self._properties(where, old, new, depth)

    def _types(self, where: _Where, old: dict[str, Any], new: dict[str, Any]) -> None:
        place = where.place()
        old_types, new_types = types_of(old), types_of(new)
        old_null = bool(old_types and "null" in old_types)
        new_null = bool(new_types and "null" in new_types)
        if old_types is not None and new_types is not None and old_types != {"null"} and new_types != {"null"}:
            if old_null and not new_null:
                self.emit(f"{place}-became-not-nullable", where, "no longer nullable")
            if new_null and not old_null:
                self.emit(f"{place}-became-nullable", where, "became nullable")
        old_plain = _widen(old_types - {"null"}) if old_types is not None else None
        new_plain = _widen(new_types - {"null"}) if new_types is not None else None
        if old_plain == new_plain or (not old_plain and not new_plain):
            pass
        elif old_plain is None or new_plain is None or not old_plain or not new_plain:
            # "any" on one side: the side that says nothing accepts everything
            narrows = new_plain is not None and bool(new_plain)
            self.emit(f"{place}-type-{'narrowed' if narrows else 'widened'}", where,
                      f"type {_types_text(old_types)} became {_types_text(new_types)}")
        elif old_plain < new_plain:
            self.emit(f"{place}-type-widened", where, f"type {_types_text(old_types)} became {_types_text(new_types)}")
        elif new_plain < old_plain:
            self.emit(f"{place}-type-narrowed", where,
                      f"type {_types_text(old_types)} became {_types_text(new_types)}")
        else:
            self.emit(f"{place}-type-changed", where, f"type {_types_text(old_types)} became {_types_text(new_types)}")
        old_format, new_format = old.get("format"), new.get("format")
        if old_format != new_format:
            if old_format is None:
                self.emit(f"{place}-format-added", where, f"format {new_format} added")
            elif new_format is None:
                self.emit(f"{place}-format-removed", where, f"format {old_format} removed")
            else:
                self.emit(f"{place}-format-changed", where, f"format {old_format} became {new_format}")

    def _constraints(self, where: _Where, old: dict[str, Any], new: dict[str, Any]) -> None:
        place = where.place()
        for keyword, rule, upper in (("maxLength", "max-length", True), ("minLength", "min-length", False),
                                     ("maximum", "max", True), ("exclusiveMaximum", "max", True),
                                     ("minimum", "min", False), ("exclusiveMinimum", "min", False),
                                     ("maxItems", "max-items", True), ("minItems", "min-items", False)):
            a, b = old.get(keyword), new.get(keyword)
            if a == b or isinstance(a, bool) or isinstance(b, bool):
                continue
            if upper:
                if b is not None and (a is None or b < a):
                    self.emit(f"{place}-{rule}-decreased", where, f"{keyword} {_show(a)} became {_show(b)}")
                elif a is not None:
                    self.emit(f"{place}-{rule}-increased", where, f"{keyword} {_show(a)} became {_show(b)}")
            else:
                if b is not None and (a is None or b > a):
                    self.emit(f"{place}-{rule}-increased", where, f"{keyword} {_show(a)} became {_show(b)}")
                elif a is not None:
                    self.emit(f"{place}-{rule}-decreased", where, f"{keyword} {_show(a)} became {_show(b)}")
        self._multiple_of(where, old.get("multipleOf"), new.get("multipleOf"))
        old_pattern, new_pattern = old.get("pattern"), new.get("pattern")
        if old_pattern != new_pattern:
            if old_pattern is None:
                self.emit(f"{place}-pattern-added", where, f"pattern {new_pattern} added")
            elif new_pattern is None:
                self.emit(f"{place}-pattern-removed", where, f"pattern {old_pattern} removed")
            else:
                self.emit(f"{place}-pattern-changed", where, f"pattern {old_pattern} became {new_pattern}")
        old_enum, new_enum = old.get("enum"), new.get("enum")
        if isinstance(old_enum, list) and isinstance(new_enum, list):
            for value in [v for v in old_enum if v not in new_enum]:
                self.emit(f"{place}-enum-value-removed", where, f"enum value {_show(value)} removed")
            for value in [v for v in new_enum if v not in old_enum]:
                self.emit(f"{place}-enum-value-added", where, f"enum value {_show(value)} added")
        elif isinstance(new_enum, list) and old_enum is None and "const" not in old:
            self.emit(f"{place}-enum-value-removed", where, f"now limited to {_show(new_enum)}")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if "properties" in old or "properties" in new:
            if old_extra is not False and new_extra is False:
                self.emit(f"{place}-additional-properties-closed", where, "additional properties no longer allowed")
            if old_extra is False and new_extra is not False:
                self.emit(f"{place}-additional-properties-opened", where, "additional properties now allowed")

    def _multiple_of(self, where: _Where, old: Any, new: Any) -> None:
        """A value fits ``multipleOf: new`` for every value that fit ``multipleOf: old`` exactly when ``new``
        divides ``old`` (6 -> 3 loosens; 2 -> 4 or 2 -> 3 tightens)."""
        if old == new or isinstance(old, bool) or isinstance(new, bool):
            return
        place = where.place()
        if old is None:
            self.emit(f"{place}-multiple-of-added", where, f"multipleOf {_show(new)} added")
        elif new is None:
            self.emit(f"{place}-multiple-of-removed", where, f"multipleOf {_show(old)} removed")
        elif multiple_of_divides(new, old):
            self.emit(f"{place}-multiple-of-loosened", where, f"multipleOf {_show(old)} became {_show(new)}")
        else:
            self.emit(f"{place}-multiple-of-tightened", where, f"multipleOf {_show(old)} became {_show(new)} "
                                                              f"(not a divisor of {_show(old)})")

    def _properties(self, where: _Where, old: dict[str, Any], new: dict[str, Any], depth: int) -> None:
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        old_required, new_required = set(old.get("required") or []), set(new.get("required") or [])
        request = where.side == "request"
        for name in sorted(old_props.keys() | new_props.keys()):
            here = replace(where, kind="property", name=_join(where, name))
            before, after = old_props.get(name), new_props.get(name)
            skip = "readOnly" if request else "writeOnly"  # what this direction never carries
            if (before or {}).get(skip) is True and (after or {}).get(skip) is True:
                continue
            if after is None:
                if request:
                    self.emit("request-property-removed", here, "removed")
                else:
                    rule = "response-required-property-removed" if name in old_required else \
                        "response-optional-property-removed"
                    self.emit(rule, here, "removed")
                continue
            if before is None:
                required = name in new_required
                if request:
                    if after.get("readOnly") is True:
                        continue
                    self.emit("new-required-request-property" if required else "new-optional-request-property",
                              here, "added as required" if required else "added as optional")
                else:
                    self.emit("response-required-property-added" if required else "response-optional-property-added",
                              here, "added")
                continue
            was, now = name in old_required, name in new_required
            if request and not was and now:
                self.emit("request-property-became-required", here, "became required")
            elif request and was and not now:
                self.emit("request-property-became-optional", here, "became optional")
            elif not request and was and not now:
                self.emit("response-property-became-optional", here, "became optional")
            elif not request and not was and now:
                self.emit("response-property-became-required", here, "became required")
            if request and after.get("readOnly") is True and before.get("readOnly") is not True:
                self.emit("request-property-became-read-only", here, "became read-only")
            if not request and after.get("writeOnly") is True and before.get("writeOnly") is not True:
                self.emit("response-property-became-write-only", here, "became write-only")
            self._schema(here, before, after, depth + 1)


_ENDPOINT_RULES = frozenset({
    "api-path-removed-without-deprecation", "api-path-removed-with-deprecation", "api-removed-without-deprecation",
    "api-removed-with-deprecation", "endpoint-added", "endpoint-deprecated", "endpoint-reactivated",
    "api-operation-id-removed", "api-tag-removed",
})


def compare_openapi(api: str, base: dict[str, Any], head: dict[str, Any], base_locate: Locator | None = None,
                    head_locate: Locator | None = None) -> list[Finding]:
    """Every HTTP contract finding between two OpenAPI documents of one API (``api`` names it in subjects);
    the locators give the code location of an operation (path, method) on each side, when known."""
    def nowhere(_path: str, _method: str) -> SourceRef | None:
        return None
    return _Comparer(api, base or {}, head or {}, base_locate or nowhere, head_locate or nowhere).compare()


def _paths(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Paths keyed with parameter names blanked (``/items/{}``): renaming a path parameter moves nothing."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, item in sorted((document.get("paths") or {}).items()):
        if isinstance(item, dict):
            out[_template(path)] = (path, item)
    return out


def _template(path: str) -> str:
    import re

    return re.sub(r"{[^}]*}", "{}", path.rstrip("/") or "/")


def _operations(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m: item[m] for m in METHODS if isinstance(item.get(m), dict)}


def _security(document: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, ...], dict[str, set[str]]]:
    """The operation's effective security: alternatives keyed by their sorted scheme names, with scopes."""
    raw = op["security"] if "security" in op else document.get("security") or []
    out: dict[tuple[str, ...], dict[str, set[str]]] = {}
    for requirement in raw if isinstance(raw, list) else []:
        if isinstance(requirement, dict) and requirement:
            out[tuple(sorted(requirement))] = {k: set(v or []) for k, v in requirement.items()}
    return out


def _alternatives(security: dict[tuple[str, ...], dict[str, set[str]]]) -> str:
    return " or ".join(" + ".join(key) for key in sorted(security))


def _widen(types: set[str]) -> set[str]:
    """Integers are numbers: a type set that allows number allows integer too."""
    return types | {"integer"} if "number" in types else types


def _types_text(types: set[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _join(where: _Where, name: str) -> str:
    if where.kind == "property" and where.name:
        return f"{where.name}/{name}"
    if where.kind == "parameter" and where.name:
        return f"{where.name}/{name}"
    return name


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if value is not None else "none"


def _short(key: str) -> str:
    return key if len(key) <= 60 else key[:57] + "..."
