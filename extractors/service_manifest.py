"""``service.yaml``: a service's metadata, read and checked against the published JSON Schema.

The schema ships with the package (``arrakis_docs/schemas/service.schema.json``). A field of the wrong type is an
error diagnostic naming the field and its line and is left out (the default is used), never converted with
``str()``; malformed YAML is one diagnostic line and the service keeps its defaults.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml

from arrakis_docs.model.refs import Diagnostic, Severity

SCHEMA_RESOURCE = ("arrakis_docs", "schemas/service.schema.json")
_JSON_TYPES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list",
               dict: "a mapping", type(None): "null"}
_SCHEMA_TYPES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
                 "array": "a list", "object": "a mapping", "null": "null"}


@cache
def service_schema() -> dict[str, Any]:
    """The published JSON Schema of ``service.yaml``."""
    package, name = SCHEMA_RESOURCE
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = service_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def read_service_manifest(path: str, text: str, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """The valid fields of the ``service.yaml`` at ``path`` (its ``text``); problems go to ``diagnostics``.

    Returns ``{}`` for an empty, malformed or non-mapping file; otherwise the fields that pass the schema, plus
    ``__path__``. Every invalid field is reported at its own line and dropped.
    """
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        diagnostics.append(_yaml_problem(path, exc))
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        diagnostics.append(Diagnostic(path, _line(node), f"service.yaml must be a mapping of fields (name, owner, "
                                      f"lifecycle, ...), not {_kind(data)}; it is ignored, fix the file"))
        return {}
    if "apiVersion" in data and "kind" in data:  # a Kubernetes/Helm manifest that happens to share the name
        diagnostics.append(Diagnostic(path, _line(node), "service.yaml is a Kubernetes manifest, not service "
                                      "metadata; ignored", Severity.INFO))
        return {}
    dropped: set[str] = set()
    found = []
    for error in sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        field, where, message, severity = _describe(error, node)
        if field in dropped:  # one diagnostic per dropped field: the first problem is enough to fix it
            continue
        dropped.add(field)
        found.append(Diagnostic(path, where, message, severity))
    diagnostics.extend(sorted(found, key=lambda d: (d.line, d.message)))
    valid = {key: value for key, value in data.items() if str(key) not in dropped}
    valid["__path__"] = path
    return valid


def _yaml_problem(path: str, exc: yaml.YAMLError) -> Diagnostic:
    """One line for a YAML error: where the parser gave up and why, not its multi-line dump."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        # The construct that never closed (an open quote, a bracket) is where the fix goes, not where parsing ended.
        problem = f"{context}, {problem} (line {mark.line + 1})"
        mark = context_mark
    elif context:
        problem = f"{context}, {problem}"
    line = mark.line + 1 if mark is not None else 1
    return Diagnostic(path, line, f"service.yaml is not valid YAML: {problem}; fix the file (defaults used)")


def _describe(error: jsonschema.ValidationError, root: yaml.Node) -> tuple[str, int, str, Severity]:
    """The top-level field an error drops, its line, and a message naming the field and what was expected."""
    where = list(error.absolute_path)
    if error.validator == "additionalProperties" and not where:
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)
        field = str(unknown[0]) if unknown else ""
        known = ", ".join(service_schema()["properties"])
        return (field, _line(_key_node(root, field) or root),
                f"service.yaml: unknown field {field!r} ignored (known fields: {known})", Severity.WARNING)
    field = str(where[0]) if where else ""
    dotted = ".".join(str(part) for part in where) or "(document)"
    node = _node_at(root, where)
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        message = f"must be {' or '.join(_SCHEMA_TYPES.get(t, t) for t in expected)}, not {_kind(error.instance)}"
    elif error.validator == "required":
        message = error.message
    else:
        message = f"is not valid: {error.message}"
    return (field, _line(node),
            f"service.yaml: field {dotted!r} {message}; the field is ignored (the default is used), fix the file",
            Severity.ERROR)


def _kind(value: Any) -> str:
    name = next((label for kind, label in _JSON_TYPES.items() if type(value) is kind), type(value).__name__)
    shown = json.dumps(value, default=str) if not isinstance(value, (dict, list)) else ""
    return f"{name} {shown}".strip() if len(shown) <= 40 else name


def _key_node(mapping: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(mapping, yaml.MappingNode):
        for key_node, _ in mapping.value:
            if str(key_node.value) == key:
                return key_node
    return None


def _node_at(root: yaml.Node, where: list[Any]) -> yaml.Node:
    """The YAML node at a JSON path (keys and list indexes), a mapping entry by its key (the line a reader looks
    at); the deepest one found when the path goes further."""
    node, shown = root, root
    for part in where:
        if isinstance(node, yaml.MappingNode):
            pair = next(((key, value) for key, value in node.value if str(key.value) == str(part)), None)
            if pair is None:
                break
            shown, node = pair
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            shown = node = node.value[part]
        else:
            break
    return shown


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1
