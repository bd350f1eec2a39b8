//! Kino's user interface, shared by the web app, the TV mode and the desktop/mobile shell.
//!
//! Components here know nothing about the platform they run on: what differs (where the api
//! is, and later offline downloads and secure token storage) comes in through the
//! [`Platform`] trait that each launcher provides as context. Data comes from the api through
//! GraphQL (`gql`, typed operations from `shared::graphql`) for pages and the generated REST
//! client in `shared::client` for writes.

mod account;
mod gql;
mod marks;
mod platform;
mod player;
mod session;
mod studio;
mod views;

pub use platform::{LocalFuture, Platform, PlatformHandle};

use account::SignIn;
use dioxus::prelude::*;
use session::Session;
use studio::Studio;
use views::{Genre, Home, NotFound, Search, Shell, Watch};

/// Every page of the app.
#[derive(Debug, Clone, Routable, PartialEq)]
#[rustfmt::skip]
pub enum Route {
    #[layout(Shell)]
        #[route("/")]
        Home {},
        #[route("/watch/:id")]
        Watch { id: String },
        #[route("/search?:q")]
        Search { q: String },
        #[route("/genre/:name")]
        Genre { name: String },
        #[route("/studio")]
        Studio {},
        #[route("/signin")]
        SignIn {},
        #[route("/:..segments")]
        NotFound { segments: Vec<String> },
}

/// The root component. Launchers provide a [`PlatformHandle`] as context before rendering it.
#[component]
pub fn App() -> Element {
    let platform = use_context::<PlatformHandle>();
    Session::provide(&platform);
    rsx! {
        document::Title { "Kino" }
        Router::<Route> {}
    }
}
