//! What operators watch: `/metrics` counts requests by route and status and GraphQL
//! operations by type and outcome, and reads the queue, uploads, caches and change feed when
//! scraped; every answer carries its request id; `/readyz` names what is not answering.

use crate::helpers::*;
use shared::client::types;

#[tokio::test]
async fn metrics_count_routes_operations_and_read_the_queue() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("maker").await;
    let anon = app.anon();
    anon.list_videos(None, None, None, None, None, None, None)
        .await
        .unwrap();
    anon.list_videos(None, None, None, None, None, None, None)
        .await
        .unwrap();
    assert!(anon.get_video("nope").await.is_err());
    let graphql = |body: serde_json::Value| {
        let url = format!("{}/graphql", app.base);
        async move {
            reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    graphql(serde_json::json!({ "query": "{ videos(first: 2) { edges { cursor } } }" })).await;
    graphql(serde_json::json!({ "query": "{ videos(" })).await;
    let before = scrape(&app).await;
    assert_eq!(sample(&before, "kino_uploads_open"), Some(0.0));
    assert_eq!(
        sample(&before, "kino_upload_bytes_received_total"),
        Some(0.0)
    );
    let up = app
        .as_user(&token)
        .create_upload(&types::CreateUploadRequest {
            filename: "a.mp4".into(),
            size: 10,
            content_type: "video/mp4".into(),
            title: "Open".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner();
    // Its one part, through this replica's part endpoint (the store is a directory).
    let put = reqwest::Client::new()
        .put(&up.parts[0].url)
        .body(vec![7u8; 10])
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());

    let text = scrape(&app).await;
    for (series, at_least) in [
        (
            r#"kino_http_requests_total{route="list_videos",method="GET",status="200"}"#,
            2.0,
        ),
        (
            r#"kino_http_requests_total{route="get_video",method="GET",status="404"}"#,
            1.0,
        ),
        (
            r#"kino_http_requests_total{route="create_upload",method="POST",status="201"}"#,
            1.0,
        ),
        (
            r#"kino_http_requests_total{route="graphql",method="POST",status="200"}"#,
            1.0,
        ),
        (
            r#"kino_http_request_duration_seconds_count{route="list_videos"}"#,
            2.0,
        ),
        (
            r#"kino_http_request_duration_seconds_bucket{route="list_videos",le="+Inf"}"#,
            2.0,
        ),
        (
            r#"kino_graphql_operations_total{type="query",outcome="ok"}"#,
            1.0,
        ),
        (
            r#"kino_graphql_operations_total{type="invalid",outcome="error"}"#,
            1.0,
        ),
        (
            r#"kino_http_requests_total{route="metrics",method="GET",status="200"}"#,
            1.0,
        ),
        ("kino_uploads_open", 1.0),
        ("kino_upload_bytes_received_total", 10.0),
        ("kino_database_up", 1.0),
    ] {
        let v = sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        assert!(
            v >= at_least,
            "{series} is {v}, expected at least {at_least}"
        );
    }
    for state in ["queued", "leased", "done", "dead", "cancelled"] {
        let series = format!(r#"kino_jobs{{state="{state}"}}"#);
        assert!(sample(&text, &series).is_some(), "no {series}");
    }
    assert!(
        sample(
            &text,
            r#"kino_cache_requests_total{cache="videos",outcome="miss"}"#
        )
        .is_some()
    );
    assert!(sample(&text, "kino_change_feed_changes_total").is_some());
    // Every family is typed, and nothing is written twice.
    let series: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit_once(' ').unwrap().0)
        .collect();
    let distinct: std::collections::HashSet<_> = series.iter().collect();
    assert_eq!(distinct.len(), series.len(), "a series written twice");
}

#[tokio::test]
async fn every_answer_carries_its_request_id() {
    let app = spawn_app(0).await;
    let http = reqwest::Client::new();
    let given = http
        .get(format!("{}/api/v1/videos", app.base))
        .header("x-request-id", "edge-7f3a.1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "edge-7f3a.1");
    // None, or one not safe to log as it is: the api makes one.
    for sent in [None, Some("two words")] {
        let mut req = http.get(format!("{}/healthz", app.base));
        if let Some(id) = sent {
            req = req.header("x-request-id", id);
        }
        let r = req.send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 26, "{id}");
        assert!(id.parse::<ulid::Ulid>().is_ok(), "{id}");
    }
}

#[tokio::test]
async fn readyz_names_the_part_that_does_not_answer() {
    let app = spawn_app(0).await;
    // Ready once the search index is built, which on an empty catalogue is at once.
    crate::helpers::eventually("the app to be ready", || async {
        let ready = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
        ready.status() == 200 && ready.text().await.unwrap() == "ready"
    })
    .await;
    // The store's directory replaced by a file: every object access fails.
    let objects = app.dir.path().join("objects");
    let _ = std::fs::remove_dir_all(&objects);
    std::fs::write(&objects, b"not a directory").unwrap();
    let down = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(
        down.text().await.unwrap(),
        "not ready: object store not answering"
    );
}

#[tokio::test]
async fn metrics_ask_for_the_scrape_token_when_one_is_set() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.metrics_token = Some("scrape-secret".into());
        },
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", app.base);
    for given in [None, Some("Bearer wrong-secret"), Some("scrape-secret")] {
        let mut req = http.get(&url);
        if let Some(g) = given {
            req = req.header("authorization", g);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{given:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated");
    }
    let r = http
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("kino_http_requests_total"));
}
