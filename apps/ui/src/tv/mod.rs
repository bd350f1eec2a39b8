//! The TV app (`/tv/...`): the same data and player as the web app in a 10-foot layout,
//! driven by a remote. `focus.js` moves focus spatially and names the remote's keys; this
//! shell decides what Back means (close a menu, go back a page, or ask before leaving).

mod cards;
mod details;
mod home;
mod library;
mod search;
mod signin;
mod watch;

pub use details::TvDetails;
pub use home::TvHome;
pub use library::TvMyList;
pub use search::TvSearch;
pub use signin::TvSignIn;
pub use watch::TvWatch;

use crate::Route;
use crate::session::{Session, use_me};
use dioxus::prelude::*;
use serde::Deserialize;
use serde_json::json;

const FOCUS: &str = include_str!("focus.js");

/// What Back does before it leaves a page: a page with something open (the player's menus)
/// sets it and clears it when that closes.
#[derive(Clone, Copy)]
pub struct TvBack(pub Signal<Option<Callback<()>>>);

impl TvBack {
    /// The TV shell's Back handler slot, or none outside the TV app.
    pub fn get() -> Option<TvBack> {
        try_consume_context::<TvBack>()
    }
}

#[derive(Deserialize)]
#[serde(tag = "ev", rename_all = "lowercase")]
enum News {
    Back,
}

/// The frame of every TV page: the menu bar, the page, and the question asked before the app
/// is left.
#[component]
pub fn TvShell() -> Element {
    let back = use_context_provider(|| TvBack(Signal::new(None)));
    let mut leaving = use_signal(|| false);
    let route = use_route::<Route>();
    let engine = use_hook(|| document::eval(FOCUS));
    use_effect(move || {
        let _ = engine.send(json!({ "op": "start" }));
    });
    use_future(move || {
        let mut engine = engine;
        async move {
            while let Ok(News::Back) = engine.recv::<News>().await {
                if *leaving.peek() {
                    leaving.set(false);
                } else if let Some(close) = *back.0.peek() {
                    close.call(());
                } else if matches!(router().current::<Route>(), Route::TvHome {}) {
                    leaving.set(true);
                } else if navigator().can_go_back() {
                    navigator().go_back();
                } else {
                    navigator().replace(Route::TvHome {});
                }
            }
        }
    });
    let playing = matches!(route, Route::TvWatch { .. });
    rsx! {
        document::Title { "Kino TV" }
        div { class: "tv-app",
            if !playing {
                TvMenu {}
            }
            main { class: if playing { "tv-page tv-full" } else { "tv-page" }, Outlet::<Route> {} }
            if leaving() {
                div { class: "tv-dialog", role: "dialog", aria_modal: "true",
                    aria_labelledby: "tv-leave-title", "data-tv-layer": "true",
                    h2 { id: "tv-leave-title", "Leave Kino?" }
                    div { class: "tv-actions",
                        button { class: "tv-button", "data-focus-key": "leave:stay", "data-autofocus": "true",
                            onclick: move |_| leaving.set(false), "Stay" }
                        button { class: "tv-button secondary", "data-focus-key": "leave:go",
                            onclick: move |_| {
                                let _ = engine.send(json!({ "op": "exit" }));
                            },
                            "Leave"
                        }
                    }
                }
            }
        }
    }
}

/// The menu bar: Home, Search, My List and the account.
#[component]
fn TvMenu() -> Element {
    let platform = use_context::<crate::PlatformHandle>();
    let session = Session::get();
    let route = use_route::<Route>();
    let me = use_me();
    let signed_in = session.token.read().is_some();
    let name = match &*me.read() {
        Some(Ok(Some(u))) => Some(u.display_name.clone()),
        _ => None,
    };
    let item = |to: Route, key: &'static str, label: String| {
        let current = route == to;
        rsx! {
            TvLink { to, focus_key: "nav:{key}", class: if current { "tv-nav-item on" } else { "tv-nav-item" },
                aria_current: if current { "page" } else { "false" }, "{label}" }
        }
    };
    rsx! {
        header { class: "tv-menu",
            span { class: "tv-brand", "Kino" }
            nav { aria_label: "Main",
                {item(Route::TvHome {}, "home", "Home".into())}
                {item(Route::TvSearch {}, "search", "Search".into())}
                if signed_in {
                    {item(Route::TvMyList {}, "my-list", "My List".into())}
                }
                if signed_in {
                    button { class: "tv-nav-item", "data-focus-key": "nav:sign-out",
                        onclick: move |_| session.set(&platform, None),
                        "Sign out"
                    }
                    if let Some(n) = name {
                        span { class: "tv-who", "{n}" }
                    }
                } else {
                    {item(Route::TvSignIn {}, "sign-in", "Sign in".into())}
                }
            }
        }
    }
}

/// A link the remote can focus and follow (Enter clicks it), with the key focus is
/// remembered by.
#[component]
pub fn TvLink(
    to: Route,
    focus_key: String,
    class: String,
    #[props(default)] aria_current: Option<String>,
    #[props(default)] autofocus: bool,
    children: Element,
) -> Element {
    let href = to.to_string();
    rsx! {
        a {
            href: "{href}",
            class: "{class}",
            "data-focus-key": "{focus_key}",
            "data-autofocus": if autofocus { "true" },
            aria_current: aria_current,
            onclick: move |e: MouseEvent| {
                e.prevent_default();
                navigator().push(to.clone());
            },
            {children}
        }
    }
}

/// What went wrong, and a Try again that takes focus (a remote has nothing else to press).
#[component]
pub fn TvRetry(message: String, on_retry: EventHandler<()>) -> Element {
    rsx! {
        div { class: "tv-status error", role: "alert",
            p { "{message}" }
            button { class: "tv-button", "data-focus-key": "retry", "data-autofocus": "true",
                onclick: move |_| on_retry.call(()), "Try again" }
        }
    }
}
