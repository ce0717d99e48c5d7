"""Service level objectives of one service: those its ``service.yaml`` declares, completed by defaults by tier so that
every public route and every durable consumer (so every consumed subject) is covered.

A declared objective is measured when it names an ``sli``: ``availability`` and ``latency`` over ``routes`` (route
templates, a trailing ``*`` for a prefix; all public routes when omitted), ``freshness`` over a ``consumer`` (a
durable name). A latency ``threshold`` is snapped to the nearest bucket boundary of the service's request-duration
histogram as the code defines it, because a threshold between two buckets cannot be measured (it is reported).
Routes are grouped by their first path segment; each group gets a default availability and latency objective for the
routes no declared objective of that kind covers. ``/health/*`` is left to the readiness and target-down alerts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from arrakis_docs.model.architecture import Api, Diagnostic, Service, Severity
from arrakis_docs.model.events import EventUsage
from arrakis_docs.model.monitoring import MetricDefinition, Objective

REQUEST_HISTOGRAM = "http_request_duration_seconds"
REQUEST_COUNTER = "http_requests_total"
SLIS = ("availability", "latency", "freshness")
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# Tier -> (availability %, latency %, latency threshold s, freshness %, consumer backlog threshold in events).
TIER_DEFAULTS: dict[str, tuple[float, float, float, float, float]] = {
    "1": (99.9, 99.0, 0.25, 99.5, 100.0),
    "2": (99.5, 99.0, 0.5, 99.0, 100.0),
    "3": (99.0, 95.0, 1.0, 95.0, 1000.0),
}
DEFAULT_TIER = "3"
OPERATIONAL_PREFIXES = ("/health/",)


def public_routes(api: Api | None) -> list[str]:
    """Route templates of the service's API document that carry at least one operation, health checks left out."""
    if api is None:
        return []
    paths = api.document.get("paths") or {}
    return sorted(path for path, item in paths.items()
                  if isinstance(item, dict) and any(m in item for m in _METHODS)
                  and not path.startswith(OPERATIONAL_PREFIXES))


def route_group(route: str) -> str:
    """The first static path segment: ``/audit/entries`` -> ``audit``; ``/`` or ``/{id}`` -> ``root``."""
    first = route.strip("/").split("/", 1)[0].strip(".")  # /.well-known/... -> well-known
    return first if first and not first.startswith("{") else "root"


def consumers(usages: Iterable[EventUsage]) -> dict[str, list[str]]:
    """Durable consumer name -> the subjects it receives."""
    found: dict[str, set[str]] = {}
    for usage in usages:
        if usage.action == "receive" and usage.durable:
            found.setdefault(usage.durable, set()).add(usage.address or usage.dynamic or "(run time)")
    return {name: sorted(subjects) for name, subjects in sorted(found.items())}


def snap(threshold: float, buckets: tuple[float, ...]) -> float:
    """The bucket boundary nearest ``threshold`` (the lower one on a tie: the stricter objective)."""
    return min(buckets, key=lambda b: (abs(b - threshold), b))


def service_objectives(service: Service, api: Api | None, usages: list[EventUsage], metrics: list[MetricDefinition],
                       manifest_text: str, diagnostics: list[Diagnostic]) -> list[Objective]:
    """Every objective ``service`` is held to; problems with declared ones go to ``diagnostics`` at their line."""
    tier = service.tier if service.tier in TIER_DEFAULTS else DEFAULT_TIER
    availability, latency, threshold, freshness, backlog = TIER_DEFAULTS[tier]
    routes = public_routes(api)
    durable = consumers(usages)
    # The request metrics the rules read, with the labels they select on; another naming cannot be queried.
    histogram = next((m for m in metrics if m.name == REQUEST_HISTOGRAM and m.kind == "histogram"
                      and "route" in m.labels), None)
    counter = next((m for m in metrics if m.name == REQUEST_COUNTER and {"route", "status"} <= set(m.labels)), None)
    buckets = histogram.buckets if histogram else ()
    measurable = histogram is not None and counter is not None
    if not measurable and routes and metrics:
        diagnostics.append(Diagnostic(service.manifest or service.root or service.name, 1,
                                      f"{service.name}: its code defines no {REQUEST_COUNTER}{{route,status}} "
                                      f"counter and {REQUEST_HISTOGRAM}{{route}} histogram, so its routes get "
                                      "no availability or latency objective", Severity.INFO))
    where = _Locator(service.manifest, manifest_text)
    declared = [_declared(service, name, fields, routes, durable, buckets, where, diagnostics, measurable)
                for name, fields in sorted(service.slos.items())]
    objectives = [o for o in declared if o is not None]
    routes = routes if measurable else []
    for sli, target in (("availability", availability), ("latency", latency)):
        if sli == "latency" and not buckets:
            if routes:
                diagnostics.append(Diagnostic(service.manifest or service.root or service.name, 1,
                                              f"{service.name}: no {REQUEST_HISTOGRAM} histogram with known buckets "
                                              "in its code, so no latency objective is generated", Severity.INFO))
            continue
        covered = {r for o in objectives if o.sli == sli for r in o.routes}
        groups: dict[str, list[str]] = {}
        for route in routes:
            if route not in covered:
                groups.setdefault(route_group(route), []).append(route)
        for group, members in sorted(groups.items()):
            objectives.append(Objective(
                service=service.name, name=f"{group}-{sli}", sli=sli, target=target, group=group, routes=members,
                threshold=snap(threshold, buckets) if sli == "latency" else 0.0,
                description=_default_text(sli, target, threshold, group, tier)))
    covered_consumers = {o.consumer for o in objectives if o.sli == "freshness"}
    for name, subjects in durable.items():
        if name not in covered_consumers:
            objectives.append(Objective(
                service=service.name, name=f"{name}-freshness", sli="freshness", target=freshness, group=name,
                consumer=name, subjects=subjects, threshold=backlog,
                description=f"Consumer {name} keeps its backlog at or under {backlog:g} events {freshness:g}% of "
                            f"the time (tier {tier} default)."))
    taken: set[str] = set()
    unique = []
    for objective in objectives:  # a default never shadows a declared objective of the same name
        if objective.name in taken:
            continue
        taken.add(objective.name)
        unique.append(objective)
    return sorted(unique, key=lambda o: o.name)


def _default_text(sli: str, target: float, threshold: float, group: str, tier: str) -> str:
    if sli == "availability":
        return f"{target:g}% of requests to the {group} routes are answered without a 5xx (tier {tier} default)."
    return f"{target:g}% of requests to the {group} routes are answered within {threshold:g} s (tier {tier} default)."


class _Locator:
    """Lines of a service.yaml's objectives, for diagnostics that point at the objective to fix."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line(self, name: str) -> int:
        pattern = re.compile(rf"^\s*(-\s*)?(name:\s*)?[\"']?{re.escape(name)}[\"']?\s*:?\s*$")
        return next((i + 1 for i, text in enumerate(self.lines) if pattern.match(text)), 1)


def _declared(service: Service, name: str, fields: Any, routes: list[str], durable: dict[str, list[str]],
              buckets: tuple[float, ...], where: _Locator, diagnostics: list[Diagnostic],
              measurable: bool = True) -> Objective | None:
    """One declared objective, or None when it is descriptive only or cannot be measured (reported)."""
    if not isinstance(fields, dict) or "sli" not in fields:
        return None  # a prose objective (shown on the service page); nothing to measure
    line = where.line(name)

    def problem(message: str) -> None:
        diagnostics.append(Diagnostic(where.path or service.name, line, f"service.yaml: objective {name!r}: {message}"))

    sli = fields["sli"]
    if sli not in SLIS:
        problem(f"sli {sli!r} is not one of {', '.join(SLIS)}; no rules generated for it, fix the sli")
        return None
    target = fields.get("target")
    if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0 < target < 100:
        problem(f"target must be a percentage between 0 and 100 (exclusive), e.g. 99.9, not {target!r}; no rules "
                "generated for it")
        return None
    objective = Objective(service=service.name, name=name, sli=sli, target=float(target), source="service.yaml",
                          description=str(fields.get("description") or fields.get("objective") or ""),
                          window=str(fields.get("window") or "30d"))
    if sli == "freshness":
        consumer = fields.get("consumer")
        if consumer not in durable:
            known = ", ".join(durable) or "none found in the code"
            problem(f"consumer {consumer!r} is not a durable consumer of this service (known: {known}); no rules "
                    "generated for it")
            return None
        objective.consumer = objective.group = str(consumer)
        objective.subjects = durable[str(consumer)]
        objective.threshold = float(fields.get("threshold") or TIER_DEFAULTS[DEFAULT_TIER][4])
        return objective
    if not measurable:
        problem(f"the service's code defines no {REQUEST_COUNTER}{{route,status}} counter and "
                f"{REQUEST_HISTOGRAM}{{route}} histogram, so requests cannot be measured; no rules generated for it")
        return None
    patterns = fields.get("routes") or ["*"]
    matched = sorted({r for r in routes for p in patterns if _route_matches(str(p), r)})
    if not matched:
        problem(f"routes {patterns} match none of the service's public routes ({', '.join(routes) or 'none'}); "
                "no rules generated for it, fix the route templates")
        return None
    objective.routes = matched
    groups = sorted({route_group(r) for r in matched})
    objective.group = groups[0] if len(groups) == 1 else "+".join(groups)
    if sli == "latency":
        asked = fields.get("threshold")
        if not isinstance(asked, (int, float)) or isinstance(asked, bool) or asked <= 0:
            problem(f"a latency objective needs threshold: seconds greater than 0, not {asked!r}; no rules "
                    "generated for it")
            return None
        if not buckets:
            problem(f"the service's code defines no {REQUEST_HISTOGRAM} histogram with known buckets, so latency "
                    "cannot be measured; no rules generated for it")
            return None
        objective.declared_threshold = float(asked)
        objective.threshold = snap(float(asked), buckets)
        if objective.threshold != float(asked):
            diagnostics.append(Diagnostic(
                where.path or service.name, line,
                f"service.yaml: objective {name!r}: threshold {asked:g} s is not a bucket boundary of "
                f"{REQUEST_HISTOGRAM} ({', '.join(f'{b:g}' for b in buckets)}); measured at {objective.threshold:g} "
                "s, the nearest one: set threshold to a boundary or add the bucket in the code", Severity.WARNING))
    return objective


def _route_matches(pattern: str, route: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return route.startswith(pattern[:-1])
    return route == pattern
