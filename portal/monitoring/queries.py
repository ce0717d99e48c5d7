"""PromQL for the model's objectives and platform signals: one place that spells every selector, so the rules, the
dashboards, the SLO specs and the runbooks query exactly the same series.

Series carry the scrape job's name (``job="<service>"``): the generated scrape configuration names each job after
its service, as a Kubernetes ServiceMonitor names it after the Service.
"""

from __future__ import annotations

import re

from arrakis_docs.model.monitoring import Objective

REQUESTS = "http_requests_total"
REQUEST_DURATION = "http_request_duration_seconds"
CONSUMER_PENDING = "arrakis_consumer_pending_events"
OUTBOX_PENDING = "arrakis_outbox_pending"
READY = "arrakis_ready"
WEBHOOK_DEAD_LETTERS = "arrakis_webhook_dead_letters"
AUDIT_CHAIN_OK = "arrakis_audit_chain_ok"
EVENTS_PUBLISHED = "arrakis_events_published"
EVENTS_CONSUMED = "arrakis_events_consumed"
# Error ratio of one objective over a window: the recorded series every burn-rate alert and SLO panel reads.
ERROR_RATIO = "arrakis_slo:error_ratio:rate{window}"
INSTANT_ERROR = "arrakis_slo:error:instant"  # freshness: 1 while the consumer lags, 0 while it keeps up
OBJECTIVE_RATIO = "arrakis_slo:objective:ratio"
# Windows computed from the raw counters; the long ones are averaged from the 5m series (cheap, see sloth#504).
SHORT_WINDOWS = ("5m", "30m", "1h", "2h", "6h")
LONG_WINDOWS = ("1d", "3d", "30d")
# Label matchers on outcome labels select what is normally absent (no 5xx yet): a dead-query check drops them.
OUTCOME_LABELS = ("status", "le", "reason")


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def routes_regex(routes: list[str]) -> str:
    """An RE2 alternation matching exactly these route templates (braces and dots escaped)."""
    return "|".join(re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", r) for r in sorted(routes))


def selector(metric: str, **labels: str) -> str:
    """``metric{a="x",b=~"y"}``; a value starting with ``~`` is a regex match."""
    parts = []
    for key, value in sorted(labels.items()):
        op = "=~" if value.startswith("~") else "="
        parts.append(f"{key}{op}{quote(value[1:] if value.startswith('~') else value)}")
    return f"{metric}{{{','.join(parts)}}}"


def objective_labels(objective: Objective) -> dict[str, str]:
    """Labels of an objective's recorded series."""
    return {"service": objective.service, "slo": objective.name, "sli": objective.sli}


def total_selector(objective: Objective) -> str:
    """The requests an availability or latency objective counts."""
    return selector(f"{REQUEST_DURATION}_count", job=objective.service, route="~" + routes_regex(objective.routes))


def le_value(threshold: float) -> str:
    """A histogram ``le`` label as the Python client writes it (``0.5``, ``1.0``)."""
    return repr(float(threshold))


def error_query(objective: Objective, window: str) -> str:
    """The objective's bad events over ``window`` (Sloth's ``error_query``)."""
    routes = "~" + routes_regex(objective.routes)
    if objective.sli == "availability":
        return f"sum(rate({selector(REQUESTS, job=objective.service, route=routes, status='~5..')}[{window}]))"
    fast = selector(f"{REQUEST_DURATION}_bucket", job=objective.service, route=routes, le=le_value(objective.threshold))
    return f"(sum(rate({total_selector(objective)}[{window}])) - sum(rate({fast}[{window}])))"


def total_query(objective: Objective, window: str) -> str:
    """The objective's events over ``window`` (Sloth's ``total_query``)."""
    return f"sum(rate({total_selector(objective)}[{window}]))"


def good_query(objective: Objective, window: str) -> str:
    """The objective's good events over ``window`` (OpenSLO's ``good``)."""
    routes = "~" + routes_regex(objective.routes)
    if objective.sli == "availability":
        return f"({total_query(objective, window)} - ({error_query(objective, window)} or vector(0)))"
    fast = selector(f"{REQUEST_DURATION}_bucket", job=objective.service, route=routes, le=le_value(objective.threshold))
    return f"sum(rate({fast}[{window}]))"


def lagging_query(objective: Objective) -> str:
    """Freshness: 1 while the consumer's backlog exceeds the threshold, else 0."""
    pending = selector(CONSUMER_PENDING, job=objective.service, consumer=objective.consumer)
    return f"max({pending}) > bool {objective.threshold:g}"


def error_ratio_query(objective: Objective, window: str) -> str:
    """The expression recording the objective's error ratio over ``window`` from raw series."""
    if objective.sli == "freshness":
        return f"avg_over_time({selector(INSTANT_ERROR, **objective_labels(objective))}[{window}])"
    if objective.sli == "availability":  # no 5xx series yet is an error ratio of 0, not of nothing
        return f"({error_query(objective, window)} or vector(0))\n/\n{total_query(objective, window)}"
    return f"{error_query(objective, window)}\n/\n{total_query(objective, window)}"


def recorded(objective: Objective, window: str) -> str:
    """The recorded error-ratio series of one objective and window."""
    return selector(ERROR_RATIO.format(window=window), **objective_labels(objective))


def budget(objective: Objective) -> float:
    """The error budget as a ratio: 1 - target."""
    return round(1 - objective.target / 100, 10)


def number(value: float) -> str:
    """A float for PromQL and YAML, without representation noise (0.0144, not 0.014400000000000001)."""
    return f"{value:.10g}"


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The vector selectors ``metric{...}`` in a PromQL expression: (metric, [(label, op, value), ...]) each, in
    order. Quoted label values may hold any character (route regexes hold braces); only braced selectors are read,
    which is how every generated query spells them."""
    found = []
    for match in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\{", expr):
        start = match.end()
        matchers, i = [], start
        while i < len(expr) and expr[i] != "}":
            label = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*\"", expr[i:])
            if label is None:
                break
            i += label.end()
            value = []
            while i < len(expr) and expr[i] != '"':
                if expr[i] == "\\":
                    i += 1
                value.append(expr[i])
                i += 1
            matchers.append((label.group(1), label.group(2), "".join(value)))
            i += 1
            while i < len(expr) and expr[i] in ", ":
                i += 1
        found.append((match.group(1), matchers))
    return found


def identity_selector(metric: str, matchers: list[tuple[str, str, str]]) -> str:
    """A selector without its outcome matchers (``status``, ``le``): what must match series on a healthy,
    working platform for the query not to be dead."""
    kept = [(k, op, v) for k, op, v in matchers if k not in OUTCOME_LABELS]
    inner = ",".join(f"{k}{op}{quote(v)}" for k, op, v in kept)
    return f"{metric}{{{inner}}}"
