// The catalog graph page: draws the entities and relations the page carries as JSON, filtered by kind, domain and
// owner in the browser (offline), as a Mermaid flowchart rendered by diagrams.js, with a list of links below it.
(function () {
  "use strict";
  var LIMIT = 150; // entities drawn at once: beyond this the picture is unreadable, so the list stands alone
  var SHAPES = { Domain: ["{{", "}}"], System: ["[[", "]]"], Group: ["([", "])"], User: ["([", "])"],
    Component: ["[", "]"], API: ["[/", "/]"], Resource: ["[(", ")]"] };

  function nodeId(id) { return "n_" + id.replace(/[^A-Za-z0-9]/g, "_"); }
  function label(text) { return String(text).replace(/"/g, "#quot;"); }

  function draw(root, data) {
    var form = root.querySelector(".arrakis-graph-filters");
    var kinds = Array.prototype.slice.call(form.querySelectorAll('input[name="kind"]:checked'))
      .map(function (e) { return e.value; });
    var domain = form.querySelector('select[name="domain"]').value;
    var owner = form.querySelector('select[name="owner"]').value;
    var shown = data.nodes.filter(function (n) {
      return kinds.indexOf(n.kind) >= 0 && (!domain || n.domain === domain) && (!owner || n.owner === owner);
    });
    var ids = {};
    shown.forEach(function (n) { ids[n.id] = true; });
    var edges = data.edges.filter(function (e) { return ids[e.source] && ids[e.target]; });
    root.querySelector(".arrakis-graph-count").textContent = shown.length + " entities, " + edges.length +
      " relations" + (shown.length > LIMIT ? " (too many to draw: narrow the filter)" : "") + ".";
    var picture = root.querySelector(".arrakis-graph-picture");
    picture.innerHTML = "";
    if (shown.length && shown.length <= LIMIT) {
      var lines = ["flowchart LR"];
      shown.forEach(function (n) {
        var shape = SHAPES[n.kind] || ["[", "]"];
        lines.push("    " + nodeId(n.id) + shape[0] + '"' + label(n.kind + ": " + n.name) + '"' + shape[1]);
      });
      edges.forEach(function (e) {
        lines.push("    " + nodeId(e.source) + " -->|" + label(e.relation) + "| " + nodeId(e.target));
      });
      var block = document.createElement("div");
      block.className = "mermaid-diagram";
      block.textContent = lines.join("\n") + "\n";
      picture.appendChild(block);
      if (window.arrakisDiagrams) window.arrakisDiagrams.render();
    }
    var list = root.querySelector(".arrakis-graph-list");
    list.innerHTML = "";
    shown.forEach(function (n) {
      var item = document.createElement("li");
      var target = n.link ? document.createElement("a") : document.createElement("span");
      if (n.link) target.href = n.link;
      target.textContent = n.name;
      item.appendChild(document.createTextNode(n.kind + ": "));
      item.appendChild(target);
      list.appendChild(item);
    });
  }

  function start() {
    var root = document.querySelector(".arrakis-catalog-graph");
    if (!root) return;
    var data = JSON.parse(root.querySelector(".arrakis-graph-data").textContent);
    var form = root.querySelector(".arrakis-graph-filters");
    var domains = form.querySelector('select[name="domain"]');
    if (data.nodes.length > LIMIT && domains.options.length > 1) domains.selectedIndex = 1; // start readable
    form.addEventListener("change", function () { draw(root, data); });
    draw(root, data);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(start);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
