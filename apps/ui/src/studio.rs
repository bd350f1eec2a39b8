//! The creator's studio: upload a video with a progress bar, then follow its processing.
//!
//! Uploads go through the shared engine (`shared::upload`): the file is read one part at a time
//! (through the platform) and each part is sent to the URL `create_upload` handed out for it,
//! so memory holds one part however large the file is.

use crate::session::Session;
use crate::{PlatformHandle, Route};
use dioxus::html::FileData;
use dioxus::prelude::*;
use futures::future::LocalBoxFuture;
use shared::client::types;
use shared::upload;

#[derive(Clone, PartialEq)]
enum Phase {
    Idle,
    Uploading {
        sent: u64,
        total: u64,
        /// Parts already on the server when this upload resumed.
        resumed: usize,
    },
    Processing {
        video_id: String,
        state: String,
    },
    Done {
        video_id: String,
    },
    Failed(String),
}

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

/// Parts sent at once.
const PARALLEL_PARTS: usize = 3;

/// The browser, for the upload engine: the picked file read a part at a time, fetch for the
/// PUTs, the page's timers and clock.
struct BrowserIo {
    platform: PlatformHandle,
    file: FileData,
    http: reqwest::Client,
}

impl upload::Io for BrowserIo {
    fn read(&self, start: u64, end: u64) -> LocalBoxFuture<'_, Result<Vec<u8>, String>> {
        self.platform.0.read_range(&self.file, start, end)
    }

    fn put<'a>(
        &'a self,
        url: &'a str,
        body: Vec<u8>,
        sent: &'a dyn Fn(u64),
    ) -> LocalBoxFuture<'a, Result<String, upload::PutError>> {
        Box::pin(async move {
            let len = body.len() as u64;
            let r = self
                .http
                .put(url)
                .body(body)
                .send()
                .await
                .map_err(|e| upload::PutError::Retry(e.to_string()))?;
            let status = r.status();
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(upload::PutError::Retry(format!("HTTP {status}")));
            }
            if !status.is_success() {
                return Err(upload::PutError::Refused(format!(
                    "the server refused a part (HTTP {status})"
                )));
            }
            // fetch says nothing until the whole part is sent.
            sent(len);
            r.headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| upload::PutError::Retry("the server sent no ETag".to_owned()))
        })
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        self.platform.0.sleep(ms.min(u64::from(u32::MAX)) as u32)
    }

    fn now_ms(&self) -> f64 {
        self.platform.0.now_ms()
    }
}

/// Uploads `file` through the shared engine, resuming the upload remembered for it.
async fn upload(
    platform: &PlatformHandle,
    client: &shared::client::Client,
    file: FileData,
    title: String,
    description: String,
    phase: Signal<Phase>,
) -> Result<String, String> {
    let key = resume_key(&file);
    let remembered = platform.0.load(&key);
    let spec = upload::FileSpec {
        filename: file.name(),
        size: file.size(),
        content_type: file
            .content_type()
            .unwrap_or_else(|| "application/octet-stream".into()),
        title,
        description: Some(description).filter(|d| !d.trim().is_empty()),
    };
    let io = BrowserIo {
        platform: platform.clone(),
        file,
        http: reqwest::Client::new(),
    };
    let resumed = std::cell::Cell::new(0);
    let on_event = |event: upload::Event| {
        let mut phase = phase;
        match event {
            upload::Event::Opened {
                upload_id,
                resumed_parts,
                ..
            } => {
                platform.0.save(&key, Some(&upload_id));
                resumed.set(resumed_parts);
            }
            upload::Event::Progress(p) => phase.set(Phase::Uploading {
                sent: p.sent,
                total: p.total,
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
        &upload::Control::default(),
        &on_event,
    )
    .await
    .map_err(|e| e.to_string())?;
    platform.0.save(&key, None);
    Ok(done.video_id)
}

#[component]
pub fn Studio() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut title = use_signal(String::new);
    let mut description = use_signal(String::new);
    let mut file = use_signal(|| None::<FileData>);
    let phase = use_signal(|| Phase::Idle);

    let Some(client) = session.client(&platform) else {
        return rsx! {
            section { class: "form-page",
                h1 { "Studio" }
                p { "Sign in to upload videos." }
                Link { class: "button", to: crate::session::sign_in_then(&Route::Studio {}), "Sign in" }
            }
        };
    };

    let start = {
        let client = client.clone();
        let platform = platform.clone();
        move |evt: FormEvent| {
            evt.prevent_default();
            let client = client.clone();
            let platform = platform.clone();
            let mut phase = phase;
            async move {
                let Some(f) = file() else {
                    phase.set(Phase::Failed("choose a file first".into()));
                    return;
                };
                let video_id =
                    match upload(&platform, &client, f, title(), description(), phase).await {
                        Ok(id) => id,
                        Err(e) => {
                            phase.set(Phase::Failed(e));
                            return;
                        }
                    };
                // Follow processing until the video is published or fails.
                loop {
                    match client.get_video(&video_id).await.map(|r| r.into_inner()) {
                        Ok(v) if v.state == types::VideoState::Published => {
                            phase.set(Phase::Done { video_id });
                            return;
                        }
                        Ok(v) if v.state == types::VideoState::Failed => {
                            let why = v
                                .failure_reason
                                .unwrap_or_else(|| "processing failed".into());
                            phase.set(Phase::Failed(why));
                            return;
                        }
                        Ok(v) => phase.set(Phase::Processing {
                            video_id: video_id.clone(),
                            state: v.state.to_string(),
                        }),
                        Err(e) => phase.set(Phase::Failed(shared::client::error_code(&e).2)),
                    }
                    sleep_ms(1500).await;
                }
            }
        }
    };

    let busy = matches!(phase(), Phase::Uploading { .. } | Phase::Processing { .. });
    let status = match phase() {
        Phase::Idle => rsx! {},
        Phase::Uploading {
            sent,
            total,
            resumed,
        } => {
            let pct = if total == 0 {
                100.0
            } else {
                sent as f64 * 100.0 / total as f64
            };
            rsx! {
                progress { max: "100", value: "{pct:.1}" }
                p { class: "status", "Uploading… {pct:.0}% ({sent} of {total} bytes)" }
                if resumed > 0 {
                    p { class: "status resumed", "Resumed: {resumed} parts were already uploaded." }
                }
            }
        }
        Phase::Processing { state, .. } => {
            rsx! { p { class: "status", "Uploaded. Processing: {state}…" } }
        }
        Phase::Done { video_id } => rsx! {
            p { class: "status", "Published. " Link { to: Route::Watch { id: video_id }, "Watch it" } }
        },
        Phase::Failed(e) => rsx! { p { class: "error", role: "alert", "{e}" } },
    };

    rsx! {
        section { class: "form-page",
            h1 { "Upload a video" }
            form { class: "form", onsubmit: start,
                label { r#for: "file", "Video file" }
                input { id: "file", r#type: "file", accept: "video/*", required: true,
                    onchange: move |e| file.set(e.files().into_iter().next()) }
                label { r#for: "title", "Title" }
                input { id: "title", required: true, maxlength: "200", value: "{title}",
                    oninput: move |e| title.set(e.value()) }
                label { r#for: "description", "Description" }
                textarea { id: "description", rows: "4", value: "{description}",
                    oninput: move |e| description.set(e.value()) }
                button { r#type: "submit", disabled: busy, "Upload" }
            }
            {status}
        }
    }
}

/// Waits without blocking the page (no timer crate: a resolved JS promise per tick).
async fn sleep_ms(ms: u32) {
    let _ = document::eval(&format!(
        "await new Promise(r => setTimeout(r, {ms})); return 0;"
    ))
    .join::<i32>()
    .await;
}
