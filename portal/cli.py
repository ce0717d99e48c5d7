"""The ``arrakis-docs`` command line. Kept thin: each command's logic lives in ``portal/commands/``, imported only when
that command runs (``serve`` alone pulls in a web server and an HTTP client; ``generate`` should not pay for them)."""

from __future__ import annotations

import sys

import click

from arrakis_docs.commands.common import Target

repo_option = click.option("--repo", default=".", show_default=True, type=click.Path(exists=True, file_okay=False),
                           help="Repository to document.")
out_option = click.option("--out", default=None, type=click.Path(file_okay=False),
                          help="Output root holding catalog/ and docs/ (default: the repository).")


@click.group()
@click.version_option(package_name="arrakis-docs", message="%(prog)s %(version)s")  # from the installed metadata
def main() -> None:
    """Architecture documentation generated from the code and infrastructure it describes."""


@main.command()
@repo_option
@out_option
@click.option("--check", is_flag=True, help="Regenerate in memory, print what differs; exit 1 on drift, 2 when an "
              "error diagnostic was raised (as --strict).")
@click.option("--strict", is_flag=True,
              help="Exit 2 when an error diagnostic was raised (the output is still written).")
@click.option("--static-only", is_flag=True, help="Never import application code; read the AST only.")
@click.option("--only", default="", metavar="NAME", help="Extract this service afresh, others from cache.")
@click.option("--from-url", multiple=True, metavar="[NAME=]URL", help="Read a running service's /openapi.json.")
@click.option("--with-checkov", is_flag=True, help="Run checkov first and record its per-module summary.")
@click.option("-v", "--verbose", is_flag=True, help="Show every diagnostic (not only the first 50 errors and "
              "warnings), info lines and every written file.")
def generate(repo: str, out: str | None, check: bool, strict: bool, static_only: bool, only: str,
             from_url: tuple[str, ...], verbose: bool, with_checkov: bool) -> None:
    """Scan the repository and write the catalog and API specs.

    Errors and warnings are printed as `path:line: severity: message`. Exit codes: 0 done, 1 drift (--check),
    2 an error diagnostic was raised under --strict or --check.
    """
    from arrakis_docs.commands import generate as generate_command

    sys.exit(generate_command.run(Target.of(repo, out), check, static_only, only, verbose, from_url,
                                  with_checkov, strict))


@main.command()
@repo_option
@out_option
@click.option("-v", "--verbose", is_flag=True, help="Show progress lines.")
def validate(repo: str, out: str | None, verbose: bool) -> None:
    """Check the generated output with Backstage's validators, a referential check, and OpenAPI linters."""
    from arrakis_docs.commands import validate as validate_command

    sys.exit(validate_command.run(Target.of(repo, out), verbose))


@main.command()
@repo_option
@out_option
@click.option("--json", "as_json", is_flag=True, help="Print the whole model as canonical JSON.")
@click.option("--static-only", is_flag=True, help="Never import application code; read the AST only.")
@click.option("-v", "--verbose", is_flag=True, help="Show progress lines and warnings.")
def model(repo: str, out: str | None, as_json: bool, static_only: bool, verbose: bool) -> None:
    """Print the extracted architecture model."""
    from arrakis_docs.commands import model as model_command

    sys.exit(model_command.run(Target.of(repo, out), as_json, static_only, verbose))


@main.command()
@repo_option
@out_option
@click.option("--skip-generate", is_flag=True, help="Build from the pages already on disk.")
@click.option("--static-only", is_flag=True, help="Never import application code; read the AST only.")
@click.option("--site", default=None, type=click.Path(file_okay=False), help="Output folder (default: site/).")
@click.option("-v", "--verbose", is_flag=True, help="Show warnings and every written file.")
def build(repo: str, out: str | None, skip_generate: bool, static_only: bool, site: str | None, verbose: bool) -> None:
    """Generate, then build the portal with `mkdocs build --strict` (vendored assets, no network)."""
    from arrakis_docs.commands import build as build_command

    sys.exit(build_command.run(Target.of(repo, out), skip_generate, static_only, site, verbose))


@main.command()
@repo_option
@out_option
@click.option("--host", default="127.0.0.1", show_default=True, envvar="ARRAKIS_HOST")
@click.option("--port", default=8000, show_default=True, type=int, envvar="ARRAKIS_PORTAL_PORT")
@click.option("--build", "rebuild", is_flag=True, help="Rebuild the site (without generating) before serving.")
@click.option("--traces-dir", default=None, type=click.Path(file_okay=False), envvar="ARRAKIS_TRACES_DIR",
              help="Receive OTLP/HTTP spans on POST /v1/traces into this folder (default: var/traces of --out).")
def serve(repo: str, out: str | None, host: str, port: int, rebuild: bool, traces_dir: str | None) -> None:
    """Serve the built portal with /status.json (live health), the API proxy for Swagger UI and an OTLP/HTTP trace
    receiver (POST /v1/traces, protobuf or JSON, appended as OTLP JSON lines)."""
    from pathlib import Path

    from arrakis_docs.commands import serve as serve_command

    target = Target.of(repo, out)
    traces = Path(traces_dir).resolve() if traces_dir else target.out / "var" / "traces"
    sys.exit(serve_command.run(target, host, port, rebuild, traces))


@main.command()
@repo_option
@out_option
@click.option("--traces", multiple=True, type=click.Path(), metavar="PATH",
              help="OTLP JSON line files or folders of them (default: var/traces of --out, where `make up` puts "
              "them).")
@click.option("--jaeger", default="", metavar="URL", help="Read spans from a Jaeger query API instead.")
@click.option("--tempo", default="", metavar="URL", help="Read spans from a Tempo API instead.")
@click.option("--lookback", default="1h", show_default=True, help="Window to ask Jaeger or Tempo for.")
@click.option("--limit", default=1000, show_default=True, type=int, help="Traces to ask Jaeger or Tempo for.")
@click.option("--model", "model_file", default="", type=click.Path(dir_okay=False),
              help="Reconcile with this `model --json` file instead of scanning the repository.")
@click.option("--static-only", is_flag=True, help="Never import application code; read the AST only.")
@click.option("--fail-on", type=click.Choice(["observed-only", "declared-only", "never"]), default="never",
              show_default=True, help="Exit 1 when an edge carries this label (CI: observed-only).")
@click.option("--report", default="", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--dependencies", default="", type=click.Path(dir_okay=False),
              help="Write service call counts here, in Jaeger's /api/dependencies format.")
@click.option("--pages", is_flag=True, help="Write the portal's Runtime and flow pages (var/runtime/pages).")
@click.option("--site", is_flag=True, help="Write the pages and rebuild the portal's site, so `serve` shows them.")
@click.option("--no-flows", is_flag=True, help="Skip the flow diagrams (one pass over the spans instead of two).")
@click.option("-v", "--verbose", is_flag=True, help="Show progress lines.")
def runtime(repo: str, out: str | None, traces: tuple[str, ...], jaeger: str, tempo: str, lookback: str, limit: int,
            model_file: str, static_only: bool, fail_on: str, report: str, dependencies: str, pages: bool,
            site: bool, no_flows: bool, verbose: bool) -> None:
    """The call graph observed in traces, reconciled with the code: every edge declared-and-observed,
    declared-only or observed-only, per protocol (HTTP, NATS, databases), with counts and latencies.

    Exit codes: 0 done, 1 an edge carries the --fail-on label, 2 no spans could be read.
    """
    from arrakis_docs.commands import runtime as runtime_command

    sys.exit(runtime_command.run(Target.of(repo, out), traces, jaeger, tempo, lookback, limit, model_file,
                                 static_only, fail_on, report, dependencies, pages, site, not no_flows, verbose))


@main.command()
@click.argument("name", type=click.Choice(["service-yaml"]))
def schema(name: str) -> None:
    """Print the JSON Schema a file the toolkit reads is checked against (service-yaml: service.yaml)."""
    import json

    from arrakis_docs.extractors.service_manifest import service_schema

    click.echo(json.dumps(service_schema(), indent=2, sort_keys=True))


@main.command()
@click.argument("base")
@click.argument("head", default="HEAD")
@repo_option
@click.option("--format", "output_format", type=click.Choice(["markdown", "json", "text"]), default="markdown",
              show_default=True, help="markdown: the pull-request comment; json: every finding; text: one per line.")
@click.option("--fail-on", type=click.Choice(["breaking", "warning", "never"]), default="breaking",
              show_default=True, help="Exit 1 when a finding of this severity (or worse) is found.")
@click.option("--compatibility", "mode", type=click.Choice(["BACKWARD", "FORWARD", "FULL", "NONE",
              "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"], case_sensitive=False), default="FULL",
              show_default=True,
              help="Which event consumers must keep working: new readers of old events (BACKWARD), old readers "
              "of new events (FORWARD) or both (FULL); _TRANSITIVE: against every earlier version of the payload "
              "in git history (see --history), not only BASE's.")
@click.option("--history", "history_limit", type=click.IntRange(0, 200), default=20, show_default=True,
              help="_TRANSITIVE modes: how many commits before BASE that changed a payload model are read.")
@click.option("--import-apps", is_flag=True, help="Import each side's apps for their OpenAPI documents and "
              "payload schemas (default: static, nothing executed).")
@click.option("--no-cache", is_flag=True, help="Extract both sides afresh.")
@click.option("--output", "-o", default=None, type=click.Path(dir_okay=False), help="Write here, not stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Show progress lines.")
def diff(base: str, head: str, repo: str, output_format: str, fail_on: str, mode: str, history_limit: int,
         import_apps: bool, no_cache: bool, output: str | None, verbose: bool) -> None:
    """Contract and architecture changes from BASE to HEAD (git refs of --repo, folders, or `model --json` files).

    Exit codes: 0 nothing at --fail-on level, 1 a finding at that level, 2 a side could not be read.
    """
    from pathlib import Path

    from arrakis_docs.commands import diff as diff_command

    sys.exit(diff_command.run(Path(repo).resolve(), base, head, output_format, fail_on, mode, not import_apps,
                              not no_cache, output, verbose, history_limit))


@main.group()
def export() -> None:
    """Write the documentation in another tool's format."""


@export.command("eventcatalog")
@click.argument("directory", type=click.Path(file_okay=False))
@repo_option
@click.option("--static-only", is_flag=True, help="Never import application code; read the AST only.")
@click.option("-v", "--verbose", is_flag=True, help="Show progress lines and warnings.")
def export_eventcatalog(directory: str, repo: str, static_only: bool, verbose: bool) -> None:
    """Write an EventCatalog (domains, services, events, channels, teams) of the platform's events into DIRECTORY."""
    from arrakis_docs.commands import export as export_command

    sys.exit(export_command.run(Target.of(repo, None), directory, static_only, verbose))
