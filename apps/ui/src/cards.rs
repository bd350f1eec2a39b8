//! Video cards and the rails and grids that hold them.

use crate::Route;
use dioxus::prelude::*;
use shared::graphql::VideoCard;

/// A card's video and, on Continue watching, where the viewer stopped.
pub type CardData = (VideoCard, Option<f64>);

/// What a card shows of its video, in every layout.
pub struct CardFacts {
    /// The poster's address (empty without one).
    pub poster: String,
    /// Its length as `1:02:03` (empty while unknown).
    pub duration: String,
    /// How far the viewer got, in percent, if they started it.
    pub watched: Option<f64>,
}

impl CardFacts {
    /// `position` (on Continue watching) wins over the video's own progress.
    pub fn of(video: &VideoCard, position: Option<f64>) -> CardFacts {
        CardFacts {
            poster: video
                .playback
                .as_ref()
                .map(|p| crate::platform::media_url(&p.poster_url))
                .unwrap_or_default(),
            duration: video
                .duration_s
                .map(shared::duration_label)
                .unwrap_or_default(),
            watched: position
                .or_else(|| video.progress.as_ref().map(|p| p.position_s))
                .zip(video.duration_s.filter(|d| *d > 0.0))
                .map(|(p, d)| (p / d * 100.0).clamp(0.0, 100.0)),
        }
    }
}

/// One rail: a heading and a row of cards.
#[component]
pub fn RailRow(id: String, title: String, cards: Vec<CardData>) -> Element {
    let heading = format!(
        "rail-{}",
        id.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    rsx! {
        section { class: "rail", aria_labelledby: "{heading}",
            if let Some(genre) = id.strip_prefix("genre:") {
                h2 { id: "{heading}",
                    Link { to: Route::Genre { name: genre.to_owned() }, "{title}" }
                }
            } else {
                h2 { id: "{heading}", "{title}" }
            }
            ul { class: "rail-row",
                for (video, position) in cards {
                    Card { key: "{video.id.inner()}", video, position }
                }
            }
        }
    }
}

/// A card: poster, length and title, linking to the watch page; a bar shows how far the
/// viewer got.
#[component]
pub fn Card(video: VideoCard, position: Option<f64>) -> Element {
    let CardFacts {
        poster,
        duration,
        watched,
    } = CardFacts::of(&video, position);
    rsx! {
        li { class: "card",
            Link { to: Route::Watch { id: video.id.inner().to_owned() },
                div { class: "poster",
                    Poster { src: poster }
                    if !duration.is_empty() {
                        span { class: "duration", "{duration}" }
                    }
                    if let Some(pct) = watched {
                        span {
                            class: "watched",
                            role: "progressbar",
                            aria_label: "Watched",
                            aria_valuenow: "{pct:.0}",
                            aria_valuemin: "0",
                            aria_valuemax: "100",
                            span { style: "width: {pct:.1}%" }
                        }
                    }
                }
                span { class: "title", "{video.title}" }
            }
        }
    }
}

/// A card's poster, loaded lazily; one that fails to load (or a video without one) leaves
/// the card's plain frame instead of the browser's broken-image sign.
#[component]
pub fn Poster(src: String) -> Element {
    let mut broken = use_signal(|| false);
    if src.is_empty() || broken() {
        return rsx! {};
    }
    rsx! {
        img { src: "{src}", alt: "", loading: "lazy", onerror: move |_| broken.set(true) }
    }
}
