//! The S3 store against an endpoint that fails: 5xx answers are retried with backoff up to the
//! configured attempts, then reported with the store's status and message; a node that refuses
//! connections is skipped for the next one listed.

use shared::store::{ObjectStore, S3Config, S3Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An HTTP endpoint that answers 503 to the first `failures` requests and then a HEAD-style
/// 200 for a 42-byte object. Returns its URL and the count of requests it saw.
async fn flaky(failures: usize) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let n = count.fetch_add(1, Ordering::SeqCst);
                let answer = if n < failures {
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/xml\r\ncontent-length: 67\r\nconnection: close\r\n\r\n<Error><Code>SlowDown</Code><Message>busy, try later</Message></Error>"
                } else {
                    "HTTP/1.1 200 OK\r\ncontent-length: 42\r\netag: \"0123\"\r\nlast-modified: Sun, 29 Nov 2026 00:00:00 GMT\r\nconnection: close\r\n\r\n"
                };
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

fn store(endpoint: &str, attempts: u32) -> S3Store {
    let mut cfg = S3Config::from_url(&format!(
        "s3://media?endpoint={endpoint}&region=test&path_style=true&max_attempts={attempts}"
    ))
    .unwrap();
    cfg.access_key_id = Some("GKtest".into());
    cfg.secret_access_key = Some("secret".into());
    S3Store::new(cfg).unwrap()
}

#[tokio::test]
async fn server_errors_are_retried_until_the_store_answers() {
    let (url, seen) = flaky(2).await;
    let meta = store(&url, 5)
        .head("videos/a/v1/master.m3u8")
        .await
        .unwrap();
    assert_eq!(meta.size, 42);
    assert_eq!(meta.etag, "\"0123\"");
    assert_eq!(seen.load(Ordering::SeqCst), 3, "two failures, then success");
}

#[tokio::test]
async fn a_store_that_keeps_failing_is_reported_after_the_last_attempt() {
    let (url, seen) = flaky(usize::MAX).await;
    let err = store(&url, 3)
        .head("videos/a/v1/master.m3u8")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Remote { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_node_that_refuses_connections_is_skipped_without_spending_an_attempt() {
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (up, seen) = flaky(0).await;
    // One attempt per request: moving to the next node must not spend it.
    let s = store(&format!("{down},{up}"), 1);
    let meta = s.head("videos/a/v1/master.m3u8").await.unwrap();
    assert_eq!(meta.size, 42);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    // Later requests and the URLs handed to clients go to the node that answered.
    let url = s.presigned_put_url("videos/a/v1/poster.jpg", std::time::Duration::from_secs(60));
    assert!(url.unwrap().starts_with(&up));
    s.head("videos/a/v1/master.m3u8").await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    // Every node down: reported as the I/O failure it is.
    let err = store(&format!("{down},{down}"), 1)
        .head("videos/a/v1/master.m3u8")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Io(_)), "{err:?}");
}
