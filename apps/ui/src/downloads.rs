//! Offline downloads, where the platform keeps them (the desktop app): the Download control on
//! the watch page, `/downloads` (progress, pause, resume, cancel, delete, disk use) and
//! `/offline/:id`, which plays a download with no network.

use crate::player::Player;
use crate::{Download, DownloadAction, PlatformHandle, Route};
use dioxus::prelude::*;
use shared::graphql::WatchPlayback;

/// How often a page showing a running download asks for its progress.
const POLL_MS: u32 = 500;

/// The platform's downloads, asked again every `POLL_MS` while one is running.
fn use_downloads() -> Signal<Option<Result<Vec<Download>, String>>> {
    let platform = use_context::<PlatformHandle>();
    let mut list = use_signal(|| None);
    use_future(move || {
        let platform = platform.clone();
        async move {
            loop {
                let got = platform.0.download_list().await;
                let running =
                    matches!(&got, Ok(all) if all.iter().any(|d| d.state == "downloading"));
                if list.peek().as_ref() != Some(&got) {
                    list.set(Some(got));
                }
                platform
                    .0
                    .sleep(if running { POLL_MS } else { POLL_MS * 4 })
                    .await;
            }
        }
    });
    list
}

/// `123.4 MB`.
pub fn size_label(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn percent(d: &Download) -> u64 {
    (d.bytes_done * 100)
        .checked_div(d.bytes_total)
        .unwrap_or(0)
        .min(100)
}

fn control(
    platform: &PlatformHandle,
    id: &str,
    action: DownloadAction,
    mut error: Signal<Option<String>>,
) {
    let (platform, id) = (platform.clone(), id.to_owned());
    spawn(async move {
        if let Err(e) = platform.0.download_control(&id, action).await {
            error.set(Some(e));
        }
    });
}

/// The watch page's Download control: pick a quality, then follow the download.
#[component]
pub fn DownloadButton(video_id: String, title: String) -> Element {
    let platform = use_context::<PlatformHandle>();
    let list = use_downloads();
    let mut qualities = use_signal(|| None::<Vec<u32>>);
    let mut error = use_signal(|| None::<String>);
    let mine = match &*list.read() {
        Some(Ok(all)) => all.iter().find(|d| d.video_id == video_id).cloned(),
        _ => None,
    };
    let ask = {
        let (platform, id) = (platform.clone(), video_id.clone());
        move |_| {
            let (platform, id) = (platform.clone(), id.clone());
            async move {
                error.set(None);
                match platform.0.download_qualities(&id).await {
                    Ok(q) => qualities.set(Some(q)),
                    Err(e) => error.set(Some(e)),
                }
            }
        }
    };
    let body = match mine {
        None => match qualities() {
            None => rsx! {
                button { class: "button secondary", id: "download", onclick: ask, "Download" }
            },
            Some(heights) => rsx! {
                div { role: "group", aria_label: "Download quality", class: "download-quality",
                    span { "Quality:" }
                    for h in heights {
                        button { key: "{h}", class: "button secondary", "data-height": "{h}",
                            onclick: {
                                let (platform, id, title) = (platform.clone(), video_id.clone(), title.clone());
                                move |_| {
                                    let (platform, id, title) = (platform.clone(), id.clone(), title.clone());
                                    async move {
                                        match platform.0.download_add(&id, &title, h).await {
                                            Ok(()) => qualities.set(None),
                                            Err(e) => error.set(Some(e)),
                                        }
                                    }
                                }
                            },
                            "{h}p"
                        }
                    }
                    button { class: "button secondary", onclick: move |_| qualities.set(None), "Cancel" }
                }
            },
        },
        Some(d) => {
            let id = d.video_id.clone();
            let p = percent(&d);
            rsx! {
                div { class: "download-status", "data-state": "{d.state}",
                    match d.state.as_str() {
                        "done" => rsx! {
                            span { "Downloaded ({d.height}p, {size_label(d.bytes_done)})" }
                            Link { class: "button secondary", to: Route::Downloads {}, "Downloads" }
                        },
                        "failed" => rsx! {
                            span { role: "alert", "Download failed: {d.error.clone().unwrap_or_default()}" }
                            button { class: "button secondary", onclick: { let (platform, id) = (platform.clone(), id.clone()); move |_| control(&platform, &id, DownloadAction::Resume, error) }, "Retry" }
                        },
                        state => rsx! {
                            progress { max: "100", value: "{p}", aria_label: "Download progress" }
                            span { if state == "paused" { "Paused at {p}%" } else { "Downloading {p}%" } }
                            if state == "paused" {
                                button { class: "button secondary", onclick: { let (platform, id) = (platform.clone(), id.clone()); move |_| control(&platform, &id, DownloadAction::Resume, error) }, "Resume" }
                            } else {
                                button { class: "button secondary", onclick: { let (platform, id) = (platform.clone(), id.clone()); move |_| control(&platform, &id, DownloadAction::Pause, error) }, "Pause" }
                            }
                            button { class: "button secondary", onclick: { let (platform, id) = (platform.clone(), id.clone()); move |_| control(&platform, &id, DownloadAction::Remove, error) }, "Cancel" }
                        },
                    }
                }
            }
        }
    };
    rsx! {
        div { class: "actions download",
            {body}
            if let Some(e) = error() {
                p { class: "error", role: "alert", "{e}" }
            }
        }
    }
}

/// `/downloads`: every download with its progress and size, and the disk they take.
#[component]
pub fn Downloads() -> Element {
    let platform = use_context::<PlatformHandle>();
    let list = use_downloads();
    let error = use_signal(|| None::<String>);
    if !platform.0.can_download() {
        return rsx! {
            section { class: "status-page",
                h1 { "Downloads" }
                p { "Downloading videos to watch offline needs the Kino desktop app." }
            }
        };
    }
    let all = match &*list.read() {
        None => return rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => return rsx! { p { class: "status error", role: "alert", "{e}" } },
        Some(Ok(all)) => all.clone(),
    };
    let total: u64 = all.iter().map(|d| d.bytes_done).sum();
    rsx! {
        document::Title { "Downloads · Kino" }
        section { class: "downloads",
            h1 { "Downloads" }
            p { class: "muted", id: "disk-use",
                match all.len() {
                    0 => "Nothing downloaded yet: a video's page has a Download button.".to_owned(),
                    1 => format!("1 video, {} on this computer.", size_label(total)),
                    n => format!("{n} videos, {} on this computer.", size_label(total)),
                }
            }
            if let Some(e) = error() {
                p { class: "error", role: "alert", "{e}" }
            }
            ul { class: "download-list",
                for d in all {
                    li { key: "{d.video_id}", "data-video": "{d.video_id}", "data-state": "{d.state}",
                        if let Some(poster) = &d.poster_url {
                            img { src: "{poster}", alt: "", loading: "lazy" }
                        } else {
                            div { class: "poster-missing" }
                        }
                        div { class: "download-facts",
                            h2 { "{d.title}" }
                            p { class: "muted",
                                "{d.height}p · "
                                if d.state == "done" {
                                    "{size_label(d.bytes_done)}"
                                } else if d.bytes_total == 0 {
                                    "not started"
                                } else {
                                    "{size_label(d.bytes_done)} of about {size_label(d.bytes_total)}"
                                }
                            }
                            match d.state.as_str() {
                                "downloading" => rsx! { progress { max: "100", value: "{percent(&d)}", aria_label: "Progress of {d.title}" } },
                                "paused" => rsx! { p { "Paused at {percent(&d)}%" } },
                                "failed" => rsx! { p { class: "error", "Failed: {d.error.clone().unwrap_or_default()}" } },
                                _ => rsx! {},
                            }
                        }
                        div { class: "download-actions",
                            match d.state.as_str() {
                                "done" => rsx! {
                                    Link { class: "button", to: Route::OfflineWatch { id: d.video_id.clone() }, aria_label: "Play {d.title}", "Play" }
                                    button { class: "button secondary", aria_label: "Delete {d.title}",
                                        onclick: { let (platform, id) = (platform.clone(), d.video_id.clone()); move |_| control(&platform, &id, DownloadAction::Remove, error) },
                                        "Delete" }
                                },
                                state => rsx! {
                                    if state == "downloading" {
                                        button { class: "button secondary", aria_label: "Pause {d.title}",
                                            onclick: { let (platform, id) = (platform.clone(), d.video_id.clone()); move |_| control(&platform, &id, DownloadAction::Pause, error) },
                                            "Pause" }
                                    } else {
                                        button { class: "button secondary", aria_label: "Resume {d.title}",
                                            onclick: { let (platform, id) = (platform.clone(), d.video_id.clone()); move |_| control(&platform, &id, DownloadAction::Resume, error) },
                                            "Resume" }
                                    }
                                    button { class: "button secondary", aria_label: "Cancel {d.title}",
                                        onclick: { let (platform, id) = (platform.clone(), d.video_id.clone()); move |_| control(&platform, &id, DownloadAction::Remove, error) },
                                        "Cancel" }
                                },
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `/offline/:id`: a download played from this computer, network or not.
#[component]
pub fn OfflineWatch(id: ReadSignal<String>) -> Element {
    let list = use_downloads();
    let found = match &*list.read() {
        None => return rsx! { div { class: "watch", div { class: "player placeholder" } } },
        Some(Err(e)) => return rsx! { p { class: "status error", role: "alert", "{e}" } },
        Some(Ok(all)) => all.iter().find(|d| d.video_id == id()).cloned(),
    };
    let Some(d) = found.filter(|d| d.master_url.is_some()) else {
        return rsx! {
            section { class: "status-page",
                h1 { "This download is not here" }
                p { "It was deleted, or it has not finished." }
                Link { class: "button", to: Route::Downloads {}, "Downloads" }
            }
        };
    };
    let playback = WatchPlayback {
        master_url: d.master_url.clone().unwrap_or_default(),
        poster_url: d.poster_url.clone().unwrap_or_default(),
        storyboard_url: None,
        // Local files never expire.
        expires_at: "9999-12-31T00:00:00Z".to_owned(),
    };
    let resume_at = Some(d.position_s).filter(|p| *p > 5.0 && *p < d.duration_s - 10.0);
    let next = use_signal(|| None);
    rsx! {
        document::Title { "{d.title} · Kino" }
        article { class: "watch offline",
            Player {
                key: "{d.video_id}",
                video_id: d.video_id.clone(),
                playback,
                resume_at,
                next,
                offline: true,
            }
            h1 { "{d.title}" }
            p { class: "meta", "Downloaded, {d.height}p · plays without a network" }
        }
    }
}
