//! The viewer's own pages: My List and History.

use crate::cards::Card;
use crate::session::{Session, use_expiry, use_signed_in};
use crate::{PlatformHandle, Route, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::{HistoryQuery, MyListQuery};

/// `/my-list`: what the viewer saved for later, most recently added first.
#[component]
pub fn MyList() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = use_signed_in(Route::MyList {});
    let mut list = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        async move {
            match token {
                None => Ok(Vec::new()),
                t => gql::run(&platform, t, MyListQuery::build(()))
                    .await
                    .map(|q| q.watchlist),
            }
        }
    });
    use_expiry(list.value());
    if !signed_in {
        return rsx! {};
    }
    let body = match &*list.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => rsx! {
            div { class: "status error", role: "alert",
                p { "Could not load My List: {e}" }
                button { class: "button", onclick: move |_| list.restart(), "Try again" }
            }
        },
        Some(Ok(v)) if v.is_empty() => rsx! {
            p { class: "status", "Nothing here yet. Add videos with “My List” on their page." }
        },
        Some(Ok(v)) => rsx! {
            ul { class: "grid",
                for video in v.iter().cloned() {
                    Card { key: "{video.id.inner()}", video, position: None }
                }
            }
        },
    };
    rsx! {
        document::Title { "My List · Kino" }
        h1 { "My List" }
        {body}
    }
}

/// `/history`: everything the viewer watched, most recent first, with how far they got.
#[component]
pub fn History() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = use_signed_in(Route::History {});
    let mut items = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        async move {
            match token {
                None => Ok(Vec::new()),
                t => gql::run(&platform, t, HistoryQuery::build(()))
                    .await
                    .map(|q| q.history),
            }
        }
    });
    use_expiry(items.value());
    if !signed_in {
        return rsx! {};
    }
    let body = match &*items.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => rsx! {
            div { class: "status error", role: "alert",
                p { "Could not load your history: {e}" }
                button { class: "button", onclick: move |_| items.restart(), "Try again" }
            }
        },
        Some(Ok(v)) if v.is_empty() => {
            rsx! { p { class: "status", "You have not watched anything yet." } }
        }
        Some(Ok(v)) => rsx! {
            ul { class: "grid",
                for item in v.iter().cloned() {
                    Card {
                        key: "{item.video.id.inner()}",
                        position: Some(if item.completed { item.video.duration_s.unwrap_or(item.position_s) } else { item.position_s }),
                        video: item.video,
                    }
                }
            }
        },
    };
    rsx! {
        document::Title { "History · Kino" }
        h1 { "History" }
        {body}
    }
}
