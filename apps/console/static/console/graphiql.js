// Starts GraphiQL on console/graphiql.html; a file, because the content security policy
// allows no inline script. Queries go to the page's own endpoint: with the console's
// session (and its CSRF token, which the endpoint checks for sessions), or with an
// "Authorization: Bearer <access token>" typed in the headers editor.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var headers = {};
  if (root.dataset.csrfToken) {
    headers["X-CSRFToken"] = root.dataset.csrfToken;
  }
  var fetcher = GraphiQL.createFetcher({ url: root.dataset.endpoint, headers: headers });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
