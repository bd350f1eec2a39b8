//! The frame around every page: the skip link, the top bar (brand, search, navigation, the
//! session) and the main landmark; and the page for addresses that lead nowhere.

use crate::session::{Session, sign_in_then};
use crate::{PlatformHandle, Route, gql};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use shared::graphql::MeQuery;

/// Header and page frame around every route.
#[component]
pub fn Shell() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = session.token.read().is_some();
    let route = use_route::<Route>();
    let mut query = use_signal(String::new);
    // The box shows the query of the search page it is on (opened by link or reload too).
    let on_search = match &route {
        Route::Search { q } => Some(q.clone()),
        _ => None,
    };
    use_effect(use_reactive!(|on_search| {
        if let Some(q) = on_search {
            query.set(q);
        }
    }));
    // A stored token may have expired or been revoked since: ask once per token, and end
    // the session if the api no longer knows it.
    let me = use_resource({
        let platform = platform.clone();
        move || {
            let platform = platform.clone();
            let token = session.token.read().clone();
            async move {
                match token {
                    None => None,
                    t => Some(
                        gql::run(&platform, t, MeQuery::build(()))
                            .await
                            .map(|q| q.me),
                    ),
                }
            }
        }
    });
    use_effect(move || {
        if let Some(Some(Ok(None))) = &*me.read() {
            session.expire(&platform);
        }
    });
    let name = match &*me.read() {
        Some(Some(Ok(Some(u)))) => u.display_name.clone(),
        _ => "Account".to_owned(),
    };
    let expired = *session.expired.read();
    let on_sign_in = matches!(route, Route::SignIn { .. });
    rsx! {
        a { class: "skip", href: "#content", "Skip to content" }
        header { class: "topbar",
            Link { class: "brand", to: Route::Home {}, "Kino" }
            form {
                class: "search",
                role: "search",
                onsubmit: move |evt: FormEvent| {
                    evt.prevent_default();
                    let q = query.read().trim().to_owned();
                    navigator().push(Route::Search { q });
                },
                input {
                    r#type: "search",
                    name: "q",
                    aria_label: "Search",
                    placeholder: "Search",
                    value: "{query}",
                    oninput: move |evt| query.set(evt.value()),
                }
            }
            nav { aria_label: "Main",
                Link { to: Route::Home {}, "Home" }
                if signed_in {
                    Link { to: Route::MyList {}, "My List" }
                    Link { to: Route::History {}, "History" }
                }
                Link { to: Route::Studio {}, "Studio" }
                if signed_in {
                    Link { to: Route::Account {}, title: "Your account", "{name}" }
                } else if !on_sign_in {
                    Link { to: sign_in_then(&route), "Sign in" }
                }
            }
        }
        if expired && !on_sign_in {
            div { class: "banner", role: "status",
                "Your session has ended. "
                Link { to: sign_in_then(&route), "Sign in again" }
            }
        }
        main { class: "page", id: "content", tabindex: "-1", Outlet::<Route> {} }
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
