"""Run by path in a separate interpreter: import one FastAPI app and print ``app.openapi()`` as JSON on stdout.

Usage: python import_runner.py MODULE ATTRIBUTE KIND [IMPORT_ROOT ...]

Kept free of third-party and arrakis-docs imports so any interpreter that can import the app can run it. The
network is cut before the app is imported: building an app must not connect anywhere, and this makes sure.
"""

import importlib
import json
import socket
import sys


def _no_network(*_args: object, **_kwargs: object) -> None:
    raise OSError("network access is disabled while arrakis-docs imports an application")


def main(argv: list[str]) -> int:
    module_name, attribute, kind, *roots = argv
    for cls in (socket.socket,):
        cls.connect = _no_network  # type: ignore[method-assign]
        cls.connect_ex = _no_network  # type: ignore[method-assign]
    socket.create_connection = _no_network  # type: ignore[assignment]
    socket.getaddrinfo = _no_network  # type: ignore[assignment]
    sys.path[:0] = roots
    module = importlib.import_module(module_name)
    target = getattr(module, attribute)
    app = target() if kind == "factory" else target
    document = app.openapi()
    sys.stdout.write(json.dumps(document, sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
