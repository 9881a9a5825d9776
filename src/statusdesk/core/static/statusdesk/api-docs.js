/* The API docs page (/api/v1/docs): Swagger UI from the vendored bundle, configured from the
   page's data attributes (no inline script, so the Content-Security-Policy needs none). */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    // No badge from an outside validator: the page talks to this server only.
    validatorUrl: null,
  });
})();
