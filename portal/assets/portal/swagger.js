// Swagger UI "try it out": loads the committed spec copied into the site and sends requests through the portal
// server's /proxy/<service>/ route, so the browser only ever talks to the portal's own origin.
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") return;
  var specUrl = new URL(el.getAttribute("data-spec"), window.location.href).href;
  var proxy = window.location.origin + "/proxy/" + el.getAttribute("data-service");
  window.SwaggerUIBundle({
    url: specUrl,
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null,
    tryItOutEnabled: true,
    requestInterceptor: function (request) {
      if (request.url !== specUrl && request.url.indexOf(window.location.origin) === 0) {
        request.url = proxy + request.url.slice(window.location.origin.length);
      }
      return request;
    },
    onComplete: function () { el.setAttribute("data-loaded", "true"); }
  });
})();
