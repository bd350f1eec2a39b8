//! Every response carries the security headers, errors and pages included.

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_response_says_nosniff_no_referrer_and_no_framing() {
    let app = spawn_app(0).await;
    let http = reqwest::Client::new();
    for (path, policy) in [
        (
            "/api/v1/videos",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            "/api/v1/videos/nope",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            "/api/v1/no-such-route",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            "/media/forged/v/1/master.m3u8",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("/healthz", "default-src 'none'; frame-ancestors 'none'"),
        // Pages that bring their own scripts are only kept out of frames.
        ("/graphql", "frame-ancestors 'none'"),
        ("/api/docs", "frame-ancestors 'none'"),
    ] {
        let r = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["content-security-policy"], policy, "{path}");
    }
}

/// A connection that sends nothing is closed after the idle timeout; a subscription socket is
/// pinged, so it stays open however quiet.
#[tokio::test]
async fn idle_connections_close_and_subscription_sockets_are_kept_alive() {
    use futures::{SinkExt, StreamExt};
    use tokio::io::AsyncReadExt;
    use tokio_tungstenite::tungstenite::Message;
    let app = crate::helpers::spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| s.idle_timeout_s = 2,
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), idle.read(&mut buf))
        .await
        .expect("an idle connection is closed");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");

    let mut ws = crate::helpers::graphql_ws(&app.base).await;
    let init = serde_json::json!({"type": "connection_init", "payload": {}}).to_string();
    ws.send(Message::Text(init.into())).await.unwrap();
    // Six seconds of silence from this side: three idle timeouts.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(6);
    let mut pings = 0;
    while let Ok(m) = tokio::time::timeout_at(until, ws.next()).await {
        match m {
            Some(Ok(Message::Ping(_))) => pings += 1,
            Some(Ok(Message::Text(_))) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
    assert!(pings >= 4, "{pings} pings");
    ws.close(None).await.unwrap();
}
