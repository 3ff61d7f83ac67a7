// Starts GraphiQL on the page's #graphiql element against the endpoint in
// its data-endpoint attribute, with a header editor holding the
// Authorization header the token goes in. Same-origin requests only.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var placeholder = "Bearer <token>";
  var send = GraphiQL.createFetcher({ url: root.getAttribute("data-endpoint") });
  // Until a token replaces the placeholder, requests go without one (the
  // schema loads, and the viewer query says UNAUTHENTICATED).
  var fetcher = function (params, opts) {
    if (opts && opts.headers && opts.headers.Authorization === placeholder) {
      var headers = Object.assign({}, opts.headers);
      delete headers.Authorization;
      opts = Object.assign({}, opts, { headers: headers });
    }
    return send(params, opts);
  };
  var headers = JSON.stringify({ Authorization: placeholder }, null, 2);
  var query = "# Who am I? Put a token in the Headers tab first.\n{\n  viewer {\n    subject\n    roles\n  }\n}\n";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      defaultHeaders: headers,
      headers: headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
