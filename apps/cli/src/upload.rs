//! Resumable, parallel part uploads from a file on disk, through the shared upload engine
//! (`shared::upload`): this module gives it the file, HTTP with a rate cap, and a progress bar.
//!
//! The upload of a file is remembered under a fingerprint of (server, absolute path, size,
//! modification time). Run again after a crash or Ctrl-C, `upload` hands the remembered upload
//! to the engine, which asks the server which parts it holds (`get_upload`), sends only the
//! others and completes. A file that changed since is a different fingerprint, so stale parts
//! are never joined to new bytes.

use crate::profile::{Profile, write_private};
use crate::throttle::Throttle;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::future::LocalBoxFuture;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::client::Client;
pub use shared::upload::Part;
use shared::upload::{
    self as engine, Control, Event, FileSpec, Io, Options, PutError, UploadError,
};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What one `upload` asks for.
#[derive(Debug, Clone)]
pub struct UploadJob {
    pub file: PathBuf,
    pub title: String,
    pub description: Option<String>,
    pub parallel: usize,
    pub limit_rate: Option<u64>,
    pub show_progress: bool,
}

/// What is remembered of an upload in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Remembered {
    server: String,
    upload_id: String,
    video_id: String,
    path: PathBuf,
    size: u64,
}

/// The outcome of `upload`.
#[derive(Debug)]
pub struct Uploaded {
    pub video_id: String,
    /// Parts the server already held when this run started.
    pub resumed_parts: usize,
    pub total_parts: usize,
    /// How long `complete_upload` took (the server checking and joining the parts).
    pub completion: Duration,
}

fn fingerprint(server: &str, path: &Path, meta: &std::fs::Metadata) -> String {
    let modified = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(server.as_bytes());
    h.update([0]);
    h.update(path.as_os_str().as_encoded_bytes());
    h.update([0]);
    h.update(meta.len().to_le_bytes());
    h.update(modified.to_le_bytes());
    hex::encode(&h.finalize()[..16])
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("mp4" | "m4v") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("mkv") => "video/x-matroska",
        Some("webm") => "video/webm",
        Some("avi") => "video/x-msvideo",
        Some("ts" | "mts" | "m2ts") => "video/mp2t",
        _ => "application/octet-stream",
    }
}

/// Uploads a file, resuming an interrupted upload of the same file.
pub async fn upload(
    api: &Client,
    server: &str,
    profile: &Profile,
    job: UploadJob,
) -> Result<Uploaded> {
    let path = std::path::absolute(&job.file)
        .with_context(|| format!("resolving {}", job.file.display()))?;
    let meta = std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", path.display());
    }
    let size = meta.len();
    let state = profile.upload_state(&fingerprint(server, &path, &meta));
    let remembered = std::fs::read_to_string(&state)
        .ok()
        .and_then(|text| serde_json::from_str::<Remembered>(&text).ok())
        .filter(|r| r.server == server);

    let bar = if job.show_progress {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(truncate(&job.title, 24));

    let file = FileSpec {
        filename: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "video".into()),
        size,
        content_type: content_type(&path).into(),
        title: job.title.clone(),
        description: job.description.clone(),
    };
    let io = FileIo::new(&path, job.limit_rate)?;
    let options = Options {
        parallel: job.parallel.max(1),
        ..Options::default()
    };
    let on_event = |event: Event| match event {
        Event::Opened {
            upload_id,
            video_id,
            resumed_parts,
            parts,
        } => {
            if resumed_parts > 0 {
                say(
                    &bar,
                    format!(
                        "resuming upload {upload_id}: {resumed_parts} of {parts} parts already on the server"
                    ),
                );
            }
            let r = Remembered {
                server: server.to_owned(),
                upload_id,
                video_id,
                path: path.clone(),
                size,
            };
            if let Ok(json) = serde_json::to_vec_pretty(&r)
                && let Err(e) = write_private(&state, &json)
            {
                say(
                    &bar,
                    format!("could not remember the upload for a resume: {e}"),
                );
            }
        }
        Event::Progress(p) => bar.set_position(p.sent),
        Event::Retrying { part, attempt, why } => say(
            &bar,
            format!("part {part}: {why}; retrying (attempt {})", attempt + 1),
        ),
        Event::Completing => bar.set_message("joining the parts"),
    };
    let done = engine::upload(
        api,
        &io,
        &file,
        remembered.as_ref().map(|r| r.upload_id.as_str()),
        options,
        &Control::default(),
        &on_event,
    )
    .await;
    bar.finish_and_clear();
    let done = match done {
        Ok(done) => done,
        Err(e @ UploadError::Api { .. }) if remembered.is_none() => {
            bail!("the server refused the upload: {e}")
        }
        // Parts the server holds stay there: the same command picks them up again.
        Err(e) => bail!("{e}"),
    };
    let _ = std::fs::remove_file(&state);
    Ok(Uploaded {
        video_id: done.video_id,
        resumed_parts: done.resumed_parts,
        total_parts: done.parts,
        completion: Duration::from_secs_f64(done.completion_ms / 1000.0),
    })
}

/// A message above the progress bar, or on stderr when there is no bar.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

/// PUTs parts of `path` to their URLs, `parallel` at a time, with the engine's retries, and
/// returns each part's ETag in the order they finished.
pub async fn send_parts(
    path: &Path,
    parts: Vec<Part>,
    parallel: usize,
) -> Result<Vec<(u32, String)>> {
    let io = FileIo::new(path, None)?;
    let total = parts.iter().map(|p| p.end - p.start).sum();
    let options = Options {
        parallel: parallel.max(1),
        ..Options::default()
    };
    let sent = engine::send(&io, parts, 0, total, options, &Control::default(), &|_| {}).await?;
    Ok(sent.into_iter().map(|p| (p.number, p.etag)).collect())
}

/// A file on disk and reqwest: what the upload engine needs from this platform.
pub struct FileIo {
    path: PathBuf,
    http: reqwest::Client,
    throttle: Option<Arc<Throttle>>,
    started: Instant,
}

impl FileIo {
    /// Reads `path`, sending at most `limit_rate` bytes per second across all parts.
    pub fn new(path: &Path, limit_rate: Option<u64>) -> Result<FileIo> {
        Ok(FileIo {
            path: path.to_owned(),
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(120))
                .build()?,
            throttle: limit_rate.map(|r| Arc::new(Throttle::new(r))),
            started: Instant::now(),
        })
    }
}

impl Io for FileIo {
    fn put_part<'a>(
        &'a self,
        part: &'a Part,
        sent: &'a dyn Fn(u64),
    ) -> LocalBoxFuture<'a, Result<String, PutError>> {
        Box::pin(async move {
            let path = self.path.clone();
            let (start, end) = (part.start, part.end);
            let body = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
                let mut f = std::fs::File::open(&path)?;
                f.seek(SeekFrom::Start(start))?;
                let mut buf = vec![0u8; (end - start) as usize];
                f.read_exact(&mut buf)?;
                Ok(buf)
            })
            .await
            .map_err(|e| PutError::Read(e.to_string()))?
            .map_err(|e| PutError::Read(format!("{}: {e}", self.path.display())))?;
            let len = body.len() as u64;
            // The body streams in chunks that keep to the rate; their count comes back here,
            // where progress is told, every tenth of a second.
            let counted = Arc::new(AtomicU64::new(0));
            let stream = chunks(Bytes::from(body), self.throttle.clone(), counted.clone());
            let request = self
                .http
                .put(&part.url)
                .header(reqwest::header::CONTENT_LENGTH, len)
                .body(reqwest::Body::wrap_stream(stream))
                .send();
            let mut request = std::pin::pin!(request);
            let mut told = 0;
            let mut tell = || {
                let now = counted.load(Ordering::Relaxed);
                if now > told {
                    sent(now - told);
                    told = now;
                }
            };
            let result = loop {
                let tick = Box::pin(tokio::time::sleep(Duration::from_millis(100)));
                match futures::future::select(request.as_mut(), tick).await {
                    futures::future::Either::Left((r, _)) => break r,
                    futures::future::Either::Right(_) => tell(),
                }
            };
            tell();
            match result {
                Ok(r) if r.status().is_success() => r
                    .headers()
                    .get("etag")
                    .and_then(|e| e.to_str().ok())
                    .map(str::to_owned)
                    .ok_or_else(|| PutError::Retry("the server sent no ETag".to_owned())),
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    Err(PutError::Retry(format!("HTTP {}", r.status())))
                }
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    Err(PutError::Refused(format!(
                        "HTTP {status} {}",
                        text.chars().take(300).collect::<String>()
                    )))
                }
                Err(e) => Err(PutError::Retry(e.to_string())),
            }
        })
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(Duration::from_millis(ms)))
    }

    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

/// The part as a stream of 256 KiB chunks that counts what left and keeps to the rate.
fn chunks(
    data: Bytes,
    throttle: Option<Arc<Throttle>>,
    counted: Arc<AtomicU64>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    const CHUNK: usize = 256 * 1024;
    futures::stream::unfold(0usize, move |at| {
        let data = data.clone();
        let throttle = throttle.clone();
        let counted = counted.clone();
        async move {
            if at >= data.len() {
                return None;
            }
            let end = (at + CHUNK).min(data.len());
            if let Some(t) = &throttle {
                let wait = t.delay_for((end - at) as u64);
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            counted.fetch_add((end - at) as u64, Ordering::Relaxed);
            Some((Ok(data.slice(at..end)), end))
        }
    })
}
