//! `/studio/video/{id}`: a creator edits one of their videos: title, description, genres,
//! tags and visibility; the poster among the transcoder's candidates; WebVTT subtitles (add
//! from a file, preview, delete); and deleting the video. Every refusal shows the api's own
//! message: the api validates, the page does not guess.

use super::picker::FilePicker;
use crate::session::{Session, use_signed_in};
use crate::{FileKind, PlatformHandle, Route};
use dioxus::html::FileData;
use dioxus::prelude::*;
use shared::client::types::{self, Visibility};

/// The largest subtitle file the api takes.
const MAX_VTT_BYTES: u64 = 512 * 1024;

/// The api's message for a refused call.
fn refusal(e: &shared::client::Error<types::ErrorBody>) -> String {
    shared::client::error_code(e).2
}

/// `a, b ,, c` as `[a, b, c]`.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[component]
pub fn StudioVideo(id: ReadSignal<String>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let signed_in = use_signed_in(Route::StudioVideo {
        id: id.peek().clone(),
    });
    let mut video = use_resource(move || {
        let platform = platform.clone();
        let client = session.client(&platform);
        async move {
            let client = client.ok_or_else(|| "sign in first".to_owned())?;
            client
                .get_video(&id())
                .await
                .map(|v| v.into_inner())
                .map_err(|e| refusal(&e))
        }
    });
    if !signed_in {
        return rsx! {};
    }
    let v = match &*video.read() {
        None => return rsx! { p { class: "status", "Loading…" } },
        Some(Err(e)) => {
            return rsx! {
                section { class: "status-page",
                    h1 { "This video cannot be edited" }
                    p { class: "error", role: "alert", "{e}" }
                    Link { class: "button", to: Route::Studio {}, "Back to the Studio" }
                }
            };
        }
        Some(Ok(v)) => v.clone(),
    };
    rsx! {
        document::Title { "Edit {v.title} · Studio · Kino" }
        section { class: "studio edit",
            p { Link { to: Route::Studio {}, "← Studio" } }
            h1 { "Edit video" }
            Details { video: v.clone(), on_saved: move |_| video.restart() }
            Posters { video: v.clone(), on_saved: move |_| video.restart() }
            Subtitles { id: v.id.clone() }
            Delete { id: v.id.clone(), title: v.title.clone() }
        }
    }
}

/// `update_video` with `body` as it is; the api's message when it refuses.
async fn patch_video(
    platform: &PlatformHandle,
    token: &str,
    id: &str,
    body: &serde_json::Value,
) -> Result<(), String> {
    let r = reqwest::Client::new()
        .patch(format!("{}/api/v1/videos/{id}", platform.0.api_base()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map_err(|e| format!("the server could not be reached ({e})"))?;
    if r.status().is_success() {
        return Ok(());
    }
    let status = r.status();
    match r.json::<types::ErrorBody>().await {
        Ok(e) => Err(e.message),
        Err(_) => Err(format!("the server refused (HTTP {status})")),
    }
}

#[component]
fn Details(video: types::Video, on_saved: EventHandler<()>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut title = use_signal(|| video.title.clone());
    let mut description = use_signal(|| video.description.clone().unwrap_or_default());
    let mut genres = use_signal(|| video.genres.join(", "));
    let mut tags = use_signal(|| video.tags.join(", "));
    let mut visibility = use_signal(|| video.visibility);
    let mut outcome = use_signal(|| None::<Result<(), String>>);
    let mut busy = use_signal(|| false);
    let id = video.id.clone();
    let save = move |evt: FormEvent| {
        evt.prevent_default();
        let (platform, id) = (platform.clone(), id.clone());
        async move {
            let Some(token) = session.token.peek().clone() else {
                return;
            };
            busy.set(true);
            // Sent as JSON of our own: the generated client leaves empty lists out, and an
            // empty list is how genres or tags are cleared.
            let body = serde_json::json!({
                "title": title(),
                "description": description(),
                "genres": list(&genres()),
                "tags": list(&tags()),
                "visibility": visibility(),
            });
            let r = patch_video(&platform, &token, &id, &body).await;
            busy.set(false);
            match r {
                Ok(()) => {
                    outcome.set(Some(Ok(())));
                    on_saved.call(());
                }
                Err(m) => outcome.set(Some(Err(m))),
            }
        }
    };
    let choice = |v: Visibility, label: &'static str| {
        rsx! {
            option { value: "{v}", selected: visibility() == v, "{label}" }
        }
    };
    rsx! {
        form { class: "form", onsubmit: save, aria_labelledby: "details-heading",
            h2 { id: "details-heading", "Details" }
            label { r#for: "edit-title", "Title" }
            input { id: "edit-title", value: "{title}", oninput: move |e| title.set(e.value()) }
            label { r#for: "edit-description", "Description" }
            textarea { id: "edit-description", rows: "5", value: "{description}",
                oninput: move |e| description.set(e.value()) }
            label { r#for: "edit-genres", "Genres (separated by commas)" }
            input { id: "edit-genres", value: "{genres}", oninput: move |e| genres.set(e.value()) }
            label { r#for: "edit-tags", "Tags (separated by commas)" }
            input { id: "edit-tags", value: "{tags}", oninput: move |e| tags.set(e.value()) }
            label { r#for: "edit-visibility", "Visibility" }
            select { id: "edit-visibility",
                onchange: move |e| {
                    if let Ok(v) = e.value().parse::<Visibility>() {
                        visibility.set(v);
                    }
                },
                {choice(Visibility::Public, "Public: in the catalogue and search")}
                {choice(Visibility::Unlisted, "Unlisted: anyone with the link")}
                {choice(Visibility::Private, "Private: only you")}
            }
            match outcome() {
                Some(Ok(())) => rsx! { p { class: "notice", role: "status", "Saved." } },
                Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
                None => rsx! {},
            }
            button { r#type: "submit", disabled: busy(), "Save" }
        }
    }
}

/// The transcoder's poster candidates; the chosen one is what cards and the player show.
#[component]
fn Posters(video: types::Video, on_saved: EventHandler<()>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut outcome = use_signal(|| None::<Result<(), String>>);
    let Some(playback) = video.playback.clone() else {
        return rsx! {
            section { aria_labelledby: "posters-heading",
                h2 { id: "posters-heading", "Poster" }
                p { class: "status", "Posters appear once the video is processed." }
            }
        };
    };
    // Signed links differ between responses: the index says which is chosen.
    let current = video.poster as usize;
    let id = video.id.clone();
    rsx! {
        section { class: "posters", aria_labelledby: "posters-heading",
            h2 { id: "posters-heading", "Poster" }
            div { class: "poster-choices", role: "radiogroup", aria_label: "Poster",
                for (i, url) in playback.poster_options.iter().map(|u| crate::platform::media_url(u)).enumerate() {
                    button {
                        r#type: "button",
                        role: "radio",
                        class: if current == i { "poster-choice on" } else { "poster-choice" },
                        aria_checked: "{current == i}",
                        aria_label: "Poster {i + 1}",
                        onclick: {
                            let (platform, id) = (platform.clone(), id.clone());
                            move |_| {
                                let (platform, id) = (platform.clone(), id.clone());
                                async move {
                                    let Some(client) = session.client(&platform) else {
                                        return;
                                    };
                                    let body = types::UpdateVideoRequest {
                                        poster: Some(i as u32),
                                        ..Default::default()
                                    };
                                    match client.update_video(&id, &body).await {
                                        Ok(_) => {
                                            outcome.set(Some(Ok(())));
                                            on_saved.call(());
                                        }
                                        Err(e) => outcome.set(Some(Err(refusal(&e)))),
                                    }
                                }
                            }
                        },
                        img { src: "{url}", alt: "" }
                    }
                }
            }
            match outcome() {
                Some(Ok(())) => rsx! { p { class: "notice", role: "status", "Poster changed." } },
                Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
                None => rsx! {},
            }
        }
    }
}

/// WebVTT tracks: the list with a preview and a delete button each, and a form to add one.
#[component]
fn Subtitles(id: String) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let vid = id.clone();
    let mut tracks = use_resource({
        let platform = platform.clone();
        move || {
            let (platform, id) = (platform.clone(), vid.clone());
            let client = session.client(&platform);
            async move {
                let client = client.ok_or_else(|| "sign in first".to_owned())?;
                client
                    .list_subtitles(&id)
                    .await
                    .map(|r| r.into_inner())
                    .map_err(|e| refusal(&e))
            }
        }
    });
    let mut file = use_signal(|| None::<FileData>);
    let mut language = use_signal(String::new);
    let mut label = use_signal(String::new);
    let mut preview = use_signal(|| None::<String>);
    let mut outcome = use_signal(|| None::<Result<String, String>>);
    let mut busy = use_signal(|| false);
    let add = {
        let (platform, id) = (platform.clone(), id.clone());
        move |evt: FormEvent| {
            evt.prevent_default();
            let (platform, id) = (platform.clone(), id.clone());
            async move {
                let Some(client) = session.client(&platform) else {
                    return;
                };
                let Some(f) = file() else {
                    outcome.set(Some(Err("choose a WebVTT file (.vtt) first".into())));
                    return;
                };
                if f.size() > MAX_VTT_BYTES {
                    outcome.set(Some(Err(format!(
                        "{} is larger than the 512 KiB a subtitle file may be",
                        f.name()
                    ))));
                    return;
                }
                busy.set(true);
                let text = platform.0.read_range(&f, 0, f.size()).await.and_then(|b| {
                    String::from_utf8(b).map_err(|_| "the file is not UTF-8 text".to_owned())
                });
                let r = match text {
                    Ok(vtt) => client
                        .add_subtitle(
                            &id,
                            &types::AddSubtitleRequest {
                                language: language(),
                                label: label(),
                                vtt,
                            },
                        )
                        .await
                        .map(|_| format!("Added {}.", label()))
                        .map_err(|e| refusal(&e)),
                    Err(e) => Err(format!("{} could not be read: {e}", f.name())),
                };
                busy.set(false);
                if r.is_ok() {
                    tracks.restart();
                }
                outcome.set(Some(r));
            }
        }
    };
    let rows = match &*tracks.read() {
        None => rsx! { p { class: "status", "Loading subtitles…" } },
        Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
        Some(Ok(list)) if list.is_empty() => rsx! { p { class: "status", "No subtitles yet." } },
        Some(Ok(list)) => rsx! {
            ul { class: "subtitles",
                for t in list.iter().cloned() {
                    li { key: "{t.language}", "data-language": "{t.language}",
                        span { "{t.label} ({t.language})" }
                        button { r#type: "button", class: "button secondary",
                            aria_label: "Delete the {t.label} subtitles",
                            onclick: {
                                let (platform, id, lang) = (platform.clone(), id.clone(), t.language.clone());
                                move |_| {
                                    let (platform, id, lang) = (platform.clone(), id.clone(), lang.clone());
                                    async move {
                                        let Some(client) = session.client(&platform) else { return };
                                        match client.delete_subtitle(&id, &lang).await {
                                            Ok(_) => tracks.restart(),
                                            Err(e) => outcome.set(Some(Err(refusal(&e)))),
                                        }
                                    }
                                }
                            },
                            "Delete"
                        }
                    }
                }
            }
        },
    };
    let read_preview = {
        let platform = platform.clone();
        move |files: Vec<FileData>| {
            let platform = platform.clone();
            let picked = files.into_iter().next();
            file.set(picked.clone());
            preview.set(None);
            async move {
                // The first lines, so the creator sees it is the file they meant.
                if let Some(f) = picked {
                    let end = f.size().min(600);
                    if let Ok(bytes) = platform.0.read_range(&f, 0, end).await {
                        preview.set(Some(String::from_utf8_lossy(&bytes).into_owned()));
                    }
                }
            }
        }
    };
    rsx! {
        section { class: "subtitles-section", aria_labelledby: "subtitles-heading",
            h2 { id: "subtitles-heading", "Subtitles" }
            {rows}
            form { class: "form", onsubmit: add,
                label { r#for: "vtt-file", "WebVTT file" }
                FilePicker { id: "vtt-file", kind: FileKind::Subtitles, accept: ".vtt,text/vtt", on_pick: read_preview }
                if let Some(p) = preview() {
                    pre { class: "vtt-preview", aria_label: "The file's first lines", "{p}" }
                }
                label { r#for: "vtt-language", "Language (e.g. en, pt-BR)" }
                input { id: "vtt-language", value: "{language}", oninput: move |e| language.set(e.value()) }
                label { r#for: "vtt-label", "Label (shown in the player's menu)" }
                input { id: "vtt-label", value: "{label}", oninput: move |e| label.set(e.value()) }
                match outcome() {
                    Some(Ok(m)) => rsx! { p { class: "notice", role: "status", "{m}" } },
                    Some(Err(m)) => rsx! { p { class: "error", role: "alert", "{m}" } },
                    None => rsx! {},
                }
                button { r#type: "submit", disabled: busy(), "Add subtitles" }
            }
        }
    }
}

/// Deleting the video, after asking.
#[component]
fn Delete(id: String, title: String) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let mut asking = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);
    let delete = move |_| {
        let (platform, id) = (platform.clone(), id.clone());
        async move {
            let Some(client) = session.client(&platform) else {
                return;
            };
            match client.delete_video(&id).await {
                Ok(_) => {
                    navigator().push(Route::Studio {});
                }
                Err(e) => error.set(Some(refusal(&e))),
            }
        }
    };
    rsx! {
        section { class: "danger", aria_labelledby: "delete-heading",
            h2 { id: "delete-heading", "Delete" }
            if asking() {
                div { role: "alertdialog", aria_labelledby: "delete-question", class: "confirm",
                    p { id: "delete-question", "Delete “{title}” for good? Viewers lose it at once." }
                    div { class: "actions",
                        button { class: "button danger-button", onclick: delete, "Delete for good" }
                        button { class: "button secondary", autofocus: true, onclick: move |_| asking.set(false), "Keep it" }
                    }
                }
            } else {
                button { class: "button secondary", onclick: move |_| asking.set(true), "Delete this video…" }
            }
            if let Some(e) = error() {
                p { class: "error", role: "alert", "{e}" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_are_split_on_commas() {
        assert_eq!(super::list(" a, b ,, c "), ["a", "b", "c"]);
        assert!(super::list(" , ").is_empty());
    }
}
