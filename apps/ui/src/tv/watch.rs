//! `/tv/watch/{id}`: the player full screen, driven by the remote. `from` says where the
//! viewer chose to start on the video's page (`resume`, `start`); without it the player asks,
//! as the web player does.

use super::TvRetry;
use crate::player::Player;
use crate::session::Session;
use crate::{PlatformHandle, gql};
use dioxus::prelude::*;
use shared::graphql::VideoState;

#[component]
pub fn TvWatch(id: ReadSignal<String>, from: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut video = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        async move { gql::watch_video(&platform, token, id()).await }
    });
    let next = use_signal(|| None);
    let v = match &*video.read() {
        None => return rsx! { div { class: "tv-status", "Loading…" } },
        Some(Err(e)) => {
            return rsx! {
                TvRetry { message: "Could not load this video: {e}", on_retry: move |_| video.restart() }
            };
        }
        Some(Ok(v)) => v.clone(),
    };
    let Some((v, playback)) = v.and_then(|v| {
        let p = v
            .playback
            .clone()
            .filter(|_| v.state == VideoState::Published)?;
        Some((v, p))
    }) else {
        return rsx! {
            div { class: "tv-status", role: "alert",
                p { "This video cannot be played." }
            }
        };
    };
    let saved = v
        .progress
        .as_ref()
        .filter(|p| !p.completed)
        .and_then(|p| p.resume_at_s);
    let (resume_at, no_prompt) = match from().as_str() {
        "start" => (None, true),
        "resume" => (saved, true),
        _ => (saved, false),
    };
    let page_title = format!("{} · Kino TV", v.title);
    rsx! {
        Player {
            key: "{v.id.inner()}",
            video_id: v.id.inner().to_owned(),
            playback,
            resume_at,
            next,
            tv: true,
            no_prompt,
            title: v.title.clone(),
        }
        document::Title { "{page_title}" }
    }
}
