//! The GraphQL explorer in Chromium: GraphiQL renders from this server alone, under its
//! strict policy, introspects the schema and runs a query.

use crate::harness::*;

#[tokio::test]
async fn graphiql_runs_from_this_server_alone() {
    let data = tempfile::tempdir().unwrap();
    let (_kino, base) = start_kino_with(data.path(), 0, &[]);
    let (_driver, browser) = start_browser().await;
    browser.goto(&format!("{base}/graphql")).await.unwrap();
    until(
        &browser,
        20,
        "GraphiQL's editors",
        "return document.querySelectorAll('.graphiql-container .CodeMirror').length;",
        |v| v.as_u64().unwrap_or(0) >= 2,
    )
    .await;
    // A query typed into the editor and run answers from the api.
    js(
        &browser,
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror \
             .setValue('{ genres { name } }'); return null;",
    )
    .await;
    click(&browser, ".graphiql-execute-button").await;
    until(
        &browser,
        20,
        "the query's answer",
        "const r = document.querySelector('.result-window .CodeMirror'); \
         return r ? r.CodeMirror.getValue() : '';",
        |v| v.as_str().unwrap_or("").contains("\"genres\""),
    )
    .await;
    // Every file it loaded came from this server.
    let origins = js(
        &browser,
        "return [...new Set(performance.getEntriesByType('resource') \
             .map(e => new URL(e.name).origin))];",
    )
    .await;
    let own: Vec<String> = origins
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    assert!(
        own.iter().all(|o| base.starts_with(o.as_str())),
        "{own:?} from {base}"
    );
    assert!(!own.is_empty());
    browser.close().await.unwrap();
}
