//! The creator's studio: upload a video with a progress bar, then follow its processing.
//!
//! The file is read one part at a time (through the platform) and each part is sent to the URL
//! `create_upload` handed out for it, so memory holds one part however large the file is.

use crate::session::Session;
use crate::{PlatformHandle, Route};
use dioxus::html::FileData;
use dioxus::prelude::*;
use shared::client::types;

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

async fn put_part(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Result<String, String> {
    let r = http
        .put(url)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("the server refused a part ({})", r.status()));
    }
    r.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| "the server sent no ETag for a part".to_owned())
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

/// An upload the server takes parts for: where they go and which it already holds.
struct OpenUpload {
    upload_id: String,
    video_id: String,
    part_size: u64,
    urls: Vec<types::PartUrl>,
    held: Vec<types::CompletedPart>,
}

/// The remembered upload of this file, if the server still takes its parts.
async fn resumable(
    platform: &PlatformHandle,
    client: &shared::client::Client,
    key: &str,
    total: u64,
) -> Option<OpenUpload> {
    let id = platform.0.load(key)?;
    let status = match client.get_upload(&id).await {
        Ok(s) => s.into_inner(),
        Err(_) => {
            platform.0.save(key, None);
            return None;
        }
    };
    if status.state != types::UploadState::Open || status.size != total {
        platform.0.save(key, None);
        return None;
    }
    let part_size = status.part_size;
    let expected = |n: u32| part_size.min(total - u64::from(n - 1) * part_size);
    Some(OpenUpload {
        upload_id: status.upload_id,
        video_id: status.video_id,
        part_size,
        urls: status.parts,
        held: status
            .received
            .into_iter()
            .filter(|p| p.size == expected(p.number))
            .map(|p| types::CompletedPart {
                number: p.number,
                etag: p.etag,
            })
            .collect(),
    })
}

async fn upload(
    platform: &PlatformHandle,
    client: &shared::client::Client,
    file: FileData,
    title: String,
    description: String,
    mut phase: Signal<Phase>,
) -> Result<String, String> {
    use futures::StreamExt;
    let total = file.size();
    let key = resume_key(&file);
    let describe = |e: shared::client::Error<types::ErrorBody>| shared::client::error_code(&e).2;
    let open = match resumable(platform, client, &key, total).await {
        Some(open) => open,
        None => {
            let up = client
                .create_upload(&types::CreateUploadRequest {
                    filename: file.name(),
                    size: total,
                    content_type: file
                        .content_type()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    title,
                    description: Some(description).filter(|d| !d.trim().is_empty()),
                })
                .await
                .map_err(describe)?
                .into_inner();
            platform.0.save(&key, Some(&up.upload_id));
            OpenUpload {
                upload_id: up.upload_id,
                video_id: up.video_id,
                part_size: up.part_size,
                urls: up.parts,
                held: Vec::new(),
            }
        }
    };
    let part_size = open.part_size;
    let part_len = |n: u32| part_size.min(total - u64::from(n - 1) * part_size);
    let resumed = open.held.len();
    let mut sent: u64 = open.held.iter().map(|p| part_len(p.number)).sum();
    phase.set(Phase::Uploading {
        sent,
        total,
        resumed,
    });
    let http = reqwest::Client::new();
    let todo: Vec<&types::PartUrl> = open
        .urls
        .iter()
        .filter(|u| !open.held.iter().any(|h| h.number == u.number))
        .collect();
    let mut in_flight = futures::stream::iter(todo)
        .map(|part| {
            let http = http.clone();
            let file = file.clone();
            async move {
                let start = u64::from(part.number - 1) * part_size;
                let end = start + part_len(part.number);
                let body = platform.0.read_range(&file, start, end).await?;
                let etag = put_part(&http, &part.url, body).await?;
                Ok::<_, String>(types::CompletedPart {
                    number: part.number,
                    etag,
                })
            }
        })
        .buffer_unordered(PARALLEL_PARTS);
    let mut parts = open.held;
    while let Some(done) = in_flight.next().await {
        let done = done?;
        sent += part_len(done.number);
        parts.push(done);
        phase.set(Phase::Uploading {
            sent,
            total,
            resumed,
        });
    }
    drop(in_flight);
    parts.sort_by_key(|p| p.number);
    client
        .complete_upload(&open.upload_id, &types::CompleteUploadRequest { parts })
        .await
        .map_err(describe)?;
    platform.0.save(&key, None);
    Ok(open.video_id)
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
