//! The admin console (`/admin`, admins only): accounts and roles, moderation, and the
//! transcoding queue with its workers. Everything comes from the REST operations, and every
//! refusal shows the api's own words.

mod accounts;
mod moderation;
mod queue;

use crate::Route;
use crate::session::{use_me, use_signed_in};
use dioxus::prelude::*;
use shared::graphql::Role;

/// The api's message for a refused call.
fn refusal(e: &shared::client::Error<shared::client::types::ErrorBody>) -> String {
    shared::client::error_code(e).2
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Accounts,
    Moderation,
    Queue,
}

#[component]
pub fn Admin() -> Element {
    let signed_in = use_signed_in(Route::Admin {});
    let me = use_me();
    let mut tab = use_signal(|| Tab::Accounts);
    if !signed_in {
        return rsx! {};
    }
    match &*me.read() {
        None => return rsx! { p { class: "status", "Loading…" } },
        Some(Ok(Some(u))) if u.role == Role::Admin => {}
        _ => {
            return rsx! {
                document::Title { "Admin · Kino" }
                section { class: "status-page",
                    h1 { "Admins only" }
                    p { "This console is for the installation's admins." }
                    Link { class: "button", to: Route::Home {}, "Back to the catalogue" }
                }
            };
        }
    }
    let tab_button = |which: Tab, label: &'static str| {
        let on = tab() == which;
        rsx! {
            button {
                role: "tab",
                class: if on { "chip on" } else { "chip" },
                aria_selected: "{on}",
                onclick: move |_| tab.set(which),
                "{label}"
            }
        }
    };
    rsx! {
        document::Title { "Admin · Kino" }
        section { class: "admin",
            h1 { "Admin" }
            div { class: "chips", role: "tablist", aria_label: "Sections",
                {tab_button(Tab::Accounts, "Accounts")}
                {tab_button(Tab::Moderation, "Moderation")}
                {tab_button(Tab::Queue, "Transcoding")}
            }
            div { role: "tabpanel",
                match tab() {
                    Tab::Accounts => rsx! { accounts::Accounts {} },
                    Tab::Moderation => rsx! { moderation::Moderation {} },
                    Tab::Queue => rsx! { queue::Queue {} },
                }
            }
        }
    }
}
