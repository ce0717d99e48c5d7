"""Terraform to the infrastructure part of the model (``arrakis_docs.model.infra``), from HCL alone.

No terraform binary, no state: every folder of ``.tf``/``.tf.json`` files is parsed with python-hcl2 (through
``arrakis_docs.extractors.hcl_references``, which also lints references), local module sources are followed
recursively into
module instances, and every reference becomes an edge. Connection semantics (subnet placement, security-group
rules, IRSA) are derived from those edges afterwards.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import multiprocessing
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import Any

from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.extractors.hcl_references import (
    Block,
    Module,
    block_references,
    blocks_of,
    header_line,
    parse_hcl,
    parse_text,
    references,
)
from arrakis_docs.extractors.source_tree import SourceTree
from arrakis_docs.model.infra import (
    ALLOWS,
    ASSUMES,
    CAN_ACCESS,
    CONNECTS,
    DATA,
    DEPENDS_ON,
    GRANTS,
    LOCAL,
    MODULE,
    OUTPUT,
    PLACED_IN,
    REFERENCE,
    RESOURCE,
    VARIABLE,
    BlockDoc,
    CheckovModule,
    InfraEdge,
    InfraModel,
    InfraNode,
    InputDoc,
    ModuleDoc,
    OutputDoc,
    ProviderRequirement,
)
from arrakis_docs.model.refs import Diagnostic, Severity, SourceRef

CHECKOV_SUMMARY = "checkov-summary.json"
TERRAFORM_SUFFIXES = (".tf", ".tf.json")
PARALLEL_FROM = 24  # below this many files a process pool costs more than it saves
# python-hcl2's documents by digest of (parser version, text), shared by every scan of this process (both sides of a
# diff) and saved in the scan cache between runs: a .tf file unchanged between two trees is parsed once.
PARSES: dict[str, list[Any]] = {}  # digest -> [document or None, [line, message] or None]
MAX_PARSES = 4096

# Attributes that place a resource in subnets, attach security groups, or annotate a service account with a role.
SUBNET_ATTRIBUTES = ("subnet_ids", "subnet_id", "subnets", "vpc_zone_identifier", "vpc_config.subnet_ids",
                     "subnet_mapping.subnet_id")
SUBNET_GROUP_ATTRIBUTES = ("db_subnet_group_name", "subnet_group_name", "cache_subnet_group_name")
SECURITY_GROUP_ATTRIBUTES = ("vpc_security_group_ids", "security_group_ids", "security_groups",
                             "vpc_config.security_group_ids", "network_interfaces.security_groups")
SECURITY_GROUP_RULES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
                        "aws_security_group_rule")
SERVICE_ACCOUNTS = ("kubernetes_service_account_v1", "kubernetes_service_account")


@dataclass
class _Folder:
    """One parsed folder and what instantiating it needs."""

    directory: str
    module: Module
    texts: dict[str, str]
    calls: dict[str, str] = field(default_factory=dict)  # module call name -> local target folder

    # id(block) -> (the block, where it starts); holding the block keeps its id from being reused by another
    lines: dict[int, tuple[Block, SourceRef]] = field(default_factory=dict)

    def line(self, block: Block) -> SourceRef:
        known = self.lines.get(id(block))
        if known is None:
            path = block.path.as_posix()
            known = self.lines[id(block)] = (block, SourceRef(path, header_line(block, self.texts.get(path, ""))))
        return known[1]


def _unquote(value: Any) -> str:
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text


def _expression(value: Any) -> str:
    """HCL-like text of a raw python-hcl2 value, as terraform-docs shows types and defaults."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_expression(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_unquote(k) if not k.startswith('${') else k[2:-1]} = {_expression(v)}" for k, v in value.items()
                 if k != "__is_block__"]
        return "{" + ", ".join(items) + "}" if items else "{}"
    return json.dumps(value)


def _multiplicity(block: Block) -> tuple[str, str]:
    """``count`` or ``for_each`` (or "") and its expression text."""
    for meta in ("for_each", "count"):
        if meta in block.attributes:
            return meta, _expression(block.attributes[meta])
    return "", ""


def _source_kind(source: str) -> str:
    if source.startswith(("./", "../")):
        return "local"
    if source.startswith(("git::", "github.com/", "git@", "bitbucket.org/")) or ".git" in source.split("?")[0]:
        return "git"
    if source.startswith(("http://", "https://", "s3::", "gcs::")):
        return "archive"
    if source.count("/") in (2, 3) and not source.startswith("/"):
        return "registry"
    return "other"


def _matches(detail: str, attributes: Iterable[str]) -> bool:
    return any(detail == a or detail.startswith(f"{a}.") or detail.endswith(f".{a}") for a in attributes)


class _GraphBuilder:
    """Instantiates root folders into nodes and edges."""

    def __init__(self, folders: dict[str, _Folder], diagnostics: list[Diagnostic]) -> None:
        self.folders = folders
        self.diagnostics = diagnostics
        self.nodes: dict[str, InfraNode] = {}
        self.blocks: dict[str, Block] = {}  # node id -> its block, for the semantics that read literal values
        self.edges: list[InfraEdge] = []

    def instantiate(self, root: str, directory: str, path: str, stack: tuple[str, ...], roots: set[str]) -> None:
        """Nodes and edges of the folder ``directory`` instantiated at module path ``path`` ("" or "module.x.")."""
        folder = self.folders[directory]
        module = folder.module

        def node_id(address: str) -> str:
            return f"{root}:{address}"

        def add(kind: str, address: str, block: Block, **extra: Any) -> str:
            identifier = node_id(address)
            self.nodes[identifier] = InfraNode(identifier, kind, address, root, path.rstrip("."), directory,
                                               location=folder.line(block), **extra)
            self.blocks[identifier] = block
            return identifier

        declared_resources = {(b.labels[0], b.labels[1]) for b in module.of_type("resource") if len(b.labels) == 2}
        outputs_of: dict[str, set[str]] = {}
        for block in module.of_type("module"):
            target = folder.calls.get(block.labels[0])
            if target and target not in roots and target in self.folders:
                outputs_of[block.labels[0]] = self.folders[target].module.outputs

        def resolve(parts: tuple[str, ...]) -> str | None:
            names = [p for p in parts[1:] if p != "[]"]
            root_name = parts[0]
            if root_name == "var" and names:
                return node_id(f"{path}var.{names[0]}")
            if root_name == "local" and names:
                return node_id(f"{path}local.{names[0]}")
            if root_name == "module" and names:
                outputs = outputs_of.get(names[0])
                if outputs is not None and len(names) > 1 and names[1] in outputs:
                    return node_id(f"{path}module.{names[0]}.output.{names[1]}")
                return node_id(f"{path}module.{names[0]}")
            if root_name == "data" and len(names) >= 2:
                return node_id(f"{path}data.{names[0]}.{names[1]}")
            if names and (root_name, names[0]) in declared_resources:
                return node_id(f"{path}{root_name}.{names[0]}")
            return None

        def link(source: str, block: Block, substitutions: dict[str, list[tuple[str, ...]]] | None = None) -> None:
            evidence = (folder.line(block),)
            for reference in block_references(block):
                if reference.attribute == "depends_on":
                    target = resolve(reference.parts)
                    if target:
                        self.edges.append(InfraEdge(source, target, DEPENDS_ON, "", evidence))
                    continue
                scoped = dict(substitutions or {})
                scoped.update({name: list(ranges) for name, ranges in reference.iterators})
                for parts in _substituted(reference.parts, scoped):
                    target = resolve(parts)
                    if target and target != source:
                        self.edges.append(InfraEdge(source, target, REFERENCE, reference.attribute, evidence))

        for block in module.of_type("variable"):
            add(VARIABLE, f"{path}var.{block.labels[0]}", block, name=block.labels[0])
        for block in module.of_type("locals"):
            for name, value in block.attributes.items():
                local = Block("locals", (), {name: value}, [], block.path)
                identifier = add(LOCAL, f"{path}local.{name}", block, name=name)
                self.blocks[identifier] = local
                link(identifier, local)
        for block in module.of_type("output"):
            identifier = add(OUTPUT, f"{path}output.{block.labels[0]}", block, name=block.labels[0])
            link(identifier, block)
        for block in [*module.of_type("resource"), *module.of_type("data")]:
            if len(block.labels) != 2:
                continue
            kind = RESOURCE if block.type == "resource" else DATA
            prefix = "" if kind == RESOURCE else "data."
            multiplicity, expression = _multiplicity(block)
            provider = _unquote(block.attributes.get("provider", "")) or block.labels[0].split("_")[0]
            identifier = add(kind, f"{path}{prefix}{block.labels[0]}.{block.labels[1]}", block, type=block.labels[0],
                             name=block.labels[1], multiplicity=multiplicity, multiplicity_expression=expression,
                             provider=provider)
            link(identifier, block, self._each(block))
        for block in module.of_type("module"):
            name = block.labels[0]
            source = _unquote(block.attributes.get("source", ""))
            target = folder.calls.get(name, "")
            multiplicity, expression = _multiplicity(block)
            identifier = add(MODULE, f"{path}module.{name}", block, type=_source_kind(source), name=name,
                             multiplicity=multiplicity, multiplicity_expression=expression, source=source,
                             target=target, version=_unquote(block.attributes.get("version", "")))
            link(identifier, block, self._each(block))
            if target in stack:  # before the roots check: a root that includes itself is a cycle too
                where = folder.line(block)
                cycle = " -> ".join([*stack[stack.index(target):], target])
                what = "calls itself" if target == directory else f"calls a module already on its call chain ({cycle})"
                self.diagnostics.append(Diagnostic(where.path, where.line, f'module "{name}": source "{source}" '
                                                   f"{what}; not expanded, point the source at another folder"))
                continue
            if not target or target in roots or target not in self.folders:
                continue  # external sources and calls into another root stay single nodes
            child_path = f"{path}module.{name}."
            self.instantiate(root, target, child_path, (*stack, target), roots)
            # each input variable of the child depends on the argument the call passes
            for argument, value in block.attributes.items():
                variable = node_id(f"{child_path}var.{argument}")
                if variable not in self.nodes:
                    continue
                argument_block = Block("module", (name,), {argument: value}, [], block.path)
                link(variable, argument_block, self._each(block))

    @staticmethod
    def _each(block: Block) -> dict[str, list[tuple[str, ...]]]:
        """``each.*`` stands for what the ``for_each`` ranges over; ``count.index`` depends on nothing."""
        substitutions: dict[str, list[tuple[str, ...]]] = {"count": [], "self": []}
        if "for_each" in block.attributes:
            substitutions["each"] = references(block.attributes["for_each"])
        return substitutions


def _substituted(parts: tuple[str, ...], scoped: dict[str, list[tuple[str, ...]]]) -> list[tuple[str, ...]]:
    if parts[0] in scoped:
        return scoped[parts[0]]
    return [parts]


# ---------------------------------------------------------------- connection semantics


class _Semantics:
    """Placement, security-group and IRSA edges, derived from the reference edges."""

    def __init__(self, nodes: dict[str, InfraNode], blocks: dict[str, Block], edges: list[InfraEdge]) -> None:
        self.nodes = nodes
        self.blocks = blocks
        self.out: dict[str, list[InfraEdge]] = {}
        for edge in edges:
            if edge.kind == REFERENCE:
                self.out.setdefault(edge.source, []).append(edge)

    def resolved(self, source: str, attributes: Iterable[str] | None = None,
                 kinds: tuple[str, ...] = (RESOURCE,)) -> set[str]:
        """Resources (or other ``kinds``) an attribute of ``source`` refers to, through variables, locals, outputs."""
        attributes = tuple(attributes) if attributes is not None else None
        start = [e.target for e in self.out.get(source, []) if attributes is None or _matches(e.detail, attributes)]
        found: set[str] = set()
        seen: set[str] = set()
        while start:
            current = start.pop()
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            node = self.nodes[current]
            if node.kind in kinds:
                found.add(current)
            elif node.kind in (VARIABLE, LOCAL, OUTPUT):
                start.extend(e.target for e in self.out.get(current, []))
        return found

    def set_keys(self) -> None:
        """``keys`` of each ``for_each`` block: those of the nearest literal map (a local) its ``for_each`` reaches."""
        for node in self.nodes.values():
            if node.multiplicity != "for_each":
                continue
            pending = [e.target for e in self.out.get(node.id, []) if e.detail == "for_each"]
            seen: set[str] = set()
            while pending and not node.keys:
                current = pending.pop(0)
                if current in seen or current not in self.nodes:
                    continue
                seen.add(current)
                target = self.nodes[current]
                if target.kind == LOCAL:
                    value = next(iter(self.blocks[current].attributes.values()), None)
                    if isinstance(value, dict) and value and not any(k.startswith("${") for k in value):
                        node.keys = sorted(_unquote(k) for k in value if k != "__is_block__")
                        break
                if target.kind in (VARIABLE, LOCAL, OUTPUT):
                    pending.extend(e.target for e in self.out.get(current, []))

    def of_type(self, *types: str) -> list[InfraNode]:
        return [n for n in self.nodes.values() if n.kind == RESOURCE and n.type in types]

    def edges(self) -> list[InfraEdge]:
        found: list[InfraEdge] = []
        found += self._placement()
        found += self._security_groups()
        found += self._irsa()
        return found

    def _placement(self) -> list[InfraEdge]:
        found: list[InfraEdge] = []
        subnet_types = {"aws_subnet"}
        placed: dict[str, set[str]] = {}
        for node in self.nodes.values():
            if node.kind != RESOURCE:
                continue
            subnets = {t for t in self.resolved(node.id, SUBNET_ATTRIBUTES) if self.nodes[t].type in subnet_types}
            if subnets:
                placed[node.id] = subnets
        for node in self.nodes.values():
            if node.kind != RESOURCE or node.id in placed:
                continue
            groups = self.resolved(node.id, SUBNET_GROUP_ATTRIBUTES)
            subnets = set().union(*(placed.get(g, set()) for g in groups)) if groups else set()
            if subnets:
                placed[node.id] = subnets
        for source, subnets in placed.items():
            where = (self.nodes[source].location,)
            found += [InfraEdge(source, subnet, PLACED_IN, "subnet", where) for subnet in subnets]
        for node in self.nodes.values():
            if node.kind != RESOURCE or node.type == "aws_vpc" or node.id in placed:
                continue
            for vpc in self.resolved(node.id, ("vpc_id",)):
                if self.nodes[vpc].type == "aws_vpc":
                    found.append(InfraEdge(node.id, vpc, PLACED_IN, "vpc", (node.location,)))
        return found

    def _security_groups(self) -> list[InfraEdge]:
        found: list[InfraEdge] = []
        holders: dict[str, set[str]] = {}
        for node in self.nodes.values():
            if node.kind == RESOURCE and node.type not in SECURITY_GROUP_RULES:
                for group in self.resolved(node.id, SECURITY_GROUP_ATTRIBUTES):
                    if self.nodes[group].type in ("aws_security_group", "aws_default_security_group"):
                        holders.setdefault(group, set()).add(node.id)
        # whatever launches from a launch template holds the template's security groups too
        for node in self.nodes.values():
            if node.kind == RESOURCE:
                for template in self.resolved(node.id, ("launch_template",)):
                    for held in holders.values():
                        if template in held:
                            held.add(node.id)
        pairs: set[tuple[str, str, str, SourceRef]] = set()
        for rule in self.of_type(*SECURITY_GROUP_RULES):
            guarded = self.resolved(rule.id, ("security_group_id",))
            peers = self.resolved(rule.id, ("referenced_security_group_id", "source_security_group_id"))
            egress = rule.type.endswith("egress_rule") or self._rule_type(rule) == "egress"
            for group in guarded:
                for peer in peers:
                    source, target = (group, peer) if egress else (peer, group)
                    pairs.add((source, target, rule.address, rule.location))
        for group in self.of_type("aws_security_group"):
            for peer in self.resolved(group.id, ("ingress.security_groups",)):
                pairs.add((peer, group.id, f"{group.address} ingress", group.location))
            for peer in self.resolved(group.id, ("egress.security_groups",)):
                pairs.add((group.id, peer, f"{group.address} egress", group.location))
        for source, target, rule, where in sorted(pairs):
            found.append(InfraEdge(source, target, ALLOWS, rule, (where,)))
            for a in sorted(holders.get(source, ())):
                for b in sorted(holders.get(target, ())):
                    if a != b:
                        found.append(InfraEdge(a, b, CONNECTS, rule, (where,)))
        return found

    def _rule_type(self, rule: InfraNode) -> str:
        block = self.blocks.get(rule.id)
        return _unquote(block.attributes.get("type", "")) if block else ""

    def _irsa(self) -> list[InfraEdge]:
        found: list[InfraEdge] = []
        grants: dict[str, set[str]] = {}
        documents = ("aws_iam_policy_document",)
        attachments = ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment")
        for attachment in self.of_type(*attachments):
            roles = {r for r in self.resolved(attachment.id, ("role", "roles")) if self.nodes[r].type == "aws_iam_role"}
            policies = self.resolved(attachment.id, ("policy", "policy_arn"), kinds=(RESOURCE, DATA))
            docs = {p for p in policies if self.nodes[p].type in documents}
            for policy in policies - docs:
                docs |= {d for d in self.resolved(policy, ("policy",), kinds=(DATA,))
                         if self.nodes[d].type in documents}
            allowed = set().union(*(self.resolved(d, ("statement.resources",)) for d in docs)) if docs else set()
            for role in roles:
                grants.setdefault(role, set()).update(allowed)
        for role, allowed in grants.items():
            found += [InfraEdge(role, target, GRANTS, "policy", (self.nodes[role].location,)) for target in allowed]
        for account in self.of_type(*SERVICE_ACCOUNTS):
            for role in self.resolved(account.id, ("metadata.annotations",)):
                if self.nodes[role].type != "aws_iam_role":
                    continue
                found.append(InfraEdge(account.id, role, ASSUMES, "eks.amazonaws.com/role-arn", (account.location,)))
                found += [InfraEdge(account.id, target, CAN_ACCESS, self.nodes[role].address, (account.location,))
                          for target in grants.get(role, ())]
        return found


# ---------------------------------------------------------------- module definitions


def _module_doc(folder: _Folder, is_root: bool) -> ModuleDoc:
    module = folder.module
    doc = ModuleDoc(folder.directory, PurePosixPath(folder.directory).name or folder.directory, is_root=is_root)
    doc.files = sorted(folder.texts)
    for block in module.of_type("terraform"):
        if "required_version" in block.attributes:
            doc.required_version = _unquote(block.attributes["required_version"])
        for required in block.children("required_providers"):
            for name, spec in required.attributes.items():
                spec = spec if isinstance(spec, dict) else {"version": spec}
                doc.providers.append(ProviderRequirement(name, _unquote(spec.get("source", "")),
                                                         _unquote(spec.get("version", ""))))
    for block in module.of_type("provider"):
        alias = block.attributes.get("alias")
        doc.provider_configurations.append(f"{block.labels[0]}.{_unquote(alias)}" if alias else block.labels[0])
    for block in module.of_type("variable"):
        has_default = "default" in block.attributes
        doc.inputs.append(InputDoc(
            block.labels[0], _expression(block.attributes.get("type", "any")),
            _expression(block.attributes["default"]) if has_default else "", not has_default,
            _unquote(block.attributes.get("description", "")), block.attributes.get("sensitive") is True,
            folder.line(block)))
    for block in module.of_type("output"):
        doc.outputs.append(OutputDoc(block.labels[0], _unquote(block.attributes.get("description", "")),
                                     block.attributes.get("sensitive") is True, folder.line(block)))
    for block in [*module.of_type("resource"), *module.of_type("data")]:
        if len(block.labels) == 2:
            doc.blocks.append(BlockDoc(block.type, block.labels[0], block.labels[1],
                                       multiplicity=_multiplicity(block)[0], location=folder.line(block)))
    for block in module.of_type("module"):
        doc.blocks.append(BlockDoc("module", "module", block.labels[0], _unquote(block.attributes.get("source", "")),
                                   _unquote(block.attributes.get("version", "")), _multiplicity(block)[0],
                                   folder.line(block)))
    doc.locals = sorted(module.locals)
    return doc


# ---------------------------------------------------------------- entry points


def parse_folders(texts: dict[str, str], diagnostics: list[Diagnostic]) -> dict[str, _Folder]:
    """Parse ``.tf``/``.tf.json`` texts (by repo-relative path) into folders; parse errors become diagnostics."""
    by_folder: dict[str, dict[str, str]] = {}
    for path, text in sorted(texts.items()):
        by_folder.setdefault(PurePosixPath(path).parent.as_posix(), {})[path] = text
    parsed = _parse_all(texts)
    folders: dict[str, _Folder] = {}
    for directory, files in by_folder.items():
        module = Module(Path(directory))
        for path, text in files.items():
            blocks, error = parsed[path]
            module.blocks.extend(blocks)
            module.sources[Path(path)] = text
            if error:
                diagnostics.append(Diagnostic(PurePosixPath(error.path).as_posix(), error.line, error.message))
        folders[directory] = _Folder(directory, module, files)
    for folder in folders.values():
        for block in folder.module.of_type("module"):
            if not block.labels:
                continue
            source = _unquote(block.attributes.get("source", ""))
            if _source_kind(source) != "local":
                continue
            target = os.path.normpath(os.path.join(folder.directory, source)).replace(os.sep, "/")
            if target in folders:
                folder.calls[block.labels[0]] = target
            else:
                where = folder.line(block)
                diagnostics.append(Diagnostic(where.path, where.line, f'module "{block.labels[0]}": source "{source}" '
                                              "has no .tf files in the scanned tree; its resources are not documented: "
                                              "fix the source path or stop excluding that folder", Severity.WARNING))
    return folders


@cache
def _parser_version() -> str:
    return version("python-hcl2")


def text_digest(text: str) -> str:
    """The key of one HCL text's parse: the parser's version and the text."""
    return hashlib.sha256(f"python-hcl2 {_parser_version()}\0{text}".encode()).hexdigest()


def remember_parses(entries: dict[str, list[Any]]) -> None:
    """Seed :data:`PARSES` with parses saved by an earlier run (entries already known are kept)."""
    for key, value in entries.items():
        if isinstance(value, list) and len(value) == 2 and key not in PARSES:
            PARSES[key] = value
    _bound()


def known_parses() -> dict[str, list[Any]]:
    """Every parse this process knows (what :func:`remember_parses` seeds, plus what was parsed since)."""
    return PARSES


def _bound() -> None:
    for key in list(PARSES)[:max(0, len(PARSES) - MAX_PARSES)]:  # the oldest first
        del PARSES[key]


def _parse_raw(item: tuple[str, str]) -> tuple[str, list[Any]]:
    key, text = item
    raw, error = parse_hcl(text)
    return key, [raw, list(error) if error else None]


def _parse_all(texts: dict[str, str]) -> dict[str, tuple[list[Block], Any]]:
    """Parse every file, each distinct text once (see :data:`PARSES`); python-hcl2 (lark) is CPU-bound, so many
    files to parse are spread over processes."""
    out: dict[str, tuple[list[Block], Any]] = {}
    keys: dict[str, str] = {}
    todo: dict[str, str] = {}
    for path, text in sorted(texts.items()):
        if path.endswith(".tf.json"):  # plain JSON: cheaper to read than to look up
            out[path] = parse_text(text, Path(path))
            continue
        keys[path] = key = text_digest(text)
        if key not in PARSES:
            todo[key] = text
    workers = min(os.cpu_count() or 1, 8, len(todo))
    if workers < 2 or len(todo) < PARALLEL_FROM:
        PARSES.update(map(_parse_raw, sorted(todo.items())))
    else:
        # The parent builds the parser once and the forked workers inherit it, instead of each loading it again.
        from hcl2.parser import parser

        parser()
        context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            PARSES.update(pool.map(_parse_raw, sorted(todo.items()), chunksize=max(1, len(todo) // (workers * 4))))
    for path, key in keys.items():
        raw, error = PARSES[key]
        # A copy per use (marshal: fast for plain JSON values), so no reader of one tree can alter another's.
        copy = marshal.loads(marshal.dumps(raw)) if raw is not None else None  # own values  # nosec B302
        out[path] = blocks_of(copy, error, Path(path))
    _bound()
    return out


def _roots(folders: dict[str, _Folder]) -> tuple[list[str], str]:
    """Root configurations (folders nobody calls, or that configure providers) and the primary one."""
    called: dict[str, int] = {}
    for folder in folders.values():
        for target in set(folder.calls.values()):
            called[target] = called.get(target, 0) + 1
    roots = sorted(d for d, f in folders.items() if d not in called or f.module.of_type("provider"))
    if not roots:
        return [], ""
    primary = min(roots, key=lambda d: (-called.get(d, 0), len(PurePosixPath(d).parts), d))
    return roots, primary


def build_model(texts: dict[str, str], diagnostics: list[Diagnostic],
                checkov: dict[str, str] | None = None) -> InfraModel:
    """The infrastructure model of some Terraform files, given as texts by repo-relative path."""
    folders = parse_folders(texts, diagnostics)
    roots, primary = _roots(folders)
    builder = _GraphBuilder(folders, diagnostics)
    root_set = set(roots)
    for root in roots:
        builder.instantiate(root, root, "", (root,), root_set)
    reached = {n.definition for n in builder.nodes.values()}
    # folders that no root reaches (a stray module) are instantiated on their own, so every block is a node
    for directory in sorted(set(folders) - reached):
        if folders[directory].module.blocks:
            builder.instantiate(directory, directory, "", (directory,), root_set | {directory})
            roots.append(directory)
    semantics = _Semantics(builder.nodes, builder.blocks, builder.edges)
    semantics.set_keys()
    edges = builder.edges + semantics.edges()
    model = InfraModel(roots=roots, primary_root=primary, nodes=list(builder.nodes.values()), edges=edges,
                       modules=[_module_doc(f, d in root_set) for d, f in folders.items()], files=len(texts))
    for path, text in sorted((checkov or {}).items()):
        model.checkov, model.checkov_source = _checkov(path, text, diagnostics), path
    return model.normalise()


def _checkov(path: str, text: str, diagnostics: list[Diagnostic]) -> list[CheckovModule]:
    try:
        document = json.loads(text)
        return [CheckovModule(directory, int(entry.get("passed", 0)), int(entry.get("failed", 0)),
                              int(entry.get("skipped", 0)), [str(c) for c in entry.get("failed_checks", [])])
                for directory, entry in sorted(document.get("modules", {}).items())]
    except (ValueError, AttributeError, TypeError) as exc:
        diagnostics.append(Diagnostic(path, 1, f"cannot read the checkov summary: {exc}"))
        return []


def infrastructure(repo: Path, tree: SourceTree, config: RepoConfig, diagnostics: list[Diagnostic],
                   notes: list[str]) -> InfraModel:
    """Every Terraform root and module under ``repo``; parse problems go to ``diagnostics``, a summary to ``notes``."""
    started = time.perf_counter()
    texts = {p: f.text for p, f in tree.files.items() if p.endswith(TERRAFORM_SUFFIXES)}
    checkov = {p: f.text for p, f in tree.files.items() if PurePosixPath(p).name == CHECKOV_SUMMARY}
    if not texts:
        return InfraModel()
    model = build_model(texts, diagnostics, checkov)
    resources = sum(1 for n in model.nodes if n.kind == RESOURCE)
    notes.append(f"{len(texts)} files, {len(model.roots)} roots, {resources} resource instances, "
                 f"{len(model.edges)} edges in {time.perf_counter() - started:.2f}s")
    return model


def load_directory(directory: Path, diagnostics: list[Diagnostic] | None = None) -> InfraModel:
    """The infrastructure model of every Terraform file under ``directory`` (paths relative to it)."""
    diagnostics = [] if diagnostics is None else diagnostics
    texts: dict[str, str] = {}
    checkov: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or ".terraform" in path.parts:
            continue
        relative = path.relative_to(directory).as_posix()
        if path.name.endswith(TERRAFORM_SUFFIXES):
            texts[relative] = path.read_text(encoding="utf-8", errors="replace")
        elif path.name == CHECKOV_SUMMARY:
            checkov[relative] = path.read_text(encoding="utf-8")
    return build_model(texts, diagnostics, checkov)
