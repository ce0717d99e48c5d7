"""Names that deployment manifests give to code directories: docker-compose services and Helm charts.

A monorepo's code folders are often called ``app`` or ``src``; what the repository itself calls each service is
written in its compose file (``services: {orders: {build: ./services/orders}}``) or its Helm chart
(``Chart.yaml``'s ``name``). Read from the source tree only, never from the network or a cluster.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import yaml

from arrakis_docs.extractors.source_tree import SourceTree

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
CHART_FILE = "Chart.yaml"
_MAX_BYTES = 512_000  # a deployment file larger than this is not a hand-written one


def _load(text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # a broken manifest only costs the names it would have given


def _normal(folder: PurePosixPath) -> str:
    parts: list[str] = []
    for part in folder.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def compose_names(tree: SourceTree) -> dict[str, str]:
    """Repository-relative build folder -> compose service key, from every compose file in the tree.

    ``build: ./orders`` and ``build: {context: ./orders}`` both count; the first compose file (by path) to name a
    folder wins, so the answer never depends on directory order."""
    names: dict[str, str] = {}
    for path, f in sorted(tree.files.items()):
        if PurePosixPath(path).name not in COMPOSE_FILES or len(f.data) > _MAX_BYTES:
            continue
        data = _load(f.text)
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        base = PurePosixPath(path).parent
        for key, spec in sorted(services.items(), key=lambda kv: str(kv[0])):
            build = spec.get("build") if isinstance(spec, dict) else None
            context = build.get("context") if isinstance(build, dict) else build
            if isinstance(context, str) and "://" not in context:
                names.setdefault(_normal(base / context), str(key))
    return names


def chart_names(tree: SourceTree) -> dict[str, str]:
    """Folder holding a Helm chart (``Chart.yaml``) -> the chart's name."""
    names: dict[str, str] = {}
    for path, f in sorted(tree.files.items()):
        if PurePosixPath(path).name != CHART_FILE or len(f.data) > _MAX_BYTES:
            continue
        data = _load(f.text)
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            names[_normal(PurePosixPath(path).parent)] = data["name"]
    return names


def deployed_name(directory: str, compose: dict[str, str], charts: dict[str, str]) -> str:
    """What the manifests call the service whose code lives in ``directory``: a compose service building it (or
    a folder above it, up to the repository root excluded), else a chart kept in it or in a folder right under it."""
    here = PurePosixPath(directory) if directory else PurePosixPath(".")
    for folder in (here, *here.parents):
        key = _normal(folder)
        if key in compose and (key or not directory):
            return compose[key]
        if not key:
            break
    prefix = f"{directory}/" if directory else ""
    inside = sorted((k, v) for k, v in charts.items() if k == directory or (
        k.startswith(prefix) and k.count("/") - prefix.count("/") <= 1))
    return inside[0][1] if inside else ""
