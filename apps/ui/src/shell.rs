//! The frame around every page: the skip link, the top bar (brand, search, navigation, the
//! session) and the main landmark; and the page for addresses that lead nowhere.

use crate::Route;
use crate::session::{Session, sign_in_then, use_me};
use dioxus::prelude::*;

/// Header and page frame around every route.
#[component]
pub fn Shell() -> Element {
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
    let me = use_me();
    let name = match &*me.read() {
        Some(Ok(Some(u))) => u.display_name.clone(),
        _ => "Account".to_owned(),
    };
    let is_admin =
        matches!(&*me.read(), Some(Ok(Some(u))) if u.role == shared::graphql::Role::Admin);
    let can_download = use_context::<crate::PlatformHandle>().0.can_download();
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
                if can_download {
                    Link { to: Route::Downloads {}, "Downloads" }
                }
                if is_admin {
                    Link { to: Route::Admin {}, "Admin" }
                }
                Link { to: Route::TvHome {}, title: "The app for TVs, driven by arrow keys or a remote", "TV" }
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
