"""Run by path in a separate interpreter: import model modules and print their SQLAlchemy tables as JSON on stdout.

Usage: python schema_runner.py MODULE[,MODULE...] [IMPORT_ROOT ...]

Kept free of arrakis-docs imports (SQLAlchemy is imported by the scanned code itself). The network is cut before
anything is imported: declaring tables must not connect anywhere.
"""

import importlib
import json
import sys

from arrakis_no_network import cut_network


def _metadatas(module: object) -> list:
    from sqlalchemy import MetaData

    found = []
    for value in vars(module).values():
        candidate = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
        if isinstance(candidate, MetaData) and all(candidate is not m for m in found):
            found.append(candidate)
    return found


def _mapped_classes(module: object) -> dict:
    """Table name -> fully qualified name of the class mapping it."""
    names = {}
    for value in vars(module).values():
        registry = getattr(value, "registry", None)
        for mapper in getattr(registry, "mappers", ()):
            table = getattr(mapper, "local_table", None)
            cls = mapper.class_
            if table is not None and getattr(table, "name", None):
                names.setdefault(table.name, f"{cls.__module__}.{cls.__qualname__}")
    return names


def _type_name(column: object) -> str:
    kind = column.type
    length = getattr(kind, "length", None)
    return f"{type(kind).__name__}({length})" if isinstance(length, int) else type(kind).__name__


def _table(table: object, mapped_by: str) -> dict:
    from sqlalchemy import UniqueConstraint

    columns = []
    for column in table.columns:
        fks = sorted(fk.target_fullname for fk in column.foreign_keys)
        columns.append({"name": column.name, "type": _type_name(column), "primary_key": bool(column.primary_key),
                        "nullable": bool(column.nullable), "foreign_key": fks[0] if fks else ""})
    indexes = [{"name": i.name or "", "columns": [c.name for c in i.columns], "unique": bool(i.unique)}
               for i in table.indexes]
    unique = [[c.name for c in u.columns] for u in table.constraints if isinstance(u, UniqueConstraint)]
    return {"name": table.name, "columns": columns, "indexes": indexes, "unique": unique, "mapped_by": mapped_by}


def main(argv: list[str]) -> int:
    modules, *roots = argv
    cut_network("imports database models")
    sys.path[:0] = roots
    tables: dict = {}
    for name in modules.split(","):
        module = importlib.import_module(name)
        mapped = _mapped_classes(module)
        for metadata in _metadatas(module):
            for table in metadata.sorted_tables:
                tables.setdefault(table.name, _table(table, mapped.get(table.name, "")))
    sys.stdout.write(json.dumps([tables[k] for k in sorted(tables)], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
