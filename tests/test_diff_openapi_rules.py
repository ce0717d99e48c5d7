"""HTTP contract rules, table-driven: every rule has a failing case (the change that fires it) and a passing case
(no change, or the change that must not fire it), through the public compare_openapi."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from arrakis_docs.diff.findings import Level
from arrakis_docs.diff.openapi_rules import CONSTRAINT_RULES, PLACES, RULES, compare_openapi

S = {"type": "string"}


def op_doc(operation: dict[str, Any] | None = None, path: str = "/v1/items/{item_id}",
           components: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A one-operation OpenAPI document (GET unless the operation says which methods)."""
    operation = operation if operation is not None else {"responses": {"200": {"description": "ok"}}}
    methods = operation if set(operation) <= {"get", "post", "put", "delete"} and operation else {"get": operation}
    doc: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {path: methods}, **top}
    if components:
        doc["components"] = components
    return doc


def placed(place: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A document with ``schema`` at one place: parameter, request body/property, response body/property."""
    responses: dict[str, Any] = {"200": {"description": "ok"}}
    operation: dict[str, Any] = {"responses": responses}
    if place == "request-parameter":
        operation["parameters"] = [{"name": "q", "in": "query", "required": False, "schema": schema}]
    elif place == "request-body":
        operation["requestBody"] = {"content": {"application/json": {"schema": schema}}, "required": True}
    elif place == "request-property":
        operation["requestBody"] = {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"p": schema}}}}, "required": True}
    elif place == "response-body":
        responses["200"]["content"] = {"application/json": {"schema": schema}}
    else:
        responses["200"]["content"] = {"application/json": {"schema": {"type": "object", "properties": {"p": schema}}}}
    return op_doc({"post": operation})


A, B, C = ({"title": n, "type": "object", "properties": {n.lower(): S}} for n in "ABC")
# Constraint suffix -> (old schema, new schema) that fires it.
CONSTRAINT_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "max-length-decreased": ({**S, "maxLength": 10}, {**S, "maxLength": 5}),
    "max-length-increased": ({**S, "maxLength": 5}, {**S, "maxLength": 10}),
    "min-length-increased": ({**S, "minLength": 1}, {**S, "minLength": 3}),
    "min-length-decreased": ({**S, "minLength": 3}, {**S, "minLength": 1}),
    "max-decreased": ({"type": "number", "maximum": 10}, {"type": "number", "maximum": 5}),
    "max-increased": ({"type": "number", "maximum": 5}, {"type": "number", "maximum": 10}),
    "min-increased": ({"type": "number", "minimum": 1}, {"type": "number", "minimum": 3}),
    "min-decreased": ({"type": "number", "minimum": 3}, {"type": "number", "minimum": 1}),
    "max-items-decreased": ({"type": "array", "items": S, "maxItems": 9}, {"type": "array", "items": S, "maxItems": 3}),
    "max-items-increased": ({"type": "array", "items": S, "maxItems": 3}, {"type": "array", "items": S, "maxItems": 9}),
    "min-items-increased": ({"type": "array", "items": S, "minItems": 1}, {"type": "array", "items": S, "minItems": 2}),
    "min-items-decreased": ({"type": "array", "items": S, "minItems": 2}, {"type": "array", "items": S, "minItems": 1}),
    "pattern-added": (S, {**S, "pattern": "^a"}),
    "pattern-removed": ({**S, "pattern": "^a"}, S),
    "pattern-changed": ({**S, "pattern": "^a"}, {**S, "pattern": "^b"}),
    "multiple-of-added": ({"type": "integer"}, {"type": "integer", "multipleOf": 5}),
    "multiple-of-removed": ({"type": "integer", "multipleOf": 5}, {"type": "integer"}),
    "multiple-of-tightened": ({"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 4}),
    "multiple-of-loosened": ({"type": "integer", "multipleOf": 4}, {"type": "integer", "multipleOf": 2}),
    "enum-value-removed": ({**S, "enum": ["a", "b"]}, {**S, "enum": ["a"]}),
    "enum-value-added": ({**S, "enum": ["a"]}, {**S, "enum": ["a", "b"]}),
    "became-not-nullable": ({"type": ["string", "null"]}, S),
    "became-nullable": (S, {"anyOf": [S, {"type": "null"}]}),
    "one-of-removed": ({"oneOf": [A, B, C]}, {"oneOf": [A, B]}),
    "one-of-added": ({"oneOf": [A, B]}, {"oneOf": [A, B, C]}),
    "any-of-removed": ({"anyOf": [A, B, C]}, {"anyOf": [A, B]}),
    "any-of-added": ({"anyOf": [A, B]}, {"anyOf": [A, B, C]}),
    "format-added": (S, {**S, "format": "date"}),
    "format-removed": ({**S, "format": "date"}, S),
    "format-changed": ({**S, "format": "date"}, {**S, "format": "date-time"}),
    "type-narrowed": ({"type": ["string", "integer"]}, S),
    "type-widened": ({"type": "integer"}, {"type": "number"}),
    "type-changed": ({"type": "integer"}, S),
    "additional-properties-closed": ({"type": "object", "properties": {"a": S}},
                                     {"type": "object", "properties": {"a": S}, "additionalProperties": False}),
    "additional-properties-opened": ({"type": "object", "properties": {"a": S}, "additionalProperties": False},
                                     {"type": "object", "properties": {"a": S}}),
}
SYMMETRIC = {"pattern-changed", "format-changed", "type-changed"}


def ids(base: dict[str, Any], head: dict[str, Any]) -> set[str]:
    return {f.id for f in compare_openapi("svc", base, head)}


def test_every_constraint_rule_has_a_case() -> None:
    assert set(CONSTRAINT_CASES) == set(CONSTRAINT_RULES)
    assert len(RULES) >= 60


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("suffix", sorted(CONSTRAINT_CASES))
def test_constraint_rule(place: str, suffix: str) -> None:
    old, new = CONSTRAINT_CASES[suffix]
    rule = f"{place}-{suffix}"
    found = compare_openapi("svc", placed(place, old), placed(place, new))
    assert rule in {f.id for f in found}, [f.id for f in found]
    finding = next(f for f in found if f.id == rule)
    assert finding.level == RULES[rule][0]
    assert finding.direction == place.split("-")[0]
    # passing: the unchanged document, and the opposite change, do not fire it
    assert not ids(placed(place, old), placed(place, copy.deepcopy(old)))
    if suffix not in SYMMETRIC:
        assert rule not in ids(placed(place, new), placed(place, old))


@pytest.mark.parametrize(("old", "new", "suffix"), [
    (6, 3, "loosened"), (6, 2, "loosened"), (0.5, 0.25, "loosened"), (0.3, 0.1, "loosened"), (1, 0.5, "loosened"),
    (2, 3, "tightened"), (3, 2, "tightened"), (6, 4, "tightened"), (0.1, 0.3, "tightened"), (2, 6, "tightened"),
])
def test_multiple_of_is_judged_by_divisibility(old: float, new: float, suffix: str) -> None:
    """Every value that fit ``multipleOf: old`` still fits ``new`` exactly when ``new`` divides ``old``; decimal
    steps are compared as the decimals they are written as (0.1 divides 0.3)."""
    found = compare_openapi("svc", placed("request-property", {"type": "number", "multipleOf": old}),
                            placed("request-property", {"type": "number", "multipleOf": new}))
    assert [f.id for f in found] == [f"request-property-multiple-of-{suffix}"]
    assert found[0].level == (Level.BREAKING if suffix == "tightened" else Level.INFO)
    response = compare_openapi("svc", placed("response-property", {"type": "number", "multipleOf": old}),
                               placed("response-property", {"type": "number", "multipleOf": new}))
    assert response[0].level == (Level.INFO if suffix == "tightened" else Level.WARNING)


def test_multiple_of_in_all_of_merges_to_the_least_common_multiple() -> None:
    merged = {"allOf": [{"type": "integer", "multipleOf": 4}, {"multipleOf": 6}]}
    assert not ids(placed("request-body", {"type": "integer", "multipleOf": 12}), placed("request-body", merged))
    assert "request-body-multiple-of-tightened" in ids(placed("request-body", {"type": "integer", "multipleOf": 4}),
                                                       placed("request-body", merged))


def test_request_narrowing_breaks_and_response_widening_warns() -> None:
    old, new = CONSTRAINT_CASES["max-length-decreased"]
    assert RULES["request-property-max-length-decreased"][0] == Level.BREAKING
    assert RULES["response-property-max-length-increased"][0] == Level.WARNING
    assert RULES["response-property-max-length-decreased"][0] == Level.INFO
    assert RULES["response-property-type-changed"][0] == Level.BREAKING


def param(name: str, where: str = "query", required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"}}


def body(schema: dict[str, Any], required: bool = True, media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}, "required": required}


def ok(schema: dict[str, Any] | None = None, status: str = "200", media: str = "application/json") -> dict[str, Any]:
    response: dict[str, Any] = {"description": "ok"}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    return {status: response}


OBJ = {"type": "object", "properties": {"id": {"type": "integer"}, "name": S}, "required": ["id", "name"]}
OBJ_NO_NAME = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
OBJ_NAME_OPTIONAL = {"type": "object", "properties": {"id": {"type": "integer"}, "name": S}, "required": ["id"]}

# rule -> (base document, head document): the head fires the rule; the base compared with itself must not.
STRUCTURAL: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "api-path-removed-without-deprecation": (op_doc(), {"openapi": "3.1.0", "paths": {}}),
    "api-path-removed-with-deprecation": (op_doc({"deprecated": True, "responses": ok()}),
                                          {"openapi": "3.1.0", "paths": {}}),
    "api-removed-without-deprecation": (op_doc({"get": {"responses": ok()}, "post": {"responses": ok()}}),
                                        op_doc({"get": {"responses": ok()}})),
    "api-removed-with-deprecation": (op_doc({"get": {"responses": ok()}, "post": {"responses": ok(),
                                                                                  "deprecated": True}}),
                                     op_doc({"get": {"responses": ok()}})),
    "endpoint-added": (op_doc({"get": {"responses": ok()}}), op_doc({"get": {"responses": ok()},
                                                                     "post": {"responses": ok()}})),
    "endpoint-deprecated": (op_doc({"responses": ok()}), op_doc({"responses": ok(), "deprecated": True})),
    "endpoint-reactivated": (op_doc({"responses": ok(), "deprecated": True}), op_doc({"responses": ok()})),
    "api-operation-id-removed": (op_doc({"operationId": "a", "responses": ok()}),
                                 op_doc({"operationId": "b", "responses": ok()})),
    "api-tag-removed": (op_doc({"tags": ["x", "y"], "responses": ok()}), op_doc({"tags": ["x"], "responses": ok()})),
    "api-security-added": (op_doc({"responses": ok()}), op_doc({"responses": ok(), "security": [{"jwt": []}]})),
    "api-security-removed": (op_doc({"responses": ok(), "security": [{"jwt": []}]}), op_doc({"responses": ok()})),
    "api-security-requirement-removed": (op_doc({"responses": ok(), "security": [{"jwt": []}, {"key": []}]}),
                                         op_doc({"responses": ok(), "security": [{"jwt": []}]})),
    "api-security-requirement-added": (op_doc({"responses": ok(), "security": [{"jwt": []}]}),
                                       op_doc({"responses": ok(), "security": [{"jwt": []}, {"key": []}]})),
    "api-security-scope-added": (op_doc({"responses": ok(), "security": [{"oauth": ["read"]}]}),
                                 op_doc({"responses": ok(), "security": [{"oauth": ["read", "write"]}]})),
    "api-security-scope-removed": (op_doc({"responses": ok(), "security": [{"oauth": ["read", "write"]}]}),
                                   op_doc({"responses": ok(), "security": [{"oauth": ["read"]}]})),
    "new-required-request-parameter": (op_doc({"responses": ok()}),
                                       op_doc({"responses": ok(), "parameters": [param("q", required=True)]})),
    "new-optional-request-parameter": (op_doc({"responses": ok()}),
                                       op_doc({"responses": ok(), "parameters": [param("q")]})),
    "request-parameter-removed": (op_doc({"responses": ok(), "parameters": [param("q")]}), op_doc({"responses": ok()})),
    "request-parameter-became-required": (op_doc({"responses": ok(), "parameters": [param("q")]}),
                                          op_doc({"responses": ok(), "parameters": [param("q", required=True)]})),
    "request-parameter-became-optional": (op_doc({"responses": ok(), "parameters": [param("q", required=True)]}),
                                          op_doc({"responses": ok(), "parameters": [param("q")]})),
    "request-parameter-location-changed": (op_doc({"responses": ok(), "parameters": [param("q")]}),
                                           op_doc({"responses": ok(), "parameters": [param("q", "header")]})),
    "request-parameter-default-value-changed": (
        op_doc({"responses": ok(), "parameters": [param("q", type="integer", default=10)]}),
        op_doc({"responses": ok(), "parameters": [param("q", type="integer", default=50)]})),
    "request-body-added-required": (op_doc({"post": {"responses": ok()}}),
                                    op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}})),
    "request-body-added-optional": (op_doc({"post": {"responses": ok()}}),
                                    op_doc({"post": {"responses": ok(), "requestBody": body(OBJ, False)}})),
    "request-body-removed": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}}),
                             op_doc({"post": {"responses": ok()}})),
    "request-body-became-required": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ, False)}}),
                                     op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}})),
    "request-body-became-optional": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}}),
                                     op_doc({"post": {"responses": ok(), "requestBody": body(OBJ, False)}})),
    "request-body-media-type-removed": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}}),
                                        op_doc({"post": {"responses": ok(), "requestBody": body(OBJ, True,
                                                                                                "text/csv")}})),
    "request-body-media-type-added": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ, True,
                                                                                              "text/csv")}}),
                                      op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}})),
    "new-required-request-property": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ_NO_NAME)}}),
                                      op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}})),
    "new-optional-request-property": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ_NO_NAME)}}),
                                      op_doc({"post": {"responses": ok(), "requestBody": body(OBJ_NAME_OPTIONAL)}})),
    "request-property-removed": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}}),
                                 op_doc({"post": {"responses": ok(), "requestBody": body(OBJ_NO_NAME)}})),
    "request-property-became-required": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ_NAME_OPTIONAL)}}),
                                         op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}})),
    "request-property-became-optional": (op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}}),
                                         op_doc({"post": {"responses": ok(),
                                                          "requestBody": body(OBJ_NAME_OPTIONAL)}})),
    "request-property-became-read-only": (
        op_doc({"post": {"responses": ok(), "requestBody": body(OBJ)}}),
        op_doc({"post": {"responses": ok(), "requestBody": body(
            {**OBJ, "properties": {**OBJ["properties"], "name": {**S, "readOnly": True}}})}})),
    "response-success-status-removed": (op_doc({"responses": {**ok(), **ok(status="201")}}),
                                        op_doc({"responses": ok()})),
    "response-non-success-status-removed": (op_doc({"responses": {**ok(), **ok(status="404")}}),
                                            op_doc({"responses": ok()})),
    "response-success-status-added": (op_doc({"responses": ok()}), op_doc({"responses": {**ok(), **ok(status="201")}})),
    "response-non-success-status-added": (op_doc({"responses": ok()}),
                                          op_doc({"responses": {**ok(), **ok(status="404")}})),
    "response-media-type-removed": (op_doc({"responses": ok(OBJ)}), op_doc({"responses": ok(OBJ, media="text/csv")})),
    "response-media-type-added": (op_doc({"responses": ok(OBJ, media="text/csv")}), op_doc({"responses": ok(OBJ)})),
    "response-required-property-removed": (op_doc({"responses": ok(OBJ)}), op_doc({"responses": ok(OBJ_NO_NAME)})),
    "response-optional-property-removed": (op_doc({"responses": ok(OBJ_NAME_OPTIONAL)}),
                                           op_doc({"responses": ok(OBJ_NO_NAME)})),
    "response-property-became-optional": (op_doc({"responses": ok(OBJ)}), op_doc({"responses": ok(OBJ_NAME_OPTIONAL)})),
    "response-property-became-required": (op_doc({"responses": ok(OBJ_NAME_OPTIONAL)}), op_doc({"responses": ok(OBJ)})),
    "response-required-property-added": (op_doc({"responses": ok(OBJ_NO_NAME)}), op_doc({"responses": ok(OBJ)})),
    "response-optional-property-added": (op_doc({"responses": ok(OBJ_NO_NAME)}),
                                         op_doc({"responses": ok(OBJ_NAME_OPTIONAL)})),
    "response-property-became-write-only": (
        op_doc({"responses": ok(OBJ)}),
        op_doc({"responses": ok({**OBJ, "properties": {**OBJ["properties"], "name": {**S, "writeOnly": True}}})})),
}


def test_every_structural_rule_has_a_case() -> None:
    generated = {f"{p}-{s}" for p in PLACES for s in CONSTRAINT_RULES}
    assert set(STRUCTURAL) == set(RULES) - generated


@pytest.mark.parametrize("rule", sorted(STRUCTURAL))
def test_structural_rule(rule: str) -> None:
    base, head = STRUCTURAL[rule]
    found = compare_openapi("svc", base, head)
    assert rule in {f.id for f in found}, [f.id for f in found]
    assert next(f for f in found if f.id == rule).level == RULES[rule][0]
    assert not compare_openapi("svc", base, copy.deepcopy(base))


def test_refs_and_all_of_are_compared_by_meaning_not_by_text() -> None:
    """Moving properties into allOf of $refs is no change; a change inside a referenced schema is found."""
    flat = op_doc({"responses": ok({"type": "object", "properties": {"id": {"type": "integer"}, "name": S},
                                    "required": ["id", "name"]})})
    composed = op_doc({"responses": ok({"$ref": "#/components/schemas/Item"})}, components={"schemas": {
        "Item": {"allOf": [{"$ref": "#/components/schemas/Base"},
                           {"type": "object", "properties": {"name": S}, "required": ["name"]}]},
        "Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}})
    assert not compare_openapi("svc", flat, composed)
    changed = copy.deepcopy(composed)
    changed["components"]["schemas"]["Base"]["properties"]["id"] = S
    found = compare_openapi("svc", composed, changed)
    assert [(f.id, f.message) for f in found] == [("response-property-type-changed",
                                                   "id: type integer became string")]


def test_recursive_schema_terminates() -> None:
    node = {"Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}, "v": S}}}
    base = op_doc({"responses": ok({"$ref": "#/components/schemas/Node"})}, components={"schemas": node})
    head = copy.deepcopy(base)
    head["components"]["schemas"]["Node"]["properties"]["v"] = {"type": "integer"}
    assert "response-property-type-changed" in ids(base, head)


def test_renamed_path_parameter_is_not_a_removed_path() -> None:
    base = op_doc({"responses": ok(), "parameters": [param("item_id", "path", True)]}, path="/v1/items/{item_id}")
    head = op_doc({"responses": ok(), "parameters": [param("id", "path", True)]}, path="/v1/items/{id}")
    assert not {i for i in ids(base, head) if i.startswith("api-")}


def test_locations_come_from_the_locators() -> None:
    from arrakis_docs.model.refs import SourceRef

    found = compare_openapi("svc", op_doc({"responses": ok(OBJ)}), op_doc({"responses": ok(OBJ_NO_NAME)}),
                            lambda p, m: SourceRef("old.py", 3), lambda p, m: SourceRef("new.py", 4))
    assert [(str(f.base), str(f.head)) for f in found] == [("old.py:3", "new.py:4")]
