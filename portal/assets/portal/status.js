// Fills the Status page and the Home page's status summary from /status.json, which the portal server
// (`arrakis-docs serve`) answers from its own origin after polling the services and NATS server-side.
(function () {
  "use strict";
  var timer = null;

  function formatUptime(seconds) {
    if (typeof seconds !== "number") return "–";
    var s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
      m = Math.floor((s % 3600) / 60);
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
  }

  function badge(ok) {
    var span = document.createElement("span");
    span.className = ok ? "arrakis-up" : "arrakis-down";
    span.textContent = ok ? "up" : "down";
    return span;
  }

  function set(name, field, content) {
    document.querySelectorAll('[data-service="' + name + '"][data-field="' + field + '"]').forEach(function (el) {
      el.textContent = "";
      if (typeof content === "string") el.textContent = content; else el.appendChild(content);
    });
  }

  function render(status) {
    var services = status.services || [];
    services.forEach(function (s) {
      set(s.name, "live", badge(s.live));
      set(s.name, "ready", badge(s.ready));
      set(s.name, "version", s.version || "–");
      set(s.name, "uptime", formatUptime(s.uptime_seconds));
    });
    var up = services.filter(function (s) { return s.ready; }).length;
    document.querySelectorAll(".arrakis-status-summary").forEach(function (el) {
      el.setAttribute("data-ready", String(up));
      el.textContent = up + " of " + services.length + " services ready" +
        (status.nats && status.nats.ok ? "; NATS up, " + (status.nats.messages || 0) + " messages in streams" :
          "; NATS unreachable") + ".";
    });
    document.querySelectorAll('[data-field="streams"]').forEach(function (el) {
      var streams = (status.nats && status.nats.streams) || [];
      el.textContent = streams.length ? streams.map(function (st) {
        return st.name + ": " + st.messages + " messages (" + st.consumers + " consumers)";
      }).join("; ") : "No streams reported" + (status.nats && status.nats.error ? " (" + status.nats.error + ")" : "") + ".";
    });
    document.querySelectorAll('[data-field="alerts"]').forEach(function (el) { renderAlerts(el, status.alerts); });
  }

  // Firing and pending alerts from Prometheus, each linked to its runbook; built as nodes, never as HTML text.
  function renderAlerts(el, alerts) {
    if (!alerts) return;
    el.textContent = "";
    if (!alerts.ok) { el.textContent = "Prometheus not reachable" + (alerts.error ? " (" + alerts.error + ")" : "") + "."; return; }
    if (!alerts.alerts.length) { el.textContent = "No alert pending or firing."; return; }
    var list = document.createElement("ul");
    alerts.alerts.forEach(function (a) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.textContent = a.name;
      if (a.runbook_url && a.runbook_url.charAt(0) === "/") link.href = a.runbook_url;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" " + a.state + " (" + a.severity + ", " + a.service + "): " + a.summary));
      item.setAttribute("data-alert", a.name);
      item.setAttribute("data-state", a.state);
      list.appendChild(item);
    });
    el.appendChild(list);
  }

  function poll() {
    var target = document.querySelector("[data-status-url]");
    if (!target) return;
    fetch(target.getAttribute("data-status-url"), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data); })
      .catch(function () { /* no portal server: the page keeps its static text */ });
  }

  function start() {
    if (timer) clearInterval(timer);
    poll();
    timer = setInterval(poll, 5000);
  }

  // Material's instant navigation swaps pages without reloading; document$ tells us when.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(start);
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
