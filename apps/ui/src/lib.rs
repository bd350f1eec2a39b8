//! Kino's user interface, shared by the web app, the TV mode and the desktop/mobile shell.
//!
//! Components here know nothing about the platform they run on: what differs (where the api
//! is, and later offline downloads and secure token storage) comes in through the
//! [`Platform`] trait that each launcher provides as context. Data comes from the api through
//! the generated REST client in `shared::client`.

mod platform;
mod player;
mod views;

pub use platform::{Platform, PlatformHandle};

use dioxus::prelude::*;
use views::{Home, NotFound, Shell, Watch};

const MAIN_CSS: Asset = asset!("/assets/main.css");

/// Every page of the app.
#[derive(Debug, Clone, Routable, PartialEq)]
#[rustfmt::skip]
pub enum Route {
    #[layout(Shell)]
        #[route("/")]
        Home {},
        #[route("/watch/:id")]
        Watch { id: String },
        #[route("/:..segments")]
        NotFound { segments: Vec<String> },
}

/// The root component. Launchers provide a [`PlatformHandle`] as context before rendering it.
#[component]
pub fn App() -> Element {
    rsx! {
        document::Title { "Kino" }
        document::Stylesheet { href: MAIN_CSS }
        Router::<Route> {}
    }
}
