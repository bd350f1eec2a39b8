//! The upload engine every client uses (the CLI, the Studio in the browser, the tests): part
//! arithmetic, resuming what the server already holds (`get_upload`), parts sent in parallel
//! with retries and backoff, pause, cancel (`abort_upload`) and progress (bytes, rate, ETA).
//!
//! The platform supplies only what differs ([`Io`]): sending bytes `a..b` of the file to a
//! part's URL, a timer and a clock. Reading and sending are one call so that a platform can
//! stream the range from the file without holding it: a browser hands fetch a slice of the
//! picked file, which never enters the page's memory (copying every part into wasm and back
//! out made the Studio upload at less than half the CLI's speed). Nothing here needs a thread
//! or `Send`, so the same engine runs in a browser (wasm32) and natively.

use crate::client::{self, Client, types};
use futures::future::LocalBoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Why sending a part failed.
#[derive(Debug, Clone, PartialEq)]
pub enum PutError {
    /// Worth another try: the network, a timeout, a 5xx or 429.
    Retry(String),
    /// The receiver refused the part (a 4xx): trying again would not help.
    Refused(String),
    /// The file could not be read.
    Read(String),
}

/// What the platform does for the engine.
pub trait Io {
    /// PUTs bytes `part.start..part.end` of the file to `part.url` and returns the part's
    /// ETag. `sent` is told of bytes as they leave (at the latest, all of them once the part
    /// is sent), so progress moves within a part.
    fn put_part<'a>(
        &'a self,
        part: &'a Part,
        sent: &'a dyn Fn(u64),
    ) -> LocalBoxFuture<'a, Result<String, PutError>>;
    /// Resolves after `ms` milliseconds.
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()>;
    /// Milliseconds by a clock that does not go back.
    fn now_ms(&self) -> f64;
}

/// The file to upload, as `create_upload` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    pub filename: String,
    pub size: u64,
    pub content_type: String,
    pub title: String,
    pub description: Option<String>,
}

/// How the engine sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Parts in flight at once.
    pub parallel: usize,
    /// Tries of one part before the upload fails.
    pub attempts: u32,
    /// The first retry's wait; each next one doubles it (up to 32 times).
    pub backoff_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            parallel: 4,
            attempts: 6,
            backoff_ms: 500,
        }
    }
}

/// Pauses, resumes and cancels an upload from outside it (a button, Ctrl-C). Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Control {
    paused: Arc<AtomicBool>,
    cancelled: Arc<AtomicBool>,
}

impl Control {
    /// No new part starts; those in flight finish.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }
    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
    /// Stops sending and aborts the upload on the server.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Bytes on the server or on their way, of `total`.
    pub sent: u64,
    pub total: u64,
    /// Bytes per second sent by this run.
    pub rate: f64,
    /// Seconds left at that rate, once there is one.
    pub eta_s: Option<f64>,
    pub paused: bool,
}

/// What happens, in order, for the platform to show or remember.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The upload the parts go to: remember `upload_id` to resume it after a restart.
    Opened {
        upload_id: String,
        video_id: String,
        /// Parts the server already held (a resumed upload), of `parts`.
        resumed_parts: usize,
        parts: usize,
    },
    Progress(Progress),
    /// A part failed and is tried again after a pause.
    Retrying {
        part: u32,
        attempt: u32,
        why: String,
    },
    /// Every part is sent; the server checks and joins them.
    Completing,
}

/// Why an upload stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadError {
    /// The api refused (its error code and message).
    Api { code: String, message: String },
    /// The file could not be read.
    Read(String),
    /// A part could not be sent.
    Part { number: u32, why: String },
    /// Cancelled: the upload was aborted on the server.
    Cancelled,
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::Api { code, message } => write!(f, "{message} ({code})"),
            UploadError::Read(why) => write!(f, "the file could not be read: {why}"),
            UploadError::Part { number, why } => write!(f, "part {number} failed: {why}"),
            UploadError::Cancelled => f.write_str("the upload was cancelled"),
        }
    }
}

impl std::error::Error for UploadError {}

impl From<client::Error<types::ErrorBody>> for UploadError {
    fn from(e: client::Error<types::ErrorBody>) -> Self {
        let (_, code, message) = client::error_code(&e);
        UploadError::Api { code, message }
    }
}

/// A finished upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Uploaded {
    pub upload_id: String,
    pub video_id: String,
    /// Parts the server held already when this run started, of `parts`.
    pub resumed_parts: usize,
    pub parts: usize,
    /// Milliseconds `complete_upload` took (the server checking and joining the parts).
    pub completion_ms: f64,
}

/// One part: its number, where it goes, and which bytes of the file it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub number: u32,
    pub url: String,
    pub start: u64,
    pub end: u64,
}

/// The length of part `number` (from 1) of a `size`-byte file cut in `part_size` pieces.
pub fn part_len(number: u32, part_size: u64, size: u64) -> u64 {
    let start = u64::from(number.saturating_sub(1)) * part_size;
    part_size.min(size.saturating_sub(start))
}

/// The parts still to send: every URL whose part the server does not hold whole (a part held
/// at another size is sent again).
pub fn remaining(
    urls: &[types::PartUrl],
    held: &[types::ReceivedPart],
    part_size: u64,
    size: u64,
) -> (Vec<Part>, Vec<types::CompletedPart>) {
    let kept: BTreeMap<u32, String> = held
        .iter()
        .filter(|p| {
            p.size == part_len(p.number, part_size, size)
                && urls.iter().any(|u| u.number == p.number)
        })
        .map(|p| (p.number, p.etag.clone()))
        .collect();
    let todo = urls
        .iter()
        .filter(|u| !kept.contains_key(&u.number))
        .map(|u| {
            let start = u64::from(u.number - 1) * part_size;
            Part {
                number: u.number,
                url: u.url.clone(),
                start,
                end: start + part_len(u.number, part_size, size),
            }
        })
        .collect();
    let kept = kept
        .into_iter()
        .map(|(number, etag)| types::CompletedPart { number, etag })
        .collect();
    (todo, kept)
}

/// An upload the server takes parts for.
struct Open {
    upload_id: String,
    video_id: String,
    todo: Vec<Part>,
    kept: Vec<types::CompletedPart>,
    parts: usize,
}

/// Uploads a file: resumes `resume` (an upload id remembered from an earlier run) when the
/// server still takes its parts for a file of this size, else opens a new upload; sends what
/// the server lacks and completes it.
pub async fn upload(
    api: &Client,
    io: &dyn Io,
    file: &FileSpec,
    resume: Option<&str>,
    options: Options,
    control: &Control,
    on_event: &dyn Fn(Event),
) -> Result<Uploaded, UploadError> {
    let earlier = match resume {
        Some(id) => reopen(api, id, file.size).await?,
        None => None,
    };
    let open = match earlier {
        Some(Reopened::Done(video_id)) => {
            return Ok(Uploaded {
                upload_id: resume.unwrap_or_default().to_owned(),
                video_id,
                resumed_parts: 0,
                parts: 0,
                completion_ms: 0.0,
            });
        }
        Some(Reopened::Open(open)) => open,
        None => {
            let created = api
                .create_upload(&types::CreateUploadRequest {
                    filename: file.filename.clone(),
                    size: file.size,
                    content_type: file.content_type.clone(),
                    title: file.title.clone(),
                    description: file.description.clone(),
                })
                .await?
                .into_inner();
            Open {
                upload_id: created.upload_id,
                video_id: created.video_id,
                parts: created.parts.len(),
                todo: remaining(&created.parts, &[], created.part_size, file.size).0,
                kept: Vec::new(),
            }
        }
    };
    let resumed_parts = open.kept.len();
    on_event(Event::Opened {
        upload_id: open.upload_id.clone(),
        video_id: open.video_id.clone(),
        resumed_parts,
        parts: open.parts,
    });
    let already: u64 = file.size - open.todo.iter().map(|p| p.end - p.start).sum::<u64>();
    let sent = send(
        io, open.todo, already, file.size, options, control, on_event,
    )
    .await;
    let sent = match sent {
        Ok(sent) => sent,
        Err(UploadError::Cancelled) => {
            // Cancelling gives the server's room back; an abort that fails is swept later.
            let _ = api.abort_upload(&open.upload_id).await;
            return Err(UploadError::Cancelled);
        }
        Err(e) => return Err(e),
    };
    let mut parts = open.kept;
    parts.extend(sent);
    parts.sort_by_key(|p| p.number);
    on_event(Event::Completing);
    let started = io.now_ms();
    api.complete_upload(&open.upload_id, &types::CompleteUploadRequest { parts })
        .await?;
    Ok(Uploaded {
        upload_id: open.upload_id,
        video_id: open.video_id,
        resumed_parts,
        parts: open.parts,
        completion_ms: io.now_ms() - started,
    })
}

enum Reopened {
    Open(Open),
    /// Completed by the earlier run, which stopped before it could forget it.
    Done(String),
}

/// The remembered upload `id`, if it can go on: open and for a file of `size` bytes.
async fn reopen(api: &Client, id: &str, size: u64) -> Result<Option<Reopened>, UploadError> {
    let status = match api.get_upload(id).await {
        Ok(s) => s.into_inner(),
        // Gone (expired, aborted, someone else's): start again.
        Err(e) if e.status().is_some_and(|s| s.is_client_error()) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if status.size != size {
        return Ok(None);
    }
    Ok(match status.state {
        types::UploadState::Open => {
            let (todo, kept) = remaining(&status.parts, &status.received, status.part_size, size);
            Some(Reopened::Open(Open {
                upload_id: status.upload_id,
                video_id: status.video_id,
                parts: status.parts.len(),
                todo,
                kept,
            }))
        }
        types::UploadState::Completed | types::UploadState::Completing => {
            Some(Reopened::Done(status.video_id))
        }
        _ => None,
    })
}

/// Sends `parts`, `options.parallel` at a time, each tried up to `options.attempts` times with
/// doubling pauses, and returns their ETags. `already` bytes of `total` were sent before.
/// Pausing lets the parts in flight finish and starts no other until resumed; cancelling
/// stops at once with [`UploadError::Cancelled`].
pub async fn send(
    io: &dyn Io,
    parts: Vec<Part>,
    already: u64,
    total: u64,
    options: Options,
    control: &Control,
    on_event: &dyn Fn(Event),
) -> Result<Vec<types::CompletedPart>, UploadError> {
    let meter = Meter {
        io,
        control,
        on_event,
        started_ms: io.now_ms(),
        already,
        total,
        moved: Cell::new(0),
    };
    meter.report();
    let mut queue = parts.into_iter();
    let mut flying = FuturesUnordered::new();
    let mut done = Vec::new();
    loop {
        if control.is_cancelled() {
            return Err(UploadError::Cancelled);
        }
        while !control.is_paused() && flying.len() < options.parallel.max(1) {
            match queue.next() {
                Some(part) => flying.push(send_part(&meter, part, options)),
                None => break,
            }
        }
        if flying.is_empty() {
            if queue.len() == 0 {
                return Ok(done);
            }
            // Paused with nothing in flight.
            meter.report();
            io.sleep(200).await;
            continue;
        }
        // Wake up now and then to see a cancel or a pause while parts are in flight.
        match futures::future::select(flying.next(), io.sleep(250)).await {
            futures::future::Either::Left((Some(result), _)) => {
                done.push(result?);
                meter.report();
            }
            futures::future::Either::Left((None, _)) | futures::future::Either::Right(_) => {}
        }
    }
}

/// Counts bytes as they go and turns them into progress events.
struct Meter<'a> {
    io: &'a dyn Io,
    control: &'a Control,
    on_event: &'a dyn Fn(Event),
    started_ms: f64,
    already: u64,
    total: u64,
    /// Bytes this run moved (taken back when an attempt fails).
    moved: Cell<u64>,
}

impl Meter<'_> {
    fn report(&self) {
        let moved = self.moved.get();
        let secs = (self.io.now_ms() - self.started_ms) / 1000.0;
        let rate = if secs > 0.0 { moved as f64 / secs } else { 0.0 };
        let sent = (self.already + moved).min(self.total);
        let eta_s = (rate > 0.0).then(|| (self.total - sent) as f64 / rate);
        (self.on_event)(Event::Progress(Progress {
            sent,
            total: self.total,
            rate,
            eta_s,
            paused: self.control.is_paused(),
        }));
    }
}

async fn send_part(
    meter: &Meter<'_>,
    part: Part,
    options: Options,
) -> Result<types::CompletedPart, UploadError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let counted = Rc::new(Cell::new(0u64));
        let tally = {
            let counted = counted.clone();
            move |n: u64| {
                counted.set(counted.get() + n);
                meter.moved.set(meter.moved.get() + n);
                meter.report();
            }
        };
        let result = meter.io.put_part(&part, &tally).await;
        // What the put did not report (or reported twice) is set right now that it is over.
        let reported = counted.get();
        meter.moved.set(meter.moved.get().saturating_sub(reported));
        let why = match result {
            Ok(etag) => {
                meter.moved.set(meter.moved.get() + (part.end - part.start));
                return Ok(types::CompletedPart {
                    number: part.number,
                    etag,
                });
            }
            Err(PutError::Refused(why)) => {
                return Err(UploadError::Part {
                    number: part.number,
                    why,
                });
            }
            Err(PutError::Read(why)) => return Err(UploadError::Read(why)),
            Err(PutError::Retry(why)) => why,
        };
        meter.report();
        if attempt >= options.attempts || meter.control.is_cancelled() {
            return Err(UploadError::Part {
                number: part.number,
                why: format!("{why} (tried {attempt} times)"),
            });
        }
        (meter.on_event)(Event::Retrying {
            part: part.number,
            attempt,
            why,
        });
        meter
            .io
            .sleep(options.backoff_ms << (attempt - 1).min(5))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(number: u32) -> types::PartUrl {
        types::PartUrl {
            number,
            url: format!("https://store/p{number}"),
        }
    }

    fn held(number: u32, size: u64) -> types::ReceivedPart {
        types::ReceivedPart {
            number,
            size,
            etag: format!("\"e{number}\""),
        }
    }

    #[test]
    fn parts_cover_the_file_exactly() {
        assert_eq!(part_len(1, 10, 25), 10);
        assert_eq!(part_len(3, 10, 25), 5);
        assert_eq!(part_len(4, 10, 25), 0);
        let urls: Vec<_> = (1..=3).map(url).collect();
        let (todo, kept) = remaining(&urls, &[], 10, 25);
        assert!(kept.is_empty());
        let ranges: Vec<_> = todo.iter().map(|p| (p.start, p.end)).collect();
        assert_eq!(ranges, [(0, 10), (10, 20), (20, 25)]);
    }

    #[test]
    fn a_resumed_upload_sends_only_what_the_server_lacks() {
        let urls: Vec<_> = (1..=3).map(url).collect();
        // Part 1 whole, part 2 cut short by a crash, part 9 not of this upload.
        let (todo, kept) = remaining(&urls, &[held(1, 10), held(2, 4), held(9, 10)], 10, 25);
        assert_eq!(
            kept,
            [types::CompletedPart {
                number: 1,
                etag: "\"e1\"".into()
            }]
        );
        assert_eq!(todo.iter().map(|p| p.number).collect::<Vec<_>>(), [2, 3]);
    }
}
