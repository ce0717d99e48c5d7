"""@asyncapi/diff (npm, test-only) as an independent oracle for the AsyncAPI parts it classifies: each fixture pair
(the diff platform before and after one event change) goes through our diff and, as the AsyncAPI documents we
write for both sides, through @asyncapi/diff; the two verdicts are compared against the table below, the same
table docs/diff.md explains (who is right where they disagree). @asyncapi/diff classifies nothing below a
message's ``payload`` (asyncapi/diff#150): a payload field change comes out "unclassified" there."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from arrakis_docs.asyncapi_specs import asyncapi_documents
from arrakis_docs.diff.architecture_changes import compare_models
from arrakis_docs.diff.schema_rules import Mode
from arrakis_docs.diff.sides import load_side
from arrakis_docs.extractors.source_tree import SourcePool
from arrakis_docs.model.architecture import ArchitectureModel
from arrakis_docs.progress import Progress

REPO = Path(__file__).resolve().parent.parent
PLATFORM = Path(__file__).parent / "fixtures" / "diff" / "platform"
ORACLE = Path(__file__).parent / "node" / "asyncapi-diff.mjs"
NODE = shutil.which("node")
EVENTS = "services/orders/orders/events.py"
ORDERS = "services/orders/orders/app.py"
BILLING = "services/billing/billing/app.py"
PUBLISH = '    await nc.publish("shop.orders.placed", event.model_dump_json().encode())\n'
SUBSCRIBE = '    await nc.subscribe("shop.orders.placed", queue="billing", cb=on_placed)\n'

# name -> (file, old text, new text, our worst event verdict, @asyncapi/diff's verdict)
PAIRS = {
    "required field removed": (EVENTS, "    total: float\n", "", "breaking", "unclassified"),
    "field type changed": (EVENTS, "    total: float\n", "    total: str\n", "breaking", "unclassified"),
    "optional field added": (EVENTS, '    note: str | None = None\n',
                             '    note: str | None = None\n    coupon: str | None = None\n', "info",
                             "unclassified"),
    "publisher stops publishing": (ORDERS, PUBLISH, "", "warning", "breaking"),
    "subscriber stops subscribing": (BILLING, SUBSCRIBE, "    await nc.flush()\n", "warning", "breaking"),
}
RANK = {"breaking": 0, "warning": 1, "info": 2}


def _theirs(base: ArchitectureModel, head: ArchitectureModel, scratch: Path) -> tuple[str, dict[str, list]]:
    """@asyncapi/diff's verdict over every service's document (one missing on a side counts as empty)."""
    old, new = asyncapi_documents(base), asyncapi_documents(head)
    files = []
    for name in sorted(old.keys() | new.keys()):
        for side, documents in (("before", old), ("after", new)):
            document = documents.get(name) or {**next(iter((old | new).values())), "channels": {},
                                                "operations": {}, "components": {}}
            files.append(scratch / f"{name}-{side}.json")
            files[-1].write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run([NODE, str(ORACLE), *map(str, files)], capture_output=True, text=True, timeout=120,
                          cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    verdict = "breaking" if seen["breaking"] else "unclassified" if seen["unclassified"] else \
        "non-breaking" if seen["nonBreaking"] else "none"
    return verdict, seen


@pytest.mark.skipif(NODE is None or not (REPO / "node_modules" / "@asyncapi" / "diff").is_dir(),
                    reason="needs node and `make npm-install`")
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_asyncapi_diff_agrees_where_it_classifies(tmp_path: Path, name: str) -> None:
    relative, old, new, ours_expected, theirs_expected = PAIRS[name]
    base, head = tmp_path / "base", tmp_path / "head"
    for root in (base, head):
        shutil.copytree(PLATFORM, root, ignore=shutil.ignore_patterns(".arrakis-cache"))
    text = (head / relative).read_text(encoding="utf-8")
    assert old in text
    (head / relative).write_text(text.replace(old, new), encoding="utf-8")
    progress, pool = Progress(enabled=False), SourcePool()
    old_side, new_side = (load_side(REPO, str(root), role, True, False, progress, pool)
                          for root, role in ((base, "base"), (head, "head")))
    events = [f for f in compare_models(old_side, new_side, Mode.FULL).findings if f.family == "events"]
    ours = min((f.level.value for f in events), key=RANK.__getitem__, default="none")
    theirs, changes = _theirs(old_side.model, new_side.model, tmp_path)
    assert (ours, theirs) == (ours_expected, theirs_expected), (events, changes)
    if theirs == "unclassified":  # asyncapi/diff#150: every change it leaves unclassified is inside a payload schema
        inside = [c for c in changes["unclassified"] if "/payload/" in c["path"] or
                  c["path"].startswith("/components/schemas/")]
        assert changes["unclassified"] and inside == changes["unclassified"], changes
