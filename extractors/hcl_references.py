"""Terraform reference lint: the first piece of the toolkit's Terraform extractor.

Reads every module (a folder of ``.tf`` files) under a root with python-hcl2 and reports, as data, each reference
that does not resolve inside its module: ``var.``, ``local.``, ``module.`` (and the child module's outputs),
``data.``, managed resources, provider aliases, and the arguments of local module calls (required variables
missing, unknown arguments passed). It never prints; ``python -m arrakis_docs.extractors.hcl_references DIR`` is
the CLI.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Block",
    "Diagnostic",
    "Module",
    "Reference",
    "block_references",
    "header_line",
    "lint_directory",
    "lint_module",
    "load_module",
    "main",
    "parse_file",
    "parse_text",
    "parse_hcl",
    "blocks_of",
    "references",
]

# Block-level meta-arguments of a module call that are not input variables.
MODULE_META_ARGUMENTS = frozenset({"source", "version", "providers", "count", "for_each", "depends_on"})
KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"})
# Attributes whose values are type constraints or attribute names, not expressions to resolve.
NON_EXPRESSION_ATTRIBUTES = {"variable": {"type"}, "lifecycle": {"ignore_changes"}}
BUILTIN_ATTRIBUTES = {
    "path": {"module", "root", "cwd"},
    "terraform": {"workspace"},
    "count": {"index"},
    "each": {"key", "value"},
}
SKIPPED_TOP_LEVEL_BLOCKS = frozenset({"terraform", "moved", "removed", "import"})


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding, printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Block:
    """A normalised HCL block: labels without quotes, attributes as raw hcl2 values, nested blocks."""

    type: str
    labels: tuple[str, ...]
    attributes: dict[str, Any]
    blocks: list[Block]
    path: Path

    def children(self, block_type: str) -> list[Block]:
        """The nested blocks of one type, in source order."""
        return [b for b in self.blocks if b.type == block_type]


@dataclass
class Module:
    """Every top-level block of one folder of ``.tf`` files, plus the files that failed to parse."""

    directory: Path
    blocks: list[Block] = field(default_factory=list)
    sources: dict[Path, str] = field(default_factory=dict)
    errors: list[Diagnostic] = field(default_factory=list)

    def of_type(self, block_type: str) -> list[Block]:
        """Top-level blocks of one type (``resource``, ``variable`` ...)."""
        return [b for b in self.blocks if b.type == block_type]

    @property
    def variables(self) -> dict[str, Block]:
        """Declared input variables by name."""
        return {b.labels[0]: b for b in self.of_type("variable")}

    @property
    def outputs(self) -> set[str]:
        """Declared output names."""
        return {b.labels[0] for b in self.of_type("output")}

    @property
    def locals(self) -> dict[str, Block]:
        """Local value names mapped to the ``locals`` block that declares them."""
        return {name: b for b in self.of_type("locals") for name in b.attributes}


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _is_block_item(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if item.get("__is_block__"):
        return True
    return len(item) == 1 and _is_block_item(next(iter(item.values())))


def _blocks_from(block_type: str, item: dict[str, Any], labels: tuple[str, ...], path: Path) -> Iterator[Block]:
    if item.get("__is_block__"):
        yield _block(block_type, labels, item, path)
        return
    for label, inner in item.items():
        yield from _blocks_from(block_type, inner, (*labels, _unquote(label)), path)


def _block(block_type: str, labels: tuple[str, ...], body: dict[str, Any], path: Path) -> Block:
    attributes: dict[str, Any] = {}
    blocks: list[Block] = []
    for key, value in body.items():
        if key == "__is_block__":
            continue
        if isinstance(value, list) and value and all(_is_block_item(v) for v in value):
            for item in value:
                blocks.extend(_blocks_from(key, item, (), path))
        else:
            attributes[_unquote(key)] = value
    return Block(block_type, labels, attributes, blocks, path)


def parse_text(text: str, path: Path) -> tuple[list[Block], Diagnostic | None]:
    """Parse the text of one ``.tf`` (or ``.tf.json``) file into normalised top-level blocks, or a parse diagnostic."""
    if path.name.endswith(".tf.json"):
        return _parse_json(text, path)
    raw, error = parse_hcl(text)
    return blocks_of(raw, error, path)


def parse_hcl(text: str) -> tuple[dict[str, Any] | None, tuple[int, str] | None]:
    """python-hcl2's document of an HCL text (plain JSON values, so it can be cached), or its parse error's line
    and message."""
    import hcl2  # here, not at the top: a run whose model is cached never parses HCL and need not import lark

    try:
        return hcl2.loads(text), None
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        line = getattr(exc, "line", None) or 1
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, (int(line), f"parse error: {first}")


def blocks_of(raw: dict[str, Any] | None, error: tuple[int, str] | list[Any] | None,
              path: Path) -> tuple[list[Block], Diagnostic | None]:
    """The blocks (or the diagnostic) of one file from what :func:`parse_hcl` returned for its text."""
    if raw is None:
        line, message = error if error else (1, "parse error")
        return [], Diagnostic(str(path), int(line), str(message))
    root = _block("", (), {**raw, "__is_block__": True}, path)
    return root.blocks, None


def parse_file(path: Path) -> tuple[list[Block], Diagnostic | None]:
    """Parse one ``.tf`` or ``.tf.json`` file into normalised top-level blocks, or return a parse diagnostic."""
    return parse_text(path.read_text(encoding="utf-8"), path)


# Labels each top-level block type takes in the JSON syntax; nested objects there are attributes, except these.
_JSON_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "locals": 0,
                "terraform": 0, "moved": 0, "import": 0, "removed": 0, "check": 1}
_JSON_NESTED_BLOCKS = frozenset({"lifecycle", "dynamic", "content", "required_providers", "backend", "provisioner",
                                 "connection"})


def _parse_json(text: str, path: Path) -> tuple[list[Block], Diagnostic | None]:
    """The JSON syntax of Terraform (``.tf.json``), turned into the blocks the HCL syntax gives."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], Diagnostic(str(path), exc.lineno, f"parse error: {exc.msg}")
    if not isinstance(document, dict):
        return [], Diagnostic(str(path), 1, "parse error: a .tf.json file holds one JSON object")
    blocks: list[Block] = []
    for block_type, body in document.items():
        if block_type == "//":  # the JSON syntax's comment property
            continue
        for item in body if isinstance(body, list) else [body]:
            blocks.extend(_json_blocks(block_type, item, _JSON_LABELS.get(block_type, 0), (), path))
    return blocks, None


def _json_blocks(block_type: str, body: Any, labels_left: int, labels: tuple[str, ...], path: Path) -> list[Block]:
    if labels_left and isinstance(body, dict):
        return [b for label, inner in body.items()
                for item in (inner if isinstance(inner, list) else [inner])
                for b in _json_blocks(block_type, item, labels_left - 1, (*labels, label), path)]
    if not isinstance(body, dict):
        return []
    attributes: dict[str, Any] = {}
    nested: list[Block] = []
    for key, value in body.items():
        if key == "//":
            continue
        if key in _JSON_NESTED_BLOCKS and isinstance(value, dict | list):
            count = 1 if key in ("dynamic", "provisioner") else 0
            for item in value if isinstance(value, list) else [value]:
                nested.extend(_json_blocks(key, item, count, (), path))
        else:
            attributes[key] = _json_value(value)
    return [Block(block_type, labels, attributes, nested, path)]


def _json_value(value: Any) -> Any:
    """JSON strings are templates: quote them the way python-hcl2 leaves HCL strings, so references are found."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return {key: _json_value(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_json_value(inner) for inner in value]
    return value


def load_module(directory: Path) -> Module:
    """Parse every ``.tf`` and ``.tf.json`` file directly inside ``directory``."""
    module = Module(directory)
    for path in sorted([*directory.glob("*.tf"), *directory.glob("*.tf.json")]):
        text = path.read_text(encoding="utf-8")
        module.sources[path] = text
        blocks, error = parse_text(text, path)
        module.blocks.extend(blocks)
        if error:
            module.errors.append(error)
    return module


# --- expressions -------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
    |(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:-+[A-Za-z0-9_]+)*)
    |(?P<op>\.\.\.|=>|==|!=|<=|>=|&&|\|\||::|[-+*/%<>!?:=.,\[\](){}~])""",
    re.X | re.S,
)
_BARE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n(.*?)\n\s*\1\s*$", re.S)


def _tokenize(text: str, start: int = 0, stop_at_brace: bool = False) -> tuple[list[tuple[str, str]], int]:
    """Tokens of an expression; string literals are expanded into their interpolations' tokens."""
    tokens: list[tuple[str, str]] = []
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == '"':
            inner, i = _template_tokens(text, i + 1, quoted=True)
            tokens.extend(inner)
            tokens.append(("string", '""'))
            continue
        if text.startswith("<<", i):
            heredoc = _HEREDOC.match(text, i)
            if heredoc:
                tokens.extend(_template_tokens(heredoc.group(2), 0, quoted=False)[0])
                tokens.append(("string", '""'))
                i = heredoc.end()
                continue
        match = _TOKEN.match(text, i)
        if not match:
            i += 1
            continue
        kind = match.lastgroup or "op"
        value = match.group()
        i = match.end()
        if kind in ("ws", "comment"):
            continue
        if stop_at_brace and value == "{":
            depth += 1
        elif stop_at_brace and value == "}":
            if depth == 0:
                return tokens, i
            depth -= 1
        tokens.append((kind, value))
    return tokens, i


def _template_tokens(text: str, i: int, quoted: bool) -> tuple[list[tuple[str, str]], int]:
    """Tokens of the interpolations and directives in a template; returns the index after the closing quote."""
    tokens: list[tuple[str, str]] = []
    while i < len(text):
        if quoted and text[i] == "\\":
            i += 2
        elif quoted and text[i] == '"':
            return tokens, i + 1
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            opener = "(" if text[i] == "$" else "%{"
            inner, i = _tokenize(text, i + 2, stop_at_brace=True)
            tokens.extend([("op", opener), *[t for t in inner if t[1] != "~"], ("op", ")")])
        else:
            i += 1
    return tokens, i


def _expressions(value: Any) -> Iterator[str]:
    """Expression texts inside a raw hcl2 attribute value (``${...}`` wrappers removed)."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            yield value[2:-1]
        elif value.startswith('"') or _BARE_NAME.match(value):
            yield value  # python-hcl2 leaves a lone identifier expression unwrapped
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key.startswith("${"):  # a computed key such as (var.name); literal keys are just names
                yield from _expressions(key)
            yield from _expressions(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item)


def _matching(tokens: list[tuple[str, str]], i: int) -> int:
    """Index of the bracket closing the one opened at ``i`` (or the end)."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j][1] in ("(", "[", "{", "%{"):
            depth += 1
        elif tokens[j][1] in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _for_header(tokens: list[tuple[str, str]], i: int) -> tuple[set[str], int] | None:
    """Names bound by ``for a, b in`` starting at ``i`` (the ``for`` token) and the index after ``in``."""
    names: set[str] = set()
    j = i + 1
    while j + 1 < len(tokens) and tokens[j][0] == "ident":
        names.add(tokens[j][1])
        if tokens[j + 1][1] == ",":
            j += 2
            continue
        if tokens[j + 1][1] == "in":
            return names, j + 2
        break
    return None


def _traversals(tokens: list[tuple[str, str]], bound: frozenset[str] = frozenset()) -> Iterator[tuple[str, ...]]:
    """Reference traversals (root, attributes...; ``[]`` marks an index step) not bound by a ``for`` here."""
    frames: list[tuple[str, set[str]]] = [("", set())]
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        in_scope = bound.union(*(names for _, names in frames))
        if text in ("(", "[", "{", "%{"):
            header = _for_header(tokens, i + 1) if i + 1 < len(tokens) and tokens[i + 1][1] == "for" else None
            if header and text == "%{":
                frames[0][1].update(header[0])  # a template for-directive binds until %{endfor}
                frames.append((text, set()))
                i = header[1]
            elif header:
                frames.append(("for", header[0]))
                i = header[1]
            else:
                frames.append((text, set()))
                i += 1
            continue
        if text in (")", "]", "}"):
            if len(frames) > 1:
                frames.pop()
            i += 1
            continue
        if kind != "ident" or text in KEYWORDS:
            i += 1
            continue
        previous = tokens[i - 1][1] if i else ""
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        is_key = frames[-1][0] == "{" and (following == "=" or (following == ":" and previous in ("{", ",")))
        if previous in (".", "::") or following in ("(", "::") or is_key or text in in_scope:
            i += 1
            continue
        parts = [text]
        j = i + 1
        while j < len(tokens):
            attribute = tokens[j + 1] if tokens[j][1] == "." and j + 1 < len(tokens) else None
            if attribute and (attribute[0] in ("ident", "number") or attribute[1] == "*"):
                parts.append(attribute[1] if attribute[0] == "ident" else "[]")
                j += 2
            elif tokens[j][1] == "[":
                end = _matching(tokens, j)
                yield from _traversals(tokens[j + 1 : end], frozenset(in_scope))
                parts.append("[]")
                j = end + 1
            else:
                break
        yield tuple(parts)
        i = j


def references(value: Any) -> list[tuple[str, ...]]:
    """Every reference traversal in a raw hcl2 attribute value, in order."""
    found: list[tuple[str, ...]] = []
    for expression in _expressions(value):
        tokens = (
            _tokenize(expression)[0]
            if not expression.startswith('"')
            else _template_tokens(expression, 1, quoted=True)[0]
        )
        found.extend(_traversals(tokens))
    return found


@dataclass(frozen=True)
class Reference:
    """One traversal in a block: the attribute it sits in (dotted through nested blocks) and the dynamic-block
    iterators in scope there, each with the traversals of the ``for_each`` it ranges over."""

    attribute: str
    parts: tuple[str, ...]
    iterators: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()


def block_references(top: Block) -> Iterator[Reference]:
    """Every reference in a top-level block, nested and dynamic blocks included, in source order.

    Attributes that are not expressions (a variable's ``type``, ``ignore_changes``) are skipped, and so are the
    ``provider``/``providers`` meta-arguments of resources, data sources and module calls, which name provider
    configurations rather than values.
    """
    skipped = {"provider", "providers"} if top.type in ("resource", "data", "module") else set()
    yield from _block_references(top, "", skipped, ())


def _block_references(block: Block, prefix: str, skipped: set[str],
                      iterators: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]) -> Iterator[Reference]:
    not_expressions = NON_EXPRESSION_ATTRIBUTES.get(block.type, set()) | skipped
    for name, value in block.attributes.items():
        if name in not_expressions:
            continue
        for parts in references(value):
            yield Reference(prefix + name, parts, iterators)
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            iterator = child.attributes.get("iterator", child.labels[0])
            iterator = _unquote(str(iterator)).removeprefix("${").removesuffix("}")
            ranges = references(child.attributes.get("for_each"))
            for parts in ranges:
                yield Reference(f"{prefix}{child.labels[0]}.for_each", parts, iterators)
            inner = ((iterator, tuple(ranges)), *iterators)
            for content in child.blocks:
                yield from _block_references(content, f"{prefix}{child.labels[0]}.", set(), inner)
        else:
            yield from _block_references(child, f"{prefix}{child.type}.", set(), iterators)


def header_line(block: Block, text: str) -> int:
    """The 1-based line where ``block`` starts in ``text`` (the text of ``block.path``); 1 when not found."""
    lines = text.splitlines()
    if block.type == "locals":
        pattern = re.compile(r"^\s*locals\s*\{")
    else:
        labels = "".join(rf'\s+"?{re.escape(label)}"?' for label in block.labels)
        pattern = re.compile(rf"^\s*{re.escape(block.type)}{labels}\s*\{{")
    candidates = [n for n, line in enumerate(lines, 1) if pattern.search(line)]
    if block.type == "locals" and block.attributes:
        first = next(iter(block.attributes))
        key = re.compile(rf"^\s*{re.escape(first)}\s*=")
        for start in candidates:
            if any(key.search(line) for line in lines[start:]):
                return start
    if not candidates and block.labels:  # the JSON syntax: the line naming the last label
        needle = f'"{block.labels[-1]}"'
        candidates = [n for n, line in enumerate(lines, 1) if needle in line]
    return candidates[0] if candidates else 1


# --- resolution --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """What a block lets its expressions use besides module-level names."""

    names: frozenset[str] = frozenset()  # count, each, self and dynamic-block iterators


class _Linter:
    def __init__(self, module: Module, cache: dict[Path, Module]) -> None:
        self.module = module
        self.cache = cache
        self.diagnostics: list[Diagnostic] = list(module.errors)
        self.variables = set(module.variables)
        self.locals = set(module.locals)
        self.modules = {b.labels[0]: b for b in module.of_type("module")}
        self.resources = {(b.labels[0], b.labels[1]) for b in module.of_type("resource") if len(b.labels) == 2}
        self.data = {(b.labels[0], b.labels[1]) for b in module.of_type("data") if len(b.labels) == 2}
        self.providers = self._provider_configurations()

    def _provider_configurations(self) -> set[str]:
        names: set[str] = set()
        for block in self.module.of_type("provider"):
            alias = block.attributes.get("alias")
            names.add(f"{block.labels[0]}.{_unquote(alias)}" if isinstance(alias, str) else block.labels[0])
        for terraform in self.module.of_type("terraform"):
            for required in terraform.children("required_providers"):
                for name, spec in required.attributes.items():
                    names.add(name)
                    aliases = spec.get("configuration_aliases", []) if isinstance(spec, dict) else []
                    names.update(_unquote(a).removeprefix("${").removesuffix("}") for a in aliases)
        return names

    # where in the source a finding belongs
    def _line(self, block: Block, needle: str | None = None) -> int:
        source = self.module.sources.get(block.path, "")
        lines = source.splitlines()
        header = header_line(block, source)
        if needle:
            pattern = re.compile(rf"(?<![\w.-]){re.escape(needle)}(?![\w-])")
            for number in range(header, len(lines) + 1):
                if pattern.search(lines[number - 1]):
                    return number
        return header

    def report(self, block: Block, message: str, needle: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(str(block.path), self._line(block, needle), message))

    # walking
    def run(self) -> list[Diagnostic]:
        for block in self.module.blocks:
            if block.type in SKIPPED_TOP_LEVEL_BLOCKS:
                continue
            names: set[str] = set()
            if block.type in ("resource", "data", "module"):
                names |= {"count"} if "count" in block.attributes else set()
                names |= {"each"} if "for_each" in block.attributes else set()
                names |= {"self"} if block.type == "resource" else set()
                for meta in ("provider", "providers"):
                    if meta in block.attributes:
                        self._check_providers(block, block.attributes[meta])
            for reference in block_references(block):
                scope = _Scope(frozenset(names.union(name for name, _ in reference.iterators)))
                self._resolve(block, reference.parts, scope)
            if block.type == "module":
                self._check_module_call(block)
        return sorted(set(self.diagnostics))

    def _check_providers(self, top: Block, value: Any) -> None:
        values = value.values() if isinstance(value, dict) else [value]
        for item in values:
            name = _unquote(str(item)).removeprefix("${").removesuffix("}")
            # a bare provider name is its default configuration, which always exists implicitly
            if "." in name and name not in self.providers:
                self.report(top, f'reference to undeclared provider configuration "{name}"', name)

    def _resolve(self, top: Block, parts: tuple[str, ...], scope: _Scope) -> None:
        root = parts[0]
        names = [p for p in parts[1:] if p != "[]"]
        first = names[0] if names else None
        text = ".".join((root, *names[:1]))
        if root in scope.names:
            if root in BUILTIN_ATTRIBUTES and first not in BUILTIN_ATTRIBUTES[root]:
                self.report(top, f'unsupported attribute "{root}.{first}"', text)
            return
        if root in ("count", "each", "self"):
            where = {"count": "count", "each": "for_each", "self": "a resource"}[root]
            self.report(top, f'"{root}.{first}" used outside a block with {where}', text)
        elif root in ("path", "terraform"):
            if first not in BUILTIN_ATTRIBUTES[root]:
                self.report(top, f'unsupported attribute "{text}"', text)
        elif root == "var":
            if first not in self.variables:
                self.report(top, f'reference to undeclared input variable "{first}"', text)
        elif root == "local":
            if first not in self.locals:
                self.report(top, f'reference to undeclared local value "{first}"', text)
        elif root == "module":
            self._resolve_module_output(top, names, text)
        elif root == "data":
            if len(names) < 2 or (names[0], names[1]) not in self.data:
                self.report(
                    top,
                    f'reference to undeclared data source "data.{".".join(names[:2])}"',
                    ".".join(("data", *names[:2])),
                )
        elif not first or "_" not in root:  # every resource type is <provider>_<kind>
            self.report(top, f'reference to unknown name "{root}"', root)
        elif (root, first) not in self.resources:
            self.report(top, f'reference to undeclared resource "{root}.{first}"', text)

    def _resolve_module_output(self, top: Block, names: list[str], text: str) -> None:
        if not names or names[0] not in self.modules:
            self.report(top, f'reference to undeclared module "{names[0] if names else ""}"', text)
            return
        child = self._child(self.modules[names[0]])
        if child is not None and child.blocks and len(names) > 1 and names[1] not in child.outputs:
            self.report(top, f'module "{names[0]}" has no output "{names[1]}"', f"{text}.{names[1]}")

    def _child(self, call: Block) -> Module | None:
        source = _unquote(str(call.attributes.get("source", "")))
        if not source.startswith(("./", "../")):
            return None
        directory = Path(os.path.normpath(self.module.directory / source))
        key = directory.resolve()
        if key not in self.cache:
            self.cache[key] = load_module(directory) if directory.is_dir() else Module(directory)
        return self.cache[key]

    def _check_module_call(self, call: Block) -> None:
        child = self._child(call)
        name = call.labels[0]
        if child is None:
            return
        if not child.blocks and not child.errors:
            source = _unquote(str(call.attributes.get("source")))
            self.report(call, f'module "{name}": source "{source}" has no .tf files')
            return
        declared = child.variables
        for argument in call.attributes:
            if argument not in MODULE_META_ARGUMENTS and argument not in declared:
                self.report(call, f'module "{name}": unsupported argument "{argument}"', argument)
        for variable, block in sorted(declared.items()):
            if "default" not in block.attributes and variable not in call.attributes:
                self.report(call, f'module "{name}": missing required argument "{variable}"')


def lint_module(directory: Path, cache: dict[Path, Module] | None = None) -> list[Diagnostic]:
    """Diagnostics for one folder of ``.tf`` files."""
    cache = {} if cache is None else cache
    key = directory.resolve()
    if key not in cache:
        cache[key] = load_module(directory)
    return _Linter(cache[key], cache).run()


def module_directories(root: Path) -> list[Path]:
    """Every folder under ``root`` (itself included) that holds ``.tf`` files, sorted."""
    found = {p.parent for p in root.rglob("*.tf") if ".terraform" not in p.parts}
    return sorted(found)


def lint_directory(root: Path | str) -> list[Diagnostic]:
    """Lint every module under ``root``; diagnostics sorted by path and line."""
    root = Path(root)
    directories = module_directories(root)
    # load every module first so that paths in diagnostics keep the caller's spelling of ``root``
    cache = {directory.resolve(): load_module(directory) for directory in directories}
    diagnostics: list[Diagnostic] = []
    for directory in directories:
        diagnostics.extend(lint_module(directory, cache))
    return sorted(diagnostics)


def main(argv: Iterable[str] | None = None) -> int:
    """CLI: print diagnostics for each directory given; exit 1 if there are any."""
    arguments = list(sys.argv[1:] if argv is None else argv) or ["terraform"]
    diagnostics = [d for argument in arguments for d in lint_directory(argument)]
    for diagnostic in diagnostics:
        print(diagnostic)
    return 1 if diagnostics else 0


if __name__ == "__main__":
    raise SystemExit(main())
