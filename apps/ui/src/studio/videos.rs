//! The creator's videos (`list_my_videos`): poster, title, state, visibility, views and date,
//! filtered by state.

use super::live::Live;
use crate::session::Session;
use crate::{PlatformHandle, Route, clock};
use dioxus::prelude::*;
use shared::client::types::{self, VideoState};

/// Videos shown at once (the api's largest page).
const PAGE: u32 = 100;

/// The filters: a label and the states it keeps (none: all).
const FILTERS: [(&str, &[VideoState]); 4] = [
    ("All", &[]),
    (
        "Processing",
        &[
            VideoState::Uploading,
            VideoState::Queued,
            VideoState::Processing,
        ],
    ),
    ("Published", &[VideoState::Published]),
    ("Failed", &[VideoState::Failed]),
];

#[component]
pub fn MyVideos(changed: ReadSignal<u32>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut filter = use_signal(|| 0usize);
    let mut list = use_resource(move || {
        let platform = platform.clone();
        let _ = changed();
        let client = session.client(&platform);
        async move {
            let Some(client) = client else {
                return Ok(Vec::new());
            };
            client
                .list_my_videos(None, Some(PAGE))
                .await
                .map(|r| r.into_inner().items)
                .map_err(|e| shared::client::error_code(&e).2)
        }
    });
    let body = match &*list.read() {
        None => rsx! { p { class: "status", "Loading your videos…" } },
        Some(Err(e)) => rsx! {
            div { class: "status error", role: "alert",
                p { "Could not load your videos: {e}" }
                button { class: "button", onclick: move |_| list.restart(), "Try again" }
            }
        },
        Some(Ok(all)) => {
            let keep = FILTERS[filter()].1;
            let shown: Vec<types::Video> = all
                .iter()
                .filter(|v| keep.is_empty() || keep.contains(&v.state))
                .cloned()
                .collect();
            if all.is_empty() {
                rsx! { p { class: "status", "No videos yet: upload one above." } }
            } else if shown.is_empty() {
                rsx! { p { class: "status", "None of your videos is {FILTERS[filter()].0.to_lowercase()}." } }
            } else {
                rsx! {
                    table { class: "my-videos",
                        thead {
                            tr {
                                th { scope: "col", span { class: "visually-hidden", "Poster" } }
                                th { scope: "col", "Title" }
                                th { scope: "col", "State" }
                                th { scope: "col", "Visibility" }
                                th { scope: "col", "Views" }
                                th { scope: "col", "Uploaded" }
                            }
                        }
                        tbody {
                            for v in shown {
                                VideoRow { key: "{v.id}", video: v }
                            }
                        }
                    }
                }
            }
        }
    };
    rsx! {
        section { class: "my-videos-section", aria_labelledby: "my-videos",
            h2 { id: "my-videos", "My videos" }
            div { class: "chips", role: "group", aria_label: "Show",
                for (i, (label, _)) in FILTERS.iter().enumerate() {
                    button {
                        class: if filter() == i { "chip on" } else { "chip" },
                        aria_pressed: "{filter() == i}",
                        onclick: move |_| filter.set(i),
                        "{label}"
                    }
                }
            }
            {body}
        }
    }
}

#[component]
fn VideoRow(video: types::Video) -> Element {
    let mut v = video;
    // Where the socket last said a followed video ended up is newer than a list read from a
    // replica whose cache the change has not reached yet.
    let live = Live::get();
    let heard = live.updates.read().get(&v.id).cloned();
    if let Some(u) = heard
        && matches!(u.state.as_str(), "published" | "failed")
        && let Ok(state) = u.state.parse::<VideoState>()
    {
        v.state = state;
        if state == VideoState::Failed {
            v.failure_reason = u.failure.or(v.failure_reason);
        }
    }
    let poster = v
        .playback
        .as_ref()
        .map(|p| crate::platform::media_url(&p.poster_url))
        .unwrap_or_default();
    let date = clock::date_label(&v.created_at.to_rfc3339()).unwrap_or_default();
    let state = match (&v.state, &v.failure_reason) {
        (VideoState::Failed, Some(why)) => format!("failed: {why}"),
        (s, _) => s.to_string(),
    };
    rsx! {
        tr { "data-state": "{v.state}",
            td { class: "thumb-cell",
                div { class: "poster small", crate::cards::Poster { src: poster } }
            }
            td {
                Link { to: Route::StudioVideo { id: v.id.clone() }, title: "Edit", "{v.title}" }
                if v.state == VideoState::Published {
                    " · "
                    Link { class: "muted", to: Route::Watch { id: v.id.clone() }, "watch" }
                }
            }
            td { class: if v.state == VideoState::Failed { "error" } else { "" }, "{state}" }
            td { "{v.visibility}" }
            td { "{v.views}" }
            td { "{date}" }
        }
    }
}
