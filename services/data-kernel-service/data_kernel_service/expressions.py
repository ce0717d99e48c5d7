"""Safe arithmetic for ``derive`` steps: parsed with ``ast`` and evaluated through a whitelist, never ``eval``.

Allowed: column names, int/float literals, ``+ - * / // %`` and unary ``+ -``, parentheses. Everything else
(calls, attributes, subscripts, strings, comparisons, ``**``...) is rejected when the transform is created.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 500
MAX_NODES = 200
BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
DIVISIONS = (ast.Div, ast.FloorDiv, ast.Mod)

Evaluator = Callable[[dict[str, Any]], Any]


class ExpressionError(ValueError):
    """The expression is not allowed or refers to an unknown column."""


@dataclass(frozen=True)
class Compiled:
    """A checked expression: ``evaluate(row)`` gives the value (None when an input is null or a divisor is 0)."""

    source: str
    evaluate: Evaluator
    columns: frozenset[str]
    result_type: str
    may_be_null: bool


def compile_expression(source: str, column_types: dict[str, str]) -> Compiled:
    """Check ``source`` against the whitelist and the available ``{column: type}``; raise ExpressionError."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"invalid expression: {exc.msg}") from exc
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError("expression too complex")
    used: set[str] = set()
    state = {"float": False, "divides": False}
    evaluate = _compile(tree.body, column_types, used, state)
    result_type = "number" if state["float"] or state["divides"] else "integer"
    if any(column_types[name] == "number" for name in used):
        result_type = "number"
    return Compiled(source=source, evaluate=evaluate, columns=frozenset(used), result_type=result_type,
                    may_be_null=state["divides"])


def _compile(node: ast.AST, column_types: dict[str, str], used: set[str], state: dict[str, bool]) -> Evaluator:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExpressionError(f"only numeric literals are allowed, got {value!r}")
        state["float"] = state["float"] or isinstance(value, float)
        return lambda _row: value
    if isinstance(node, ast.Name):
        name = node.id
        if name not in column_types:
            raise ExpressionError(f"unknown column {name!r}")
        if column_types[name] not in ("integer", "number"):
            raise ExpressionError(f"column {name!r} is {column_types[name]}, not numeric")
        used.add(name)
        return lambda row: row.get(name)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        op = BINARY[type(node.op)]
        state["divides"] = state["divides"] or isinstance(node.op, DIVISIONS)
        state["float"] = state["float"] or isinstance(node.op, ast.Div)
        left, right = _compile(node.left, column_types, used, state), _compile(node.right, column_types, used, state)

        def binary(row: dict[str, Any]) -> Any:
            a, b = left(row), right(row)
            if a is None or b is None:
                return None
            try:
                return op(a, b)
            except ZeroDivisionError:
                return None

        return binary
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        uop = UNARY[type(node.op)]
        operand = _compile(node.operand, column_types, used, state)
        return lambda row: None if (v := operand(row)) is None else uop(v)
    raise ExpressionError(f"{type(node).__name__} is not allowed in expressions")
