"""Event payload compatibility: the 24 content-model combinations (open, closed, partially open with a matching or
a clashing additionalProperties schema x property added/removed x required / with default / optional), each with
the verdict of both readers, and the deep cases (nested properties, $defs, arrays, enums) through the modes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from arrakis_docs.diff.findings import Level
from arrakis_docs.diff.schema_rules import Mode, Verdict, compare_payloads, payload_issues

MODELS = ("open", "closed", "partial-compatible", "partial-incompatible")
NEEDS = ("required", "default", "optional")
INC, RISK, OK = Verdict.INCOMPATIBLE, Verdict.RISKY, Verdict.COMPATIBLE


def schema(model: str, with_p: bool, need: str) -> dict[str, Any]:
    """An object with ``id`` and, when ``with_p``, the property ``p`` (a string, or an integer where the partial
    model's additionalProperties, which allows strings, must clash with it)."""
    props: dict[str, Any] = {"id": {"type": "string"}}
    required = ["id"]
    if with_p:
        props["p"] = {"type": "integer" if model == "partial-incompatible" else "string"}
        if need == "default":
            props["p"]["default"] = 0 if model == "partial-incompatible" else "x"
        if need == "required":
            required.append("p")
    out: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if model == "closed":
        out["additionalProperties"] = False
    elif model.startswith("partial"):
        out["additionalProperties"] = {"type": "string"}
    return out


# (model, change, need) -> (backward verdict, forward verdict) and why, as the schema_rules docstring argues.
def expected(model: str, change: str, need: str) -> tuple[Verdict, Verdict]:
    by_model = {"closed": INC, "open": OK, "partial-compatible": OK, "partial-incompatible": INC}
    missing = {"closed": OK, "open": RISK, "partial-compatible": OK, "partial-incompatible": INC}
    if change == "added":
        # new readers of old events: they need p (required) or tolerate its absence by the old content model;
        # old readers of new events: p is an extra property to them
        backward = INC if need == "required" else missing[model]
        return backward, by_model[model]
    forward = INC if need == "required" else missing[model]
    return by_model[model], forward


CASES = [(m, c, n) for m in MODELS for c in ("added", "removed") for n in NEEDS]


def test_there_are_24_combinations() -> None:
    assert len(CASES) == 24


@pytest.mark.parametrize(("model", "change", "need"), CASES)
def test_content_model_combination(model: str, change: str, need: str) -> None:
    old, new = schema(model, change == "removed", need), schema(model, change == "added", need)
    issues = payload_issues(old, new)
    verdicts = []
    for direction in ("backward", "forward"):
        mine = [i for i in issues[direction] if i.path == "p"]
        assert len(mine) == 1, issues
        assert mine[0].code.startswith(f"property-{change}-{need}-"), mine[0].code
        assert mine[0].why
        verdicts.append(mine[0].verdict)
    assert tuple(verdicts) == expected(model, change, need)
    # the same verdicts decide the finding's severity per mode
    for mode, directions in ((Mode.BACKWARD, (0,)), (Mode.FORWARD, (1,)), (Mode.FULL, (0, 1)), (Mode.NONE, ())):
        found = [f for f in compare_payloads("event E", old, new, mode) if f.message.startswith("p:")]
        worst = min((found_level(verdicts[d]) for d in directions), default=Level.INFO, key=_rank)
        assert min((f.level for f in found), key=_rank) == worst, (mode, found)


def found_level(verdict: Verdict) -> Level:
    return Level.BREAKING if verdict == INC else Level.INFO


def _rank(level: Level) -> int:
    return {Level.BREAKING: 0, Level.WARNING: 1, Level.INFO: 2}[level]


def test_unchanged_schema_has_no_findings() -> None:
    old = schema("closed", True, "required")
    assert compare_payloads("event E", old, copy.deepcopy(old), Mode.FULL) == []


ORDER = {
    "type": "object",
    "properties": {"lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
                   "status": {"enum": ["new", "paid"]}},
    "required": ["lines"],
    "$defs": {"Line": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer",
                                                                                            "maximum": 100}},
                       "required": ["sku", "qty"]}},
}


def changed(path: list[str], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(ORDER)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize(("change", "code", "mode", "level"), [
    (changed(["$defs", "Line", "properties", "qty"], {"type": "string"}), "event-payload-type-changed",
     Mode.BACKWARD, Level.BREAKING),
    (changed(["$defs", "Line", "properties", "qty"], {"type": "integer", "maximum": 10}),
     "event-payload-constraint-tightened", Mode.BACKWARD, Level.BREAKING),
    (changed(["$defs", "Line", "properties", "qty"], {"type": "integer", "maximum": 10}),
     "event-payload-constraint-tightened", Mode.FORWARD, Level.INFO),
    (changed(["$defs", "Line", "properties", "qty"], {"type": "integer", "multipleOf": 4}),
     "event-payload-constraint-tightened", Mode.BACKWARD, Level.BREAKING),
    (changed(["properties", "status"], {"enum": ["new"]}), "event-payload-enum-value-removed", Mode.BACKWARD,
     Level.BREAKING),
    (changed(["properties", "status"], {"enum": ["new", "paid", "void"]}), "event-payload-enum-value-added",
     Mode.FORWARD, Level.BREAKING),
    (changed(["properties", "status"], {"enum": ["new", "paid", "void"]}), "event-payload-enum-value-added",
     Mode.BACKWARD, Level.INFO),
    (changed(["$defs", "Line", "required"], ["sku"]), "event-payload-became-optional", Mode.FORWARD,
     Level.BREAKING),
])
def test_deep_changes(change: dict[str, Any], code: str, mode: Mode, level: Level) -> None:
    found = compare_payloads("event Order", ORDER, change, mode)
    mine = [f for f in found if f.id == code]
    assert mine, [f.id for f in found]
    assert mine[0].level == level
    assert mine[0].message.startswith("lines[]") or mine[0].message.startswith("status")


@pytest.mark.parametrize(("old", "new", "ok"), [(6, 3, True), (2, 4, False), (2, 3, False), (None, 5, False),
                                               (5, None, True)])
def test_multiple_of_for_new_readers(old: int | None, new: int | None, ok: bool) -> None:
    """BACKWARD: a new reader requiring multipleOf ``new`` reads old events (multiples of ``old``) only when
    ``new`` divides ``old``."""
    def qty(step: int | None) -> dict[str, Any]:
        return changed(["$defs", "Line", "properties", "qty"], {"type": "integer"} | (
            {"multipleOf": step} if step is not None else {}))
    found = [f.id for f in compare_payloads("event Order", qty(old), qty(new), Mode.BACKWARD)
             if f.level == Level.BREAKING]
    assert found == ([] if ok else ["event-payload-constraint-tightened"])


@pytest.mark.parametrize(("model", "change", "need"), CASES)
def test_jsoncompat_oracle_agrees(model: str, change: str, need: str) -> None:
    """jsoncompat (an independent checker: role deserializer = new readers, serializer = new writers) gives the
    same verdict on every combination; where we say "risky" (open content model) it says incompatible, which is the
    strict reading we report as info with the reason."""
    jsoncompat = pytest.importorskip("jsoncompat")
    old, new = schema(model, change == "removed", need), schema(model, change == "added", need)
    backward, forward = expected(model, change, need)
    reader = jsoncompat.check_compat(json.dumps(old), json.dumps(new), "deserializer")
    writer = jsoncompat.check_compat(json.dumps(old), json.dumps(new), "serializer")
    assert (reader, writer) == (backward == OK, forward == OK)
