"""What kind of broker client an expression is, for the transports read beside NATS (Kafka, AMQP, SQS).

A client is known by where it was made: a constructor or factory method (``AIOKafkaProducer(...)``,
``await channel.declare_queue(...)``), a function of the repository that returns or yields one, ``self.x = ...`` in
its class, a module-level client (imported or not); or by a parameter's annotation (also inside
``Annotated[..., Depends(...)]``). Its name alone (``producer``, ``exchange``) counts only in modules that import the
broker's library.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from arrakis_docs.extractors.event_sites import Site
from arrakis_docs.extractors.event_sites import SiteReader as EventReader  # nats_usage's reader, not imported here
from arrakis_docs.extractors.python_modules import call_name, dotted
from arrakis_docs.extractors.source_tree import module_nodes


@dataclass(frozen=True)
class ClientKinds:
    """How one broker's clients are recognised."""

    name: str  # the transport: kafka, amqp, sqs
    modules: tuple[str, ...]  # top-level packages whose import makes a module a user of the broker
    makers: tuple[tuple[str, str], ...]  # (constructor / factory method / type name, role)
    trusted: tuple[str, ...] = ()  # name prefixes specific enough to count without the import (AIOKafka...)
    hints: tuple[tuple[str, str], ...] = ()  # (part of a receiver's last name, role), in modules using the broker

    def role_of(self, names: set[str], here: bool) -> str:
        """The role named by one of ``names`` (a constructor's or a type's), "" when none is."""
        for maker, role in self.makers:
            if maker in names and (here or maker.startswith(self.trusted or ("\x00",))):
                return role
        return ""


def uses_broker(reader: EventReader, site: Site, kinds: ClientKinds) -> bool:
    """Whether the module of ``site`` imports the broker's library (anywhere in it)."""
    imported: dict[str, set[str]] | None = getattr(reader, "imported", None)  # nats_usage reads it once
    if imported is None:
        imported = reader.__dict__.setdefault("imported", {})
    if site.module.path not in imported:
        imported[site.module.path] = {a.name.split(".")[0] for n in module_nodes(site.module.tree)
                                      if isinstance(n, ast.Import) for a in n.names} | {
            (n.module or "").split(".")[0] for n in module_nodes(site.module.tree)
            if isinstance(n, ast.ImportFrom) and not n.level}
    return not imported[site.module.path].isdisjoint(kinds.modules)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def made_role(reader: EventReader, value: ast.expr | None, site: Site, kinds: ClientKinds, depth: int = 0) -> str:
    """The role of the client an expression builds, returns or refers to."""
    if value is None or depth > 3:
        return ""
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Name | ast.Attribute):
        return role(reader, value, site, kinds, depth + 1)
    if not isinstance(value, ast.Call):
        return ""
    here = uses_broker(reader, site, kinds)
    if found := kinds.role_of({call_name(value)}, here):
        return found
    if isinstance(value.func, ast.Name):  # a factory of ours: what it returns or yields
        target = reader.lookup(site.module, value.func.id)
        if target and isinstance(target[1], ast.FunctionDef | ast.AsyncFunctionDef):
            fn = target[1]
            if fn.returns is not None and (found := kinds.role_of(_names(fn.returns), here)):
                return found
            inner = Site(target[0], None, fn, value)
            for node in ast.walk(fn):
                if isinstance(node, ast.Return | ast.Yield) and node.value is not None:
                    if found := made_role(reader, node.value, inner, kinds, depth + 1):
                        return found
    return ""


def attribute_roles(reader: EventReader, kinds: ClientKinds) -> dict[tuple[str, str], str]:
    """``self.x = <client>`` (or ``self.x: <Type>``) in a class, per (class, ``self.x``)."""
    cache: dict[str, dict[tuple[str, str], str]] = reader.__dict__.setdefault("_broker_attrs", {})
    if kinds.name in cache:
        return cache[kinds.name]
    roles: dict[tuple[str, str], str] = {}
    cache[kinds.name] = roles  # set first: made_role() below may ask again
    for module in reader.modules.values():
        for cls in [n for n in module_nodes(module.tree) if isinstance(n, ast.ClassDef)]:
            for fn in [s for s in cls.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]:
                for node in ast.walk(fn):
                    if not isinstance(node, ast.Assign | ast.AnnAssign):
                        continue
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Attribute) and dotted(target).startswith("self."):
                            site = Site(module, cls, fn, ast.Call(ast.Name("_"), [], [], lineno=node.lineno))
                            found = made_role(reader, node.value, site, kinds) if node.value is not None else ""
                            if not found and isinstance(node, ast.AnnAssign):
                                found = kinds.role_of(_names(node.annotation), uses_broker(reader, site, kinds))
                            if found:
                                roles[(cls.name, dotted(target))] = found
    return roles


def role(reader: EventReader, receiver: ast.expr, site: Site, kinds: ClientKinds, depth: int = 0) -> str:
    """The role (``producer``, ``consumer``, ``exchange``, ``queue``...) of the object a method is called on."""
    text = dotted(receiver)
    if not text or depth > 3:
        return ""
    if site.cls is not None and (found := attribute_roles(reader, kinds).get((site.cls.name, text))):
        return found
    here = uses_broker(reader, site, kinds)
    if isinstance(receiver, ast.Name):
        local = reader.assigned(site, receiver.id)
        local = local if local is not None else reader._with_bound(site, receiver.id)
        if local is not None and (found := made_role(reader, local, site, kinds, depth + 1)):
            return found
        if site.func is not None:
            for arg in [*site.func.args.posonlyargs, *site.func.args.args, *site.func.args.kwonlyargs]:
                if arg.arg == receiver.id and arg.annotation is not None:
                    if found := kinds.role_of(_names(arg.annotation), here):
                        return found
        if site.func is None or receiver.id not in reader.params(site):
            target = reader.lookup(site.module, receiver.id)
            if target and isinstance(target[1], ast.expr):
                if found := made_role(reader, target[1], Site(target[0], None, None, site.node), kinds, depth + 1):
                    return found
    if not here:
        return ""
    last = text.split(".")[-1].lower()
    return next((r for hint, r in kinds.hints if hint in last), "")


def literal_list(reader: EventReader, node: ast.expr | None, site: Site) -> ast.expr | None:
    """A list held in a local variable or a module constant: its literal (else the node itself)."""
    if isinstance(node, ast.Name):
        local = reader.assigned(site, node.id)
        if local is not None:
            return local
        found = reader.lookup(site.module, node.id)
        if found and isinstance(found[1], ast.List | ast.Tuple):
            return found[1]
    return node
