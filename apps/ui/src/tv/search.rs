//! `/tv/search`: an on-screen keyboard (a remote has no keys for letters; a keyboard that is
//! plugged in types too) and the results beside it, searched as the viewer types.

use super::cards::TvGrid;
use crate::session::Session;
use crate::{PlatformHandle, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::{SearchArgs, SearchQuery};

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz1234567890";
/// Milliseconds after the last key before the search is sent.
const SETTLE_MS: u32 = 300;

#[component]
pub fn TvSearch() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut query = use_signal(String::new);
    let results = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        let q = query().trim().to_owned();
        async move {
            if q.is_empty() {
                return Ok(None);
            }
            // A newer key restarts this resource and drops the wait: one request per pause.
            platform.0.sleep(SETTLE_MS).await;
            let args = SearchArgs {
                query: q,
                after: None,
            };
            gql::run(&platform, token, SearchQuery::build(args))
                .await
                .map(|r| Some(r.search))
        }
    });
    let mut type_key = move |c: char| {
        if query.peek().chars().count() < 100 {
            query.write().push(c);
        }
    };
    let status = match &*results.read() {
        _ if query().trim().is_empty() => {
            rsx! { p { class: "tv-status", "Type with the keys to find videos." } }
        }
        None => rsx! { p { class: "tv-status", "Searching…" } },
        Some(Err(e)) => {
            rsx! { p { class: "tv-status error", role: "alert", "Search failed: {e}" } }
        }
        Some(Ok(Some(p))) if p.edges.is_empty() => rsx! {
            p { class: "tv-status", "No videos match “{query}”." }
        },
        Some(Ok(_)) => rsx! {},
    };
    let cards: Vec<_> = match &*results.read() {
        Some(Ok(Some(p))) => p
            .edges
            .iter()
            .map(|e| (e.node.video.clone(), None))
            .collect(),
        _ => Vec::new(),
    };
    rsx! {
        document::Title { "Search · Kino TV" }
        div { class: "tv-search",
            onkeydown: move |e: KeyboardEvent| {
                if let Key::Character(c) = e.key()
                    && let Some(ch) = c.chars().next().filter(|c| c.is_alphanumeric() || *c == ' ')
                    && c.chars().count() == 1
                {
                    type_key(ch.to_ascii_lowercase());
                }
            },
            div { class: "tv-keyboard",
                h1 { "Search" }
                p { class: "tv-query", role: "status", aria_label: "Search words",
                    if query().is_empty() { span { class: "muted", "Search" } } else { "{query}" }
                }
                div { class: "tv-keys", role: "group", aria_label: "Keyboard",
                    for (i, c) in LETTERS.chars().enumerate() {
                        button { key: "{c}", class: "tv-key", "data-focus-key": "key:{c}",
                            "data-autofocus": if i == 0 { "true" },
                            onclick: move |_| type_key(c), "{c}" }
                    }
                    button { class: "tv-key wide", "data-focus-key": "key:space",
                        onclick: move |_| type_key(' '), "Space" }
                    button { class: "tv-key wide", "data-focus-key": "key:delete", aria_label: "Delete",
                        onclick: move |_| { query.write().pop(); }, "⌫" }
                    button { class: "tv-key wide", "data-focus-key": "key:clear",
                        onclick: move |_| query.set(String::new()), "Clear" }
                }
            }
            div { class: "tv-results",
                {status}
                TvGrid { id: "results", cards }
            }
        }
    }
}
