"""What every command shares: loading the scanned repository's settings and running the scan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from arrakis_docs.extractors.config import RepoConfig, load_config
from arrakis_docs.extractors.service_scan import ExtractOptions
from arrakis_docs.model.architecture import ArchitectureModel, Diagnostic, Severity
from arrakis_docs.progress import Progress
from arrakis_docs.scan import ScanRequest, scan


@dataclass
class Target:
    """The repository a command works on and where its output lives."""

    repo: Path
    out: Path
    config: RepoConfig
    config_diagnostics: list[Diagnostic]

    @classmethod
    def of(cls, repo: str, out: str | None) -> Target:
        """Resolve ``--repo`` / ``--out`` (default: the repository itself, which holds catalog/ and docs/)."""
        root = Path(repo).resolve()
        config, diagnostics = load_config(root)
        return cls(root, Path(out).resolve() if out else root, config, diagnostics)

    @property
    def cache_root(self) -> Path:
        """The content-hash cache, inside the output folder (the repository itself when --out is not given)."""
        return self.out / self.config.cache_dir

    def model(self, progress: Progress, options: ExtractOptions | None = None, only: str = "",
              use_cache: bool = True) -> ArchitectureModel:
        """Scan the repository into its model."""
        options = options or ExtractOptions(python=self.config.python, import_timeout=self.config.import_timeout,
                                            streams=self.config.streams)
        request = ScanRequest(self.repo, self.config, options, only, self.config_diagnostics, use_cache,
                              self.cache_root)
        return scan(request, progress)


def report(diagnostics: list[Diagnostic], verbose: bool) -> None:
    """Print diagnostics to stderr, one ``path:line: severity: message`` line each; warnings only when verbose."""
    for diagnostic in diagnostics:
        if verbose or diagnostic.severity == Severity.ERROR:
            click.echo(str(diagnostic), err=True)
