"""Run by path in a separate interpreter: import pydantic models and print their JSON Schemas as JSON on stdout.

Usage: python event_schema_runner.py '["IMPORT_ROOT", ...]' MODULE:CLASS [MODULE:CLASS ...]

Kept free of arrakis-docs imports so any interpreter that can import the models can run it. The network is cut
before anything is imported. Output: {"schemas": {"MODULE:CLASS": schema}, "errors": {"MODULE:CLASS": reason}}.
"""

import importlib
import json
import sys

from arrakis_no_network import cut_network


def main(argv: list[str]) -> int:
    roots, *targets = argv
    cut_network("imports event models")
    sys.path[:0] = json.loads(roots)
    schemas, errors = {}, {}
    for target in targets:
        module_name, _, attribute = target.partition(":")
        try:
            model = getattr(importlib.import_module(module_name), attribute)
            schemas[target] = model.model_json_schema()
        except Exception as exc:  # noqa: BLE001 - one model that fails to import must not hide the others
            errors[target] = f"{type(exc).__name__}: {exc}"
    sys.stdout.write(json.dumps({"schemas": schemas, "errors": errors}, sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
