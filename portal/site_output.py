"""The portal's generated pages (MkDocs Material) and the per-service TechDocs sources.

Pages: Home, Services (one each), APIs (a static reference and a Swagger UI page each), the Catalog (every Backstage
entity by kind), the Status page and an Architecture index. Pages of the events, diagrams and infrastructure writers
are linked only when they exist, so these pages never depend on them.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

import arrakis_docs.templates
from arrakis_docs.catalog import catalog_files, techdocs_dir
from arrakis_docs.diagrams_output import diagram_outputs
from arrakis_docs.events_output import event_outputs
from arrakis_docs.extractors.config import RepoConfig
from arrakis_docs.infra_output import infra_outputs
from arrakis_docs.model.architecture import ArchitectureModel, Link, Service
from arrakis_docs.model_index import ModelIndex
from arrakis_docs.monitoring import monitoring_outputs
from arrakis_docs.monitoring.links import source_links
from arrakis_docs.openapi_specs import SPEC_DIR, spec_filename
from arrakis_docs.output import Rendered
from arrakis_docs.site_facts import EventFacts, event_facts, infra_by_service
from arrakis_docs.site_graphs import Neighbours, catalog_graph
from arrakis_docs.site_links import (
    DOCS,
    Pages,
    anchor,
    api_page,
    api_try_page,
    entity_page,
    page_title,
    rel,
    service_page,
)
from arrakis_docs.site_nav import SERVICE_ORDER, service_of
from arrakis_docs.site_openapi import cell, operations, schemas

if TYPE_CHECKING:
    import jinja2

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEMPLATES = Path(arrakis_docs.templates.__file__).parent
OWNED_DIRS = [f"{DOCS}/services", f"{DOCS}/apis", f"{DOCS}/catalog"]
LOOSE_PAGES = ["index.md", "status.md", "architecture-index.md"]
CATALOG_GRAPH = "catalog/graph.md"

# Sections other writers fill; the portal links whatever pages they hold.
OTHER_SECTIONS = [("Architecture", "architecture"), ("Diagrams", "diagrams"), ("Events", "events"),
                  ("Infrastructure", "infrastructure"), ("Runbooks", "runbooks")]
# A Mermaid block under a heading that names the system context (the diagrams writer's C4 context), anchor kept.
_CONTEXT = re.compile(r"^#+ +([^\n]*context[^\n]*)\n(?:(?!#)[^\n]*\n)*?```mermaid\n(.*?)```",
                      re.DOTALL | re.MULTILINE | re.IGNORECASE)
Writer = Callable[[ArchitectureModel, Path, RepoConfig], Rendered]
SIBLINGS: tuple[Writer, ...] = (event_outputs, diagram_outputs, infra_outputs, monitoring_outputs)


def environment(folder: str) -> jinja2.Environment:
    """Jinja2 for Markdown templates: strict about missing values, block tags leave no blank lines."""
    import jinja2  # here, not at the top: a no-op run renders nothing

    # Markdown, not HTML: MkDocs escapes when it renders, and escaping here would garble code spans and tables.
    return jinja2.Environment(  # nosec B701
        loader=jinja2.FileSystemLoader(TEMPLATES / folder), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def _sibling_outputs(model: ArchitectureModel, repo: Path, config: RepoConfig,
                     parts: list[Rendered] | None = None) -> tuple[dict[str, str], list[str]]:
    files: dict[str, str] = {}
    owned: list[str] = []
    for part in parts if parts is not None else [writer(model, repo, config) for writer in SIBLINGS]:
        files.update(part.files)
        owned.extend(part.owned_dirs)
    return files, owned


def known_pages(repo: Path, sibling_files: dict[str, str], sibling_owned: list[str]) -> Pages:
    """Pages other writers render now, plus hand-written pages under docs/ (not in anyone's generated folders)."""
    texts = {p[len(DOCS) + 1:]: t for p, t in sibling_files.items() if p.startswith(f"{DOCS}/") and p.endswith(".md")}
    generated = [d for d in [*sibling_owned, *OWNED_DIRS] if d.startswith(f"{DOCS}/")]
    docs = repo / DOCS
    for path in sorted(docs.rglob("*.md")) if docs.is_dir() else []:
        relative = path.relative_to(docs).as_posix()
        if relative in LOOSE_PAGES or any(f"{DOCS}/{relative}".startswith(f"{d}/") for d in generated):
            continue
        texts.setdefault(relative, path.read_text(encoding="utf-8"))
    return Pages(texts)


def _summary(text: str, limit: int = 140) -> str:
    first = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return cell(first if len(first) <= limit else first[: limit - 1].rstrip() + "…")


class SiteWriter:
    """Builds every portal page and TechDocs file of one model."""

    def __init__(self, model: ArchitectureModel, config: RepoConfig, pages: Pages, entities: list[dict[str, Any]]):
        self.model = model
        self.config = config
        self.pages = pages
        self.entities = entities
        self.index = ModelIndex(model)
        self.store_names = {d.name for d in model.datastores}
        self.events: EventFacts = event_facts(model)
        self.infra = infra_by_service(model)
        self.neighbours = Neighbours(model, self.events)
        self.components = {e["metadata"]["name"]: e for e in entities if e["kind"] == "Component"}
        self._own_pages: dict[str, dict[str, list[str]]] | None = None
        self.env = environment("pages")
        self.techdocs_env = environment("techdocs")
        self.files: dict[str, str] = {}

    # ------------------------------------------------------------------ links

    def href(self, source: str, target: str) -> str:
        """The relative link from page ``source`` to ``target`` if that page exists, else ""."""
        bare = target.split("#", 1)[0]
        if bare and not (self.pages.exists(bare) or f"{DOCS}/{bare}" in self.files):
            return ""
        return rel(source, target)

    def link(self, source: str, target: str, text: str) -> str:
        """A Markdown link from page ``source`` to ``target`` if that page exists, else the plain text."""
        found = self.href(source, target)
        return f"[{text}]({found})" if found else text

    def ref(self, source: str, entity_id: str) -> str:
        """Link to the page of a model entity id (``service:x``, ``api:x``, ``datastore:x``)."""
        kind, name = entity_id.split(":", 1)
        target = {"service": service_page(name), "api": api_page(name),
                  "datastore": entity_page("resource", name)}.get(kind, entity_page(kind, name))
        return self.link(source, target, name)

    def event_ref(self, source: str, subject: str) -> str:
        """Link to the events writer's page of a subject, if it has one."""
        page = self.pages.event_page(subject)
        return f"[`{subject}`]({rel(source, page)})" if page else f"`{subject}`"

    # ------------------------------------------------------------------ pages

    def render(self) -> dict[str, str]:
        """Every generated file by repo-relative path (portal pages first, so links to them resolve)."""
        planned = [service_page(s.name) for s in self.model.services]
        planned += [p for a in self.model.apis for p in (api_page(a.name), api_try_page(a.name))]
        planned += [entity_page(e["kind"], e["metadata"]["name"]) for e in self.entities]
        for page in planned + ["services/index.md", "apis/index.md", "catalog/index.md", CATALOG_GRAPH,
                               *LOOSE_PAGES]:
            self.files[f"{DOCS}/{page}"] = ""
        for service in self.model.services:
            page = service_page(service.name)
            self.page(page, "service.md.j2", s=self.service_data(service, page))
            self.techdocs(service)
        for api in self.model.apis:
            self.api_pages(api.name)
        rows = [{**self.api_data(a.name, "apis/index.md"), "count": len(operations(a.document))}
                for a in self.model.apis]
        self.page("apis/index.md", "apis_index.md.j2", apis=rows)
        self.catalog_pages()
        self.page("services/index.md", "services_index.md.j2", services=self.service_rows("services/index.md"))
        self.page("index.md", "home.md.j2", **self.home_data())
        # The status page polls health endpoints: a worker serves none.
        self.page("status.md", "status.md.j2", services=self.service_rows("status.md", http_only=True))
        self.page("architecture-index.md", "architecture_index.md.j2", **self.architecture_data())
        return dict(sorted(self.files.items()))

    def page(self, page: str, template: str, **data: Any) -> None:
        self.files[f"{DOCS}/{page}"] = self.env.get_template(template).render(**data)

    def service_rows(self, source: str, http_only: bool = False) -> list[dict[str, str]]:
        rows = []
        for s in self.model.services:
            if http_only and s.app.kind == "worker":
                continue
            api = self.index.api_of(s)
            rows.append({"name": s.name, "link": rel(source, service_page(s.name)), "owner": s.owner,
                         "lifecycle": s.lifecycle, "tier": s.tier, "domain": s.domain,
                         "summary": _summary(s.description),
                         "api_link": rel(source, api_page(api.name)) if api else ""})
        return rows

    def service_data(self, service: Service, source: str, techdocs: bool = False) -> dict[str, Any]:
        """What a service page shows; ``techdocs`` drops links that only resolve inside the portal."""
        sid = service.id
        api = self.index.api_of(service)
        ref = (lambda _src, eid: eid.split(":", 1)[1]) if techdocs else self.ref
        group = "" if techdocs else self.link(source, entity_page("group", service.owner), service.owner)
        facts = [("Owner", group or service.owner), ("Lifecycle", service.lifecycle), ("Tier", service.tier),
                 ("System", service.system if techdocs else self.link(source, entity_page("system", service.system),
                                                                       service.system)),
                 ("Domain", service.domain if techdocs else self.link(source, entity_page("domain", service.domain),
                                                                       service.domain)),
                 ("Version", service.version), ("Source", f"`{service.root or '.'}`"),
                 ("Application", f"`{service.app.module}:{service.app.attribute}`")]
        if service.app.kind == "worker":  # a broker-only program: where it starts, not an ASGI app
            entry = f"{service.app.module}:{service.app.attribute}" if service.app.attribute else service.app.module
            facts[-1] = ("Entry point", f"`{entry}` (worker)")
        target = "api.md" if techdocs else (api_page(api.name) if api else "")
        endpoints = [{"method": op["method"], "path": op["path"], "summary": op["summary"],
                      "link": f"{rel(source, target) if not techdocs else target}#{op['anchor']}"}
                     for op in (operations(api.document) if api else [])]
        event = (lambda _src, subject: subject) if techdocs else self.event_ref
        datastores = []
        for edge in self.index.edges_from(sid, "depends-on"):
            store = self.index.datastores.get(edge.target)
            if store:
                datastores.append({"name": ref(source, store.id), "kind": store.kind, "technology": store.technology})
        diagrams = [] if techdocs else [{"title": self.pages.title(p), "link": rel(source, p)}
                                         for p in self.pages.under(f"diagrams/{service.name}")]
        infra_pages = [] if techdocs else [{"title": self.pages.title(p), "link": rel(source, p)}
                                            for p in self.pages.mentioning("infrastructure", service.name)]
        slos = service.slos if isinstance(service.slos, list) else [
            {"name": k, **(v if isinstance(v, dict) else {"objective": v})} for k, v in sorted(service.slos.items())]
        return {
            "name": service.name, "description": service.description or "No description.",
            "facts": [{"label": k, "value": v} for k, v in facts if v],
            "links": sorted(service.links) + self.monitoring_links(service, source, techdocs), "endpoints": endpoints,
            "slos": [{"name": cell(x.get("name", "")), "objective": cell(x.get("objective", "")),
                      "description": cell(x.get("description", ""))} for x in slos if isinstance(x, dict)],
            "api_link": rel(source, api_page(api.name)) if api else "",
            "try_link": rel(source, api_try_page(api.name)) if api else "",
            "sends": [event(source, x) for x in sorted(self.events.sends.get(service.name, ()))],
            "receives": [event(source, x) for x in sorted(self.events.receives.get(service.name, ()))],
            "datastores": datastores,
            "depends_on": [ref(source, e.target) for e in self.index.edges_from(sid, "depends-on")
                           if e.target.startswith("service:")],
            "consumes": [ref(source, e.target) + " API" for e in self.index.edges_from(sid, "consumes-api")],
            "dependents": [ref(source, e.source) for e in self.index.edges_to(sid, "depends-on")],
            "diagrams": diagrams, "infra": self.infra.get(service.name, []), "infra_pages": infra_pages,
            "coverage": coverage_line(service), "worker": service.app.kind == "worker",
            **({} if techdocs else self.about(service, source)),
        }

    def about(self, service: Service, source: str) -> dict[str, Any]:
        """The entity-page parts of a service page: every link the model and the catalog have for it, the portal
        pages other writers made for it (runbooks, diagrams, ...), its neighbourhood picture, nav placement."""
        links = {link.url: link.title for link in service.links}
        component = self.components.get(service.name, {})
        for link in component.get("metadata", {}).get("links") or []:
            if isinstance(link, dict) and link.get("url"):
                links.setdefault(str(link["url"]), str(link.get("title") or link["url"]))
        stores = self.store_names
        runs_on = [dict(r) for r in self.infra.get(service.name, [])]
        for target in component.get("spec", {}).get("dependsOn") or []:  # catalog resources besides datastores
            kind, _, name = str(target).partition(":")
            if kind == "resource" and name not in stores and name not in {r["name"] for r in runs_on}:
                runs_on.append({"name": name, "type": "resource"})
        own = self.own_pages().get(service.name, {})
        rank = {label: i for i, label in enumerate(SERVICE_ORDER)}
        pages = [{"label": label, "links": [self.link(source, p, self.pages.title(p)) for p in sorted(own[label])]}
                 for label in sorted(own, key=lambda x: (rank.get(x, len(rank)), x))]
        return {"all_links": [{"title": cell(t), "url": u} for u, t in sorted(links.items(), key=lambda kv: (
                    kv[1].lower(), kv[0]))],
                "pages": pages, "group": service.domain or service.system or "Other",
                "neighbourhood": self.neighbours.service_picture(service, runs_on),
                "status": service.app.kind != "worker"}

    def own_pages(self) -> dict[str, dict[str, list[str]]]:
        """Pages of other writers by the service they belong to and what they are (the nav's rule), once."""
        if self._own_pages is None:
            names = {s.name for s in self.model.services}
            self._own_pages = {}
            for page in sorted(self.pages.texts):
                found = service_of(page, {}, names)
                if found:
                    self._own_pages.setdefault(found[0], {}).setdefault(found[1], []).append(page)
        return self._own_pages

    def monitoring_links(self, service: Service, source: str, techdocs: bool) -> list[Link]:
        """The service's runbooks (a portal page; in TechDocs, the repository file) and its dashboard."""
        runbooks = f"runbooks/{service.name}/index.md"
        links = source_links(self.model, service)
        if not techdocs and self.pages.exists(runbooks):
            links = [Link("Runbooks", rel(source, runbooks)), *[x for x in links if x.title != "Runbooks"]]
        return links

    def api_data(self, name: str, source: str, portal: bool = True) -> dict[str, Any]:
        api = self.index.apis[name]
        info = api.document.get("info", {})
        return {"name": api.name, "title": f"{api.title or api.name} API", "service": api.service,
                "version": api.version or info.get("version", ""),
                "description": (info.get("description") or "").strip(),
                "service_link": rel(source, service_page(api.service)) if portal else "",
                "link": rel(source, api_page(api.name)), "try_link": rel(source, api_try_page(api.name)),
                "spec_path": self.spec_path(api.name), "operations": operations(api.document),
                "schemas": schemas(api.document)}

    def spec_path(self, name: str) -> str:
        api = self.index.apis[name]
        return f"{self.config.catalog_dir}/{SPEC_DIR}/{spec_filename(api)}"

    def api_pages(self, name: str) -> None:
        source = api_page(name)
        self.page(source, "api.md.j2", a=self.api_data(name, source))
        try_source = api_try_page(name)
        spec = posixpath.basename(self.spec_path(name))
        self.page(try_source, "api_try.md.j2", a=self.api_data(name, try_source),
                  vendor=rel(try_source, "assets/vendor"), assets=rel(try_source, "assets"),
                  spec_url=rel(try_source, f"assets/specs/{spec}"))

    def catalog_pages(self) -> None:
        groups: dict[str, list[dict[str, str]]] = {}
        for entity in self.entities:
            kind, name = entity["kind"], entity["metadata"]["name"]
            page = entity_page(kind, name)
            groups.setdefault(kind, []).append({"name": name, "link": rel("catalog/index.md", page),
                                                "description": _summary(entity["metadata"].get("description", ""))})
            if kind.lower() in ("component", "api"):
                continue
            relations = []
            for key, value in sorted(entity.get("spec", {}).items()):
                targets = value if isinstance(value, list) else [value]
                refs = [self.entity_ref(page, t, key) for t in targets if isinstance(t, str) and key != "type"]
                if refs and key not in ("lifecycle", "type", "profile", "targets"):
                    relations.append({"name": key, "targets": refs})
            self.page(page, "catalog_entity.md.j2", e={
                "name": name, "kind": kind, "description": cell(entity["metadata"].get("description", "")),
                "relations": relations, "path": entity["path"],
                "mentions": [self.link(page, p, self.pages.title(p))
                             for p in self.pages.mentioning("infrastructure", name)],
                "picture": self.neighbours.datastore_picture(name) if kind == "Resource" else "",
                "yaml": yaml.safe_dump(entity["body"], sort_keys=True, allow_unicode=True).rstrip()})
        # Links in the graph page's data are relative to the site page it becomes (catalog/graph.html).
        graph = catalog_graph(self.entities, lambda kind, name: self.href(
            CATALOG_GRAPH, entity_page(kind, name)).replace(".md", ".html"))
        self.page(CATALOG_GRAPH, "catalog_graph.md.j2", graph=json.dumps(graph, sort_keys=True).replace("</", "<\\/"),
                  nodes=len(graph["nodes"]), edges=len(graph["edges"]),
                  kinds=sorted({n["kind"] for n in graph["nodes"]}), hidden=["API", "Resource"],
                  domains=sorted({n["domain"] for n in graph["nodes"] if n["domain"]}),
                  owners=sorted({n["owner"] for n in graph["nodes"] if n["owner"]}))
        order = ["Domain", "System", "Group", "Component", "API", "Resource"]
        self.page("catalog/index.md", "catalog_index.md.j2", catalog_dir=self.config.catalog_dir,
                  groups=[{"kind": k, "entities": sorted(v, key=lambda e: e["name"])}
                          for k, v in sorted(groups.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                                            else len(order), kv[0]))])

    def entity_ref(self, source: str, target: str, relation: str) -> str:
        """Link a Backstage entity reference (``kind:name`` or a bare name) to its page."""
        default = {"owner": "group", "system": "system", "domain": "domain", "parent": "group", "children": "group",
                   "members": "user"}.get(relation, "component")
        kind, _, name = target.rpartition(":")
        name = name.split("/")[-1]
        return self.link(source, entity_page(kind or default, name), target)

    def home_data(self) -> dict[str, Any]:
        source = "index.md"
        systems = sorted({s.system for s in self.model.services if s.system})
        sections = [{"title": "Services", "link": "services/index.md", "note": "one page per service"},
                    {"title": "APIs", "link": "apis/index.md", "note": "references and Swagger UI"}]
        for title, folder in OTHER_SECTIONS:
            found = self.pages.under(folder)
            if found:
                sections.append({"title": title, "link": found[0],
                                 "note": f"{len(found)} page{'s' if len(found) != 1 else ''}"})
        sections += [{"title": "Architecture index", "link": "architecture-index.md", "note": ""},
                     {"title": "Catalog", "link": "catalog/index.md", "note": "the Backstage entities"},
                     {"title": "Status", "link": "status.md", "note": "live health"}]
        sections += [{"title": self.pages.title(p), "link": p, "note": ""} for p in self.pages.under("how-to")]
        context = None
        for page in self.pages.under("architecture"):
            match = _CONTEXT.search(self.pages.texts[page])
            if match:
                context = {"title": self.pages.title(page), "link": rel(source, page),
                           "mermaid": match.group(2).rstrip("\n")}
                break
        name = self.model.repo.name or "the platform"
        summary = (f"The {', '.join(systems) or name} platform: {len(self.model.services)} services, documented "
                   "from its code, its service.yaml files and its Terraform by arrakis-docs.")
        return {"title": f"{(systems[0] if systems else name).capitalize()} platform", "summary": summary,
                "services": self.service_rows(source), "api_count": len(self.model.apis),
                "datastore_count": len(self.model.datastores), "event_count": len(self.events.subjects()),
                "status_link": "status.md", "context": context,
                "sections": [{**s, "link": rel(source, s["link"])} for s in sections]}

    def architecture_data(self) -> dict[str, Any]:
        source = "architecture-index.md"
        groups = [{"title": title, "pages": [{"title": self.pages.title(p), "link": rel(source, p)}
                                             for p in self.pages.under(folder)]}
                  for title, folder in OTHER_SECTIONS]
        services = [{"name": s.name, "link": rel(source, service_page(s.name)),
                     "depends_on": [self.ref(source, e.target) for e in self.index.edges_from(s.id, "depends-on")
                                    if e.target.startswith("service:")],
                     "datastores": [self.ref(source, e.target) for e in self.index.edges_from(s.id, "depends-on")
                                    if e.target.startswith("datastore:")]}
                    for s in self.model.services]
        return {"groups": groups, "services": services}

    def techdocs(self, service: Service) -> None:
        """TechDocs sources beside the service (or under ``techdocs/<name>`` when it has no folder of its own):
        mkdocs.yml with only techdocs-core, docs/index.md and docs/api.md."""
        base = techdocs_dir(self.model, service, self.index)
        data = self.service_data(service, "index.md", techdocs=True)
        description = yaml.safe_dump(_summary(service.description, 300), width=1000).removesuffix("...\n").strip()
        self.files[f"{base}/mkdocs.yml"] = self.techdocs_env.get_template("mkdocs.yml.j2").render(
            name=service.name, description=description)
        self.files[f"{base}/docs/index.md"] = self.techdocs_env.get_template("index.md.j2").render(s=data)
        api = self.index.api_of(service)
        if api:
            text = self.env.get_template("api.md.j2").render(a=self.api_data(api.name, "api.md", portal=False))
            self.files[f"{base}/docs/api.md"] = text


def coverage_line(service: Service) -> str:
    """``routes 28 of 30 candidates, events 5 of 6``: what extraction understood, by kind; "" when nothing is known."""
    parts = []
    for kind, seen in sorted(service.coverage.items()):
        resolved, candidates = (seen.get("resolved", 0), seen.get("candidates", 0)) if isinstance(seen, dict) else \
            (seen.resolved, seen.candidates)
        if candidates:  # a kind of fact the service shows no sign of says nothing about extraction
            parts.append(f"{kind} {resolved} of {candidates}{' candidates' if not parts else ''}")
    return ", ".join(parts)


def catalog_entities(model: ArchitectureModel, config: RepoConfig, sibling_files: dict[str, str],
                     catalog: dict[str, str] | None = None) -> list[dict]:
    """Every Backstage entity the catalog will hold (ours plus other writers'), with its path and parsed body;
    ``catalog``: the catalog writer's files when they are rendered already."""
    texts = {**(catalog if catalog is not None else catalog_files(model, config.catalog_dir)),
             **{p: t for p, t in sibling_files.items() if p.startswith(f"{config.catalog_dir}/")}}
    entities = []
    for path, text in sorted(texts.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        try:
            documents = list(yaml.load_all(text, Loader=_LOADER))
        except yaml.YAMLError:
            continue
        for body in documents:
            if isinstance(body, dict) and body.get("kind") not in (None, "Location") and \
                    isinstance(body.get("metadata"), dict) and "name" in body["metadata"] and "apiVersion" in body:
                entities.append({"kind": body["kind"], "metadata": body["metadata"], "spec": body.get("spec") or {},
                                 "path": path, "body": body})
    return entities


def site_outputs(model: ArchitectureModel, repo: Path, config: RepoConfig, siblings: list[Rendered] | None = None,
                 catalog: dict[str, str] | None = None) -> Rendered:
    """Generated text files by repo-relative path, and the folders these writers own entirely. ``siblings`` (the
    outputs of ``SIBLINGS``, in order) and ``catalog`` (the catalog writer's files): when the caller rendered them
    already, so no writer runs twice."""
    sibling_files, sibling_owned = _sibling_outputs(model, repo, config, siblings)
    pages = known_pages(repo, sibling_files, sibling_owned)
    writer = SiteWriter(model, config, pages, catalog_entities(model, config, sibling_files, catalog))
    return Rendered(files=writer.render(), owned_dirs=list(OWNED_DIRS))


__all__ = ["SiteWriter", "anchor", "page_title", "site_outputs"]
