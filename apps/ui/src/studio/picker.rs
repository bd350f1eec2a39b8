//! Choosing files: the page's file input in a browser, the system's own chooser where the app
//! reads files itself (the desktop app). Either way the Studio gets `FileData` that the
//! platform knows how to read and send.

use crate::{FileData, FileKind, PlatformHandle};
use dioxus::prelude::*;

#[component]
pub fn FilePicker(
    /// The control's id (its label points at it).
    id: String,
    kind: FileKind,
    /// The file input's `accept` list.
    accept: String,
    on_pick: EventHandler<Vec<FileData>>,
) -> Element {
    let platform = use_context::<PlatformHandle>();
    let mut error = use_signal(|| None::<String>);
    let mut open = use_signal(|| false);
    if !platform.0.chooses_files() {
        return rsx! {
            input { id, r#type: "file", accept, multiple: kind == FileKind::Videos,
                onchange: move |e| on_pick.call(e.files()) }
        };
    }
    let label = match kind {
        FileKind::Videos => "Choose videos…",
        FileKind::Subtitles => "Choose a file…",
    };
    let choose = move |_| {
        let platform = platform.clone();
        async move {
            open.set(true);
            let chosen = platform.0.choose_files(kind).await;
            open.set(false);
            match chosen {
                Ok(files) => {
                    error.set(None);
                    if !files.is_empty() {
                        on_pick.call(files);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        }
    };
    rsx! {
        button { id, r#type: "button", class: "button secondary file-choose", disabled: open(),
            onclick: choose, "{label}" }
        if let Some(e) = error() {
            p { class: "error", role: "alert", "Could not choose files: {e}" }
        }
    }
}
