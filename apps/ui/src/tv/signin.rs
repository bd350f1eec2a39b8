//! `/tv/signin`: the TV side of signing in by code (RFC 8628). The TV shows a short code and
//! where to enter it; a viewer signed in on a phone or computer approves it on `/activate`;
//! the TV, polling at the pace the api asks for, is then signed in as them. An expired code
//! is replaced by a new one without the viewer doing anything.

use super::TvLink;
use crate::session::Session;
use crate::{PlatformHandle, Route};
use dioxus::prelude::*;
use shared::client::types::{PollDeviceSignInRequest, StartDeviceSignInRequest};

/// Seconds added to the polling interval each time the api says `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN_S: u64 = 5;

#[derive(Clone, PartialEq)]
enum Step {
    Starting,
    /// Where to go, the code to enter there, and for how many minutes it works.
    Showing(String, String, u64),
    Failed(String),
}

#[component]
pub fn TvSignIn() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut step = use_signal(|| Step::Starting);
    let mut attempt = use_signal(|| 0u32);
    let _flow = use_resource(move || {
        let platform = platform.clone();
        let _ = attempt();
        async move {
            loop {
                step.set(Step::Starting);
                let client = platform.client();
                let started = client
                    .start_device_sign_in(&StartDeviceSignInRequest {
                        name: Some("TV".to_owned()),
                    })
                    .await;
                let started = match started {
                    Ok(s) => s.into_inner(),
                    Err(e) => {
                        step.set(Step::Failed(shared::client::error_code(&e).2));
                        return;
                    }
                };
                step.set(Step::Showing(
                    started.verification_uri.clone(),
                    started.user_code.clone(),
                    started.expires_in / 60,
                ));
                let mut interval = started.interval.max(1);
                loop {
                    platform.0.sleep((interval * 1000) as u32).await;
                    let polled = client
                        .poll_device_sign_in(&PollDeviceSignInRequest {
                            device_code: started.device_code.clone(),
                        })
                        .await;
                    match polled {
                        Ok(s) => {
                            session.set(&platform, Some(s.into_inner().token));
                            navigator().replace(Route::TvHome {});
                            return;
                        }
                        Err(e) => {
                            let (_, code, message) = shared::client::error_code(&e);
                            match code.as_str() {
                                "authorization_pending" => {}
                                "slow_down" => interval += SLOW_DOWN_S,
                                // Expired or spent: show a new code.
                                "expired_token" | "invalid_grant" => break,
                                // The network or the server failed: keep the code, wait longer.
                                "transport" => interval = (interval * 2).min(60),
                                _ => {
                                    step.set(Step::Failed(message));
                                    return;
                                }
                            }
                        }
                    }
                }
            }
        }
    });
    let body = match step() {
        Step::Starting => rsx! { p { class: "tv-status", "Getting a code…" } },
        Step::Failed(why) => rsx! {
            div { class: "tv-status error", role: "alert",
                p { "Could not start signing in: {why}" }
                button { class: "tv-button", "data-focus-key": "retry", "data-autofocus": "true",
                    onclick: move |_| attempt += 1, "Try again" }
            }
        },
        Step::Showing(uri, code, minutes) => rsx! {
            ol { class: "tv-steps",
                li { "On your phone or computer, go to" br {} strong { class: "tv-url", "{uri}" } }
                li { "Sign in there, and enter this code:" }
            }
            p { class: "tv-code", "data-code": "{code}", aria_label: "Code {code}", "{code}" }
            p { class: "tv-status", "The code works for {minutes} minutes; this screen moves on by itself once you approve it." }
            div { class: "tv-actions",
                button { class: "tv-button secondary", "data-focus-key": "new-code", "data-autofocus": "true",
                    onclick: move |_| attempt += 1, "Get a new code" }
                TvLink { to: Route::TvHome {}, focus_key: "later", class: "tv-button secondary", "Not now" }
            }
        },
    };
    rsx! {
        document::Title { "Sign in · Kino TV" }
        section { class: "tv-signin",
            h1 { class: "tv-heading", "Sign in to Kino" }
            {body}
        }
    }
}
