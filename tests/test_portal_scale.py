"""The portal at scale, cheaply (the timed runs at 25 to 200 services are `make bench-portal`): the lookups writers
make per entity come from indexes that answer as the model's own scans do, a container diagram past
``C4_MAX_SERVICES`` services is split by domain beside an overview, and built pages lose only whitespace HTML
ignores."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import write_repo  # noqa: E402

from arrakis_docs.diagrams import definitions  # noqa: E402
from arrakis_docs.diagrams_output import diagram_outputs, render_jobs  # noqa: E402
from arrakis_docs.model.architecture import ArchitectureModel  # noqa: E402
from arrakis_docs.model.events import EventChannel, EventModel, subject_matches  # noqa: E402
from arrakis_docs.model_index import EventIndex, ModelIndex  # noqa: E402
from arrakis_docs.site_hooks import squeezed  # noqa: E402
from arrakis_docs.site_links import Pages  # noqa: E402

SERVICES = 45  # past C4_MAX_SERVICES, in three domains of synthetic.DOMAIN_SIZE


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ArchitectureModel]:
    """A linked synthetic platform of ``SERVICES`` services, its model read statically."""
    from arrakis_docs.commands.common import Target
    from arrakis_docs.extractors.service_scan import ExtractOptions
    from arrakis_docs.progress import Progress

    repo = tmp_path_factory.mktemp("platform")
    write_repo(repo, services=SERVICES, linked=True)
    target = Target.of(str(repo), None)
    return repo, target.model(Progress(enabled=False), ExtractOptions(static_only=True))


def test_model_index_answers_as_the_model_does(platform: tuple[Path, ArchitectureModel]) -> None:
    _, model = platform
    index = ModelIndex(model)
    ids = {e.source for e in model.edges} | {e.target for e in model.edges}
    kinds = {e.kind for e in model.edges}
    assert len(ids) > SERVICES and "depends-on" in kinds
    for entity in sorted(ids):
        for kind in sorted(kinds):
            assert index.edges_from(entity, kind) == model.edges_from(entity, kind)
            assert index.edges_to(entity, kind) == model.edges_to(entity, kind)
    for service in model.services:
        assert index.api_of(service) is model.api_of(service)
        assert index.service(service.name) is model.service(service.name)
        for action in (None, "send", "receive"):
            assert index.events.usages_of(service.name, action) == model.events.usages_of(service.name, action)


def test_event_index_matches_subjects_as_nats_does() -> None:
    channels = [EventChannel(a, pattern="*" in a or ">" in a) for a in (
        "shop.order.created", "shop.order.paid", "shop.{tenant}.order.created", "shop.order.created.v2",
        "billing.invoice.sent", "shop.*.created", "shop.>")]
    index = EventIndex(EventModel(channels=channels))
    for pattern in ("shop.order.created", "shop.acme.order.created", "shop.*.created", "shop.>", "shop.order.*",
                    "billing.invoice.sent", "nothing.here", "shop.{t}.order.created"):
        expected = [c.address for c in channels if not c.pattern and subject_matches(pattern, c.address)]
        assert [c.address for c in index.concrete_matching(pattern)] == expected, pattern


def test_pages_index_lists_folders_and_event_pages_as_a_scan_does() -> None:
    pages = Pages({"events/index.md": "# Events", "events/a.b.c.md": "# A", "events/services/x.md": "# x",
                   "events/titled.md": "# The `d.e.f` event", "diagrams/x/index.md": "# X", "diagrams/x/m.md": "",
                   "notes.txt": ""})
    assert pages.under("events") == ["events/index.md", "events/a.b.c.md", "events/titled.md",
                                     "events/services/x.md"]
    assert pages.under("diagrams/x/") == ["diagrams/x/index.md", "diagrams/x/m.md"]
    assert pages.event_page("a.b.c") == "events/a.b.c.md"
    assert pages.event_page("d.e.f") == "events/titled.md"
    assert pages.event_page("g.h.i") == "events/index.md"
    pages.texts["events/g.h.i.md"] = "# G"  # a page added later is found
    assert pages.event_page("g.h.i") == "events/g.h.i.md"


def test_container_diagram_past_its_bound_is_split_by_domain(platform: tuple[Path, ArchitectureModel]) -> None:
    repo, model = platform
    groups = definitions.container_groups(model)
    assert list(groups) == ["d00", "d01", "d02"]
    assert sorted(n for names in groups.values() for n in names) == sorted(s.name for s in model.services)
    overview = definitions.c4_container_overview(model, groups)
    boxes = {n.label: n.detail for n in overview.nodes if n.kind == "system"}
    assert boxes == {"d00": "20 services, 20 datastores", "d01": "20 services, 20 datastores",
                     "d02": "5 services, 5 datastores"}
    # svc-019 (d00) calls svc-020 (d01), svc-044 (d02) calls svc-000 (d00): one counted arrow each way between.
    assert {(x.source, x.target, x.label) for x in overview.links if x.source != "user"} == {
        ("group_d00", "group_d01", "1 HTTP call"), ("group_d01", "group_d02", "1 HTTP call"),
        ("group_d02", "group_d00", "1 HTTP call")}
    one = definitions.c4_container(model, groups["d01"], "d01")
    outside = sorted(n.label for n in one.nodes if n.kind == "external")
    assert outside == ["svc-019", "svc-040"], "callers and callees in other domains, outside the boundary"
    assert len([n for n in one.nodes if n.kind == "container"]) == 20
    files = diagram_outputs(model, repo, _config(repo)).files
    page = files["docs/architecture/index.md"]
    assert "- [d01](containers/d01.md): 20 services" in page and "svc_033" not in page.split("## Platform map")[0]
    assert "# Containers: d01" in files["docs/architecture/containers/d01.md"]
    jobs = render_jobs(model)
    assert "docs/renders/architecture/c4-container-d02.svg" in jobs
    assert max(src.count("->") for path, src in jobs.items() if "c4-container" in path) < 100


def test_a_small_platform_keeps_one_container_diagram(platform: tuple[Path, ArchitectureModel]) -> None:
    _, model = platform
    assert definitions.container_groups(model, limit=SERVICES) == {}
    whole = definitions.c4_container(model)
    assert len([n for n in whole.nodes if n.kind == "container"]) == SERVICES


def test_squeezed_pages_lose_only_whitespace_html_ignores() -> None:
    page = ('<nav class="md-nav">\n      <ul>\n\n        <li>\n          <a href="x.html">X</a>\n        </li>\n'
            '      </ul>\n    </nav>\n<pre><code>  indented\n    code\n</code></pre>\n'
            '<div class="mermaid-diagram">flowchart LR\n    a --> b\n</div>\n  <p>one  two</p>\n'
            '<script>\n  var s = "a\n   b";\n</script>\n<textarea>\n  kept\n</textarea>')
    out = squeezed(page)
    assert '<nav class="md-nav">\n<ul>\n<li>\n<a href="x.html">X</a>\n</li>\n</ul>\n</nav>' in out
    for kept in ('<pre><code>  indented\n    code\n</code></pre>', 'flowchart LR\n    a --> b\n',
                 '<p>one  two</p>', 'var s = "a\n   b";', '<textarea>\n  kept\n</textarea>'):
        assert kept in out
    assert len(out) < len(page)


def _config(repo: Path):  # noqa: ANN202 - the repository's RepoConfig
    from arrakis_docs.extractors.config import load_config

    return load_config(repo)[0]


def test_infrastructure_svg_embeds_each_icon_once() -> None:
    import xml.etree.ElementTree as ET

    from arrakis_docs.infra_renders import shared_images

    icon = "data:image/png;base64," + "A" * 4000
    images = "".join(f'<image xlink:href="{icon if n % 3 else "data:image/png;base64,B"}" width="72px" '
                     f'height="72px" preserveAspectRatio="xMinYMin meet" x="{n * 10}" y="-{n}.5"/>'
                     for n in range(300))
    svg = ('<?xml version="1.0"?>\n<svg width="100pt" xmlns="http://www.w3.org/2000/svg" '
           f'xmlns:xlink="http://www.w3.org/1999/xlink">\n<g>{images}</g>\n</svg>\n')
    out = shared_images(svg)
    root = ET.fromstring(out.split("\n", 1)[1])
    ns = {"s": "http://www.w3.org/2000/svg"}
    defined = root.findall("s:defs/s:image", ns)
    uses = root.findall(".//s:use", ns)
    assert len(defined) == 2 and len(uses) == 300
    assert uses[4].get("x") == "40" and uses[4].get("y") == "-4.5"
    assert uses[4].get("{http://www.w3.org/1999/xlink}href") == f"#{defined[1].get('id')}"
    assert len(out) < len(svg) / 30
