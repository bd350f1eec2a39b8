//! Signing in and up (then back to the page that asked), and the account page: profile,
//! password change, signing out.

use crate::session::{Session, return_route, use_me, use_signed_in};
use crate::{PlatformHandle, Route};
use dioxus::prelude::*;
use shared::client::types;
use shared::graphql::Role;

/// `/signin?next=&code=`: signs in or creates an account, then opens `next` (a page of this
/// app). A `code` (an invitation, or the setup code the server printed for the first admin)
/// opens the form on account creation with the code filled in.
#[component]
pub fn SignIn(next: ReadSignal<String>, code: ReadSignal<Option<String>>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let nav = use_navigator();
    let given = code.peek().as_deref().unwrap_or_default().trim().to_owned();
    let mut creating = use_signal(|| !given.is_empty());
    let mut invite = use_signal(|| given.clone());
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
                        invite_code: Some(invite().trim().to_owned()).filter(|c| !c.is_empty()),
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
                    nav.replace(return_route(&next.peek()));
                }
                Err(e) => error.set(Some(shared::client::error_code(&e).2)),
            }
        }
    };

    rsx! {
        document::Title { if creating() { "Create your account · Kino" } else { "Sign in · Kino" } }
        section { class: "form-page",
            h1 { if creating() { "Create your account" } else { "Sign in" } }
            if *session.expired.read() {
                p { class: "notice", role: "status", "Your session has ended. Sign in again to carry on." }
            }
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
                    input { id: "name", required: true, autocomplete: "nickname", value: "{name}",
                        oninput: move |e| name.set(e.value()) }
                    label { r#for: "invite", "Invitation code "
                        span { class: "muted", "(if you were given one)" }
                    }
                    input { id: "invite", autocomplete: "off", spellcheck: "false", value: "{invite}",
                        oninput: move |e| invite.set(e.value()) }
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

/// `/account`: who is signed in, a password change, and signing out here or everywhere else.
#[component]
pub fn Account() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = use_signed_in(Route::Account {});
    let me = use_me();
    if !signed_in {
        return rsx! {};
    }
    let profile = match &*me.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            rsx! { p { class: "status error", role: "alert", "Could not load your account: {e}" } }
        }
        Some(Ok(None)) => rsx! {},
        Some(Ok(Some(u))) => {
            let role = match u.role {
                Role::Viewer => "Viewer",
                Role::Creator => "Creator",
                Role::Admin => "Admin",
            };
            rsx! {
                dl { class: "profile",
                    dt { "Name" } dd { "{u.display_name}" }
                    dt { "Email" } dd { "{u.email}" }
                    dt { "Role" } dd { "{role}" }
                }
            }
        }
    };
    let server = platform.0.servers().and_then(|s| s.current);
    let sign_out = move |_| {
        let platform = platform.clone();
        async move {
            if let Some(c) = session.client(&platform) {
                // Revoke on the server too; a failure still signs out here.
                let _ = c.logout().await;
            }
            session.set(&platform, None);
            navigator().replace(Route::Home {});
        }
    };
    rsx! {
        document::Title { "Account · Kino" }
        section { class: "form-page",
            h1 { "Account" }
            {profile}
            PasswordChange {}
            if let Some(current) = server {
                h2 { "Server" }
                p { "Signed in on " strong { "{current}" } ". " Link { to: Route::Server {}, "Change server" } }
            }
            h2 { "Sign out" }
            p { class: "muted", "Changing your password signs you out on every other device." }
            button { class: "button secondary", onclick: sign_out, "Sign out" }
        }
    }
}

#[component]
fn PasswordChange() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut current = use_signal(String::new);
    let mut new = use_signal(String::new);
    let mut again = use_signal(String::new);
    let mut outcome = use_signal(|| None::<Result<String, String>>);
    let mut busy = use_signal(|| false);
    let submit = move |evt: FormEvent| {
        evt.prevent_default();
        let platform = platform.clone();
        async move {
            if new() != again() {
                outcome.set(Some(Err("The two new passwords differ.".into())));
                return;
            }
            let Some(client) = session.client(&platform) else {
                return;
            };
            busy.set(true);
            let r = client
                .change_password(&types::ChangePasswordRequest {
                    current_password: current(),
                    new_password: new(),
                })
                .await;
            busy.set(false);
            match r {
                Ok(_) => {
                    current.set(String::new());
                    new.set(String::new());
                    again.set(String::new());
                    outcome.set(Some(Ok(
                        "Password changed. Other devices are signed out.".into()
                    )));
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
        h2 { "Change password" }
        form { class: "form", onsubmit: submit,
            label { r#for: "current", "Current password" }
            input { id: "current", r#type: "password", required: true, autocomplete: "current-password",
                value: "{current}", oninput: move |e| current.set(e.value()) }
            label { r#for: "new", "New password" }
            input { id: "new", r#type: "password", required: true, minlength: "8", autocomplete: "new-password",
                value: "{new}", oninput: move |e| new.set(e.value()) }
            label { r#for: "again", "New password again" }
            input { id: "again", r#type: "password", required: true, minlength: "8", autocomplete: "new-password",
                value: "{again}", oninput: move |e| again.set(e.value()) }
            match outcome() {
                Some(Ok(m)) => rsx! { p { class: "notice", role: "status", "{m}" } },
                Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
                None => rsx! {},
            }
            button { r#type: "submit", disabled: busy(), "Change password" }
        }
    }
}
