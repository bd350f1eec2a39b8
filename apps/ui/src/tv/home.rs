//! `/tv`: one hero (what the viewer was watching, else the newest video) over the `home`
//! rails.

use super::cards::TvRail;
use super::{TvLink, TvRetry};
use crate::browse::home_rails;
use crate::session::Session;
use crate::{PlatformHandle, Route, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::{HomeQuery, VideoCard};

#[component]
pub fn TvHome() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut home = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        async move { gql::run(&platform, token, HomeQuery::build(())).await }
    });
    let body = match &*home.read() {
        None => rsx! { p { class: "tv-status", "Loading…" } },
        Some(Err(e)) => rsx! {
            TvRetry { message: "Could not load the home page: {e}", on_retry: move |_| home.restart() }
        },
        Some(Ok(q)) => {
            let rails = home_rails(&q.home);
            // The first rail leads: its first video, under the rail's own title.
            let hero = rails.first().and_then(|(key, title, cards)| {
                cards
                    .first()
                    .map(|c| (key == "continue", title.clone(), c.0.clone()))
            });
            match hero {
                None => rsx! { p { class: "tv-status", "Nothing to watch yet." } },
                Some((resume, kicker, video)) => rsx! {
                    Hero { video, resume, kicker }
                    div { class: "tv-rails",
                        for (key, title, cards) in rails {
                            TvRail { key: "{key}", id: key.clone(), title, cards }
                        }
                    }
                },
            }
        }
    };
    rsx! {
        document::Title { "Kino TV" }
        h1 { class: "visually-hidden", "Home" }
        {body}
    }
}

/// The video the page leads with: its poster large, its title, Play and More info.
#[component]
fn Hero(video: VideoCard, resume: bool, kicker: String) -> Element {
    let id = video.id.inner().to_owned();
    let poster = video
        .playback
        .as_ref()
        .map(|p| crate::platform::media_url(&p.poster_url))
        .unwrap_or_default();
    let length = video
        .duration_s
        .map(shared::duration_label)
        .unwrap_or_default();
    rsx! {
        section { class: "tv-hero", aria_label: "Featured",
            HeroArt { src: poster }
            div { class: "tv-hero-text",
                p { class: "tv-kicker", "{kicker}" }
                h2 { class: "tv-hero-title", "{video.title}" }
                if !length.is_empty() {
                    p { class: "tv-meta", "{length}" }
                }
                div { class: "tv-actions",
                    TvLink { to: Route::TvWatch { id: id.clone(), from: if resume { "resume".into() } else { String::new() } }, focus_key: "hero:play",
                        class: "tv-button", autofocus: true,
                        if resume { "Resume" } else { "Play" }
                    }
                    TvLink { to: Route::TvDetails { id: id.clone() }, focus_key: "hero:info",
                        class: "tv-button secondary", "More info" }
                }
            }
        }
    }
}

/// A page's large poster; left out when there is none or it fails to load.
#[component]
pub fn HeroArt(src: String) -> Element {
    let mut broken = use_signal(|| false);
    if src.is_empty() || broken() {
        return rsx! {};
    }
    rsx! {
        img { class: "tv-hero-art", src: "{src}", alt: "", onerror: move |_| broken.set(true) }
    }
}
