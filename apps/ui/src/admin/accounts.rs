//! Accounts: every user with their role, found by name or email, and role changes. The api
//! keeps at least one admin (`last_admin`); the page says so and shows the refusal.

use super::refusal;
use crate::PlatformHandle;
use crate::session::Session;
use dioxus::prelude::*;
use shared::client::types::{self, Role};

/// Accounts loaded for the console (pages of the api's largest size).
const MAX_ACCOUNTS: usize = 2000;

#[component]
pub fn Accounts() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut query = use_signal(String::new);
    let mut users = use_resource(move || {
        let client = session.client(&platform);
        async move {
            let client = client.ok_or_else(|| "sign in first".to_owned())?;
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = client
                    .list_users(cursor.as_deref(), Some(100))
                    .await
                    .map_err(|e| refusal(&e))?
                    .into_inner();
                all.extend(page.items);
                match page.next_cursor {
                    Some(c) if all.len() < MAX_ACCOUNTS => cursor = Some(c),
                    _ => return Ok::<_, String>(all),
                }
            }
        }
    });
    let body = match &*users.read() {
        None => rsx! { p { class: "status", "Loading accounts…" } },
        Some(Err(e)) => rsx! {
            div { class: "status error", role: "alert",
                p { "Could not load the accounts: {e}" }
                button { class: "button", onclick: move |_| users.restart(), "Try again" }
            }
        },
        Some(Ok(all)) => {
            let q = query().trim().to_lowercase();
            let shown: Vec<types::User> = all
                .iter()
                .filter(|u| {
                    q.is_empty()
                        || u.email.to_lowercase().contains(&q)
                        || u.display_name.to_lowercase().contains(&q)
                })
                .cloned()
                .collect();
            rsx! {
                p { class: "status", "{shown.len()} of {all.len()} accounts" }
                table { class: "admin-table accounts",
                    thead { tr { th { scope: "col", "Name" } th { scope: "col", "Email" } th { scope: "col", "Role" } } }
                    tbody {
                        for u in shown {
                            AccountRow { key: "{u.id}", user: u }
                        }
                    }
                }
            }
        }
    };
    rsx! {
        p { class: "muted", "Viewers watch; creators also upload; admins also run this console. The installation always keeps at least one admin." }
        label { class: "visually-hidden", r#for: "account-search", "Find an account" }
        input { id: "account-search", class: "admin-search", r#type: "search",
            placeholder: "Find by name or email", value: "{query}",
            oninput: move |e| query.set(e.value()) }
        {body}
    }
}

#[component]
fn AccountRow(user: types::User) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut role = use_signal(|| user.role);
    let mut error = use_signal(|| None::<String>);
    let mut saved = use_signal(|| false);
    let id = user.id.clone();
    let change = move |e: FormEvent| {
        let (platform, id) = (platform.clone(), id.clone());
        let want = e.value().parse::<Role>().ok();
        async move {
            let (Some(want), Some(client)) = (want, session.client(&platform)) else {
                return;
            };
            let before = role();
            role.set(want);
            saved.set(false);
            match client
                .set_user_role(&id, &types::SetRoleRequest { role: want })
                .await
            {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => {
                    role.set(before);
                    error.set(Some(refusal(&e)));
                }
            }
        }
    };
    rsx! {
        tr { "data-email": "{user.email}",
            td { "{user.display_name}" }
            td { "{user.email}" }
            td {
                select { aria_label: "Role of {user.display_name}", onchange: change,
                    for (value, label) in [(Role::Viewer, "Viewer"), (Role::Creator, "Creator"), (Role::Admin, "Admin")] {
                        option { value: "{value}", selected: role() == value, "{label}" }
                    }
                }
                if saved() {
                    span { class: "notice-inline", role: "status", " Saved" }
                }
                if let Some(e) = error() {
                    p { class: "error", role: "alert", "{e}" }
                }
            }
        }
    }
}
