//! `/watch/{id}`: the player and the title are the page (one must-have query); the details
//! around them and "More like this" come from a second query that may fail or time out
//! without taking the player down.

use crate::cards::Card;
use crate::downloads::DownloadButton;
use crate::player::{Player, UpNext};
use crate::session::{Session, sign_in_then};
use crate::{PlatformHandle, Route, clock, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use futures::future::{Either, select};
use shared::graphql::{VideoArgs, VideoDetails, VideoState, WatchDetailsQuery, WatchVideo};

/// How long the details may take before the page gives up on them.
const DETAILS_TIMEOUT_MS: u32 = 5000;

#[component]
pub fn Watch(id: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut video = use_resource({
        let platform = platform.clone();
        move || {
            let platform = platform.clone();
            let token = session.token.read().clone();
            async move { gql::watch_video(&platform, token, id()).await }
        }
    });
    let mut details = use_resource({
        let platform = platform.clone();
        move || {
            let platform = platform.clone();
            let token = session.token.read().clone();
            let args = VideoArgs {
                id: cynic::Id::new(id()),
            };
            async move {
                let query = Box::pin(gql::run(&platform, token, WatchDetailsQuery::build(args)));
                match select(query, platform.0.sleep(DETAILS_TIMEOUT_MS)).await {
                    Either::Left((r, _)) => r.map(|q| q.video),
                    Either::Right(_) => Err(gql::Failure {
                        code: None,
                        message: "the details took too long".to_owned(),
                    }),
                }
            }
        }
    });
    let next = use_memo(move || match &*details.read() {
        Some(Ok(Some(d))) => d.related.first().map(|v| UpNext {
            id: v.id.inner().to_owned(),
            title: v.title.clone(),
        }),
        _ => None,
    });

    let main = match &*video.read() {
        None => {
            return rsx! { div { class: "watch", div { class: "player placeholder" } p { class: "status", "Loading…" } } };
        }
        Some(Err(e)) => {
            return rsx! {
                div { class: "status error", role: "alert",
                    p { "Could not load this video: {e}" }
                    button { class: "button", onclick: move |_| video.restart(), "Try again" }
                }
            };
        }
        Some(Ok(None)) => {
            let signed_in = session.token.read().is_some();
            let back = sign_in_then(&Route::Watch { id: id() });
            return rsx! {
                document::Title { "Video not available · Kino" }
                section { class: "status-page",
                    h1 { "This video is not available" }
                    p { "It may have been removed, or its owner made it private." }
                    if !signed_in {
                        p { "If it is yours, " Link { to: back, "sign in" } " to see it." }
                    }
                    Link { class: "button", to: Route::Home {}, "Browse the catalogue" }
                }
            };
        }
        Some(Ok(Some(v))) => v.clone(),
    };

    rsx! {
        document::Title { "{main.title} · Kino" }
        article { class: "watch",
            Stage { video: main.clone(), next }
            h1 { "{main.title}" }
            if platform.0.can_download() && main.state == VideoState::Published {
                DownloadButton { video_id: main.id.inner().to_owned(), title: main.title.clone() }
            }
            match &*details.read() {
                None => rsx! { p { class: "status", "Loading details…" } },
                Some(Ok(Some(d))) => rsx! { Details { id: main.id.inner().to_owned(), details: d.clone() } },
                Some(Ok(None)) => rsx! {},
                Some(Err(e)) => rsx! {
                    div { class: "status details-failed", role: "status",
                        p { "More about this video could not be loaded ({e})." }
                        button { class: "button secondary", onclick: move |_| details.restart(), "Try again" }
                    }
                },
            }
        }
    }
}

/// The player, or why there is nothing to play yet.
#[component]
fn Stage(video: WatchVideo, next: ReadSignal<Option<UpNext>>) -> Element {
    let why = match (video.state, &video.playback) {
        (VideoState::Published, Some(p)) => {
            let resume_at = video
                .progress
                .as_ref()
                .filter(|p| !p.completed)
                .and_then(|p| p.resume_at_s);
            return rsx! {
                Player {
                    key: "{video.id.inner()}",
                    video_id: video.id.inner().to_owned(),
                    playback: p.clone(),
                    resume_at,
                    next,
                }
            };
        }
        (VideoState::Failed, _) => "This video could not be processed.",
        (VideoState::Uploading, _) => "This video is still being uploaded.",
        (VideoState::Deleted, _) => "This video was deleted.",
        _ => "This video is being processed; it will play here once it is ready.",
    };
    rsx! {
        div { class: "player placeholder", p { class: "status", "{why}" } }
    }
}

/// Creator, views, date, My List, description, genres and tags, then More like this.
#[component]
fn Details(id: String, details: VideoDetails) -> Element {
    let d = details;
    let mut meta = Vec::new();
    if let Some(c) = &d.creator {
        meta.push(c.display_name.clone());
    }
    meta.push(match d.views {
        1 => "1 view".to_owned(),
        n => format!("{} views", thousands(n)),
    });
    if let Some(day) = d.published_at.as_deref().and_then(clock::date_label) {
        meta.push(day);
    }
    rsx! {
        p { class: "meta", "{meta.join(\" · \")}" }
        div { class: "actions",
            ListToggle { id: id.clone(), on_list: d.in_watchlist }
        }
        if let Some(text) = &d.description {
            p { class: "description", "{text}" }
        }
        if !d.genres.is_empty() || !d.tags.is_empty() {
            ul { class: "chips", aria_label: "Genres and tags",
                for g in d.genres.iter().cloned() {
                    li { key: "g-{g}", Link { class: "chip", to: Route::Genre { name: g.clone() }, "{shared::genre_title(&g)}" } }
                }
                for t in d.tags.iter().cloned() {
                    li { key: "t-{t}", Link { class: "chip tag", to: Route::Search { q: t.clone() }, "#{t}" } }
                }
            }
        }
        if !d.related.is_empty() {
            section { class: "related", aria_labelledby: "more-like-this",
                h2 { id: "more-like-this", "More like this" }
                ul { class: "grid",
                    for v in d.related.iter().cloned() {
                        Card { key: "{v.id.inner()}", video: v, position: None }
                    }
                }
            }
        }
    }
}

/// Adds to or takes off My List; signed-out viewers are sent to sign in first.
#[component]
fn ListToggle(id: String, on_list: bool) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut on = use_signal(|| on_list);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let toggle = {
        let id = id.clone();
        move |_| {
            let platform = platform.clone();
            let id = id.clone();
            async move {
                let Some(client) = session.client(&platform) else {
                    navigator().push(sign_in_then(&Route::Watch { id }));
                    return;
                };
                let want = !on();
                busy.set(true);
                error.set(None);
                let r = if want {
                    client.add_to_watchlist(&id).await.map(|_| ())
                } else {
                    client.remove_from_watchlist(&id).await.map(|_| ())
                };
                busy.set(false);
                match r {
                    Ok(()) => on.set(want),
                    Err(e) => {
                        let (_, code, message) = shared::client::error_code(&e);
                        if code == "unauthenticated" {
                            session.expire(&platform);
                            navigator().push(sign_in_then(&Route::Watch { id }));
                        } else {
                            error.set(Some(message));
                        }
                    }
                }
            }
        }
    };
    rsx! {
        button {
            class: if on() { "button secondary on" } else { "button secondary" },
            aria_pressed: "{on()}",
            disabled: busy(),
            onclick: toggle,
            if on() { "✓ My List" } else { "+ My List" }
        }
        if let Some(e) = error() {
            span { class: "error", role: "alert", "{e}" }
        }
    }
}

/// `12345` as `12,345`.
fn thousands(n: i32) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_read_with_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
