// GraphiQL for /graphql, from the vendored React, ReactDOM and GraphiQL builds (no CDN). A
// `#query=...` in the address opens that query (a fragment: `?query=` would make /graphql run it).
(function () {
  var root = document.getElementById("graphiql");
  var params = new URLSearchParams(window.location.hash.slice(1));
  var fetcher = GraphiQL.createFetcher({ url: root.dataset.endpoint });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      query: params.get("query") || undefined,
      defaultQuery: root.dataset.defaultQuery,
      defaultEditorToolsVisibility: true,
    })
  );
})();
