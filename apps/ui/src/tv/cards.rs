//! Cards and rails for ten feet: posters load as focus comes near (`data-src`, read by the
//! focus engine), and every card has a focus key so focus comes back to it.

use super::TvLink;
use crate::Route;
use crate::cards::{CardData, CardFacts};
use dioxus::prelude::*;

/// A rail: a heading and a row of cards that scrolls sideways as focus moves.
#[component]
pub fn TvRail(id: String, title: String, cards: Vec<CardData>) -> Element {
    let heading = format!(
        "tv-rail-{}",
        id.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    rsx! {
        section { class: "tv-rail", "data-rail": "{id}", aria_labelledby: "{heading}",
            h2 { id: "{heading}", "{title}" }
            ul { class: "tv-row",
                for (video, position) in cards {
                    li { key: "{video.id.inner()}",
                        TvCard { rail: id.clone(), video, position }
                    }
                }
            }
        }
    }
}

/// A grid of cards (My List, search results).
#[component]
pub fn TvGrid(id: String, cards: Vec<CardData>) -> Element {
    rsx! {
        ul { class: "tv-grid",
            for (i, (video, position)) in cards.into_iter().enumerate() {
                li { key: "{video.id.inner()}",
                    TvCard { rail: id.clone(), video, position, autofocus: i == 0 }
                }
            }
        }
    }
}

/// A card: poster, title and length; Enter opens the video's page.
#[component]
pub fn TvCard(
    rail: String,
    video: shared::graphql::VideoCard,
    position: Option<f64>,
    /// Where focus starts on a page of cards.
    #[props(default)]
    autofocus: bool,
) -> Element {
    let id = video.id.inner().to_owned();
    let CardFacts {
        poster,
        duration,
        watched,
    } = CardFacts::of(&video, position);
    rsx! {
        TvLink { to: Route::TvDetails { id: id.clone() }, focus_key: "card:{rail}:{id}", class: "tv-card", autofocus,
            div { class: "tv-poster",
                LazyPoster { src: poster }
                if !duration.is_empty() {
                    span { class: "duration", "{duration}" }
                }
                if let Some(pct) = watched {
                    span { class: "watched", role: "progressbar", aria_label: "Watched",
                        aria_valuenow: "{pct:.0}", aria_valuemin: "0", aria_valuemax: "100",
                        span { style: "width: {pct:.1}%" }
                    }
                }
            }
            span { class: "tv-card-title", "{video.title}" }
        }
    }
}

/// A poster the focus engine loads once it is near the view; one that fails to load leaves
/// the card's plain frame.
#[component]
pub fn LazyPoster(src: String) -> Element {
    let mut broken = use_signal(|| false);
    if src.is_empty() || broken() {
        return rsx! {};
    }
    rsx! {
        img { "data-src": "{src}", alt: "", decoding: "async", onerror: move |_| broken.set(true) }
    }
}
