//! The transcoding queue: jobs by state (queued, running with progress and worker, done,
//! dead-lettered with the last error and a Retry), and the workers with when each was last
//! seen and a Revoke.

use super::refusal;
use crate::session::Session;
use crate::{PlatformHandle, clock};
use dioxus::prelude::*;
use shared::client::types::{self, JobState};

const STATES: [(JobState, &str); 4] = [
    (JobState::Queued, "Queued"),
    (JobState::Leased, "Running"),
    (JobState::Dead, "Dead-lettered"),
    (JobState::Done, "Done"),
];

#[component]
pub fn Queue() -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut state = use_signal(|| JobState::Leased);
    let mut message = use_signal(|| None::<Result<String, String>>);
    let mut jobs = use_resource({
        let platform = platform.clone();
        move || {
            let client = session.client(&platform);
            let want = state();
            async move {
                let client = client.ok_or_else(|| "sign in first".to_owned())?;
                client
                    .list_jobs(Some(want))
                    .await
                    .map(|r| r.into_inner().items)
                    .map_err(|e| refusal(&e))
            }
        }
    });
    let mut workers = use_resource({
        let platform = platform.clone();
        move || {
            let client = session.client(&platform);
            async move {
                let client = client.ok_or_else(|| "sign in first".to_owned())?;
                client
                    .list_workers()
                    .await
                    .map(|r| r.into_inner().items)
                    .map_err(|e| refusal(&e))
            }
        }
    });
    // Jobs name their worker by id; the table shows the name it registered with.
    let names: std::collections::HashMap<String, String> = match &*workers.read() {
        Some(Ok(list)) => list
            .iter()
            .map(|w| (w.worker_id.clone(), w.name.clone()))
            .collect(),
        _ => Default::default(),
    };
    let job_rows = match &*jobs.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            rsx! { p { class: "error", role: "alert", "Could not load the queue: {e}" } }
        }
        Some(Ok(list)) if list.is_empty() => {
            rsx! { p { class: "status", "No job is {state().to_string()}." } }
        }
        Some(Ok(list)) => rsx! {
            table { class: "admin-table jobs",
                thead { tr {
                    th { scope: "col", "Video" } th { scope: "col", "Attempt" } th { scope: "col", "Progress" }
                    th { scope: "col", "Worker" } th { scope: "col", "Last error" } th { scope: "col", "Queued" }
                    th { scope: "col", span { class: "visually-hidden", "Actions" } }
                } }
                tbody {
                    for job in list.iter().cloned() {
                        JobRow { key: "{job.job_id}", worker: job.worker_id.as_ref().and_then(|w| names.get(w).cloned()).or(job.worker_id.clone()), job, on_retried: move |m: Result<String, String>| {
                            message.set(Some(m));
                            jobs.restart();
                        } }
                    }
                }
            }
        },
    };
    let worker_rows = match &*workers.read() {
        None => rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            rsx! { p { class: "error", role: "alert", "Could not load the workers: {e}" } }
        }
        Some(Ok(list)) if list.is_empty() => {
            rsx! { p { class: "status", "No worker has registered." } }
        }
        Some(Ok(list)) => rsx! {
            table { class: "admin-table workers",
                thead { tr { th { scope: "col", "Worker" } th { scope: "col", "Last seen" } th { scope: "col", "Registered" } th { scope: "col", span { class: "visually-hidden", "Actions" } } } }
                tbody {
                    for w in list.iter().cloned() {
                        tr { key: "{w.worker_id}", "data-worker": "{w.worker_id}",
                            td { "{w.name}" }
                            td { "{w.seen_at.as_deref().and_then(clock::date_label).unwrap_or_else(|| \"never\".into())}" }
                            td { "{clock::date_label(&w.created_at).unwrap_or_default()}" }
                            td {
                                if w.revoked_at.is_some() {
                                    span { class: "muted", "Revoked" }
                                } else {
                                    button { class: "button secondary",
                                        onclick: {
                                            let (platform, id, name) = (platform.clone(), w.worker_id.clone(), w.name.clone());
                                            move |_| {
                                                let (platform, id, name) = (platform.clone(), id.clone(), name.clone());
                                                async move {
                                                    let Some(client) = session.client(&platform) else { return };
                                                    match client.revoke_worker(&id).await {
                                                        Ok(_) => {
                                                            message.set(Some(Ok(format!("{name}'s token is revoked: its next request is refused."))));
                                                            workers.restart();
                                                        }
                                                        Err(e) => message.set(Some(Err(refusal(&e)))),
                                                    }
                                                }
                                            }
                                        },
                                        "Revoke"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    };
    rsx! {
        match message() {
            Some(Ok(m)) => rsx! { p { class: "notice", role: "status", "{m}" } },
            Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
            None => rsx! {},
        }
        h2 { "Jobs" }
        div { class: "chips", role: "group", aria_label: "Jobs by state",
            for (s, label) in STATES {
                button {
                    class: if state() == s { "chip on" } else { "chip" },
                    aria_pressed: "{state() == s}",
                    onclick: move |_| state.set(s),
                    "{label}"
                }
            }
            button { class: "chip", onclick: move |_| { jobs.restart(); workers.restart(); }, "Refresh" }
        }
        {job_rows}
        h2 { "Workers" }
        {worker_rows}
    }
}

#[component]
fn JobRow(
    job: types::JobInfo,
    /// The worker's name (or id when it is not registered any more).
    worker: Option<String>,
    on_retried: EventHandler<Result<String, String>>,
) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let title = job.title.clone().unwrap_or_else(|| job.video_id.clone());
    let progress = job
        .progress
        .filter(|_| job.state == JobState::Leased)
        .map(|p| format!("{p:.0}%"))
        .unwrap_or_default();
    let dead = job.state == JobState::Dead;
    let worker_name = worker.unwrap_or_default();
    let retry = {
        let (id, title) = (job.job_id.clone(), title.clone());
        move |_| {
            let (platform, id, title) = (platform.clone(), id.clone(), title.clone());
            async move {
                let Some(client) = session.client(&platform) else {
                    return;
                };
                on_retried.call(
                    client
                        .retry_job(&id)
                        .await
                        .map(|_| format!("“{title}” is queued again."))
                        .map_err(|e| refusal(&e)),
                );
            }
        }
    };
    rsx! {
        tr { "data-job": "{job.job_id}",
            td { "{title}" }
            td { "{job.attempt}" }
            td { "{progress}" }
            td { "{worker_name}" }
            td { class: "error", "{job.last_error.clone().unwrap_or_default()}" }
            td { "{clock::date_label(&job.created_at).unwrap_or_default()}" }
            td {
                if dead {
                    button { class: "button secondary", onclick: retry, "Retry" }
                }
            }
        }
    }
}
