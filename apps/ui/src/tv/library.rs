//! `/tv/my-list`: what the viewer saved for later.

use super::cards::TvGrid;
use super::{TvLink, TvRetry};
use crate::session::{Session, use_expiry};
use crate::{PlatformHandle, Route, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::MyListQuery;

#[component]
pub fn TvMyList() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut list = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        async move {
            match token {
                None => Ok(None),
                t => gql::run(&platform, t, MyListQuery::build(()))
                    .await
                    .map(|q| Some(q.watchlist)),
            }
        }
    });
    use_expiry(list.value());
    let body = match &*list.read() {
        None => rsx! { p { class: "tv-status", "Loading…" } },
        Some(Ok(None)) => rsx! {
            p { class: "tv-status", "Sign in to keep a list of videos for later." }
            TvLink { to: Route::TvSignIn {}, focus_key: "sign-in", class: "tv-button", autofocus: true, "Sign in" }
        },
        Some(Err(e)) => rsx! {
            TvRetry { message: "Could not load My List: {e}", on_retry: move |_| list.restart() }
        },
        Some(Ok(Some(v))) if v.is_empty() => rsx! {
            p { class: "tv-status", "Nothing here yet. Add videos with “My List” on their page." }
        },
        Some(Ok(Some(v))) => {
            let cards = v.iter().map(|v| (v.clone(), None)).collect::<Vec<_>>();
            rsx! { TvGrid { id: "my-list", cards } }
        }
    };
    rsx! {
        document::Title { "My List · Kino TV" }
        h1 { class: "tv-heading", "My List" }
        {body}
    }
}
