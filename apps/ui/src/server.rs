//! Choosing the Kino server, in the apps that are not served by one (the desktop app): on
//! first start before anything else, and later from `/server`.

use crate::{PlatformHandle, Servers};
use dioxus::prelude::*;

/// The first-start page: nothing else of the app exists until a server is chosen.
#[component]
pub fn FirstStart(servers: Servers) -> Element {
    rsx! {
        main { class: "first-start",
            section { class: "form-page",
                h1 { "Welcome to Kino" }
                p { class: "muted",
                    "Kino plays the videos of the Kino server you choose. Enter its address, as you would open it in a browser."
                }
                ServerPicker { servers }
            }
        }
    }
}

/// `/server`: which server the app talks to, and a change of it.
#[component]
pub fn Server() -> Element {
    let platform = use_context::<PlatformHandle>();
    rsx! {
        section { class: "form-page",
            h1 { "Server" }
            match platform.0.servers() {
                Some(servers) => rsx! {
                    if let Some(current) = &servers.current {
                        p { "This app plays the videos of " strong { "{current}" } "." }
                        p { class: "muted", "Each server keeps its own sign-in: switching back finds you signed in again." }
                    }
                    ServerPicker { servers }
                },
                None => rsx! {
                    p { "This app talks to the site that served it." }
                },
            }
        }
    }
}

/// The address form and the servers chosen before (switch to one, or forget it).
#[component]
fn ServerPicker(servers: Servers) -> Element {
    let platform = use_context::<PlatformHandle>();
    let mut address = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| None::<String>);
    let mut known = use_signal(|| servers.known.clone());
    let current = servers.current.clone();

    let connect = use_callback({
        let platform = platform.clone();
        move |url: String| {
            let platform = platform.clone();
            spawn(async move {
                busy.set(Some(url.clone()));
                error.set(None);
                // On success the app starts again against the new server.
                if let Err(e) = platform.0.choose_server(&url).await {
                    error.set(Some(e));
                    busy.set(None);
                }
            });
        }
    });
    let forget = move |url: String| {
        let platform = platform.clone();
        async move {
            match platform.0.forget_server(&url).await {
                Ok(left) => known.set(left),
                Err(e) => error.set(Some(e)),
            }
        }
    };
    let others: Vec<String> = known()
        .into_iter()
        .filter(|k| Some(k) != current.as_ref())
        .collect();

    rsx! {
        form { class: "form", id: "server-form",
            onsubmit: move |evt: FormEvent| {
                evt.prevent_default();
                connect(address());
            },
            label { r#for: "server-address", "Server address" }
            input { id: "server-address", r#type: "text", required: true, autofocus: true,
                inputmode: "url", autocomplete: "url", spellcheck: "false",
                placeholder: "https://kino.example",
                "aria-describedby": "server-hint",
                value: "{address}", oninput: move |e| address.set(e.value()) }
            p { id: "server-hint", class: "muted",
                "https:// addresses only (http:// only for this computer's own server)." }
            if let Some(e) = error() {
                p { class: "error", role: "alert", "{e}" }
            }
            button { r#type: "submit", disabled: busy().is_some(),
                if busy().is_some() { "Connecting…" } else { "Connect" }
            }
        }
        if !others.is_empty() {
            h2 { "Servers you used" }
            ul { class: "server-list",
                for url in others {
                    li { key: "{url}",
                        span { class: "server-url", "{url}" }
                        button { class: "button secondary", disabled: busy().is_some(),
                            onclick: { let url = url.clone(); move |_| connect(url.clone()) },
                            "Switch" }
                        button { class: "button secondary", "aria-label": "Forget {url}",
                            onclick: { let url = url.clone(); let forget = forget.clone(); move |_| forget(url.clone()) },
                            "Forget" }
                    }
                }
            }
        }
    }
}
