"""Declarative transform steps: checked against the source schema (inferring the output schema) and applied to rows.

A plan is built by walking the steps over the schema; every reference to an unknown column, a type mismatch or a
disallowed expression raises :class:`StepError` naming the step, so a bad transform is refused at creation time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from .expressions import ExpressionError, compile_expression
from .schema import INT64_MAX, INT64_MIN, NUMERIC, CoercionError, Column, coerce

Row = dict[str, Any]
RowsFn = Callable[[list[Row]], list[Row]]
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,99}$"


class FilterStep(BaseModel):
    type: Literal["filter"]
    column: str
    op: Literal["==", "!=", "<", "<=", ">", ">=", "in", "contains"]
    value: Any = None


class SelectStep(BaseModel):
    type: Literal["select"]
    columns: list[str] = Field(min_length=1)


class RenameStep(BaseModel):
    type: Literal["rename"]
    mapping: dict[str, Annotated[str, Field(pattern=IDENTIFIER)]] = Field(min_length=1)


class DeriveStep(BaseModel):
    type: Literal["derive"]
    column: str = Field(pattern=IDENTIFIER)
    expression: str = Field(min_length=1, max_length=500, examples=["price * quantity"])


class Aggregation(BaseModel):
    function: Literal["count", "sum", "avg", "min", "max"]
    column: str | None = Field(default=None, description="Required except for count")
    name: str | None = Field(default=None, pattern=IDENTIFIER, description="Output column; default function_column")


class AggregateStep(BaseModel):
    type: Literal["aggregate"]
    group_by: list[str] = Field(default_factory=list)
    aggregations: list[Aggregation] = Field(min_length=1)


Step = Annotated[FilterStep | SelectStep | RenameStep | DeriveStep | AggregateStep, Field(discriminator="type")]


class StepError(ValueError):
    """A step does not fit the schema it receives."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"step {index}: {message}")
        self.index = index


@dataclass(frozen=True)
class Plan:
    """Checked steps: the output schema and the row functions to apply in order."""

    columns: list[Column]
    stages: list[RowsFn]

    def apply(self, rows: list[Row]) -> list[Row]:
        for stage in self.stages:
            rows = stage(rows)
        return rows


def plan(steps: list[Any], columns: list[Column]) -> Plan:
    """Check ``steps`` against ``columns`` and build the plan; raises StepError on the first bad step."""
    stages: list[RowsFn] = []
    for index, step in enumerate(steps):
        builder = BUILDERS[type(step)]
        try:
            columns, stage = builder(step, {c.name: c for c in columns}, columns)
        except (ExpressionError, ValueError) as exc:
            raise StepError(index, str(exc)) from exc
        stages.append(stage)
    return Plan(columns=columns, stages=stages)


def _require(names: list[str], schema: dict[str, Column]) -> None:
    missing = [n for n in names if n not in schema]
    if missing:
        raise ValueError(f"unknown column(s): {', '.join(missing)}")


def _compare(op: str, target: Any) -> Callable[[Any], bool]:
    """Predicate on one cell; nulls only match ``== null`` and ``!= <value>``."""
    tests: dict[str, Callable[[Any], bool]] = {
        "==": lambda v: v == target, "!=": lambda v: v != target,
        "<": lambda v: v is not None and v < target, "<=": lambda v: v is not None and v <= target,
        ">": lambda v: v is not None and v > target, ">=": lambda v: v is not None and v >= target,
        "in": lambda v: v in target, "contains": lambda v: v is not None and target in v,
    }
    return tests[op]


def _filter(step: FilterStep, schema: dict[str, Column], columns: list[Column]) -> tuple[list[Column], RowsFn]:
    _require([step.column], schema)
    column = schema[step.column]
    loose = column.model_copy(update={"nullable": True})
    try:
        if step.op == "in":
            if not isinstance(step.value, list):
                raise ValueError("'in' needs a list value")
            target: Any = [coerce(loose, v) for v in step.value]
        elif step.op == "contains":
            if column.type != "string" or not isinstance(step.value, str):
                raise ValueError("'contains' needs a string column and a string value")
            target = step.value
        else:
            target = coerce(loose, step.value)
            if target is None and step.op not in ("==", "!="):
                raise ValueError(f"'{step.op}' needs a value")
            if step.op not in ("==", "!=") and column.type == "boolean":
                raise ValueError(f"'{step.op}' does not apply to boolean columns")
    except CoercionError as exc:
        raise ValueError(f"value does not fit column {column.name!r}: {exc}") from exc
    test, name = _compare(step.op, target), step.column
    return columns, lambda rows: [r for r in rows if test(r.get(name))]


def _select(step: SelectStep, schema: dict[str, Column], _columns: list[Column]) -> tuple[list[Column], RowsFn]:
    _require(step.columns, schema)
    if len(set(step.columns)) != len(step.columns):
        raise ValueError("select lists a column twice")
    names = list(step.columns)
    return [schema[n] for n in names], lambda rows: [{n: r.get(n) for n in names} for r in rows]


def _rename(step: RenameStep, schema: dict[str, Column], columns: list[Column]) -> tuple[list[Column], RowsFn]:
    _require(list(step.mapping), schema)
    mapping = dict(step.mapping)
    renamed = [mapping.get(c.name, c.name) for c in columns]
    if len(set(renamed)) != len(renamed):
        raise ValueError("rename would give two columns the same name")
    out = [c.model_copy(update={"name": mapping.get(c.name, c.name)}) for c in columns]
    return out, lambda rows: [{mapping.get(k, k): v for k, v in r.items()} for r in rows]


def _in_range(value: int | float) -> bool:
    """Whether a derived value fits what a column of its type stores: a 64-bit integer, or a finite float."""
    if isinstance(value, float):
        return math.isfinite(value)
    return INT64_MIN <= value <= INT64_MAX


def _derive(step: DeriveStep, schema: dict[str, Column], columns: list[Column]) -> tuple[list[Column], RowsFn]:
    compiled = compile_expression(step.expression, {c.name: c.type for c in columns})
    nullable = compiled.may_be_null or any(schema[n].nullable for n in compiled.columns)
    new = Column(name=step.column, type=compiled.result_type, nullable=nullable)
    out = [new if c.name == step.column else c for c in columns]
    if step.column not in schema:
        out.append(new)
    name, evaluate, as_float = step.column, compiled.evaluate, compiled.result_type == "number"

    def derive(rows: list[Row]) -> list[Row]:
        result = []
        for r in rows:
            value = evaluate(r)
            if as_float and value is not None:
                value = float(value)  # an int too large for a float raises OverflowError: the run fails
            if value is not None and not _in_range(value):
                raise OverflowError(f"derived column {name!r}: a value is outside the 64-bit range of its type")
            result.append({**r, name: value})
        return result

    return out, derive


def _aggregate(step: AggregateStep, schema: dict[str, Column], _columns: list[Column]
               ) -> tuple[list[Column], RowsFn]:
    _require(step.group_by, schema)
    out = [schema[n] for n in step.group_by]
    specs: list[tuple[str, str, str | None]] = []
    for agg in step.aggregations:
        if agg.function == "count":
            if agg.column is not None:
                _require([agg.column], schema)
            out_col = Column(name=agg.name or (f"count_{agg.column}" if agg.column else "count"), type="integer",
                             nullable=False)
        else:
            if agg.column is None:
                raise ValueError(f"{agg.function} needs a column")
            _require([agg.column], schema)
            source = schema[agg.column]
            if agg.function in ("sum", "avg") and source.type not in NUMERIC:
                raise ValueError(f"{agg.function} needs a numeric column, {agg.column!r} is {source.type}")
            if source.type == "boolean":
                raise ValueError(f"{agg.function} does not apply to boolean column {agg.column!r}")
            kind = "number" if agg.function == "avg" else source.type
            out_col = Column(name=agg.name or f"{agg.function}_{agg.column}", type=kind,
                             nullable=agg.function != "sum")
        out.append(out_col)
        specs.append((out_col.name, agg.function, agg.column))
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise ValueError("aggregate output has duplicate column names")
    keys = list(step.group_by)

    def aggregate(rows: list[Row]) -> list[Row]:
        groups: dict[tuple[Any, ...], list[Row]] = {}
        for r in rows:  # groups keep the order in which their first row appears
            groups.setdefault(tuple(r.get(k) for k in keys), []).append(r)
        if not keys and not groups:
            groups[()] = []
        result = []
        for key, members in groups.items():
            row = dict(zip(keys, key, strict=True))
            for out_name, function, column in specs:
                row[out_name] = _summarise(function, column, members)
            result.append(row)
        return result

    return out, aggregate


def _summarise(function: str, column: str | None, rows: list[Row]) -> Any:
    if function == "count":
        return len(rows) if column is None else sum(1 for r in rows if r.get(column) is not None)
    values = [r[column] for r in rows if r.get(column) is not None]
    if function == "sum":
        return sum(values)  # an empty group sums to 0
    if not values:
        return None
    if function == "avg":
        return sum(values) / len(values)
    return min(values) if function == "min" else max(values)


BUILDERS: dict[type, Callable[[Any, dict[str, Column], list[Column]], tuple[list[Column], RowsFn]]] = {
    FilterStep: _filter, SelectStep: _select, RenameStep: _rename, DeriveStep: _derive, AggregateStep: _aggregate,
}
