"""Event contract rules: can a consumer on one version of a payload schema read events written with the other?

The question is asked per compatibility mode, as schema registries do: BACKWARD (consumers on the new schema read
events written with the old one), FORWARD (consumers on the old schema read new events), FULL (both), NONE. The
check is structural and deep: nested properties, ``$defs``/``$ref``, arrays, enums, unions, constraints and the
content model of every object: ``closed`` (additionalProperties false), ``partial`` (additionalProperties is a
schema: extra properties must match it) and ``open``.

A property present only on the reader's side is judged by its requiredness there: ``required`` (listed, no default:
events without it are rejected), ``default`` (a reader fills it) or ``optional``; a property present only on the
writer's side is judged by the reader's content model. Adding an optional property under BACKWARD is compatible
when the old schema was closed (old events never carried it) and "risky" (reported as info, with why) when it was
open: an old producer may have sent a property of that name with another shape, but one written against the schema
sends its declared properties only. Schema registries that reject it outright are stricter than the data requires."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from arrakis_docs.diff.findings import Finding, Level
from arrakis_docs.diff.schema_walk import Normaliser, content_model, multiple_of_divides, types_of, variant_key
from arrakis_docs.model.refs import SourceRef


class Mode(enum.StrEnum):
    """Which readers must keep working."""

    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    FULL = "FULL"
    NONE = "NONE"
    # The same readers, against every earlier version of the schema in git history, not only BASE's.
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def transitive(self) -> bool:
        """Whether earlier versions than BASE's are judged too."""
        return self.value.endswith("_TRANSITIVE")


class Verdict(enum.StrEnum):
    """What one change does to one reader."""

    INCOMPATIBLE = "incompatible"
    RISKY = "risky"  # compatible unless a producer used the open content model for a property of that name
    COMPATIBLE = "compatible"


@dataclass(frozen=True)
class Issue:
    """One change seen from one reader: its code (named from the old -> new change), where, verdict and why."""

    code: str
    path: str
    verdict: Verdict
    why: str


WHO = {
    "backward": "consumers on the new schema reading events written with the old one",
    "forward": "consumers on the old schema reading events written with the new one",
}


def requiredness(schema: dict[str, Any], name: str) -> str:
    """``required`` (listed and no default), ``default`` (has a default a reader fills) or ``optional``."""
    prop = (schema.get("properties") or {}).get(name) or {}
    if isinstance(prop, dict) and "default" in prop:
        return "default"
    return "required" if name in (schema.get("required") or []) else "optional"


class _Reader:
    """Compares one reader schema against one writer schema."""

    def __init__(self, reader_is_new: bool) -> None:
        self.reader_is_new = reader_is_new
        self.issues: list[Issue] = []

    def change(self, in_reader_only: bool) -> str:
        """The old -> new name of a thing present on one side only."""
        return "added" if in_reader_only == self.reader_is_new else "removed"

    def add(self, code: str, path: str, verdict: Verdict, why: str) -> None:
        self.issues.append(Issue(code, path or "(root)", verdict, why))

    def reads(self, reader: dict[str, Any], writer: dict[str, Any], path: str, depth: int = 0) -> None:
        """Record every way data valid under ``writer`` may fail ``reader``."""
        if depth > 24 or reader == writer or not reader:
            return
        self._types(reader, writer, path)
        self._enum(reader, writer, path)
        self._limits(reader, writer, path)
        self._unions(reader, writer, path, depth)
        if isinstance(reader.get("items"), dict):
            self.reads(reader["items"], writer.get("items") if isinstance(writer.get("items"), dict) else {},
                       f"{path}[]", depth + 1)
        if "properties" in reader or "properties" in writer or reader.get("additionalProperties") is False:
            self._object(reader, writer, path, depth)

    def _types(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        rt, wt = types_of(reader), types_of(writer)
        if rt is None:
            return
        widened = rt | {"integer"} if "number" in rt else rt
        if wt is None:
            self.add("type-narrowed" if self.reader_is_new else "type-widened", path, Verdict.INCOMPATIBLE,
                     f"the writer allows any type, the reader only {'|'.join(sorted(rt))}")
        elif not wt <= widened:
            extra = sorted(wt - widened)
            code = "became-not-nullable" if extra == ["null"] and self.reader_is_new else \
                "became-nullable" if extra == ["null"] else "type-changed"
            self.add(code, path, Verdict.INCOMPATIBLE, f"the writer may send {'|'.join(extra)}, the reader accepts "
                     f"{'|'.join(sorted(rt))}")

    def _enum(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        renum, wenum = reader.get("enum"), writer.get("enum")
        if not isinstance(renum, list):
            return
        if not isinstance(wenum, list):
            self.add("enum-added" if self.reader_is_new else "enum-removed", path, Verdict.INCOMPATIBLE,
                     f"the reader allows only {renum}, the writer any value")
            return
        missing = [v for v in wenum if v not in renum]
        if missing:
            self.add(f"enum-value-{self.change(False)}", path, Verdict.INCOMPATIBLE,
                     f"the writer may send {missing}, unknown to the reader")

    def _limits(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> None:
        for keyword, upper in (("maxLength", True), ("maximum", True), ("exclusiveMaximum", True),
                               ("maxItems", True), ("minLength", False), ("minimum", False),
                               ("exclusiveMinimum", False), ("minItems", False)):
            r, w = reader.get(keyword), writer.get(keyword)
            if r is None or isinstance(r, bool):
                continue
            if w is None or (upper and w > r) or (not upper and w < r):
                shown = w if w is not None else "unbounded"
                self.add(f"constraint-{'tightened' if self.reader_is_new else 'loosened'}", path,
                         Verdict.INCOMPATIBLE, f"the reader's {keyword} {r} rejects the writer's {shown} values")
        r, w = reader.get("multipleOf"), writer.get("multipleOf")
        if r is not None and not isinstance(r, bool) and r != w and not multiple_of_divides(r, w):
            self.add(f"constraint-{'tightened' if self.reader_is_new else 'loosened'}", path, Verdict.INCOMPATIBLE,
                     f"the reader's multipleOf {r} rejects some of the writer's values "
                     f"(multipleOf {w if w is not None else 'none'})")
        if reader.get("pattern") is not None and reader.get("pattern") != writer.get("pattern"):
            self.add("pattern-changed", path, Verdict.INCOMPATIBLE,
                     f"the reader requires pattern {reader['pattern']}, the writer {writer.get('pattern') or 'none'}")

    def _unions(self, reader: dict[str, Any], writer: dict[str, Any], path: str, depth: int) -> None:
        for keyword in ("oneOf", "anyOf"):
            rvars = {variant_key(v): v for v in reader.get(keyword) or []}
            if not rvars:
                continue
            wvars = {variant_key(v): v for v in writer.get(keyword) or writer.get("oneOf") or writer.get("anyOf") or []}
            for key in sorted(wvars.keys() - rvars.keys()):
                self.add(f"variant-{self.change(False)}", path, Verdict.INCOMPATIBLE,
                         f"the writer may send variant {key[:60]}, which the reader does not list")
            for key in sorted(wvars.keys() & rvars.keys()):
                self.reads(rvars[key], wvars[key], f"{path}<{key[:40]}>", depth + 1)

    def _object(self, reader: dict[str, Any], writer: dict[str, Any], path: str, depth: int) -> None:
        rprops, wprops = reader.get("properties") or {}, writer.get("properties") or {}
        rmodel, wmodel = content_model(reader), content_model(writer)
        for name in sorted(rprops.keys() - wprops.keys()):
            need = requiredness(reader, name)
            code = f"property-{self.change(True)}-{need}-{wmodel}"
            where = f"{path}.{name}" if path else name
            if need == "required":
                self.add(code, where, Verdict.INCOMPATIBLE, "the reader requires it and the writer's events do not "
                         "carry it")
            elif wmodel == "closed":
                self.add(code, where, Verdict.COMPATIBLE, "the writer's closed schema never sends it")
            elif wmodel == "open":
                self.add(code, where, Verdict.RISKY, "the writer's open schema allows a property of that name with "
                         "any value; compatible unless a producer sent one")
            else:
                probe = _Reader(self.reader_is_new)
                probe.reads(rprops[name], writer["additionalProperties"] if isinstance(
                    writer.get("additionalProperties"), dict) else {}, where, depth + 1)
                bad = [i for i in probe.issues if i.verdict == Verdict.INCOMPATIBLE]
                self.add(code.replace("-partial", f"-partial-{'incompatible' if bad else 'compatible'}"), where,
                         Verdict.INCOMPATIBLE if bad else Verdict.COMPATIBLE,
                         "the writer's additionalProperties schema allows values the reader's property rejects"
                         if bad else "the writer's additionalProperties schema only allows values the reader accepts")
        for name in sorted(wprops.keys() - rprops.keys()):
            had = requiredness(writer, name)
            code = f"property-{self.change(False)}-{had}-{rmodel}"
            where = f"{path}.{name}" if path else name
            if rmodel == "closed":
                self.add(code, where, Verdict.INCOMPATIBLE, "the reader's closed schema rejects it when the writer "
                         "sends it")
            elif rmodel == "open":
                self.add(code, where, Verdict.COMPATIBLE, "the reader's open schema ignores it")
            else:
                probe = _Reader(self.reader_is_new)
                probe.reads(reader["additionalProperties"] if isinstance(reader.get("additionalProperties"), dict)
                            else {}, wprops[name], where, depth + 1)
                bad = [i for i in probe.issues if i.verdict == Verdict.INCOMPATIBLE]
                self.add(code.replace("-partial", f"-partial-{'incompatible' if bad else 'compatible'}"), where,
                         Verdict.INCOMPATIBLE if bad else Verdict.COMPATIBLE,
                         "the reader's additionalProperties schema rejects the writer's values" if bad else
                         "the reader's additionalProperties schema accepts the writer's values")
        for name in sorted(rprops.keys() & wprops.keys()):
            where = f"{path}.{name}" if path else name
            if requiredness(reader, name) == "required" and requiredness(writer, name) != "required":
                self.add("became-required" if self.reader_is_new else "became-optional", where,
                         Verdict.INCOMPATIBLE, "the reader requires it, the writer may leave it out")
            if isinstance(rprops[name], dict) and isinstance(wprops[name], dict):
                self.reads(rprops[name], wprops[name], where, depth + 1)
        if rmodel == "closed" and wmodel != "closed" and not (rprops.keys() ^ wprops.keys()):
            self.add("content-model-closed" if self.reader_is_new else "content-model-opened", path,
                     Verdict.INCOMPATIBLE, "the reader rejects extra properties the writer's schema allows")


def payload_issues(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Issue]]:
    """The issues of each reader: ``backward`` (new reads old) and ``forward`` (old reads new)."""
    old_schema, new_schema = Normaliser(old).schema(old), Normaliser(new).schema(new)
    out: dict[str, list[Issue]] = {}
    for direction, reader, writer, reader_is_new in (("backward", new_schema, old_schema, True),
                                                     ("forward", old_schema, new_schema, False)):
        walker = _Reader(reader_is_new)
        walker.reads(reader, writer, "")
        out[direction] = walker.issues
    return out


def directions(mode: Mode) -> tuple[str, ...]:
    """The readers a mode protects."""
    plain = Mode(mode.value.removesuffix("_TRANSITIVE"))
    return {Mode.BACKWARD: ("backward",), Mode.FORWARD: ("forward",), Mode.FULL: ("backward", "forward"),
            Mode.NONE: ()}[plain]


def compare_payloads(subject: str, old: dict[str, Any], new: dict[str, Any], mode: Mode,
                     base: SourceRef | None = None, head: SourceRef | None = None) -> list[Finding]:
    """Findings for one message whose payload schema changed: each change once, breaking when a reader the mode
    protects fails (a warning when it only may), info otherwise, with who breaks and why."""
    issues = payload_issues(old, new)
    grouped: dict[tuple[str, str], dict[str, Issue]] = {}
    for direction, found in issues.items():
        for issue in found:
            grouped.setdefault((issue.code, issue.path), {})[direction] = issue
    protected = directions(mode)
    findings = []
    for (code, path), by_direction in sorted(grouped.items()):
        failing = [d for d in protected if d in by_direction and by_direction[d].verdict != Verdict.COMPATIBLE]
        # A risky change stays info: producers written against a schema send its declared properties only.
        failing = [d for d in failing if by_direction[d].verdict == Verdict.INCOMPATIBLE] or failing
        level = Level.BREAKING if any(by_direction[d].verdict == Verdict.INCOMPATIBLE for d in failing) else Level.INFO
        shown = failing or sorted(by_direction)
        why = "; ".join(f"{by_direction[d].verdict} for {WHO[d]}: {by_direction[d].why}" for d in shown)
        findings.append(Finding(f"event-payload-{code}", level, "events", subject,
                                f"{path}: {why} (mode {mode})", "+".join(failing) or "", base, head))
    return findings
