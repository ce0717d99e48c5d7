"""Writer: one single-file OpenAPI document per API, beside its Backstage API entity.

The documents are JSON (``<api>.openapi.json``) so that Backstage discovery globs for entity files
(``catalog/**/*.yaml``, ``**/catalog-info.yaml``) never read a spec as an entity; the API entity carries the same
text inline as its ``spec.definition``.
"""

from __future__ import annotations

from typing import Any

from arrakis_docs.json_text import dump_json
from arrakis_docs.model.architecture import Api, ArchitectureModel, Diagnostic, Severity

SPEC_DIR = "apis"


def spec_filename(api: Api) -> str:
    """File name of an API's spec, relative to the folder holding the API entities."""
    return f"{api.name}.{api.kind}.json"


def spec_text(api: Api) -> str:
    """The spec file's text: what the file holds and what its API entity carries as ``spec.definition``."""
    return dump_json(api.document)


def spec_files(model: ArchitectureModel, catalog_dir: str) -> dict[str, str]:
    """Spec text by output path."""
    return {
        f"{catalog_dir}/{SPEC_DIR}/{spec_filename(api)}": spec_text(api)
        for api in model.apis
    }


def external_refs(document: Any, where: str = "#") -> list[str]:
    """JSON pointers of every ``$ref`` that leaves the document (a single-file spec has none)."""
    found: list[str] = []
    if isinstance(document, dict):
        ref = document.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            found.append(f"{where}: {ref}")
        for key, value in document.items():
            found.extend(external_refs(value, f"{where}/{key}"))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found.extend(external_refs(value, f"{where}/{i}"))
    return found


def single_file_problems(model: ArchitectureModel) -> list[Diagnostic]:
    """A diagnostic per external ``$ref`` in any API document."""
    apps = {s.name: s.app.location for s in model.services}
    # Reported at the app the spec comes from (a file and line the user can open), not at the spec's name.
    return [
        Diagnostic(apps[api.service].path if api.service in apps else f"{api.name}.{api.kind}",
                   apps[api.service].line if api.service in apps else 1,
                   f"external $ref not allowed in a single-file spec {api.name}: {ref}; define the schema in the "
                   "service or inline it", Severity.ERROR)
        for api in model.apis
        for ref in external_refs(api.document)
    ]
