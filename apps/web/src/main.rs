//! The Kino web app: mounts the shared UI in the browser, against the api that served it.

use dioxus::prelude::*;
use std::rc::Rc;
use ui::{App, Platform, PlatformHandle};

/// The browser: the api is the origin the app was loaded from.
struct Browser;

impl Platform for Browser {
    fn api_base(&self) -> String {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_else(|| "http://localhost:8080".to_owned())
    }
}

#[component]
fn Root() -> Element {
    use_context_provider(|| PlatformHandle(Rc::new(Browser)));
    rsx! { App {} }
}

fn main() {
    dioxus::launch(Root);
}
