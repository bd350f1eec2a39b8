//! Hostile GraphQL: operations that ask for too much are refused by their shape before any
//! resolver runs, while the introspection query that tools send is answered.

use crate::helpers::{TestApp, spawn_app};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn ask_as(base: &str, token: Option<&str>, query: &str) -> Value {
    let mut r = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query }));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().json().await.unwrap()
}

async fn ask(base: &str, query: &str) -> Value {
    ask_as(base, None, query).await
}

fn message(r: &Value) -> String {
    r["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase()
}

/// Refused for its shape: no data, the `query_too_large` code, and `says` in the message.
#[track_caller]
fn refused(r: &Value, says: &str) {
    assert!(r["data"].is_null(), "{r}");
    assert_eq!(
        r["errors"][0]["extensions"]["code"], "query_too_large",
        "{r}"
    );
    assert!(message(r).contains(says), "{r}");
}

/// `ofType { kind name ofType { … } }`, `levels` deep.
fn of_type(levels: usize) -> String {
    let mut inner = String::from("kind name");
    for _ in 0..levels {
        inner = format!("kind name ofType {{ {inner} }}");
    }
    inner
}

/// The introspection query GraphiQL and graphql-js's `getIntrospectionQuery` send, with its
/// nine levels of `ofType`.
fn standard_introspection() -> String {
    format!(
        "query IntrospectionQuery {{
          __schema {{
            queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }}
            types {{ ...FullType }}
            directives {{ name description isRepeatable locations args {{ ...InputValue }} }}
          }}
        }}
        fragment FullType on __Type {{
          kind name description specifiedByURL
          fields(includeDeprecated: true) {{
            name description args {{ ...InputValue }} type {{ ...TypeRef }}
            isDeprecated deprecationReason
          }}
          inputFields {{ ...InputValue }}
          interfaces {{ ...TypeRef }}
          enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
          possibleTypes {{ ...TypeRef }}
        }}
        fragment InputValue on __InputValue {{
          name description type {{ ...TypeRef }} defaultValue
        }}
        fragment TypeRef on __Type {{ {} }}",
        of_type(9)
    )
}

#[tokio::test]
async fn the_introspection_query_tools_send_is_answered_and_deeper_is_refused() {
    let app = spawn_app(0).await;
    let r = ask(&app.base, &standard_introspection()).await;
    assert!(r["errors"].is_null(), "{r}");
    let types = r["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Video"), "{r}");
    assert_eq!(r["data"]["__schema"]["queryType"]["name"], "Query");

    // Thirty levels of `ofType` is no tool's query.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} }} }} }} }} }}",
        of_type(30)
    );
    refused(&ask(&app.base, &deep).await, "inside introspection");
    // Data stays on the tight limit, checked before the fields are even looked up.
    let mut nested = String::from("id");
    for _ in 0..12 {
        nested = format!("a {{ {nested} }}");
    }
    let q = format!("{{ videos(first: 1) {{ {nested} }} }}");
    refused(&ask(&app.base, &q).await, "deeper than 12 levels");
}

/// Two thousand aliased listings of nothing each cost little, but together they are two
/// thousand database queries. Refused as soon as parsed: a mutation sent the same way changes
/// nothing.
#[tokio::test]
async fn two_thousand_aliases_are_refused_before_any_resolver_runs() {
    let app = spawn_app(0).await;
    for field in ["videos(first: 0) { edges { node { id } } }", "me { id }"] {
        let many: String = (0..2_000).map(|i| format!("a{i}: {field} ")).collect();
        refused(
            &ask(&app.base, &format!("{{ {many} }}")).await,
            "root fields",
        );
    }

    let (token, _) = app.user("aliaser").await;
    let video = crate::library::published(&app, &token, "Once").await;
    let many: String = (0..2_000)
        .map(|i| format!("a{i}: addToWatchlist(videoId: \"{video}\") "))
        .collect();
    refused(
        &ask_as(&app.base, Some(&token), &format!("mutation {{ {many} }}")).await,
        "root fields",
    );
    let r = ask_as(&app.base, Some(&token), "{ watchlist { id } }").await;
    assert_eq!(r["data"]["watchlist"], json!([]), "{r}");

    // Up to the limit is fine.
    let some: String = (0..32)
        .map(|i| format!("a{i}: videos(first: 1) {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let r = ask(&app.base, &format!("{{ {some} }}")).await;
    assert!(r["errors"].is_null(), "{r}");
}

#[tokio::test]
async fn fragment_bombs_and_costly_pages_are_refused_and_the_server_stays_up() {
    let app = spawn_app(0).await;
    let r = &app.base;

    // Ten spreads of ten spreads of …: a short document, a hundred thousand fields.
    let mut bomb = String::from("fragment N0 on Video { id title }\n");
    for level in 1..=5 {
        let spreads = format!("...N{} ", level - 1).repeat(10);
        bomb += &format!("fragment N{level} on Video {{ {spreads} }}\n");
    }
    let q = format!("{{ videos(first: 1) {{ edges {{ node {{ ...N5 }} }} }} }}\n{bomb}");
    refused(&ask(r, &q).await, "more than 1000 fields");

    // A fragment that spreads itself twice: no field at all, yet it doubles at each level.
    let q = "{ videos(first: 1) { edges { node { ...E } } } }
             fragment E on Video { ...E ...E }";
    refused(&ask(r, q).await, "fragments");
    let q = "{ ...Q } fragment Q on Query { ...Q ...Q }";
    refused(&ask(r, q).await, "fragments");

    // Few fields, each a full page of pages: refused for what it would cost.
    let many: String = (0..30)
        .map(|i| format!("a{i}: videos(first: 100) {{ edges {{ node {{ id title }} }} }} "))
        .collect();
    refused(&ask(&app.base, &format!("{{ {many} }}")).await, "complex");

    // A history of four billion entries costs what it can answer: at most two hundred.
    let (token, _) = app.user("historian").await;
    let r = ask_as(
        &app.base,
        Some(&token),
        "{ history(limit: 4000000000) { video { id } } }",
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");

    still_serving(&app).await;
}

/// Query batching is off: an array of operations is refused whole, none of it runs.
#[tokio::test]
async fn a_batch_of_operations_is_refused() {
    let app = spawn_app(0).await;
    let batch: Vec<Value> = (0..100)
        .map(|_| json!({ "query": "{ videos(first: 100) { edges { node { id } } } }" }))
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_request", "{body}");
    still_serving(&app).await;
}

/// A GraphQL body or socket message over 256 KiB is refused unread.
#[tokio::test]
async fn oversized_graphql_bodies_and_socket_messages_are_refused() {
    let app = spawn_app(0).await;
    let padding = " ".repeat(300 * 1024);
    let r = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": format!("{{ me {{ id }} {padding} }}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_large", "{body}");

    let mut ws = crate::helpers::graphql_ws(&app.base).await;
    let init = json!({"type": "connection_init", "payload": {}}).to_string();
    ws.send(Message::Text(init.into())).await.unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let huge = json!({
        "id": "1", "type": "subscribe",
        "payload": { "query": format!("subscription {{ {padding} }}") }
    })
    .to_string();
    // The server closes the socket rather than take the message in.
    let _ = ws.send(Message::Text(huge.into())).await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the socket stays open");
    still_serving(&app).await;
}

async fn still_serving(app: &TestApp) {
    let r = ask(&app.base, "{ videos { edges { node { id } } } }").await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(
        reqwest::get(format!("{}/healthz", app.base))
            .await
            .unwrap()
            .status(),
        200
    );
}
