"""``arrakis-docs runtime``: spans -> observed graph -> reconciled with the model -> summary, reports, portal pages."""

from __future__ import annotations

import json
from pathlib import Path

import click

from arrakis_docs.commands.common import Target
from arrakis_docs.progress import Progress


def _get(url: str, params: dict[str, object]) -> object:
    import httpx

    response = httpx.get(url, params={k: v for k, v in params.items() if v is not None}, timeout=30,
                         headers={"Accept": "application/json"}, trust_env=False)
    response.raise_for_status()
    return response.json()


def run(target: Target, traces: tuple[str, ...], jaeger: str, tempo: str, lookback: str, limit: int,
        model_file: str, static_only: bool, fail_on: str, report: str, dependencies: str, pages: bool,
        site: bool, flows: bool, verbose: bool) -> int:
    """Read the spans, print the reconciliation; exit 1 when an edge carries the ``fail_on`` label, 2 when no
    spans could be read."""
    import httpx

    from arrakis_docs.extractors.traces import OtlpFiles, TraceInputError, observe, tempo_source, trace_files
    from arrakis_docs.runtime_report import (
        jaeger_dependencies,
        public_flows,
        reconcile,
        report_json,
        summary_lines,
    )

    progress = Progress(enabled=verbose)
    problems: list[str] = []
    jaeger_deps: list[dict[str, object]] = []
    try:
        if jaeger:
            from arrakis_docs.extractors.traces import jaeger_source

            with progress.step("jaeger"):
                source, jaeger_deps = jaeger_source(jaeger, _get, lookback, limit)
        elif tempo:
            with progress.step("tempo"):
                source = tempo_source(tempo, _get, lookback, limit)
        else:
            paths = [Path(p) for p in traces] or [target.out / "var" / "traces"]
            missing = [p for p in paths if not p.exists()]
            for path in missing:
                click.echo(f"{path}: no such file or folder; give --traces, or run `make up` so the portal "
                           "records spans there", err=True)
            source = OtlpFiles(trace_files(paths), problems)
    except (httpx.HTTPError, TraceInputError, ValueError) as exc:
        click.echo(f"{jaeger or tempo}: cannot read traces: {exc}", err=True)
        return 2
    with progress.step("observed graph") as notes:
        graph = observe(source, flows=flows)
        graph.problems = problems
        notes.append(f"{graph.spans} spans, {len(graph.edges)} edges, {len(graph.flows)} flows")
    if not graph.spans:
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"no spans found in {', '.join(graph.sources) or 'the given sources'}", err=True)
        return 2
    with progress.step("model"):
        model = _model(target, model_file, static_only, progress)
        if model is None:
            return 2
    result = reconcile(model, graph)
    public_flows(model, graph)
    for line in summary_lines(graph, result):
        click.echo(line)
    if report:
        _write(Path(report), report_json(graph, result))
    if dependencies:
        _write(Path(dependencies), json.dumps({"data": jaeger_dependencies(graph)}, indent=2, sort_keys=True) + "\n")
    if jaeger_deps:
        ours = {(d["parent"], d["child"]) for d in jaeger_dependencies(graph)}
        for dep in jaeger_deps:
            if (dep.get("parent"), dep.get("child")) not in ours:
                click.echo(f"jaeger lists {dep.get('parent')} -> {dep.get('child')} ({dep.get('callCount')} calls), "
                           "not in the spans read", err=True)
    if pages or site:
        from arrakis_docs.runtime_pages import write_pages

        folder = target.out / "var" / "runtime" / "pages"
        written = write_pages(folder, graph, result)
        click.echo(f"runtime pages: {written} files in {folder}", err=True)
    if site:
        from arrakis_docs.commands.build import build_site

        code = build_site(target, target.out / "site", progress)
        if code:
            click.echo("mkdocs build --strict failed", err=True)
            return code
    if fail_on != "never" and result.labelled(fail_on):
        click.echo(f"{len(result.labelled(fail_on))} {fail_on} edges", err=True)
        return 1
    return 0


def _model(target: Target, model_file: str, static_only: bool, progress: Progress):  # noqa: ANN202
    """The static model: from a ``model --json`` file, else scanned (cached)."""
    from arrakis_docs.model.architecture import ArchitectureModel, from_jsonable

    if model_file:
        try:
            return from_jsonable(ArchitectureModel, json.loads(Path(model_file).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            click.echo(f"{model_file}: not a `arrakis-docs model --json` file ({exc}); write one with "
                       "`arrakis-docs model --json > model.json`", err=True)
            return None
    from arrakis_docs.extractors.service_scan import ExtractOptions

    config = target.config
    options = ExtractOptions(static_only=static_only, python=config.python, import_timeout=config.import_timeout,
                             streams=config.streams)
    return target.model(progress, options)


def _write(path: Path, text: str) -> None:
    """Write atomically: a temporary file beside ``path``, renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
