// Starts GraphiQL on Kino's own endpoints. Queries and mutations go over POST /graphql;
// subscriptions over the graphql-ws socket at /graphql/ws. A bearer token typed into the
// headers editor ({"Authorization": "Bearer ..."}) signs both in.
(function () {
  var wsUrl = location.origin.replace(/^http/, "ws") + "/graphql/ws";
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    wsClient: graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: function () {
        try {
          var headers = JSON.parse(localStorage.getItem("graphiql:headers") || "{}");
          return { authorization: headers.Authorization || headers.authorization || "" };
        } catch (e) {
          return {};
        }
      },
    }),
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: true,
    })
  );
})();
