"""Generated event outputs judged by their real consumers: @asyncapi/parser, asyncapi-python's code generator and
in-memory wire, and @eventcatalog/linter on `arrakis-docs export eventcatalog`."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from arrakis_common.events import Envelope
from arrakis_docs.cli import main
from data_kernel_service.events import TransformRequested

REPO = Path(__file__).resolve().parent.parent
APIS = REPO / "catalog" / "apis"
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is needed for @asyncapi/parser")
def test_every_asyncapi_document_parses_without_errors() -> None:
    specs = sorted(APIS.glob("*.asyncapi.json"))
    assert len(specs) == 8  # seven services with NATS usage and the platform-wide document
    done = subprocess.run([NODE, str(REPO / "portal" / "node" / "validate-asyncapi.mjs"), *map(str, specs)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    diagnostics = json.loads(done.stdout)
    assert [d for d in diagnostics if d["severity"] == 0] == []
    for spec in specs:
        document = yaml.safe_load(spec.read_text(encoding="utf-8"))
        assert document["asyncapi"] == "3.0.0"
        for op_id, operation in document["operations"].items():
            assert op_id.isidentifier()
            channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
            for ref in operation.get("messages", []):
                assert ref["$ref"].startswith(f"#/channels/{channel}/messages/")
            assert set(operation.get("bindings", {}).get("nats", {})) <= {"queue", "bindingVersion"}


def test_generated_python_client_receives_a_typed_message_in_memory(asyncapi_client) -> None:
    generated, messages = asyncapi_client(APIS / "data-kernel-service-events.asyncapi.json", "dk_events")
    from asyncapi_python.contrib.wire.in_memory import InMemoryMessage, InMemoryWire, get_bus

    received: list[object] = []
    # What the scheduler's bus really puts on the wire: the platform envelope around the event.
    sent = Envelope.wrap(TransformRequested(transform_id="t-1", requested_by="scheduler"), source="scheduler-service")

    async def exchange() -> None:
        app = generated.Application(InMemoryWire())

        @app.consumer.receive_arrakis_data_transform_requested
        async def on_request(message: object) -> None:  # the consumer the generated router calls with a typed model
            received.append(message)

        await app.start()
        await get_bus().publish(sent.subject, InMemoryMessage(sent.model_dump_json().encode()))
        for _ in range(1000):  # up to 10 s; the in-memory bus takes milliseconds unless the machine is busy
            if received:
                break
            await asyncio.sleep(0.01)
        await app.stop()

    asyncio.run(exchange())
    [message] = received
    assert isinstance(message, messages.TransformRequested)
    assert isinstance(message.payload, messages.TransformRequestedPayload)
    assert (message.id, message.source, message.payload.transform_id) == (sent.id, "scheduler-service", "t-1")


@pytest.mark.skipif(NODE is None, reason="node is needed for @eventcatalog/linter")
def test_eventcatalog_export_passes_the_linter(tmp_path: Path) -> None:
    target = tmp_path / "catalog"
    result = CliRunner().invoke(main, ["export", "eventcatalog", str(target), "--repo", str(REPO), "--static-only"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in target.iterdir()) == ["channels", "domains", "events", "services", "teams"]
    front = (target / "services" / "embedding-service" / "index.mdx").read_text(encoding="utf-8").split("---")[1]
    service = yaml.safe_load(front)
    assert service["sends"] == [{"id": "object-indexed", "to": [{"id": "arrakis-embedding-object-indexed"}]}]
    assert {"id": "object-created", "from": [{"id": "arrakis-ontology-object-any"}]} in service["receives"]
    linter = REPO / "node_modules" / "@eventcatalog" / "linter" / "dist" / "cli" / "index.js"
    done = subprocess.run([str(NODE), str(linter), str(target)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No problems found" in done.stdout + done.stderr
