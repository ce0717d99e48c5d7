"""Cuts the network of the interpreter it runs in.

The runner scripts that arrakis-docs starts by path (``import_runner.py``, ``event_schema_runner.py``,
``schema_runner.py``) import a scanned repository's code; they call :func:`cut_network` first so that code cannot
connect anywhere. Its name is unusual on purpose: a scanned repository's own top-level modules must not collide with it.
"""

import socket


def cut_network(purpose: str) -> None:
    """Make every outgoing connection and name lookup fail with ``OSError`` naming ``purpose``."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(f"network access is disabled while arrakis-docs {purpose}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
