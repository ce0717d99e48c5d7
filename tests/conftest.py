"""Fixtures shared by the toolkit's tests."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

CODEGEN = Path(sys.executable).with_name("asyncapi-python-codegen")


@pytest.fixture
def asyncapi_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                    ) -> Callable[[Path, str], tuple[ModuleType, ModuleType]]:
    """``generate(spec, package)`` -> the package asyncapi-python-codegen writes for ``spec`` (under tmp_path) and its
    ``messages.json`` module, both imported.

    The codec cache starts empty: asyncapi-python caches JSON codecs by message name in one process-wide dict, so a
    second generated package with a message of the same name would otherwise decode into the first one's classes."""
    from asyncapi_python.contrib.codec.json import JsonCodecFactory

    monkeypatch.setattr(JsonCodecFactory, "_codec_registry", {})

    def generate(spec: Path, package: str) -> tuple[ModuleType, ModuleType]:
        done = subprocess.run([str(CODEGEN), str(spec), str(tmp_path / package)], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        sys.path.insert(0, str(tmp_path))
        try:
            return importlib.import_module(package), importlib.import_module(f"{package}.messages.json")
        finally:
            sys.path.remove(str(tmp_path))

    return generate
