"""Deterministic YAML text: sorted keys, no anchors/aliases, block style, unicode kept, one trailing newline."""

from __future__ import annotations

from typing import Any

import yaml

# The C emitter when PyYAML has it (several times faster on large specs); the output is the same either way.
_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any, header: str = "") -> str:
    """YAML text for ``data``; the same data always gives the same bytes."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=True, allow_unicode=True, default_flow_style=False, width=100)
    return (f"# {header}\n" if header else "") + text
