//! Resumable, parallel part uploads.
//!
//! The upload of a file is remembered under a fingerprint of (server, absolute path, size,
//! modification time). Run again after a crash or Ctrl-C, `upload` asks the server which parts
//! it holds (`get_upload`), sends only the others and completes. A file that changed since is
//! a different fingerprint, so stale parts are never joined to new bytes.

use crate::profile::{Profile, write_private};
use crate::throttle::Throttle;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::client::{self, Client, types};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

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

fn describe(e: &client::Error<types::ErrorBody>) -> String {
    let (status, code, message) = client::error_code(e);
    match status {
        Some(s) => format!("{message} ({code}, HTTP {s})"),
        None => message,
    }
}

/// An open upload on the server: where its parts go and which it holds.
struct Open {
    upload_id: String,
    video_id: String,
    part_size: u64,
    urls: BTreeMap<u32, String>,
    held: BTreeMap<u32, (u64, String)>,
}

/// Finds the remembered upload of this file if the server still takes its parts.
async fn resume(api: &Client, state: &Path, server: &str) -> Result<Option<Open>> {
    let Ok(text) = std::fs::read_to_string(state) else {
        return Ok(None);
    };
    let Ok(r) = serde_json::from_str::<Remembered>(&text) else {
        let _ = std::fs::remove_file(state);
        return Ok(None);
    };
    if r.server != server {
        return Ok(None);
    }
    let status = match api.get_upload(&r.upload_id).await {
        Ok(s) => s.into_inner(),
        Err(e) if e.status().is_some_and(|s| s.as_u16() == 404) => {
            let _ = std::fs::remove_file(state);
            return Ok(None);
        }
        Err(e) => bail!(
            "asking the server about the earlier upload: {}",
            describe(&e)
        ),
    };
    match status.state {
        types::UploadState::Open => Ok(Some(Open {
            upload_id: status.upload_id,
            video_id: status.video_id,
            part_size: status.part_size,
            urls: status
                .parts
                .into_iter()
                .map(|p| (p.number, p.url))
                .collect(),
            held: status
                .received
                .into_iter()
                .map(|p| (p.number, (p.size, p.etag)))
                .collect(),
        })),
        // Completed by the earlier run, which stopped before it could forget it.
        types::UploadState::Completed | types::UploadState::Completing => Ok(Some(Open {
            upload_id: status.upload_id,
            video_id: status.video_id,
            part_size: status.part_size,
            urls: BTreeMap::new(),
            held: BTreeMap::new(),
        })),
        _ => {
            let _ = std::fs::remove_file(state);
            Ok(None)
        }
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

    let open = match resume(api, &state, server).await? {
        Some(open) if open.urls.is_empty() => {
            // Already complete.
            let _ = std::fs::remove_file(&state);
            return Ok(Uploaded {
                video_id: open.video_id,
                resumed_parts: 0,
                total_parts: 0,
                completion: Duration::ZERO,
            });
        }
        Some(open) => open,
        None => {
            let filename = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "video".into());
            let created = api
                .create_upload(&types::CreateUploadRequest {
                    filename,
                    size,
                    content_type: content_type(&path).into(),
                    title: job.title.clone(),
                    description: job.description.clone(),
                })
                .await
                .map_err(|e| anyhow::anyhow!("the server refused the upload: {}", describe(&e)))?
                .into_inner();
            let remembered = Remembered {
                server: server.to_owned(),
                upload_id: created.upload_id.clone(),
                video_id: created.video_id.clone(),
                path: path.clone(),
                size,
            };
            write_private(&state, &serde_json::to_vec_pretty(&remembered)?)?;
            Open {
                upload_id: created.upload_id,
                video_id: created.video_id,
                part_size: created.part_size,
                urls: created
                    .parts
                    .into_iter()
                    .map(|p| (p.number, p.url))
                    .collect(),
                held: BTreeMap::new(),
            }
        }
    };

    let total_parts = open.urls.len();
    let expected = |n: u32| -> u64 {
        let start = u64::from(n - 1) * open.part_size;
        open.part_size.min(size - start)
    };
    // Parts the server holds at the right size are kept; anything else is sent (again).
    let kept: BTreeMap<u32, String> = open
        .held
        .iter()
        .filter(|(n, (sz, _))| open.urls.contains_key(n) && *sz == expected(**n))
        .map(|(n, (_, etag))| (*n, etag.clone()))
        .collect();
    let resumed_parts = kept.len();
    let kept_bytes: u64 = kept.keys().map(|n| expected(*n)).sum();

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
    bar.set_position(kept_bytes);
    if resumed_parts > 0 {
        say(
            &bar,
            format!(
                "resuming upload {}: {resumed_parts} of {total_parts} parts already on the server",
                open.upload_id
            ),
        );
    }

    let throttle = job.limit_rate.map(|r| Arc::new(Throttle::new(r)));
    let todo: Vec<PartTarget> = open
        .urls
        .iter()
        .filter(|(n, _)| !kept.contains_key(n))
        .map(|(n, u)| PartTarget {
            number: *n,
            url: u.clone(),
            offset: u64::from(n - 1) * open.part_size,
            len: expected(*n),
        })
        .collect();
    let sent = send_parts(&path, todo, job.parallel, &bar, throttle).await?;
    bar.finish_and_clear();

    let mut parts: BTreeMap<u32, String> = kept;
    parts.extend(sent);
    let parts = parts
        .into_iter()
        .map(|(number, etag)| types::CompletedPart { number, etag })
        .collect();
    let completing = std::time::Instant::now();
    api.complete_upload(&open.upload_id, &types::CompleteUploadRequest { parts })
        .await
        .map_err(|e| anyhow::anyhow!("completing the upload: {}", describe(&e)))?;
    let completion = completing.elapsed();
    let _ = std::fs::remove_file(&state);
    Ok(Uploaded {
        video_id: open.video_id,
        resumed_parts,
        total_parts,
        completion,
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

/// One part of a file and the URL it goes to.
#[derive(Debug, Clone)]
pub struct PartTarget {
    pub number: u32,
    pub url: String,
    pub offset: u64,
    pub len: u64,
}

/// PUTs parts of `path` to their URLs, `parallel` at a time, and returns each part's ETag.
pub async fn send_parts(
    path: &Path,
    parts: Vec<PartTarget>,
    parallel: usize,
    bar: &ProgressBar,
    throttle: Option<Arc<Throttle>>,
) -> Result<Vec<(u32, String)>> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(120))
        .build()?;
    futures::stream::iter(parts)
        .map(|p| {
            let http = http.clone();
            let bar = bar.clone();
            let throttle = throttle.clone();
            async move {
                let etag = send_part(&http, &p.url, path, p.offset, p.len, &bar, throttle).await?;
                anyhow::Ok((p.number, etag))
            }
        })
        .buffer_unordered(parallel.max(1))
        .try_collect()
        .await
}

/// Reads a part from the file and PUTs it, retrying transient failures with backoff.
async fn send_part(
    http: &reqwest::Client,
    url: &str,
    path: &Path,
    offset: u64,
    len: u64,
    bar: &ProgressBar,
    throttle: Option<Arc<Throttle>>,
) -> Result<String> {
    let data = {
        let file = path.to_owned();
        tokio::task::spawn_blocking(move || -> std::io::Result<Bytes> {
            let mut f = std::fs::File::open(&file)?;
            f.seek(SeekFrom::Start(offset))?;
            let mut buf = vec![0u8; len as usize];
            f.read_exact(&mut buf)?;
            Ok(Bytes::from(buf))
        })
        .await?
        .with_context(|| format!("reading {}", path.display()))?
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let body = chunks(data.clone(), bar.clone(), throttle.clone(), counted.clone());
        let result = http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await;
        let retry_in = Duration::from_millis(500 << attempt.min(5));
        let outcome: Result<(), String> = match result {
            Ok(r) if r.status().is_success() => match r.headers().get("etag") {
                Some(e) => return Ok(e.to_str().unwrap_or_default().to_owned()),
                None => Err("the server sent no ETag".to_owned()),
            },
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                Err(format!("HTTP {}", r.status()))
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                bail!(
                    "the server refused part at offset {offset}: HTTP {status} {}",
                    text.chars().take(300).collect::<String>()
                );
            }
            Err(e) => Err(e.to_string()),
        };
        // Take back the progress of the failed attempt.
        bar.dec(counted.load(std::sync::atomic::Ordering::Relaxed));
        if let Err(why) = outcome {
            if attempt >= 6 {
                bail!("sending the part at offset {offset} failed {attempt} times: {why}");
            }
            say(bar, format!("part at offset {offset}: {why}; retrying"));
            tokio::time::sleep(retry_in).await;
        }
    }
}

/// The part as a stream of 256 KiB chunks that moves the progress bar and keeps to the rate.
fn chunks(
    data: Bytes,
    bar: ProgressBar,
    throttle: Option<Arc<Throttle>>,
    counted: Arc<std::sync::atomic::AtomicU64>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    const CHUNK: usize = 256 * 1024;
    futures::stream::unfold(0usize, move |at| {
        let data = data.clone();
        let bar = bar.clone();
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
            let n = (end - at) as u64;
            bar.inc(n);
            counted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            Some((Ok(data.slice(at..end)), end))
        }
    })
}
