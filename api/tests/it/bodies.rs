//! Request bodies are bounded before they are read: too large gets 413 with the JSON error
//! body whether the body says its size or not, and the route's own limit applies.

use crate::helpers::spawn_app;
use serde_json::Value;
use testkit::flood::{self, Framing};

const KIB: u64 = 1024;

#[tokio::test]
async fn a_body_over_the_limit_gets_413_declared_or_chunked() {
    let app = spawn_app(0).await;
    for framing in [Framing::Declared, Framing::Chunked] {
        let a = flood::post(&app.base, "/api/v1/auth/login", 2 * 1024 * KIB, framing).await;
        assert_eq!(a.status, 413, "{framing:?}: {a:?}");
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["code"], "too_large", "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("1048576"),
            "{body}"
        );
        assert_eq!(a.header("connection"), Some("close"), "{a:?}");
    }
    // Under the limit the body is read and judged as usual.
    let a = flood::post(&app.base, "/api/v1/auth/login", 900 * KIB, Framing::Chunked).await;
    assert_eq!(a.status, 400, "{a:?}");
    let body: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(body["code"], "invalid_request", "{body}");
    // The limit is a setting.
    let small = crate::helpers::spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.max_body_bytes = 4 * 1024;
        },
    )
    .await;
    let a = flood::post(
        &small.base,
        "/api/v1/auth/signup",
        5 * KIB,
        Framing::Declared,
    )
    .await;
    assert_eq!(a.status, 413, "{a:?}");
}

/// Subtitle files travel in JSON and have a larger limit of their own, told by their code.
#[tokio::test]
async fn subtitle_bodies_have_their_own_limit() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("captioner").await;
    let video = crate::library::published(&app, &token, "Captioned").await;
    let url = format!("/api/v1/videos/{video}/subtitles");
    let a = flood::post(&app.base, &url, 4 * 1024 * KIB, Framing::Declared).await;
    assert_eq!(a.status, 413, "{a:?}");
    let body: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(body["code"], "subtitle_too_large", "{body}");

    // Inside the body limit, a file over the subtitle limit is refused once decoded.
    let vtt = format!(
        "WEBVTT\n\n00:00.000 --> 00:01.000\n{}\n",
        "a".repeat(600 * 1024)
    );
    let r = reqwest::Client::new()
        .post(format!("{}{url}", app.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "language": "en", "label": "English", "vtt": vtt }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "subtitle_too_large", "{status} {body}");
}
