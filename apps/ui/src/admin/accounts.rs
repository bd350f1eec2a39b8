//! Accounts: found by the api (`list_users` with `q` and `role`) a page at a time, with their
//! roles changed in place. The api keeps at least one admin (`last_admin`); the page says so
//! and shows the refusal.

use super::refusal;
use crate::PlatformHandle;
use crate::session::Session;
use dioxus::prelude::*;
use shared::client::types::{self, Role};

/// Accounts asked for at once.
const PAGE: u32 = 50;
/// Typing pauses this long before the api is asked, so a name typed fast is one request.
const TYPING_MS: u32 = 300;

#[component]
pub fn Accounts() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut query = use_signal(String::new);
    let mut role = use_signal(|| None::<Role>);
    // The accounts shown, and where the next page starts.
    let mut rows = use_signal(Vec::<types::User>::new);
    let mut next = use_signal(|| None::<String>);
    let mut more_error = use_signal(|| None::<String>);
    let mut loading_more = use_signal(|| false);
    let search_platform = platform.clone();
    let mut first = use_resource(move || {
        let platform = search_platform.clone();
        let client = session.client(&platform);
        let (q, r) = (query().trim().to_owned(), role());
        async move {
            if !q.is_empty() {
                platform.0.sleep(TYPING_MS).await;
            }
            let client = client.ok_or_else(|| "sign in first".to_owned())?;
            let page = client
                .list_users(None, Some(PAGE), (!q.is_empty()).then_some(q.as_str()), r)
                .await
                .map_err(|e| refusal(&e))?
                .into_inner();
            rows.set(page.items);
            next.set(page.next_cursor);
            more_error.set(None);
            Ok::<_, String>(())
        }
    });
    let load_more = move |_| {
        let platform = platform.clone();
        let (q, r) = (query().trim().to_owned(), role());
        async move {
            let (Some(client), Some(cursor)) = (session.client(&platform), next()) else {
                return;
            };
            loading_more.set(true);
            let page = client
                .list_users(
                    Some(&cursor),
                    Some(PAGE),
                    (!q.is_empty()).then_some(q.as_str()),
                    r,
                )
                .await;
            loading_more.set(false);
            match page {
                Ok(page) => {
                    let page = page.into_inner();
                    rows.write().extend(page.items);
                    next.set(page.next_cursor);
                    more_error.set(None);
                }
                Err(e) => more_error.set(Some(refusal(&e))),
            }
        }
    };
    let body = match &*first.read() {
        None => rsx! { p { class: "status", "Loading accounts…" } },
        Some(Err(e)) => rsx! {
            div { class: "status error", role: "alert",
                p { "Could not load the accounts: {e}" }
                button { class: "button", onclick: move |_| first.restart(), "Try again" }
            }
        },
        Some(Ok(())) => {
            let shown = rows.read().clone();
            let count = match (shown.len(), next().is_some()) {
                (0, _) => "No account matches.".to_owned(),
                (1, false) => "1 account".to_owned(),
                (n, false) => format!("{n} accounts"),
                (n, true) => format!("The first {n} accounts"),
            };
            rsx! {
                p { class: "status accounts-count", role: "status", "{count}" }
                if !shown.is_empty() {
                    table { class: "admin-table accounts",
                        thead { tr { th { scope: "col", "Name" } th { scope: "col", "Email" } th { scope: "col", "Role" } } }
                        tbody {
                            for u in shown {
                                AccountRow { key: "{u.id}", user: u }
                            }
                        }
                    }
                }
                if next().is_some() {
                    button { class: "button more", disabled: loading_more(), onclick: load_more,
                        if loading_more() { "Loading…" } else { "Show more" }
                    }
                }
                if let Some(e) = more_error() {
                    p { class: "error", role: "alert", "Could not load more accounts: {e}" }
                }
            }
        }
    };
    rsx! {
        p { class: "muted", "Viewers watch; creators also upload; admins also run this console. The installation always keeps at least one admin." }
        div { class: "admin-filters",
            label { class: "visually-hidden", r#for: "account-search", "Find an account" }
            input { id: "account-search", class: "admin-search", r#type: "search",
                placeholder: "Find by name or email", value: "{query}", maxlength: 100,
                oninput: move |e| query.set(e.value()) }
            label { class: "visually-hidden", r#for: "account-role", "Role" }
            select { id: "account-role", class: "admin-search role-filter",
                onchange: move |e| role.set(e.value().parse::<Role>().ok()),
                option { value: "", selected: role().is_none(), "Every role" }
                for (value, label) in [(Role::Viewer, "Viewers"), (Role::Creator, "Creators"), (Role::Admin, "Admins")] {
                    option { value: "{value}", selected: role() == Some(value), "{label}" }
                }
            }
        }
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
