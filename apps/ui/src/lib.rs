//! Kino's user interface, shared by the web app, the TV mode and the desktop/mobile shell.
//!
//! Components here know nothing about the platform they run on: what differs (where the api
//! is, timers, and later offline downloads and secure token storage) comes in through the
//! [`Platform`] trait that each launcher provides as context. Data comes from the api through
//! GraphQL (`gql`, typed operations from `shared::graphql`) for pages and the generated REST
//! client in `shared::client` for writes.

mod account;
mod activate;
mod admin;
mod browse;
mod cards;
mod clock;
mod downloads;
mod gql;
mod library;
mod marks;
mod platform;
mod player;
mod server;
mod session;
mod shell;
mod storyboard;
mod studio;
mod tv;
mod watch;

pub use platform::{
    Download, DownloadAction, FileData, FileKind, LocalFuture, Platform, PlatformHandle, PutError,
    Servers,
};

use account::{Account, SignIn};
use activate::Activate;
use admin::Admin;
use browse::{Genre, Home, Search};
use dioxus::prelude::*;
use downloads::{Downloads, OfflineWatch};
use library::{History, MyList};
use server::{FirstStart, Server};
use session::Session;
use shell::{NotFound, Shell};
use studio::{Studio, StudioVideo};
use tv::{TvDetails, TvHome, TvMyList, TvSearch, TvShell, TvSignIn, TvWatch};
use watch::Watch;

/// Every page of the app; the addresses are part of the contract (links and reloads land on
/// the same page).
#[derive(Debug, Clone, Routable, PartialEq)]
#[rustfmt::skip]
pub enum Route {
    // The TV app: its own frame and focus system over the same data and player.
    #[nest("/tv")]
        #[layout(TvShell)]
            #[route("/")]
            TvHome {},
            #[route("/video/:id")]
            TvDetails { id: String },
            #[route("/watch/:id?:from")]
            TvWatch { id: String, from: String },
            #[route("/search")]
            TvSearch {},
            #[route("/my-list")]
            TvMyList {},
            #[route("/signin")]
            TvSignIn {},
        #[end_layout]
    #[end_nest]
    #[layout(Shell)]
        #[route("/")]
        Home {},
        #[route("/watch/:id")]
        Watch { id: String },
        #[route("/search?:q")]
        Search { q: String },
        #[route("/genre/:name")]
        Genre { name: String },
        #[route("/my-list")]
        MyList {},
        #[route("/history")]
        History {},
        #[route("/account")]
        Account {},
        #[route("/studio")]
        Studio {},
        #[route("/studio/video/:id")]
        StudioVideo { id: String },
        #[route("/admin")]
        Admin {},
        #[route("/server")]
        Server {},
        #[route("/downloads")]
        Downloads {},
        #[route("/offline/:id")]
        OfflineWatch { id: String },
        #[route("/activate?:code")]
        Activate { code: Option<String> },
        #[route("/signin?:code&:next")]
        // `code` first: the router writes an `&` after every argument but the last that it
        // writes, so an absent code leaves the usual `/signin?next=…`.
        SignIn { code: Option<String>, next: String },
        #[route("/:..segments")]
        NotFound { segments: Vec<String> },
}

/// The root component. Launchers provide a [`PlatformHandle`] as context before rendering it.
#[component]
pub fn App() -> Element {
    let platform = use_context::<PlatformHandle>();
    Session::provide(&platform);
    if let Some(servers) = platform.0.servers().filter(|s| s.current.is_none()) {
        return rsx! {
            document::Title { "Kino" }
            FirstStart { servers }
        };
    }
    rsx! {
        document::Title { "Kino" }
        Router::<Route> {}
    }
}
