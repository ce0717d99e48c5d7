"""Run by path in a separate interpreter: import one FastAPI app and print ``app.openapi()`` as JSON on stdout.

Usage: python import_runner.py MODULE ATTRIBUTE KIND [IMPORT_ROOT ...]

Kept free of third-party and arrakis-docs imports so any interpreter that can import the app can run it. The
network is cut before the app is imported: building an app must not connect anywhere, and this makes sure.
"""

import importlib
import json
import sys

from arrakis_no_network import cut_network


def main(argv: list[str]) -> int:
    module_name, attribute, kind, *roots = argv
    cut_network("imports an application")
    sys.path[:0] = roots
    module = importlib.import_module(module_name)
    target = getattr(module, attribute)
    app = target() if kind == "factory" else target
    document = app.openapi()
    sys.stdout.write(json.dumps(document, sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
