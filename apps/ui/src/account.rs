//! Sign in and sign up.

use crate::session::Session;
use crate::{PlatformHandle, Route};
use dioxus::prelude::*;
use shared::client::types;

#[component]
pub fn SignIn() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let nav = use_navigator();
    let mut creating = use_signal(|| false);
    let mut email = use_signal(String::new);
    let mut password = use_signal(String::new);
    let mut name = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);

    let submit = move |evt: FormEvent| {
        evt.prevent_default();
        let platform = platform.clone();
        async move {
            busy.set(true);
            error.set(None);
            let client = platform.client();
            let result = if creating() {
                client
                    .signup(&types::SignupRequest {
                        email: email(),
                        password: password(),
                        display_name: name(),
                    })
                    .await
                    .map(|r| r.into_inner().token)
            } else {
                client
                    .login(&types::LoginRequest {
                        email: email(),
                        password: password(),
                    })
                    .await
                    .map(|r| r.into_inner().token)
            };
            busy.set(false);
            match result {
                Ok(token) => {
                    session.set(&platform, Some(token));
                    nav.push(Route::Studio {});
                }
                Err(e) => error.set(Some(shared::client::error_code(&e).2)),
            }
        }
    };

    rsx! {
        section { class: "form-page",
            h1 { if creating() { "Create your account" } else { "Sign in" } }
            form { class: "form", onsubmit: submit,
                label { r#for: "email", "Email" }
                input { id: "email", r#type: "email", required: true, autocomplete: "email", value: "{email}",
                    oninput: move |e| email.set(e.value()) }
                label { r#for: "password", "Password" }
                input { id: "password", r#type: "password", required: true, minlength: "8", value: "{password}",
                    autocomplete: if creating() { "new-password" } else { "current-password" },
                    oninput: move |e| password.set(e.value()) }
                if creating() {
                    label { r#for: "name", "Display name" }
                    input { id: "name", required: true, value: "{name}", oninput: move |e| name.set(e.value()) }
                }
                if let Some(e) = error() {
                    p { class: "error", role: "alert", "{e}" }
                }
                button { r#type: "submit", disabled: busy(), if creating() { "Create account" } else { "Sign in" } }
            }
            button { class: "link", onclick: move |_| creating.toggle(),
                if creating() { "I already have an account" } else { "Create an account" }
            }
        }
    }
}
