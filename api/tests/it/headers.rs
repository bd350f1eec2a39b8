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
        // The GraphQL explorer runs only what this server sends it.
        ("/graphql", api::http::explorer::POLICY),
        // Swagger UI's page, written with inline scripts, is only kept out of frames.
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

/// The explorer page names only files this server holds; each is served whole, brotli'd when
/// the client takes it (the committed brotli form is the file's), and cached as immutable.
#[tokio::test]
async fn the_graphql_explorer_is_served_from_vendored_files() {
    let app = spawn_app(0).await;
    let http = reqwest::Client::builder().no_brotli().build().unwrap();
    let page = http
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("//unpkg") && !page.contains("https://"),
        "{page}"
    );
    let named: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.starts_with(api::http::explorer::ASSETS))
        .collect();
    assert_eq!(named.len(), api::http::explorer::FILES.len(), "{page}");
    for path in named {
        let plain = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert!(
            plain.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(plain.headers().get("content-encoding").is_none());
        let body = plain.bytes().await.unwrap();
        let br = http
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(br.headers()["content-encoding"], "br", "{path}");
        let packed = br.bytes().await.unwrap();
        let mut unpacked = Vec::new();
        brotli::BrotliDecompress(&mut &packed[..], &mut unpacked).unwrap();
        assert!(
            unpacked == body,
            "{path}: the brotli form is not the file's"
        );
    }
    let missing = http
        .get(format!(
            "{}{}/nope.js",
            app.base,
            api::http::explorer::ASSETS
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Slowloris: a head trickled in a byte at a time, each well within the idle timeout, is cut
/// off at the head's deadline; an honest client pausing between requests on one connection
/// is not.
#[tokio::test]
async fn a_request_head_that_trickles_in_is_cut_off() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.header_read_timeout_s = 2;
            s.idle_timeout_s = 30;
        },
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = conn.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        let _ = wr
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: kino\r\nX-Slow: ")
            .await;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if wr.write_all(b"a").await.is_err() {
                break;
            }
        }
    });
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(8), rd.read(&mut buf))
        .await
        .expect("the server closes a trickling head")
        .unwrap_or(0);
    let took = started.elapsed();
    trickle.abort();
    assert_eq!(n, 0, "no answer: {:?}", String::from_utf8_lossy(&buf[..n]));
    assert!(took >= Duration::from_millis(1900), "closed after {took:?}");

    // Keep-alive: two requests on one connection, the pause between them longer than the
    // head's deadline.
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    for _ in 0..2 {
        conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: kino\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        while !got.ends_with(b"ok") {
            let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
                .await
                .expect("an answer")
                .unwrap();
            assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
}
