// Renders the page's Mermaid blocks with the vendored mermaid.js, loaded only on pages that have diagrams (it is
// large). The SVG goes into the block itself, so tests and readers see it; a block that fails is marked.
(function () {
  "use strict";
  var script = document.currentScript;
  var mermaidUrl = new URL("../vendor/mermaid/mermaid.min.js", script.src).href;

  function render() {
    var blocks = Array.prototype.slice.call(document.querySelectorAll("div.mermaid-diagram:not([data-rendered])"));
    if (!blocks.length) return;
    var dark = document.body.getAttribute("data-md-color-scheme") === "slate";
    // Natural size, not shrunk to the column: big graphs scroll instead of turning their text unreadable.
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default",
      flowchart: { useMaxWidth: false }, class: { useMaxWidth: false }, er: { useMaxWidth: false },
      sequence: { useMaxWidth: false }, state: { useMaxWidth: false }, c4: { useMaxWidth: false } });
    blocks.forEach(function (block, index) {
      var source = block.textContent;
      window.mermaid.render("arrakis-mermaid-" + index + "-" + Date.now(), source).then(function (result) {
        block.innerHTML = result.svg;
        block.setAttribute("data-rendered", "svg");
        fitToggle(block);
      }).catch(function (error) {
        block.setAttribute("data-rendered", "error");
        block.setAttribute("data-error", String(error && error.message || error));
        console.warn("Mermaid: " + (error && error.message || error));
      });
    });
  }

  // A picture wider than the column gets a button switching between legible size (scrolling) and fit-to-width.
  function fitToggle(block) {
    var svg = block.querySelector("svg");
    if (!svg || svg.getBoundingClientRect().width <= block.clientWidth + 1) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "arrakis-fit-toggle md-button";
    button.textContent = "Fit to width";
    button.addEventListener("click", function () {
      var fit = block.classList.toggle("arrakis-fit");
      button.textContent = fit ? "Actual size" : "Fit to width";
    });
    block.insertBefore(button, svg);
  }

  function start() {
    if (!document.querySelector("div.mermaid-diagram")) return;
    if (window.mermaid) { render(); return; }
    var tag = document.createElement("script");
    tag.src = mermaidUrl;
    tag.onload = render;
    document.head.appendChild(tag);
  }

  // The catalog graph draws its picture after the page loaded, through this.
  window.arrakisDiagrams = { render: start };

  // After the load event: the page is usable at once and mermaid.js (large) does not hold it up.
  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
})();
