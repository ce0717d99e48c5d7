"""Declared dataset schemas and the coercion of incoming values to their column types."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ColumnType = Literal["string", "integer", "number", "boolean", "datetime"]
NUMERIC: frozenset[str] = frozenset({"integer", "number"})
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}


class Column(BaseModel):
    """One column of a dataset's schema."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$", description="An identifier, usable in expressions")
    type: ColumnType
    nullable: bool = True


class CoercionError(ValueError):
    """A value does not fit its column."""


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise CoercionError("expected an integer, got a boolean")
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            pass
    if number is None:
        raise CoercionError(f"expected an integer, got {value!r}")
    if not INT64_MIN <= number <= INT64_MAX:  # PostgreSQL, SQLite and most clients hold 64 bits, no more
        raise CoercionError("integer outside the 64-bit range (-2**63 to 2**63-1)")
    return number


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise CoercionError("expected a number, got a boolean")
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise CoercionError(f"expected a finite number, got {value!r}")
    return number


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise CoercionError(f"expected a boolean, got {value!r}")


def _to_datetime(value: Any) -> str:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            try:
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
                raise CoercionError(f"datetime out of range: {value!r}") from None
            return moment.isoformat()
    raise CoercionError(f"expected an ISO 8601 datetime, got {value!r}")


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise CoercionError(f"expected a string, got {type(value).__name__}")


COERCERS = {"string": _to_string, "integer": _to_integer, "number": _to_number, "boolean": _to_boolean,
            "datetime": _to_datetime}


def coerce(column: Column, value: Any) -> Any:
    """``value`` converted to ``column``'s type (datetimes become UTC ISO strings); raises CoercionError."""
    if value is None:
        if not column.nullable:
            raise CoercionError("value is required")
        return None
    return COERCERS[column.type](value)


def columns_of(raw: list[dict[str, Any]]) -> list[Column]:
    """The stored schema of a dataset as Column models."""
    return [Column.model_validate(c) for c in raw]
