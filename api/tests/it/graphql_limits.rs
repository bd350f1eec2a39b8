//! Hostile GraphQL: queries nested too deep or too costly are refused before they run, and the
//! server keeps answering.

use crate::helpers::spawn_app;
use serde_json::{Value, json};

async fn ask(base: &str, query: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn message(r: &Value) -> String {
    r["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase()
}

#[tokio::test]
async fn depth_and_complexity_bombs_are_refused_and_the_server_stays_up() {
    let app = spawn_app(0).await;

    // Introspection nests as deep as one likes: 14 levels of `ofType` (19 in all).
    let mut inner = String::from("name");
    for _ in 0..14 {
        inner = format!("ofType {{ {inner} }}");
    }
    let deep = format!("{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}");
    let r = ask(&app.base, &deep).await;
    assert!(r["data"].is_null(), "{r}");
    assert!(message(&r).contains("nested too deep"), "{r}");

    // Hundreds of aliased page queries: too complex.
    let many: String = (0..400)
        .map(|i| format!("a{i}: videos(first: 100) {{ edges {{ node {{ id title }} }} }} "))
        .collect();
    let r = ask(&app.base, &format!("{{ {many} }}")).await;
    assert!(r["data"].is_null(), "{r}");
    assert!(message(&r).contains("complex"), "{r}");

    // Still serving.
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
