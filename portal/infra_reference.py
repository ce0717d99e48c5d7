"""Writer: module reference as terraform-docs prints it (requirements, providers, modules, resources, inputs,
outputs), for the README injection between ``BEGIN_TF_DOCS``/``END_TF_DOCS`` markers and for portal pages."""

from __future__ import annotations

from arrakis_docs.model.infra import ModuleDoc

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def _cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, newlines folded."""
    return " ".join(text.replace("|", "\\|").split())


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else "n/a"


def _table(header: list[str], rows: list[list[str]], empty: str) -> list[str]:
    if not rows:
        return [empty]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("------" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _registry_link(kind: str, resource_type: str, sources: dict[str, str]) -> str:
    provider, _, rest = resource_type.partition("_")
    source = sources.get(provider, f"hashicorp/{provider}" if provider in ("aws", "random", "tls", "helm",
                                                                           "kubernetes", "null", "local") else "")
    if not source or not rest:
        return ""
    folder = "resources" if kind == "resource" else "data-sources"
    return f"https://registry.terraform.io/providers/{source}/latest/docs/{folder}/{rest}"


def reference_markdown(doc: ModuleDoc, heading: str = "##") -> str:
    """The reference of one module as Markdown (no trailing newline)."""
    sources = {p.name: p.source for p in doc.providers}
    lines: list[str] = [f"{heading} Requirements", ""]
    requirements = [["terraform", _code(doc.required_version)]] if doc.required_version else []
    requirements += [[p.name, _code(p.version)] for p in doc.providers]
    lines += _table(["Name", "Version"], requirements, "No requirements.")
    lines += ["", f"{heading} Providers", ""]
    providers = [[p.name, _code(p.source)] for p in doc.providers]
    lines += _table(["Name", "Source"], providers, "No providers.")
    if doc.provider_configurations:
        lines += ["", "Provider configurations: " + ", ".join(f"`{c}`" for c in doc.provider_configurations) + "."]
    lines += ["", f"{heading} Modules", ""]
    calls = [[b.name, _code(b.source), _code(b.version)] for b in doc.blocks if b.mode == "module"]
    lines += _table(["Name", "Source", "Version"], calls, "No modules.")
    lines += ["", f"{heading} Resources", ""]
    resources = []
    for block in (b for b in doc.blocks if b.mode in ("resource", "data")):
        address = f"{block.type}.{block.name}"
        link = _registry_link(block.mode, block.type, sources)
        name = f"[{address}]({link})" if link else f"`{address}`"
        kind = "resource" if block.mode == "resource" else "data source"
        resources.append([name, kind + (f" ({block.multiplicity})" if block.multiplicity else "")])
    lines += _table(["Name", "Type"], resources, "No resources.")
    lines += ["", f"{heading} Inputs", ""]
    inputs = [[f"`{i.name}`", _cell(i.description) or "n/a", _code(i.type), _code(i.default) if not i.required
               else "n/a", "yes" if i.required else "no"] for i in doc.inputs]
    lines += _table(["Name", "Description", "Type", "Default", "Required"], inputs, "No inputs.")
    lines += ["", f"{heading} Outputs", ""]
    outputs = [[f"`{o.name}`", (_cell(o.description) or "n/a") + (" (sensitive)" if o.sensitive else "")]
               for o in doc.outputs]
    lines += _table(["Name", "Description"], outputs, "No outputs.")
    return "\n".join(lines)


def inject(readme: str, reference: str) -> str | None:
    """``readme`` with the text between the markers replaced by ``reference``; None when it has no markers."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        return None
    return f"{readme[: start + len(BEGIN)]}\n{reference}\n{readme[end:]}"
