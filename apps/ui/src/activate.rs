//! `/activate?code=`: a signed-in viewer approves a TV that shows a sign-in code; the TV is
//! then signed in as them (RFC 8628's device flow, the TV side in the TV app).

use crate::session::{Session, use_signed_in};
use crate::{PlatformHandle, Route};
use dioxus::prelude::*;
use shared::client::types;

#[component]
pub fn Activate(code: ReadSignal<Option<String>>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = use_signed_in(Route::Activate {
        code: code.peek().clone(),
    });
    let mut typed = use_signal(|| code.peek().clone().unwrap_or_default());
    let mut outcome = use_signal(|| None::<Result<String, String>>);
    let mut busy = use_signal(|| false);
    if !signed_in {
        return rsx! {};
    }
    let submit = move |evt: FormEvent| {
        evt.prevent_default();
        let platform = platform.clone();
        async move {
            let Some(client) = session.client(&platform) else {
                return;
            };
            busy.set(true);
            let r = client
                .approve_device(&types::ApproveDeviceRequest { user_code: typed() })
                .await;
            busy.set(false);
            match r {
                Ok(d) => {
                    let name = d.into_inner().name;
                    typed.set(String::new());
                    outcome.set(Some(Ok(format!(
                        "{name} is signed in as you. You can close this page."
                    ))));
                }
                Err(e) => {
                    let (_, code, message) = shared::client::error_code(&e);
                    if code == "unauthenticated" {
                        session.expire(&platform);
                    }
                    outcome.set(Some(Err(message)));
                }
            }
        }
    };
    rsx! {
        document::Title { "Sign in a TV · Kino" }
        section { class: "form-page",
            h1 { "Sign in a TV" }
            p { class: "muted", "Enter the code your TV shows. It signs the TV in with this account." }
            form { class: "form", onsubmit: submit,
                label { r#for: "user-code", "Code" }
                input { id: "user-code", required: true, autocomplete: "off", spellcheck: "false",
                    autocapitalize: "characters", placeholder: "BCDF-GHJK", value: "{typed}",
                    oninput: move |e| typed.set(e.value()) }
                match outcome() {
                    Some(Ok(m)) => rsx! { p { class: "notice", role: "status", "{m}" } },
                    Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
                    None => rsx! {},
                }
                button { r#type: "submit", disabled: busy(), "Sign in the TV" }
            }
        }
    }
}
