//! Fetching one file of a download to disk, resuming a partial file when the server's copy is
//! still the one it started (`If-Range` with the ETag it gave), from the start otherwise.

use super::manifest::Entry;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use tokio::io::AsyncWriteExt;

/// What a running download is told through its control byte.
pub const RUN: u8 = 0;
pub const PAUSE: u8 = 1;
pub const CANCEL: u8 = 2;

#[derive(Debug)]
pub enum Failure {
    /// Paused or cancelled.
    Stopped,
    /// The signed link expired: ask for fresh ones and go on.
    Expired,
    /// Anything else, in words for the user.
    Other(String),
}

/// Fetches `url` into `dir/entry.path`, adding to `received` what is in of it while it runs
/// (and taking it back when it ends: a finished file counts through its entry). A partial file
/// (`.part`) resumes with `Range` when its ETag still matches.
pub async fn file(
    http: &reqwest::Client,
    url: &str,
    dir: &Path,
    entry: &mut Entry,
    control: &Arc<AtomicU8>,
    received: &Arc<AtomicU64>,
) -> Result<(), Failure> {
    let dest = dir.join(&entry.path);
    let part = dest.with_extension(format!(
        "{}.part",
        dest.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    if let Some(parent) = dest.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Failure::Other(format!("could not write the download: {e}")))?;
    }
    let have = tokio::fs::metadata(&part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let mut from = if entry.etag.is_some() { have } else { 0 };
    let (mut response, resumed) = loop {
        let mut request = http.get(url);
        if from > 0
            && let Some(etag) = &entry.etag
        {
            request = request
                .header(reqwest::header::RANGE, format!("bytes={from}-"))
                .header(reqwest::header::IF_RANGE, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Other(format!("the server could not be reached: {e}")))?;
        let status = response.status();
        if status == reqwest::StatusCode::FORBIDDEN {
            return Err(Failure::Expired);
        }
        if !status.is_success() {
            return Err(Failure::Other(format!(
                "the server answered HTTP {} for {}",
                status.as_u16(),
                entry.path
            )));
        }
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // 206 continues the partial file only if it is still the server's copy (a server that
        // ignores If-Range says so by another ETag); 200 starts again.
        let resumed = from > 0 && status == reqwest::StatusCode::PARTIAL_CONTENT;
        if resumed && etag != entry.etag {
            from = 0;
            continue;
        }
        entry.etag = etag;
        break (response, resumed);
    };
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(&part)
        .await
        .map_err(|e| Failure::Other(format!("could not write the download: {e}")))?;
    // Each write of a tokio file is a trip to the blocking pool: write a megabyte at a time,
    // not every network chunk.
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut size = if resumed { from } else { 0 };
    entry.size = size;
    let counted = Counted::new(received, size);
    loop {
        if control.load(Ordering::Relaxed) != RUN {
            let _ = out.flush().await;
            return Err(Failure::Stopped);
        }
        let chunk = response
            .chunk()
            .await
            .map_err(|e| Failure::Other(format!("the download was cut off: {e}")))?;
        let Some(chunk) = chunk else { break };
        out.write_all(&chunk)
            .await
            .map_err(|e| Failure::Other(format!("could not write the download: {e}")))?;
        size += chunk.len() as u64;
        entry.size = size;
        counted.add(chunk.len() as u64);
    }
    out.flush()
        .await
        .map_err(|e| Failure::Other(format!("could not write the download: {e}")))?;
    drop(out);
    tokio::fs::rename(&part, &dest)
        .await
        .map_err(|e| Failure::Other(format!("could not write the download: {e}")))?;
    entry.done = true;
    Ok(())
}

/// Bytes of a file in flight, counted into a download's total and taken back on every way out.
struct Counted<'a> {
    total: &'a AtomicU64,
    mine: std::cell::Cell<u64>,
}

impl<'a> Counted<'a> {
    fn new(total: &'a AtomicU64, start: u64) -> Self {
        total.fetch_add(start, Ordering::Relaxed);
        Counted {
            total,
            mine: std::cell::Cell::new(start),
        }
    }

    fn add(&self, n: u64) {
        self.total.fetch_add(n, Ordering::Relaxed);
        self.mine.set(self.mine.get() + n);
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.total.fetch_sub(self.mine.get(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::listener::{Acceptor, Listener};

    /// A plain file server (no If-Range support, like many) over `dir`.
    async fn serve(dir: &Path) -> String {
        let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let app = poem::endpoint::StaticFilesEndpoint::new(dir.to_owned());
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
        format!("http://{addr}")
    }

    fn entry() -> Entry {
        Entry {
            path: "360p/seg_00000.m4s".into(),
            done: false,
            size: 0,
            etag: None,
        }
    }

    #[tokio::test]
    async fn a_partial_file_resumes_only_while_the_server_has_the_same_copy() {
        let served = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(served.path().join("seg"), &body).unwrap();
        let url = format!("{}/seg", serve(served.path()).await);
        let http = reqwest::Client::new();
        let (run, got) = (Arc::new(AtomicU8::new(RUN)), Arc::new(AtomicU64::new(0)));
        let kept = tempfile::tempdir().unwrap();
        let dest = kept.path().join("360p/seg_00000.m4s");
        let part = kept.path().join("360p/seg_00000.m4s.part");

        // Whole.
        let mut e = entry();
        file(&http, &url, kept.path(), &mut e, &run, &got)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), body);
        assert!(e.done && e.size == body.len() as u64 && e.etag.is_some());

        // Cut off after 70,000 bytes, then resumed with the ETag it had: the rest is appended.
        std::fs::remove_file(&dest).unwrap();
        std::fs::write(&part, &body[..70_000]).unwrap();
        let mut resumed = Entry {
            done: false,
            ..e.clone()
        };
        file(&http, &url, kept.path(), &mut resumed, &run, &got)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), body);

        // The server's copy changed meanwhile: the partial file is not trusted.
        std::fs::remove_file(&dest).unwrap();
        std::fs::write(&part, vec![0xEE; 70_000]).unwrap();
        let mut stale = Entry {
            done: false,
            etag: Some("\"not-the-same\"".into()),
            ..e.clone()
        };
        file(&http, &url, kept.path(), &mut stale, &run, &got)
            .await
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), body);
        assert_eq!(stale.etag, e.etag);

        // A pause stops it and keeps what is in for later.
        let paused = Arc::new(AtomicU8::new(PAUSE));
        let mut stopped = entry();
        let r = file(&http, &url, kept.path(), &mut stopped, &paused, &got).await;
        assert!(matches!(r, Err(Failure::Stopped)), "{r:?}");
        assert!(!stopped.done);
    }
}
