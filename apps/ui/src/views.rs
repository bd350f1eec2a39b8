//! The pages.

use crate::player::Player;
use crate::session::Session;
use crate::{PlatformHandle, Route};
use dioxus::prelude::*;
use shared::client::types;

/// Header and page frame around every route.
#[component]
pub fn Shell() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = session.token.read().is_some();
    rsx! {
        header { class: "topbar",
            Link { class: "brand", to: Route::Home {}, "Kino" }
            nav {
                Link { to: Route::Home {}, "Browse" }
                Link { to: Route::Studio {}, "Studio" }
                if signed_in {
                    button { class: "link", onclick: move |_| {
                        let platform = platform.clone();
                        async move {
                            if let Some(c) = session.client(&platform) {
                                // Revoke on the server too; a failure still signs out here.
                                let _ = c.logout().await;
                            }
                            session.set(&platform, None);
                        }
                    }, "Sign out" }
                } else {
                    Link { to: Route::SignIn {}, "Sign in" }
                }
            }
        }
        main { class: "page", Outlet::<Route> {} }
    }
}

fn describe(e: &shared::client::Error<types::ErrorBody>) -> String {
    shared::client::error_code(e).2
}

/// The catalogue: published videos with their posters.
#[component]
pub fn Home() -> Element {
    let platform = use_context::<PlatformHandle>();
    let videos = use_resource(move || {
        let client = platform.client();
        async move {
            client
                .list_videos(None, None, None, Some(48), None, None, None)
                .await
                .map(|r| r.into_inner())
        }
    });
    let body = match &*videos.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            rsx! { p { class: "status error", "Could not load the catalogue: {describe(e)}" } }
        }
        Some(Ok(page)) if page.items.is_empty() => {
            rsx! { p { class: "status", "Nothing to watch yet." } }
        }
        Some(Ok(page)) => rsx! {
            ul { class: "grid",
                for v in page.items.iter().cloned() {
                    VideoCard { key: "{v.id}", video: v }
                }
            }
        },
    };
    rsx! {
        h1 { "Latest" }
        {body}
    }
}

fn duration_label(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[component]
fn VideoCard(video: types::Video) -> Element {
    let poster = video
        .playback
        .as_ref()
        .map(|p| p.poster_url.clone())
        .unwrap_or_default();
    let duration = video.duration_s.map(duration_label).unwrap_or_default();
    rsx! {
        li { class: "card",
            Link { to: Route::Watch { id: video.id.clone() },
                div { class: "poster",
                    img { src: "{poster}", alt: "", loading: "lazy" }
                    span { class: "duration", "{duration}" }
                }
                span { class: "title", "{video.title}" }
            }
        }
    }
}

/// The watch page: player, title, description.
#[component]
pub fn Watch(id: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let video = use_resource(move || {
        let client = platform.client();
        let id = id();
        async move { client.get_video(&id).await.map(|r| r.into_inner()) }
    });
    match &*video.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => rsx! { p { class: "status error", "{describe(e)}" } },
        Some(Ok(v)) => {
            let player = match &v.playback {
                Some(p) => {
                    rsx! { Player { src: p.master_url.clone(), poster: p.poster_url.clone() } }
                }
                None => {
                    rsx! { p { class: "status", "This video is {v.state} and cannot be played yet." } }
                }
            };
            rsx! {
                document::Title { "{v.title} · Kino" }
                section { class: "watch",
                    {player}
                    h1 { "{v.title}" }
                    if let Some(d) = &v.description {
                        p { class: "description", "{d}" }
                    }
                }
            }
        }
    }
}

#[component]
pub fn NotFound(segments: Vec<String>) -> Element {
    rsx! {
        h1 { "Not found" }
        p { "There is nothing at /{segments.join(\"/\")}." }
        Link { to: Route::Home {}, "Back to the catalogue" }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_label;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration_label(4.2), "0:04");
        assert_eq!(duration_label(754.0), "12:34");
        assert_eq!(duration_label(3725.0), "1:02:05");
    }
}
