//! Finding something to watch: the home rails, a genre's videos and search.

use crate::cards::{Card, CardData, Poster, RailRow};
use crate::session::Session;
use crate::{PlatformHandle, Route, gql, marks};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::{
    self as gql_types, GenreArgs, GenreQuery, HomeQuery, SearchArgs, SearchQuery, VideoCard,
    VideoSort,
};

/// The home page: the `home` rails in one GraphQL request, each a section of cards that
/// scrolls sideways. Rails the api could not build are left out.
#[component]
pub fn Home() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut home = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        async move { gql::run(&platform, token, HomeQuery::build(())).await }
    });
    let body = match &*home.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => rsx! {
            div { class: "status error", role: "alert",
                p { "Could not load the home page: {e}" }
                button { class: "button", onclick: move |_| home.restart(), "Try again" }
            }
        },
        Some(Ok(q)) => {
            let rails = home_rails(&q.home);
            if rails.is_empty() {
                rsx! { p { class: "status", "Nothing to watch yet." } }
            } else {
                rsx! {
                    for (key, title, cards) in rails {
                        RailRow { key: "{key}", id: key.clone(), title, cards }
                    }
                }
            }
        }
    };
    rsx! {
        h1 { class: "visually-hidden", "Home" }
        {body}
    }
}

/// The home page's rails in order (Continue watching, Because you watched, New, Popular,
/// then genres) as (key, title, cards); empty rails and those the api left out are skipped.
pub fn home_rails(h: &gql_types::Home) -> Vec<(String, String, Vec<CardData>)> {
    let mut rails: Vec<(String, String, Vec<CardData>)> = Vec::new();
    if let Some(items) = h.continue_watching.as_ref().filter(|i| !i.is_empty()) {
        let cards = items
            .iter()
            .map(|i| (i.video.clone(), Some(i.position_s)))
            .collect();
        rails.push(("continue".into(), "Continue watching".into(), cards));
    }
    let mut push = |r: &gql_types::Rail| {
        if !r.videos.is_empty() {
            let cards = r.videos.iter().map(|v| (v.clone(), None)).collect();
            rails.push((r.key.clone(), r.title.clone(), cards));
        }
    };
    for r in [&h.because_you_watched, &h.new, &h.popular]
        .into_iter()
        .flatten()
    {
        push(r);
    }
    for r in h.genres.iter().flatten() {
        push(r);
    }
    rails
}

/// A genre's videos, newest or most viewed first, 24 at a time.
#[component]
pub fn Genre(name: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut sort = use_signal(VideoSort::default);
    let mut after = use_signal(|| None::<String>);
    let mut cards = use_signal(Vec::<VideoCard>::new);
    // Another genre or order starts from the top.
    use_effect(move || {
        let _ = (name(), sort());
        after.set(None);
        cards.set(Vec::new());
    });
    let page = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        let args = GenreArgs {
            genre: name(),
            sort: sort(),
            after: after(),
        };
        async move { gql::run(&platform, token, GenreQuery::build(args)).await }
    });
    use_effect(move || {
        if let Some(Ok(p)) = &*page.read() {
            let mut all = cards.peek().clone();
            for e in &p.videos.edges {
                if !all.iter().any(|c| c.id == e.node.id) {
                    all.push(e.node.clone());
                }
            }
            cards.set(all);
        }
    });
    let title = shared::genre_title(&name());
    let status = match &*page.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            rsx! { p { class: "status error", role: "alert", "Could not load {title}: {e}" } }
        }
        Some(Ok(_)) if cards.read().is_empty() => {
            rsx! { p { class: "status", "No videos in {title} yet." } }
        }
        Some(Ok(_)) => rsx! {},
    };
    let more = match &*page.read() {
        Some(Ok(p)) if p.videos.page_info.has_next_page => p.videos.page_info.end_cursor.clone(),
        _ => None,
    };
    let order = |label: &'static str, value: VideoSort| {
        let pressed = sort() == value;
        rsx! {
            button {
                class: if pressed { "chip on" } else { "chip" },
                aria_pressed: "{pressed}",
                onclick: move |_| sort.set(value),
                "{label}"
            }
        }
    };
    rsx! {
        document::Title { "{title} · Kino" }
        h1 { "{title}" }
        div { class: "chips", role: "group", aria_label: "Order",
            {order("New", VideoSort::New)}
            {order("Popular", VideoSort::Popular)}
        }
        {status}
        ul { class: "grid",
            for video in cards.read().iter().cloned() {
                Card { key: "{video.id.inner()}", video, position: None }
            }
        }
        if let Some(cursor) = more {
            button {
                class: "button more",
                onclick: move |_| after.set(Some(cursor.clone())),
                "More videos"
            }
        }
    }
}

/// Search results for `q`: cards with the matched words marked, paged 24 at a time.
#[component]
pub fn Search(q: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut after = use_signal(|| None::<String>);
    let mut hits = use_signal(Vec::<gql_types::SearchHit>::new);
    // A new query starts from the top.
    use_effect(move || {
        let _ = q();
        after.set(None);
        hits.set(Vec::new());
    });
    let page = use_resource(move || {
        let platform = platform.clone();
        let token = session.token.read().clone();
        let query = q().trim().to_owned();
        let after = after();
        async move {
            if query.is_empty() {
                return Ok(None);
            }
            let page = gql::run(
                &platform,
                token,
                SearchQuery::build(SearchArgs { query, after }),
            )
            .await?;
            Ok::<_, gql::Failure>(Some(page.search))
        }
    });
    use_effect(move || {
        if let Some(Ok(Some(p))) = &*page.read() {
            let mut all = hits.peek().clone();
            for e in &p.edges {
                if !all.iter().any(|h| h.video.id == e.node.video.id) {
                    all.push(e.node.clone());
                }
            }
            hits.set(all);
        }
    });
    let query = q();
    let status = match &*page.read() {
        _ if query.trim().is_empty() => {
            rsx! { p { class: "status", "Type a word in the search box to find videos." } }
        }
        None => rsx! { p { class: "status", "Searching…" } },
        Some(Err(e)) => rsx! { p { class: "status error", role: "alert", "Search failed: {e}" } },
        Some(Ok(_)) if hits.read().is_empty() => rsx! {
            p { class: "status", "No videos match “{query}”. Try fewer or other words." }
        },
        Some(Ok(_)) => rsx! {},
    };
    let more = match &*page.read() {
        Some(Ok(Some(p))) if p.page_info.has_next_page => p.page_info.end_cursor.clone(),
        _ => None,
    };
    rsx! {
        document::Title { "Search: {query} · Kino" }
        h1 { "Search" }
        {status}
        ul { class: "grid results",
            for hit in hits.read().iter().cloned() {
                SearchResult { key: "{hit.video.id.inner()}", hit }
            }
        }
        if let Some(cursor) = more {
            button {
                class: "button more",
                onclick: move |_| after.set(Some(cursor.clone())),
                "More results"
            }
        }
    }
}

#[component]
fn SearchResult(hit: gql_types::SearchHit) -> Element {
    let poster = hit
        .video
        .playback
        .as_ref()
        .map(|p| crate::platform::media_url(&p.poster_url))
        .unwrap_or_default();
    let duration = hit
        .video
        .duration_s
        .map(shared::duration_label)
        .unwrap_or_default();
    rsx! {
        li { class: "card",
            Link { to: Route::Watch { id: hit.video.id.inner().to_owned() },
                div { class: "poster",
                    Poster { src: poster }
                    if !duration.is_empty() {
                        span { class: "duration", "{duration}" }
                    }
                }
                span { class: "title",
                    Marked { text: hit.title_marked.clone() }
                }
                if let Some(snippet) = &hit.snippet_marked {
                    span { class: "snippet", Marked { text: snippet.clone() } }
                }
            }
        }
    }
}

/// Text with the api's `<mark>` highlights, rendered as text nodes and `mark` elements.
#[component]
fn Marked(text: String) -> Element {
    rsx! {
        for (i, (marked, run)) in marks::segments(&text).into_iter().enumerate() {
            if marked {
                mark { key: "{i}", "{run}" }
            } else {
                span { key: "{i}", "{run}" }
            }
        }
    }
}
