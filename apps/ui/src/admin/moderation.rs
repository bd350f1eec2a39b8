//! Moderation: hidden videos with their reasons (restore each), and hiding a video by its
//! address or id with a reason its owner can act on.

use super::refusal;
use crate::session::Session;
use crate::{PlatformHandle, Route, clock};
use dioxus::prelude::*;
use shared::client::types;

/// The video id in what an admin pasted: an id, or a watch or Studio address.
fn video_id(text: &str) -> String {
    let t = text.trim().trim_end_matches('/');
    t.rsplit('/').next().unwrap_or(t).to_owned()
}

#[component]
pub fn Moderation() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut hidden = use_resource({
        let platform = platform.clone();
        move || {
            let client = session.client(&platform);
            async move {
                let client = client.ok_or_else(|| "sign in first".to_owned())?;
                client
                    .list_hidden_videos()
                    .await
                    .map(|r| r.into_inner().items)
                    .map_err(|e| refusal(&e))
            }
        }
    });
    let mut target = use_signal(String::new);
    let mut reason = use_signal(String::new);
    let mut outcome = use_signal(|| None::<Result<String, String>>);
    let hide = {
        let platform = platform.clone();
        move |evt: FormEvent| {
            evt.prevent_default();
            let platform = platform.clone();
            async move {
                let Some(client) = session.client(&platform) else {
                    return;
                };
                let id = video_id(&target());
                let r = client
                    .hide_video(&id, &types::HideVideoRequest { reason: reason() })
                    .await;
                match r {
                    Ok(v) => {
                        outcome.set(Some(Ok(format!("“{}” is hidden.", v.into_inner().title))));
                        target.set(String::new());
                        reason.set(String::new());
                        hidden.restart();
                    }
                    Err(e) => outcome.set(Some(Err(refusal(&e)))),
                }
            }
        }
    };
    let list = match &*hidden.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            rsx! { p { class: "error", role: "alert", "Could not load hidden videos: {e}" } }
        }
        Some(Ok(v)) if v.is_empty() => rsx! { p { class: "status", "No video is hidden." } },
        Some(Ok(v)) => rsx! {
            table { class: "admin-table hidden-videos",
                thead { tr { th { scope: "col", "Video" } th { scope: "col", "Reason" } th { scope: "col", "Hidden" } th { scope: "col", span { class: "visually-hidden", "Actions" } } } }
                tbody {
                    for video in v.iter().cloned() {
                        tr { key: "{video.id}", "data-video": "{video.id}",
                            td { Link { to: Route::Watch { id: video.id.clone() }, "{video.title}" } }
                            td { "{video.moderation.as_ref().map(|m| m.reason.clone()).unwrap_or_default()}" }
                            td { "{video.moderation.as_ref().and_then(|m| clock::date_label(&m.hidden_at.to_rfc3339())).unwrap_or_default()}" }
                            td {
                                button { class: "button secondary",
                                    onclick: {
                                        let (platform, id) = (platform.clone(), video.id.clone());
                                        move |_| {
                                            let (platform, id) = (platform.clone(), id.clone());
                                            async move {
                                                let Some(client) = session.client(&platform) else { return };
                                                match client.restore_video(&id).await {
                                                    Ok(_) => hidden.restart(),
                                                    Err(e) => outcome.set(Some(Err(refusal(&e)))),
                                                }
                                            }
                                        }
                                    },
                                    "Restore"
                                }
                            }
                        }
                    }
                }
            }
        },
    };
    rsx! {
        form { class: "form admin-form", onsubmit: hide, aria_labelledby: "hide-heading",
            h2 { id: "hide-heading", "Hide a video" }
            label { r#for: "hide-video", "Video address or id" }
            input { id: "hide-video", required: true, value: "{target}", oninput: move |e| target.set(e.value()) }
            label { r#for: "hide-reason", "Reason (its owner reads it)" }
            input { id: "hide-reason", required: true, maxlength: "500", value: "{reason}", oninput: move |e| reason.set(e.value()) }
            match outcome() {
                Some(Ok(m)) => rsx! { p { class: "notice", role: "status", "{m}" } },
                Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
                None => rsx! {},
            }
            button { r#type: "submit", "Hide" }
        }
        h2 { "Hidden videos" }
        {list}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pasted_address_gives_its_video_id() {
        assert_eq!(
            super::video_id(" https://kino.example/watch/01ABC/ "),
            "01ABC"
        );
        assert_eq!(super::video_id("01ABC"), "01ABC");
    }
}
