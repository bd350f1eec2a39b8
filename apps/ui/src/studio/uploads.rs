//! Uploads in the Studio: files picked together upload together, each through the shared
//! engine (`shared::upload`) with its own progress, pause, resume and cancel. The file is read
//! one part at a time through the platform, so memory holds a few parts however large it is.
//! An upload interrupted by a reload or a lost connection resumes when the same file is picked
//! again (its upload is remembered by name, size and date).

use super::live::{Live, REFUSED};
use super::picker::FilePicker;
use crate::session::Session;
use crate::{FileKind, PlatformHandle, Route};
use dioxus::html::FileData;
use dioxus::prelude::*;
use futures::future::LocalBoxFuture;
use shared::client::types;
use shared::upload::{self, Control, Progress};

/// Milliseconds between looks at a video being processed.
const POLL_MS: u32 = 1500;
/// How long an upload that has just finished waits for the socket before asking the api.
const SOCKET_GRACE_MS: u32 = 3000;

/// Where the Studio remembers the upload of a file, so picking the same file again after a
/// reload or a crash resumes it.
fn resume_key(file: &FileData) -> String {
    format!(
        "kino.upload.{}.{}.{}",
        file.size(),
        file.last_modified(),
        file.name()
    )
}

/// Parts sent at once (as the CLI sends them).
const PARALLEL_PARTS: usize = 4;

/// The platform, for the upload engine: the picked file's parts sent as the platform sends
/// them (a browser streams each slice of the file to fetch), the page's timers and clock.
struct StudioIo {
    platform: PlatformHandle,
    file: FileData,
}

impl upload::Io for StudioIo {
    fn put_part<'a>(
        &'a self,
        part: &'a upload::Part,
        sent: &'a dyn Fn(u64),
    ) -> LocalBoxFuture<'a, Result<String, upload::PutError>> {
        Box::pin(async move {
            let etag = self
                .platform
                .0
                .put_range(&self.file, part.start, part.end, &part.url)
                .await?;
            // fetch says nothing until the whole part is sent.
            sent(part.end - part.start);
            Ok(etag)
        })
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        self.platform.0.sleep(ms.min(u64::from(u32::MAX)) as u32)
    }

    fn now_ms(&self) -> f64 {
        self.platform.0.now_ms()
    }
}

/// Where one picked file stands.
#[derive(Clone, PartialEq)]
enum Status {
    /// Waiting for the creator to start it (and perhaps change its title).
    Ready,
    Uploading {
        progress: Progress,
        /// Parts already on the server when it resumed.
        resumed: usize,
    },
    Processing {
        video_id: String,
        state: String,
        /// Percent of the running transcode.
        progress: Option<f64>,
    },
    Done {
        video_id: String,
    },
    Failed(String),
    Cancelled,
}

/// One picked file and its upload.
#[derive(Clone)]
struct Job {
    key: String,
    file: FileData,
    title: Signal<String>,
    status: Signal<Status>,
    control: Control,
}

/// A job is its file's key and its signals: the same job renders the same.
impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.status == other.status && self.title == other.title
    }
}

/// The title a file gets until the creator gives it another: its name without extension.
fn default_title(name: &str) -> String {
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    let title: String = stem
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if title.is_empty() {
        "Untitled video".to_owned()
    } else {
        title.chars().take(200).collect()
    }
}

/// `1234567` bytes as `1.2 MB`.
fn bytes(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n if n >= 1e3 => format!("{:.0} KB", n / 1e3),
        n => format!("{n:.0} B"),
    }
}

#[component]
pub fn Uploads(changed: Signal<u32>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut jobs = use_signal(Vec::<Job>::new);
    let start = move |job: Job| {
        let platform = platform.clone();
        let mut changed = changed;
        spawn(async move {
            let Some(client) = session.client(&platform) else {
                return;
            };
            run(&platform, &client, job).await;
            changed += 1;
        });
    };
    let start_all = {
        let start = start.clone();
        move |evt: FormEvent| {
            evt.prevent_default();
            for job in jobs.peek().iter() {
                if *job.status.peek() == Status::Ready {
                    start(job.clone());
                }
            }
        }
    };
    let pending = jobs
        .read()
        .iter()
        .any(|j| *j.status.read() == Status::Ready);
    rsx! {
        form { class: "form uploads-form", onsubmit: start_all,
            label { r#for: "file", "Video files" }
            FilePicker { id: "file", kind: FileKind::Videos, accept: "video/*",
                on_pick: move |files: Vec<FileData>| {
                    let mut list = jobs.write();
                    for file in files {
                        let key = resume_key(&file);
                        // The same file picked twice is one upload.
                        if list.iter().any(|j| j.key == key && !matches!(*j.status.peek(), Status::Cancelled | Status::Failed(_))) {
                            continue;
                        }
                        list.push(Job {
                            key,
                            title: Signal::new(default_title(&file.name())),
                            file,
                            status: Signal::new(Status::Ready),
                            control: Control::default(),
                        });
                    }
                }
            }
            if !jobs.read().is_empty() {
                ul { class: "uploads",
                    for job in jobs.read().iter().cloned() {
                        UploadRow { key: "{job.key}", job }
                    }
                }
            }
            button { r#type: "submit", disabled: !pending, "Upload" }
        }
    }
}

#[component]
fn UploadRow(job: Job) -> Element {
    let mut title = job.title;
    let status = job.status.read().clone();
    let name = job.file.name();
    let size = bytes(job.file.size() as f64);
    let control = job.control.clone();
    let body = match status {
        Status::Ready => rsx! {
            label { class: "visually-hidden", r#for: "title-{job.key}", "Title of {name}" }
            input { id: "title-{job.key}", name: "title", required: true, maxlength: "200",
                value: "{title}", oninput: move |e| title.set(e.value()) }
        },
        Status::Uploading { progress, resumed } => {
            let pct = if progress.total == 0 {
                100.0
            } else {
                progress.sent as f64 * 100.0 / progress.total as f64
            };
            let speed = if progress.paused {
                "paused".to_owned()
            } else {
                let eta = progress
                    .eta_s
                    .map(|s| format!(", {} left", shared::duration_label(s.ceil())))
                    .unwrap_or_default();
                format!("{}/s{eta}", bytes(progress.rate))
            };
            let (pause_label, paused) = if progress.paused {
                ("Resume", true)
            } else {
                ("Pause", false)
            };
            let toggle = control.clone();
            let cancel = control.clone();
            rsx! {
                progress { max: "100", value: "{pct:.1}", aria_label: "Upload of {name}" }
                p { class: "status", "Uploading {pct:.0}% · {speed}" }
                if resumed > 0 {
                    p { class: "status resumed", "Resumed: {resumed} parts were already uploaded." }
                }
                div { class: "actions",
                    button { r#type: "button", class: "button secondary", aria_pressed: "{paused}",
                        onclick: move |_| if toggle.is_paused() { toggle.resume() } else { toggle.pause() },
                        "{pause_label}" }
                    button { r#type: "button", class: "button secondary", onclick: move |_| cancel.cancel(), "Cancel" }
                }
            }
        }
        Status::Processing {
            state,
            progress,
            video_id,
        } => {
            let pct = progress.map(|p| format!(" {p:.0}%")).unwrap_or_default();
            rsx! {
                if state == "published" {
                    p { class: "status",
                        "Playable now ("
                        Link { to: Route::Watch { id: video_id }, "watch it" }
                        "); making the other qualities…{pct}"
                    }
                } else {
                    p { class: "status", "Uploaded. Processing: {state}…{pct}" }
                }
            }
        }
        Status::Done { video_id } => rsx! {
            p { class: "status", "Published. " Link { to: Route::Watch { id: video_id }, "Watch it" } }
        },
        Status::Failed(e) => rsx! { p { class: "error", role: "alert", "{e}" } },
        Status::Cancelled => rsx! { p { class: "status", "Cancelled." } },
    };
    let ready = *job.status.read() == Status::Ready;
    rsx! {
        li { class: "upload",
            if ready {
                p { class: "upload-file", strong { "{name}" } span { class: "muted", " · {size}" } }
            } else {
                p { class: "upload-file", strong { "{title}" } span { class: "muted", " · {name} · {size}" } }
            }
            {body}
        }
    }
}

/// Uploads a job's file, then follows the video until it is published or fails.
async fn run(platform: &PlatformHandle, client: &shared::client::Client, job: Job) {
    let mut status = job.status;
    let video_id = match send(platform, client, &job).await {
        Ok(id) => id,
        Err(upload::UploadError::Cancelled) => {
            platform.0.save(&job.key, None);
            status.set(Status::Cancelled);
            return;
        }
        // The api's refusal in its own words (the code is for programs).
        Err(upload::UploadError::Api { message, .. }) => {
            status.set(Status::Failed(message));
            return;
        }
        Err(e) => {
            status.set(Status::Failed(e.to_string()));
            return;
        }
    };
    let live = Live::get();
    live.follow(&video_id);
    // A socket still connecting when a short upload ends gets a moment before the page asks.
    let mut grace = SOCKET_GRACE_MS / 250;
    while !live.is_up() && grace > 0 {
        platform.0.sleep(250).await;
        grace -= 1;
    }
    loop {
        // Live: the socket says where the video is; nothing is asked of the api meanwhile.
        let heard = live.latest(&video_id).filter(|u| u.state != REFUSED);
        if live.is_up()
            && let Some(u) = heard
        {
            match (u.state.as_str(), u.done) {
                ("failed", _) => {
                    let why = u.failure.unwrap_or_else(|| "processing failed".into());
                    status.set(Status::Failed(why));
                    return;
                }
                ("published", true) => {
                    status.set(Status::Done { video_id });
                    return;
                }
                (state, _) => status.set(Status::Processing {
                    video_id: video_id.clone(),
                    state: state.to_owned(),
                    progress: u.progress,
                }),
            }
            platform.0.sleep(250).await;
            continue;
        }
        if live.is_up() && live.latest(&video_id).is_none() {
            // Its first word is on the way (following again is free: the socket follows a
            // video once, and this one may have been asked for before the socket was open).
            live.follow(&video_id);
            platform.0.sleep(250).await;
            continue;
        }
        // The socket is down (or would not follow this video): ask.
        match client.get_video(&video_id).await.map(|r| r.into_inner()) {
            Ok(v) if v.state == types::VideoState::Published => {
                status.set(Status::Done { video_id });
                return;
            }
            Ok(v) if v.state == types::VideoState::Failed => {
                let why = v
                    .failure_reason
                    .unwrap_or_else(|| "processing failed".into());
                status.set(Status::Failed(why));
                return;
            }
            Ok(v) => status.set(Status::Processing {
                video_id: video_id.clone(),
                state: v.state.to_string(),
                progress: None,
            }),
            Err(e) => status.set(Status::Failed(shared::client::error_code(&e).2)),
        }
        platform.0.sleep(POLL_MS).await;
    }
}

/// Uploads the job's file through the shared engine, resuming the upload remembered for it.
async fn send(
    platform: &PlatformHandle,
    client: &shared::client::Client,
    job: &Job,
) -> Result<String, upload::UploadError> {
    let remembered = platform.0.load(&job.key);
    let spec = upload::FileSpec {
        filename: job.file.name(),
        size: job.file.size(),
        content_type: job
            .file
            .content_type()
            .unwrap_or_else(|| "application/octet-stream".into()),
        title: job.title.peek().trim().to_owned(),
        description: None,
    };
    let io = StudioIo {
        platform: platform.clone(),
        file: job.file.clone(),
    };
    let resumed = std::cell::Cell::new(0);
    let on_event = |event: upload::Event| {
        let mut status = job.status;
        match event {
            upload::Event::Opened {
                upload_id,
                resumed_parts,
                ..
            } => {
                platform.0.save(&job.key, Some(&upload_id));
                resumed.set(resumed_parts);
            }
            upload::Event::Progress(progress) => status.set(Status::Uploading {
                progress,
                resumed: resumed.get(),
            }),
            upload::Event::Retrying { .. } | upload::Event::Completing => {}
        }
    };
    let options = upload::Options {
        parallel: PARALLEL_PARTS,
        ..upload::Options::default()
    };
    let done = upload::upload(
        client,
        &io,
        &spec,
        remembered.as_deref(),
        options,
        &job.control,
        &on_event,
    )
    .await?;
    platform.0.save(&job.key, None);
    Ok(done.video_id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles_come_from_file_names() {
        assert_eq!(
            super::default_title("holiday_in-rome.mp4"),
            "holiday in rome"
        );
        assert_eq!(super::default_title(".mp4"), ".mp4");
        assert_eq!(super::default_title("talk"), "talk");
        assert_eq!(super::default_title("___.mov"), "Untitled video");
    }
}
