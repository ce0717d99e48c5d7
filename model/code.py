"""Code structure per service: module dependencies, classes and database tables.

Part of the architecture model (``ArchitectureModel.code``): plain dataclasses,
JSON-serialisable through ``arrakis_docs.model.architecture.to_jsonable``, sorted by ``normalise`` so output is
deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arrakis_docs.model.refs import SourceRef


@dataclass(frozen=True, order=True)
class ModuleImport:
    """``source`` imports ``target`` (both first-party modules of the service), seen at ``location``."""

    source: str
    target: str
    location: SourceRef = SourceRef("")


@dataclass(frozen=True, order=True)
class PackageImport:
    """A top-level package imported by a service's own code (not the standard library, not itself)."""

    package: str
    location: SourceRef


@dataclass
class ClassInfo:
    """A class of a core module, with fully qualified names throughout."""

    name: str  # fully qualified: package.module.Class
    module: str
    location: SourceRef
    bases: list[str] = field(default_factory=list)  # first-party bases (fully qualified)
    framework_bases: list[str] = field(default_factory=list)  # third-party bases, not drawn as classes
    attributes: list[str] = field(default_factory=list)  # "name: type"
    methods: list[str] = field(default_factory=list)
    associations: list[str] = field(default_factory=list)  # fully qualified classes named in attribute types
    core: bool = True  # False for a first-party base pulled in from outside the core modules


@dataclass(frozen=True, order=True)
class Column:
    """A table column; ``type`` is the SQLAlchemy type's class name with its length, e.g. ``String(36)``."""

    name: str
    type: str
    primary_key: bool = False
    nullable: bool = True
    foreign_key: str = ""  # "table.column"


@dataclass(frozen=True, order=True)
class Index:
    """An index over some columns of a table."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass
class Table:
    """A table of the service's database."""

    name: str
    columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    unique: list[tuple[str, ...]] = field(default_factory=list)  # unique constraints (column tuples)
    mapped_by: str = ""  # fully qualified class mapping it
    location: SourceRef = SourceRef("")


@dataclass
class ServiceCode:
    """What one service's code says about its structure."""

    service: str
    packages: list[str] = field(default_factory=list)  # its own top-level packages
    libraries: list[str] = field(default_factory=list)  # top-level packages of the repository libraries it uses
    modules: list[str] = field(default_factory=list)
    imports: list[ModuleImport] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)  # strongly connected module groups (size > 1)
    graph_source: str = "pydeps"  # pydeps | ast (when pydeps could not run)
    package_imports: list[PackageImport] = field(default_factory=list)
    classes: list[ClassInfo] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    schema_source: str = ""  # import | static | "" (no tables)

    def normalise(self) -> ServiceCode:
        """Sort every list."""
        self.packages = sorted(set(self.packages))
        self.libraries = sorted(set(self.libraries))
        self.modules = sorted(set(self.modules))
        self.imports = sorted(set(self.imports))
        self.cycles = sorted(sorted(c) for c in self.cycles)
        self.package_imports = sorted(set(self.package_imports))
        self.classes = sorted({c.name: c for c in self.classes}.values(), key=lambda c: c.name)
        for cls in self.classes:
            cls.bases, cls.framework_bases = sorted(set(cls.bases)), sorted(set(cls.framework_bases))
            cls.associations = sorted(set(cls.associations))
        self.tables = sorted({t.name: t for t in self.tables}.values(), key=lambda t: t.name)
        for table in self.tables:
            table.indexes = sorted(set(table.indexes))
            table.unique = sorted(set(map(tuple, table.unique)))
        return self


@dataclass
class CodeModel:
    """Per-service code structure, one entry per service."""

    services: list[ServiceCode] = field(default_factory=list)

    def merge(self, other: CodeModel) -> None:
        """Add one service's findings to the platform-wide model."""
        self.services.extend(other.services)

    def normalise(self) -> CodeModel:
        """Sort every list so the same input always serialises to the same bytes."""
        self.services = sorted({s.service: s.normalise() for s in self.services}.values(), key=lambda s: s.service)
        return self

    def of(self, service: str) -> ServiceCode | None:
        """The code structure of one service, if extracted."""
        return next((s for s in self.services if s.service == service), None)

    def service_of_package(self) -> dict[str, str]:
        """Top-level package -> the service that owns it."""
        return {p: s.service for s in self.services for p in s.packages}
