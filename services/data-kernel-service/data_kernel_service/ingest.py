"""Record ingest: JSON lists and CSV text parsed into rows, each validated against the dataset's schema."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .schema import CoercionError, Column, coerce


class RowError(BaseModel):
    """Why one input row was rejected; ``row`` counts data rows from 1 (the CSV header is not a row)."""

    row: int
    column: str | None
    message: str


class IngestRejected(ValueError):
    """The input as a whole cannot be read (not a list, bad CSV header, bad encoding)."""


@dataclass
class Validated:
    """Outcome of validating input rows: accepted rows (ready to store) and per-row errors."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected: int = 0


@dataclass(frozen=True)
class CsvShapeError:
    """Placeholder for a CSV line whose cell count does not match the header."""

    message: str


def parse_json_rows(document: Any) -> list[Any]:
    """Rows of a JSON ingest body: a list of objects (non-objects are reported per row later)."""
    if not isinstance(document, list):
        raise IngestRejected("expected a JSON list of objects")
    return document


def parse_csv_rows(data: bytes, columns: list[Column]) -> list[Any]:
    """Rows of CSV text with a header line; empty cells are nulls. Unknown header names reject the input."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestRejected(f"CSV is not UTF-8: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise IngestRejected("CSV has no header line") from exc
    except csv.Error as exc:
        raise IngestRejected(f"CSV cannot be read: {exc}") from exc
    header = [name.strip() for name in header]
    known = {c.name for c in columns}
    unknown = [name for name in header if name not in known]
    if unknown or len(set(header)) != len(header):
        raise IngestRejected(f"CSV header must name distinct dataset columns; unknown: {unknown}")
    rows: list[Any] = []
    try:
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(header):
                rows.append(CsvShapeError(f"expected {len(header)} cells, got {len(cells)}"))
                continue
            rows.append({name: (cell if cell != "" else None) for name, cell in zip(header, cells, strict=True)})
    except csv.Error as exc:
        raise IngestRejected(f"CSV cannot be read at line {reader.line_num}: {exc}") from exc
    return rows


def validate_rows(rows: list[Any], columns: list[Column], max_errors: int) -> Validated:
    """Coerce each row to the schema: valid rows are kept, each invalid one is counted and its errors listed."""
    result = Validated()
    by_name = {c.name: c for c in columns}
    for number, row in enumerate(rows, start=1):
        problems: list[RowError] = []
        clean: dict[str, Any] = {}
        if isinstance(row, CsvShapeError):
            problems.append(RowError(row=number, column=None, message=row.message))
        elif not isinstance(row, dict):
            problems.append(RowError(row=number, column=None, message="expected a JSON object"))
        else:
            for name in row:
                if name not in by_name:
                    problems.append(RowError(row=number, column=str(name), message="unknown column"))
            for column in columns:
                try:
                    clean[column.name] = coerce(column, row.get(column.name))
                except CoercionError as exc:
                    problems.append(RowError(row=number, column=column.name, message=str(exc)))
        if problems:
            result.rejected += 1
            result.errors.extend(problems[: max(0, max_errors - len(result.errors))])
        else:
            result.rows.append(clean)
    return result
