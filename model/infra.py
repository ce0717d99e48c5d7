"""Infrastructure from Terraform: resources, module instances, variables, outputs and their edges.

Part of the architecture model (``ArchitectureModel.infra``): plain dataclasses,
JSON-serialisable through ``arrakis_docs.model.architecture.to_jsonable``, sorted by ``normalise`` so output is
deterministic.

Two views of the same HCL live here. ``nodes``/``edges`` form the *instance graph*: every resource, data source,
module call, variable, local and output once per module instance, addressed as Terraform does
(``module.rds.module.kms.aws_kms_key.this``) and prefixed by the root configuration's folder in ``id``.
``modules`` is the *definition view* a module reference (terraform-docs) needs: one entry per folder of ``.tf`` files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arrakis_docs.model.refs import SourceRef

# Node kinds of the instance graph.
RESOURCE = "resource"
DATA = "data"
MODULE = "module"
VARIABLE = "variable"
LOCAL = "local"
OUTPUT = "output"

# Edge kinds: plain references, and the connection semantics derived from them.
REFERENCE = "reference"  # an expression in the source names the target (through vars/locals/outputs or directly)
DEPENDS_ON = "depends-on"  # an explicit depends_on
PLACED_IN = "placed-in"  # a resource sits in a subnet (or a subnet/security group in a VPC)
ALLOWS = "allows"  # a security-group rule lets the source security group reach the guarded one
CONNECTS = "connects"  # what holds the source security group may reach what holds the guarded one
ASSUMES = "assumes"  # a Kubernetes service account assumes an IAM role (IRSA)
GRANTS = "grants"  # an IAM role's policies allow access to a resource
CAN_ACCESS = "can-access"  # a service account, through its IRSA role, may access a resource
SEMANTIC_KINDS = (PLACED_IN, ALLOWS, CONNECTS, ASSUMES, GRANTS, CAN_ACCESS)


@dataclass
class InfraNode:
    """One addressable thing of a module instance: resource, data source, module call, variable, local or output."""

    id: str  # "<root folder>:<address>", unique across roots
    kind: str  # resource | data | module | variable | local | output
    address: str  # Terraform address inside the root: module.rds.aws_db_instance.this, module.rds.var.identifier
    root: str  # repo-relative folder of the root configuration
    module: str  # module instance path the node lives in ("" for the root): module.rds.module.kms
    definition: str  # repo-relative folder of the .tf files that declare it
    type: str = ""  # resource/data type (aws_db_instance); for a module call, its source kind (local|registry|git|...)
    name: str = ""  # block label (this) or variable/local/output/module name
    multiplicity: str = ""  # "" (one), "count" or "for_each"
    multiplicity_expression: str = ""  # the count/for_each expression as written
    provider: str = ""  # provider configuration (aws, aws.dr) for resources and data sources
    source: str = ""  # a module call's source as written
    version: str = ""  # a module call's version constraint
    target: str = ""  # a local module call: the folder its source resolves to ("" for external sources)
    keys: list[str] = field(default_factory=list)  # for_each keys when a literal map decides them
    location: SourceRef = field(default_factory=lambda: SourceRef(""))


@dataclass(frozen=True, order=True)
class InfraEdge:
    """A directed relation between two node ids; ``detail`` says which attribute or rule (e.g. ``subnet_ids``)."""

    source: str
    target: str
    kind: str
    detail: str = ""
    evidence: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, order=True)
class ProviderRequirement:
    """A ``required_providers`` entry."""

    name: str
    source: str = ""
    version: str = ""


@dataclass
class InputDoc:
    """A module input as terraform-docs shows it; ``type``/``default`` are HCL text, ``default`` empty if required."""

    name: str
    type: str = "any"
    default: str = ""
    required: bool = True
    description: str = ""
    sensitive: bool = False
    location: SourceRef = field(default_factory=lambda: SourceRef(""))


@dataclass
class OutputDoc:
    """A module output."""

    name: str
    description: str = ""
    sensitive: bool = False
    location: SourceRef = field(default_factory=lambda: SourceRef(""))


@dataclass
class BlockDoc:
    """A resource or data source block of a module (``mode`` is resource|data), or a module call (``mode`` module)."""

    mode: str
    type: str
    name: str
    source: str = ""  # module calls only
    version: str = ""  # module calls only
    multiplicity: str = ""
    location: SourceRef = field(default_factory=lambda: SourceRef(""))


@dataclass
class ModuleDoc:
    """One folder of ``.tf``/``.tf.json`` files: what a module reference lists."""

    directory: str  # repo-relative
    name: str  # folder name
    files: list[str] = field(default_factory=list)
    required_version: str = ""
    providers: list[ProviderRequirement] = field(default_factory=list)
    provider_configurations: list[str] = field(default_factory=list)  # aws, aws.dr: provider blocks and aliases
    inputs: list[InputDoc] = field(default_factory=list)
    outputs: list[OutputDoc] = field(default_factory=list)
    blocks: list[BlockDoc] = field(default_factory=list)  # resources, data sources and module calls
    locals: list[str] = field(default_factory=list)
    is_root: bool = False  # no other scanned folder calls it


@dataclass
class CheckovModule:
    """Checkov results of one module folder."""

    directory: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failed_checks: list[str] = field(default_factory=list)  # "CKV_AWS_1 aws_x.y"


@dataclass
class InfraModel:
    """The Terraform of a repository: instance graph, module definitions and (when produced) checkov results."""

    roots: list[str] = field(default_factory=list)  # root configurations, repo-relative folders
    primary_root: str = ""  # the root the maps and catalog describe
    nodes: list[InfraNode] = field(default_factory=list)
    edges: list[InfraEdge] = field(default_factory=list)
    modules: list[ModuleDoc] = field(default_factory=list)
    checkov: list[CheckovModule] = field(default_factory=list)
    checkov_source: str = ""  # repo-relative path of the summary the checkov list came from ("" when none)
    files: int = 0  # .tf and .tf.json files read

    def normalise(self) -> InfraModel:
        """Sort every list so the same input always serialises to the same bytes."""
        self.roots = sorted(set(self.roots))
        self.nodes = sorted({n.id: n for n in self.nodes}.values(), key=lambda n: n.id)
        merged: dict[tuple[str, str, str, str], set[SourceRef]] = {}
        for edge in self.edges:
            merged.setdefault((edge.source, edge.target, edge.kind, edge.detail), set()).update(edge.evidence)
        self.edges = [InfraEdge(s, t, k, d, tuple(sorted(ev))) for (s, t, k, d), ev in sorted(merged.items())]
        self.modules = sorted({m.directory: m for m in self.modules}.values(), key=lambda m: m.directory)
        for module in self.modules:
            module.files = sorted(set(module.files))
            module.providers = sorted(set(module.providers))
            module.provider_configurations = sorted(set(module.provider_configurations))
            module.inputs.sort(key=lambda i: i.name)
            module.outputs.sort(key=lambda o: o.name)
            module.blocks.sort(key=lambda b: (b.mode, b.type, b.name))
            module.locals = sorted(set(module.locals))
        self.checkov = sorted(self.checkov, key=lambda c: c.directory)
        for entry in self.checkov:
            entry.failed_checks = sorted(entry.failed_checks)
        return self

    def merge(self, other: InfraModel) -> None:
        """Add another extraction's content (e.g. a second Terraform tree)."""
        self.roots.extend(other.roots)
        self.primary_root = self.primary_root or other.primary_root
        self.nodes.extend(other.nodes)
        self.edges.extend(other.edges)
        self.modules.extend(other.modules)
        self.checkov.extend(other.checkov)
        self.checkov_source = self.checkov_source or other.checkov_source
        self.files += other.files

    # ------------------------------------------------------------ queries writers use

    def node(self, node_id: str) -> InfraNode | None:
        """The node with this id, if any."""
        return self._index().get(node_id)

    def _index(self) -> dict[str, InfraNode]:
        cached = getattr(self, "_by_id", None)
        if cached is None or len(cached) != len(self.nodes):
            cached = {n.id: n for n in self.nodes}
            object.__setattr__(self, "_by_id", cached)
        return cached

    def of_kind(self, kind: str, root: str | None = None) -> list[InfraNode]:
        """Nodes of one kind, optionally of one root only."""
        return [n for n in self.nodes if n.kind == kind and (root is None or n.root == root)]

    def edges_of(self, *kinds: str) -> list[InfraEdge]:
        """Edges of the given kinds."""
        return [e for e in self.edges if e.kind in kinds]

    def module_doc(self, directory: str) -> ModuleDoc | None:
        """The definition view of one folder."""
        return next((m for m in self.modules if m.directory == directory), None)

    def uses(self) -> dict[str, set[str]]:
        """Each resource's (and data source's) dependencies on other resources, through variables, locals, outputs
        and module boundaries: the references a map draws."""
        out: dict[str, set[str]] = {}
        for edge in self.edges:
            if edge.kind in (REFERENCE, DEPENDS_ON):
                out.setdefault(edge.source, set()).add(edge.target)
        index = self._index()
        found: dict[str, set[str]] = {}
        for node in self.nodes:
            if node.kind not in (RESOURCE, DATA):
                continue
            reached: set[str] = set()
            seen: set[str] = set()
            pending = list(out.get(node.id, ()))
            while pending:
                current = pending.pop()
                target = index.get(current)
                if current in seen or target is None:
                    continue
                seen.add(current)
                if target.kind in (RESOURCE, DATA):
                    reached.add(current)
                elif target.kind in (VARIABLE, LOCAL, OUTPUT):
                    pending.extend(out.get(current, ()))
            reached.discard(node.id)
            found[node.id] = reached
        return found
