//! `/tv/video/{id}`: a video's page: Play or Resume, Start over, My List, what it is about,
//! and More like this.

use super::cards::TvRail;
use super::home::HeroArt;
use super::{TvLink, TvRetry};
use crate::session::Session;
use crate::{PlatformHandle, Route, clock, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::{VideoArgs, VideoState, WatchDetailsQuery};

#[component]
pub fn TvDetails(id: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut video = use_resource({
        let platform = platform.clone();
        move || {
            let platform = platform.clone();
            let token = session.token.read().clone();
            let more_args = VideoArgs {
                id: cynic::Id::new(id()),
            };
            async move {
                let main = gql::watch_video(&platform, token.clone(), id());
                let more = gql::run(&platform, token, WatchDetailsQuery::build(more_args));
                let (main, more) = futures::future::join(main, more).await;
                // The page stands without its details; only the video itself is a must.
                main.map(|m| (m, more.ok().and_then(|d| d.video)))
            }
        }
    });
    let (v, d) = match &*video.read() {
        None => return rsx! { p { class: "tv-status", "Loading…" } },
        Some(Err(e)) => {
            return rsx! {
                TvRetry { message: "Could not load this video: {e}", on_retry: move |_| video.restart() }
            };
        }
        Some(Ok((None, _))) => {
            return rsx! {
                section { class: "tv-status",
                    h1 { "This video is not available" }
                    p { "It may have been removed, or its owner made it private." }
                    TvLink { to: Route::TvHome {}, focus_key: "home", class: "tv-button", autofocus: true, "Back to Home" }
                }
            };
        }
        Some(Ok((Some(v), d))) => (v.clone(), d.clone()),
    };
    let vid = v.id.inner().to_owned();
    let poster = v
        .playback
        .as_ref()
        .map(|p| crate::platform::media_url(&p.poster_url))
        .unwrap_or_default();
    let resume = v
        .progress
        .as_ref()
        .filter(|p| !p.completed)
        .and_then(|p| p.resume_at_s);
    let playable = v.state == VideoState::Published && v.playback.is_some();
    let mut meta = Vec::new();
    if let Some(len) = v.duration_s.map(shared::duration_label) {
        meta.push(len);
    }
    if let Some(d) = &d {
        if let Some(c) = &d.creator {
            meta.push(c.display_name.clone());
        }
        if let Some(day) = d.published_at.as_deref().and_then(clock::date_label) {
            meta.push(day);
        }
    }
    let related: Vec<_> = d
        .as_ref()
        .map(|d| d.related.iter().map(|v| (v.clone(), None)).collect())
        .unwrap_or_default();
    rsx! {
        document::Title { "{v.title} · Kino TV" }
        article { class: "tv-details",
            HeroArt { src: poster }
            div { class: "tv-hero-text",
                h1 { class: "tv-hero-title", "{v.title}" }
                p { class: "tv-meta", "{meta.join(\" · \")}" }
                if !playable {
                    p { class: "tv-status", "This video is not ready to play yet." }
                }
                div { class: "tv-actions",
                    if playable {
                        if let Some(at) = resume {
                            TvLink { to: Route::TvWatch { id: vid.clone(), from: "resume".into() },
                                focus_key: "play", class: "tv-button", autofocus: true,
                                "Resume from {shared::duration_label(at.floor())}" }
                            TvLink { to: Route::TvWatch { id: vid.clone(), from: "start".into() },
                                focus_key: "start-over", class: "tv-button secondary", "Start over" }
                        } else {
                            TvLink { to: Route::TvWatch { id: vid.clone(), from: String::new() },
                                focus_key: "play", class: "tv-button", autofocus: true, "Play" }
                        }
                    }
                    if let Some(d) = &d {
                        ListButton { id: vid.clone(), on_list: d.in_watchlist }
                    }
                }
                if let Some(text) = d.as_ref().and_then(|d| d.description.clone()) {
                    p { class: "tv-description", "{text}" }
                }
            }
        }
        if !related.is_empty() {
            TvRail { id: "related", title: "More like this", cards: related }
        }
    }
}

/// Adds to or takes off My List; a signed-out viewer is offered to sign in by code.
#[component]
fn ListButton(id: String, on_list: bool) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut on = use_signal(|| on_list);
    let mut error = use_signal(|| None::<String>);
    if session.token.read().is_none() {
        return rsx! {
            TvLink { to: Route::TvSignIn {}, focus_key: "my-list", class: "tv-button secondary",
                "Sign in to use My List" }
        };
    }
    let toggle = move |_| {
        let (platform, id) = (platform.clone(), id.clone());
        async move {
            let Some(client) = session.client(&platform) else {
                return;
            };
            let want = !on();
            let r = if want {
                client.add_to_watchlist(&id).await.map(|_| ())
            } else {
                client.remove_from_watchlist(&id).await.map(|_| ())
            };
            match r {
                Ok(()) => {
                    on.set(want);
                    error.set(None);
                }
                Err(e) => {
                    let (_, code, message) = shared::client::error_code(&e);
                    if code == "unauthenticated" {
                        session.expire(&platform);
                    }
                    error.set(Some(message));
                }
            }
        }
    };
    rsx! {
        button { class: "tv-button secondary", "data-focus-key": "my-list", aria_pressed: "{on()}",
            onclick: toggle,
            if on() { "✓ My List" } else { "+ My List" }
        }
        if let Some(e) = error() {
            span { class: "error", role: "alert", "{e}" }
        }
    }
}
