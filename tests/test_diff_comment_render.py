"""The pull-request comment's Mermaid diagram renders through the vendored mermaid.js in headless Chromium."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from arrakis_docs.diff.architecture_changes import Comparison
from arrakis_docs.diff.comment import as_markdown
from arrakis_docs.diff.findings import Finding, Level

HERE = Path(__file__).resolve().parent


def _renderer():  # the browser check lives beside the docs' render test; loaded by path (importlib mode)
    spec = importlib.util.spec_from_file_location("diagrams_render", HERE / "test_diagrams_render.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_comment_diagram_renders_in_mermaid() -> None:
    render = _renderer()
    comparison = Comparison(
        findings=[Finding("request-parameter-type-changed", Level.BREAKING, "http", "orders GET /v1/orders/{id}",
                          "path parameter id: type integer became string", "request")],
        added_edges=[("service:billing", "api:orders", "consumes-api")],
        removed_edges=[("service:billing", "api:orders-events", "consumes-api"),
                       ("service:orders", "channel:shop.orders.placed", "publishes")],
        changed_nodes=["service:orders", "channel:shop.orders.placed"])
    markdown = as_markdown(comparison, "main", "feature")
    blocks = [(f"comment:{i}", m.group(1)) for i, m in enumerate(render.BLOCK.finditer(markdown))]
    assert len(blocks) == 1
    assert render.render_failures(blocks) == []
    assert render.render_failures([("broken", blocks[0][1].replace("-->", "-->>", 1) + "\n  [[")]) != []
