//! The creator's Studio (`/studio`): several files uploaded at once, each with its progress,
//! pause, resume and cancel, followed to published; and the creator's videos.

mod edit;
mod live;
mod picker;
mod uploads;
mod videos;

pub use edit::StudioVideo;

use crate::Route;
use crate::session::{Session, use_me};
use dioxus::prelude::*;
use shared::graphql::Role;

#[component]
pub fn Studio() -> Element {
    let session = Session::get();
    // Bumped when an upload finishes, so the list of videos shows it.
    let changed = use_signal(|| 0u32);
    if session.token.read().is_none() {
        return rsx! {
            section { class: "form-page",
                h1 { "Studio" }
                p { "Sign in to upload videos." }
                Link { class: "button", to: crate::session::sign_in_then(&Route::Studio {}), "Sign in" }
            }
        };
    }
    // Viewers watch; only creators and admins upload (the api refuses the rest anyway).
    let me = use_me();
    if let Some(Ok(Some(u))) = &*me.read()
        && u.role == Role::Viewer
    {
        return rsx! {
            document::Title { "Studio · Kino" }
            section { class: "form-page viewer-only",
                h1 { "Studio" }
                p { "Your account can watch videos but not upload them. An admin can make it a creator's." }
                Link { class: "button", to: Route::Home {}, "Back to the catalogue" }
            }
        };
    }
    rsx! {
        document::Title { "Studio · Kino" }
        LiveStudio { changed }
    }
}

/// The signed-in Studio, with its socket for following processing.
#[component]
fn LiveStudio(changed: Signal<u32>) -> Element {
    let live = live::Live::provide();
    rsx! {
        // Whether processing is followed live (the socket is up), for whoever looks.
        section { class: "studio", "data-live": if (live.up)() { "up" } else { "down" },
            h1 { "Studio" }
            uploads::Uploads { changed }
            videos::MyVideos { changed }
        }
    }
}
