//! A hostile HTTP client: one request whose body is far larger than any route takes, sent
//! over a raw socket so nothing between the test and the server buffers, retries or gives up
//! early. The body goes out in chunks until the server answers (or stops reading); the answer
//! is read as it arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How the body says how large it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length: <total>` up front.
    Declared,
    /// `Transfer-Encoding: chunked`, the size known only by reading it all.
    Chunked,
}

/// What the server answered, and how much of the body had been sent by then.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Response headers, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Body bytes written when the answer was complete (some may still be in flight).
    pub sent: u64,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// POSTs `total` bytes of JSON-looking filler to `path` on `base` (`http://host:port`).
pub async fn post(base: &str, path: &str, total: u64, framing: Framing) -> Answer {
    let addr = base.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).await.expect("the server listens");
    let (mut rx, mut tx) = stream.into_split();
    let length = match framing {
        Framing::Declared => format!("Content-Length: {total}\r\n"),
        Framing::Chunked => "Transfer-Encoding: chunked\r\n".into(),
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{length}\r\n"
    );
    let progress = Arc::new(AtomicU64::new(0));
    let counter = progress.clone();
    let writer = tokio::spawn(async move {
        tx.write_all(head.as_bytes()).await?;
        // A string that never ends: nothing is malformed until the very last byte.
        let mut chunk = vec![b'a'; 64 * 1024];
        chunk[..2].copy_from_slice(b"[\"");
        let mut sent = 0u64;
        while sent < total {
            let n = (total - sent).min(chunk.len() as u64) as usize;
            match framing {
                Framing::Declared => tx.write_all(&chunk[..n]).await?,
                Framing::Chunked => {
                    tx.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                    tx.write_all(&chunk[..n]).await?;
                    tx.write_all(b"\r\n").await?;
                }
            }
            sent += n as u64;
            counter.store(sent, Ordering::Relaxed);
            chunk[..2].copy_from_slice(b"aa");
        }
        if framing == Framing::Chunked {
            tx.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let answer = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            if let Some(a) = parse(&raw) {
                return a;
            }
            match rx.read(&mut buf).await {
                Ok(0) | Err(_) => return parse(&raw).expect("the server answered before closing"),
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server answers within two minutes");
    // Once answered the writer is not waited for: the server may never read the rest.
    writer.abort();
    Answer {
        sent: progress.load(Ordering::Relaxed),
        ..answer
    }
}

/// A whole response (head and `Content-Length` body) from the bytes read so far.
fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body = raw.get(end + 4..end + 4 + length)?;
    Some(Answer {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
        headers,
        sent: 0,
    })
}
