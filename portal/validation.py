"""Checks of the generated output by its real consumers, each problem one ``path:line: message`` line.

* Backstage's own entity policies and kind validators (``node/validate-catalog.mjs``, pinned in package.json).
* A referential check Backstage does not do: every entity a relation names exists.
* Every OpenAPI document: openapi-spec-validator, then ``redocly lint`` with the repository's ``redocly.yaml``, else
  the one shipped in the package.

The Node checks are optional: their packages come from ``$ARRAKIS_DOCS_NODE_MODULES``, the scanned repository's
``node_modules`` or, when running from the toolkit's source checkout, the checkout's; a check whose package is
nowhere is skipped with the command that enables it (``node_check_skips``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
NODE_SCRIPTS = PACKAGE_DIR / "node"  # the .mjs validators, shipped as package data
DEFAULT_REDOCLY_CONFIG = PACKAGE_DIR / "redocly.yaml"
NODE_MODULES_ENV = "ARRAKIS_DOCS_NODE_MODULES"  # user's node_modules folder(s), os.pathsep-separated
SCRIPT_MODULES_ENV = "ARRAKIS_DOCS_NODE_MODULES_DIR"  # tells a script where to import its package from


@dataclass(frozen=True)
class NodeCheck:
    """One optional check run by Node: its name, the npm package it needs, pinned as package.json pins it."""

    name: str
    package: str
    version: str


BACKSTAGE = NodeCheck("Backstage validators", "@backstage/catalog-model", "1.10.3")
REDOCLY = NodeCheck("Redocly lint", "@redocly/cli", "2.77.0")
ASYNCAPI = NodeCheck("AsyncAPI parser", "@asyncapi/parser", "3.6.3")
NODE_CHECKS = (BACKSTAGE, REDOCLY, ASYNCAPI)
# spec field -> default kind of the refs it holds (None: the ref must name its kind)
RELATION_FIELDS: dict[str, str | None] = {
    "owner": "group",
    "system": "system",
    "domain": "domain",
    "subdomainOf": "domain",
    "subcomponentOf": "component",
    "providesApis": "api",
    "consumesApis": "api",
    "dependsOn": None,
    "dependencyOf": None,
    "parent": "group",
    "children": "group",
    "members": "user",
    "memberOf": "group",
}


@dataclass
class Problem:
    """One finding, printed as ``path:line: check: message``."""

    path: str
    line: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.check}: {self.message}"


@dataclass
class LoadedCatalog:
    """Entities read through the Location, with ``$text`` resolved, and the spec files they point at."""

    entities: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    specs: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    definitions: list[Path] = field(default_factory=list)  # every $text target (OpenAPI, AsyncAPI, ...)


def load_catalog(out: Path, catalog_dir: str) -> LoadedCatalog:
    """Follow ``catalog-info.yaml`` like Backstage does and read every target."""
    loaded = LoadedCatalog()
    index = out / catalog_dir / "catalog-info.yaml"
    rel = _rel(index, out)
    if not index.is_file():
        loaded.problems.append(Problem(rel, 0, "catalog", "missing; run `arrakis-docs generate`"))
        return loaded
    queue = [index]
    seen: set[Path] = set()
    while queue:
        path = queue.pop(0).resolve()
        if path in seen:
            continue
        seen.add(path)
        for entity in _read_entities(path, out, loaded):
            if entity.get("kind") == "Location":
                targets = entity.get("spec", {}).get("targets", []) or []
                queue.extend(path.parent / t for t in targets if isinstance(t, str))
            loaded.entities.append((_rel(path, out), _resolve_text(entity, path, out, loaded)))
    listed = {_rel(p, out) for p in seen} | {_rel(p, out) for p in [*loaded.specs, *loaded.definitions]}
    for stray in sorted((out / catalog_dir).rglob("*.yaml")):
        if _rel(stray, out) not in listed:
            loaded.problems.append(Problem(_rel(stray, out), 0, "catalog", "not reachable from catalog-info.yaml"))
    return loaded


def _rel(path: Path, out: Path) -> str:
    try:
        return path.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read_entities(path: Path, out: Path, loaded: LoadedCatalog) -> list[dict[str, Any]]:
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as exc:
        loaded.problems.append(Problem(_rel(path, out), 0, "catalog", f"cannot read: {exc}"))
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loaded.problems.append(Problem(_rel(path, out), mark.line + 1 if mark else 0, "catalog", f"bad YAML: {exc}"))
        return []
    return [d for d in documents if isinstance(d, dict)]


def _resolve_text(entity: dict[str, Any], path: Path, out: Path, loaded: LoadedCatalog) -> dict[str, Any]:
    definition = entity.get("spec", {}).get("definition")
    if isinstance(definition, str):
        _inline_definition(entity, definition, path, out, loaded)
        return entity
    if not (isinstance(definition, dict) and isinstance(definition.get("$text"), str)):
        return entity
    target = (path.parent / definition["$text"]).resolve()
    if not target.is_file():
        loaded.problems.append(Problem(_rel(path, out), 0, "catalog", f"$text target missing: {definition['$text']}"))
        return entity
    if entity.get("spec", {}).get("type") == "openapi":
        loaded.specs.append(target)
    loaded.definitions.append(target)
    resolved = json.loads(json.dumps(entity))
    resolved["spec"]["definition"] = target.read_text(encoding="utf-8")
    return resolved


def _inline_definition(entity: dict[str, Any], definition: str, path: Path, out: Path, loaded: LoadedCatalog) -> None:
    """An inline definition's spec file (annotation ``arrakis-docs/definition-file``) is checked like a ``$text``
    target, and must hold the same text."""
    named = (entity.get("metadata", {}).get("annotations") or {}).get("arrakis-docs/definition-file")
    if not isinstance(named, str):
        return
    target = (path.parent / named).resolve()
    if not target.is_file():
        loaded.problems.append(Problem(_rel(path, out), 0, "catalog", f"definition file missing: {named}"))
        return
    if target.read_text(encoding="utf-8") != definition:
        loaded.problems.append(Problem(_rel(path, out), 0, "catalog", f"spec.definition differs from {named}"))
    if entity.get("spec", {}).get("type") == "openapi":
        loaded.specs.append(target)
    loaded.definitions.append(target)


# ---------------------------------------------------------------- referential check


def _entity_key(ref: str, default_kind: str | None) -> str | None:
    """``kind:namespace/name`` in lowercase, as Backstage compares refs; None when the kind is missing."""
    if ":" in ref:
        kind, ref = ref.split(":", 1)
    elif default_kind is None:
        return None
    else:
        kind = default_kind
    namespace, _, name = ref.rpartition("/")
    return f"{kind}:{namespace or 'default'}/{name}".lower()


def referential_problems(entities: list[tuple[str, dict[str, Any]]]) -> list[Problem]:
    """Every relation field must name an entity that exists in the catalog."""
    known = set()
    for _, entity in entities:
        metadata = entity.get("metadata", {})
        known.add(f"{entity.get('kind')}:{metadata.get('namespace', 'default')}/{metadata.get('name')}".lower())
    problems = []
    for path, entity in entities:
        spec = entity.get("spec", {}) if isinstance(entity.get("spec"), dict) else {}
        name = f"{entity.get('kind')}:{entity.get('metadata', {}).get('name')}"
        for key, default_kind in RELATION_FIELDS.items():
            values = spec.get(key)
            for ref in values if isinstance(values, list) else [values] if isinstance(values, str) else []:
                target = _entity_key(ref, default_kind)
                if target is None:
                    problems.append(Problem(path, 0, "references", f"{name} spec.{key} {ref!r} names no kind"))
                elif target not in known:
                    problems.append(Problem(path, 0, "references", f"{name} spec.{key} {ref!r}: no such entity"))
    return problems


# ---------------------------------------------------------------- Node tools


def toolkit_checkout() -> Path | None:
    """The toolkit's source checkout this package runs from (a package.json beside the package folders), else None."""
    root = PACKAGE_DIR.parent
    if (root / "package.json").is_file() and (root / "portal" / Path(__file__).name).is_file():
        return root
    return None


def ensure_node_modules(root: Path | None = None) -> str | None:
    """In the toolkit's own checkout, install the pinned Node toolset with ``npm ci`` when it is missing or older
    than the lock file; returns an error message or None. Elsewhere (an installed wheel) it does nothing."""
    root = root or toolkit_checkout()
    if root is None:
        return None
    lock = root / "package-lock.json"
    modules = root / "node_modules"
    if modules.is_dir() and (not lock.is_file() or modules.stat().st_mtime >= lock.stat().st_mtime):
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm not found; install Node 20 to run the Backstage and Redocly checks"
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        return f"npm ci failed: {done.stderr.strip()[-500:]}"
    modules.touch()
    return None


def node_modules_candidates(repo: Path) -> list[Path]:
    """Where Node packages are looked for, in order: ``$ARRAKIS_DOCS_NODE_MODULES``, the scanned repository's
    ``node_modules``, the toolkit checkout's ``node_modules`` (only when running from a checkout)."""
    found = [Path(p) for p in os.environ.get(NODE_MODULES_ENV, "").split(os.pathsep) if p]
    found.append(repo / "node_modules")
    checkout = toolkit_checkout()
    if checkout is not None:
        found.append(checkout / "node_modules")
    return found


def find_node_modules(check: NodeCheck, repo: Path) -> Path | None:
    """The first ``node_modules`` folder holding the check's package, or None."""
    for modules in node_modules_candidates(repo):
        if (modules / check.package / "package.json").is_file():
            return modules.resolve()
    return None


def skip_line(check: NodeCheck, node_found: bool = True) -> str:
    """The one line printed for a skipped check, with the command that enables it."""
    install = (f"npm install --prefix DIR {check.package}@{check.version} and set "
               f"{NODE_MODULES_ENV}=DIR/node_modules")
    prefix = "" if node_found else "install Node >= 20, then "
    return f"skipped: {check.name} ({check.package}): {prefix}{install}"


def _node_env(modules: Path) -> dict[str, str]:
    return {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1",
            SCRIPT_MODULES_ENV: str(modules)}


def _modules_or_cwd(check: NodeCheck, modules: Path | None) -> Path | None:
    # Callers that resolved nothing (tests, library use) get the current directory's resolution order.
    return modules if modules is not None else find_node_modules(check, Path.cwd())


def backstage_problems(entities: list[tuple[str, dict[str, Any]]], modules: Path | None = None) -> list[Problem]:
    """Problems Backstage's own validators find in the entities; ``modules`` holds @backstage/catalog-model."""
    script = NODE_SCRIPTS / "validate-catalog.mjs"
    modules = _modules_or_cwd(BACKSTAGE, modules)
    if modules is None:
        return [Problem(script.name, 0, "backstage", skip_line(BACKSTAGE))]
    payload = json.dumps([{"file": path, "entity": entity} for path, entity in entities])
    done = subprocess.run(["node", str(script)], input=payload, cwd=modules.parent, capture_output=True, text=True,
                          env=_node_env(modules), check=False)
    if done.returncode != 0:
        return [Problem(script.name, 0, "backstage", f"validator failed: {done.stderr.strip()[-500:]}")]
    return [Problem(p["file"], 0, "backstage", p["message"]) for p in json.loads(done.stdout or "[]")]


def _redocly_command(modules: Path) -> list[str]:
    """``redocly`` as npm links it, else the package's own bin script run by node."""
    linked = modules / ".bin" / "redocly"
    if linked.is_file():
        return [str(linked)]
    manifest = json.loads((modules / REDOCLY.package / "package.json").read_text(encoding="utf-8"))
    bin_field = manifest.get("bin", {})
    script = bin_field.get("redocly") if isinstance(bin_field, dict) else bin_field
    return ["node", str(modules / REDOCLY.package / (script or "bin/cli.js"))]


def redocly_problems(specs: list[Path], out: Path, config: Path, modules: Path | None = None) -> list[Problem]:
    """Problems ``redocly lint`` finds with the given config; ``modules`` holds @redocly/cli."""
    if not specs:
        return []
    modules = _modules_or_cwd(REDOCLY, modules)
    if modules is None:
        return [Problem(config.name, 0, "redocly", skip_line(REDOCLY))]
    command = [*_redocly_command(modules), "lint", "--config", str(config), "--format=json", *map(str, specs)]
    done = subprocess.run(command, cwd=out, capture_output=True, text=True, env=_node_env(modules), check=False)
    reports = _json_documents(done.stdout)
    if not reports:
        return [Problem(str(config.name), 0, "redocly", f"lint failed: {(done.stderr or done.stdout)[-500:]}")]
    problems = []
    for item in (p for report in reports for p in report.get("problems", [])):
        location = (item.get("location") or [{}])[0]
        source = location.get("source", {}).get("ref", "")
        path = _rel((out / source), out) if source else "?"
        line = location.get("start", {}).get("line", 0)
        problems.append(Problem(path, line, "redocly", f"{item.get('severity')} {item.get('ruleId')}: "
                                                       f"{item.get('message')}"))
    return problems


def _json_documents(text: str) -> list[dict[str, Any]]:
    """Redocly prints one JSON report per file, back to back."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while (start := text.find("{", position)) != -1:
        try:
            document, position = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            break
        documents.append(document)
    return documents


# ---------------------------------------------------------------- OpenAPI


class _Seen(list):  # type: ignore[type-arg]
    """The list the validator keeps seen schema ids and operation ids in, with ``in`` in constant time (the
    library's own lists make a spec of n operations cost n² comparisons)."""

    def __init__(self) -> None:
        super().__init__()
        self._members: set[Any] = set()

    def append(self, item: Any) -> None:
        self._members.add(item)

    def __contains__(self, item: object) -> bool:
        return item in self._members


# Operation fields no check of openapi-spec-validator's reads beyond the document schema (which sees all of them).
_UNCHECKED_FIELDS = ("summary", "description", "tags", "operationId", "externalDocs", "deprecated")


def _path_shape(url: str, item: Any, operations: list[str]) -> str:
    """What the path checks of one path item depend on: its URL's parameter names and its content, less the
    fields they never read. Two path items of one shape get the same findings."""
    if not isinstance(item, dict):
        return json.dumps([url, item], sort_keys=True, default=str)
    kept = {k: ({f: v for f, v in op.items() if f not in _UNCHECKED_FIELDS} if k in operations and isinstance(op, dict)
                else op) for k, op in item.items()}
    return json.dumps([sorted(re.findall(r"{([^{}]*)}", url)), kept], sort_keys=True, default=str)


def _fast_validator(base: type) -> type:
    """``base`` (an openapi-spec-validator spec validator) in time linear in the spec: each distinct schema checked
    against the dialect once, seen-lists kept in sets, the path checks run once per distinct path-item shape (URL
    parameter names + content), operation ids checked for uniqueness over every operation. Nothing is left
    unchecked: the document schema still sees the whole spec, and equal shapes get equal findings."""
    from openapi_spec_validator.validation import keywords
    from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError

    class MemoSchemaValidator(base.keyword_validators["schema"]):  # type: ignore[misc, name-defined]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.visited_schema_ids = _Seen()
            self.meta_checked_schema_ids = _Seen()
            self.meta_results: dict[str, Any] = {}

        def _validate_schema_meta(self, schema: Any, schema_value: Any) -> Any:
            # Whether a schema obeys the dialect depends on its content only: equal schemas are checked once.
            key = json.dumps(schema_value, sort_keys=True, default=str)
            if key not in self.meta_results:
                self.meta_results[key] = super()._validate_schema_meta(schema, schema_value)
            return self.meta_results[key]

    class UniqueIdsElsewhere(keywords.OperationValidator):
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.operation_ids_registry = _Unseen()  # ShapePaths checks ids over every operation

    path_class = base.keyword_validators["path"]

    class ShapePaths(keywords.PathsValidator):
        def __call__(self, paths: Any) -> Any:
            raw = paths.read_value()
            if not isinstance(raw, dict):
                yield from super().__call__(paths)
                return
            operations = list(getattr(path_class, "OPERATIONS", keywords.PathValidator.OPERATIONS))
            ids: set[Any] = set()
            shapes: set[str] = set()
            for url, item in raw.items():
                for name, operation in item.items() if isinstance(item, dict) else []:
                    op_id = operation.get("operationId") if isinstance(operation, dict) else None
                    if name in operations and op_id is not None:
                        if op_id in ids:
                            yield DuplicateOperationIDError(f"Operation ID '{op_id}' for '{name}' in '{url}' is not "
                                                            "unique")
                        ids.add(op_id)
                shape = _path_shape(str(url), item, operations)
                if shape not in shapes:
                    shapes.add(shape)
                    yield from self.path_validator(url, paths / url)

    return type(f"Fast{base.__name__}", (base,), {"keyword_validators": {
        **base.keyword_validators, "schema": MemoSchemaValidator, "operation": UniqueIdsElsewhere,
        "paths": ShapePaths}})


class _Unseen(list):  # type: ignore[type-arg]
    """A seen-list that never holds anything (its check is made elsewhere)."""

    def append(self, item: Any) -> None:
        return None

    def __contains__(self, item: object) -> bool:
        return False


def validate_openapi(document: Any) -> None:
    """openapi-spec-validator on ``document`` (raises its first error), in time linear in the spec's size: the
    Rust JSON Schema backend where jsonschema-rs is installed, and the fast validator classes above for 3.x."""
    from openapi_spec_validator import validate  # imported here: only `validate` pays for it
    from openapi_spec_validator.validation import validators

    version = str(document.get("openapi", "")) if isinstance(document, dict) else ""
    bases = {"3.0": validators.OpenAPIV30SpecValidator, "3.1": validators.OpenAPIV31SpecValidator,
             "3.2": getattr(validators, "OpenAPIV32SpecValidator", None)}
    base = bases.get(version[:3])
    if base is None:  # Swagger 2.0 or unknown: the library's own choice and message
        validate(document)
        return
    validate(document, cls=_fast_validator(base))


def _load_spec(text: str) -> Any:
    """A spec as JSON when it is JSON (what ``generate`` writes), else YAML through libyaml when PyYAML has it:
    parsing a 15 MB spec as YAML takes most of a minute, as JSON under a second."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow mappings start with a brace too
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  # nosec B506


def openapi_problems(specs: list[Path], out: Path) -> list[Problem]:
    """Problems openapi-spec-validator finds; dangling ``$ref`` and other resolver errors included."""
    problems = []
    for spec in specs:
        try:
            document = _load_spec(spec.read_text(encoding="utf-8"))
            validate_openapi(document)
        except Exception as exc:  # noqa: BLE001 - the validator raises resolver errors of many types on bad $ref
            message = str(getattr(exc, "message", "") or exc).splitlines()[0]
            problems.append(Problem(_rel(spec, out), 0, "openapi", f"{type(exc).__name__}: {message}"))
            continue
        if isinstance(document, dict) and not document.get("paths"):  # valid, yet documents nothing: not ok
            problems.append(Problem(_rel(spec, out), 1, "openapi", "the spec has 0 paths: no route of the service "
                                    "was understood; see the diagnostics of `arrakis-docs generate`"))
    return problems


# ---------------------------------------------------------------- AsyncAPI and events


def asyncapi_specs(out: Path, catalog_dir: str) -> list[Path]:
    """Every generated AsyncAPI document."""
    return sorted((out / catalog_dir).glob("apis/*.asyncapi.json"))


def asyncapi_problems(specs: list[Path], out: Path, modules: Path | None = None) -> list[Problem]:
    """Diagnostics of severity error from @asyncapi/parser (``node/validate-asyncapi.mjs``); ``modules`` holds it."""
    if not specs:
        return []
    script = NODE_SCRIPTS / "validate-asyncapi.mjs"
    modules = _modules_or_cwd(ASYNCAPI, modules)
    if modules is None:
        return [Problem(script.name, 0, "asyncapi", skip_line(ASYNCAPI))]
    done = subprocess.run(["node", str(script), *map(str, specs)], capture_output=True, text=True, cwd=out,
                          env=_node_env(modules), timeout=300, check=False)
    try:
        found = json.loads(done.stdout or "null")
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, list):
        return [Problem(script.name, 0, "asyncapi", (done.stderr.strip() or "no output")[-300:])]
    return [Problem(_rel(Path(d["file"]), out), d["line"], "asyncapi", f"{d['code']}: {d['message']}")
            for d in found if d.get("severity") == 0]


def event_orphan_warnings(specs: list[Path], out: Path) -> list[Problem]:
    """Published but never consumed, consumed but never published, matched only through wildcards (warnings)."""
    from arrakis_docs.event_pages import orphan_report  # imported here: only `validate` pays for it

    platform = next((s for s in specs if s.name == "platform-events.asyncapi.json"), None)
    if platform is None:
        return []
    document = yaml.safe_load(platform.read_text(encoding="utf-8")) or {}
    return [Problem(_rel(platform, out), 0, "events", f"warning: {line}") for line in orphan_report(document)]


# ---------------------------------------------------------------- code rules (from the model)


def code_rule_problems(model: Any) -> tuple[list[Problem], list[Problem]]:
    """``(errors, warnings)``: a service importing another service's package is an error at its file:line;
    a module import cycle is a warning."""
    owner = model.code.service_of_package()
    errors, warnings = [], []
    for code in model.code.services:
        for used in code.package_imports:
            other = owner.get(used.package, code.service)
            if other != code.service:
                errors.append(Problem(used.location.path, used.location.line, "imports",
                                      f"{code.service} imports {used.package} of {other}: services may import "
                                      f"shared libraries only, never each other"))
        for group in code.cycles:
            first = next((i.location for i in code.imports if i.source in group and i.target in group), None)
            warnings.append(Problem(first.path if first else "", first.line if first else 0, "cycles",
                                    f"{code.service}: import cycle {' -> '.join(group)}"))
    return errors, warnings
