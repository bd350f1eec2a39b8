//! Processing followed live: one graphql-ws socket per Studio page (`live.js`), subscribed to
//! `videoProcessing` for each video being processed. While the socket is up the page makes no
//! request to learn where a video is; while it is down, uploads fall back to asking.

use crate::PlatformHandle;
use crate::session::Session;
use dioxus::prelude::*;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

const SCRIPT: &str = include_str!("live.js");
/// The state recorded for a video the socket would not follow.
pub const REFUSED: &str = "refused";

/// Where a video is, as the socket last said.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// `queued`, `processing`, `published`, `failed`… (lower case, as REST spells them).
    pub state: String,
    /// Percent of the running transcode.
    pub progress: Option<f64>,
    pub failure: Option<String>,
    /// The server ended the subscription: the video is where it stays.
    pub done: bool,
}

#[derive(Deserialize)]
#[serde(tag = "ev", rename_all = "lowercase")]
enum News {
    Up,
    Down,
    Update {
        id: String,
        state: String,
        progress: Option<f64>,
        failure: Option<String>,
    },
    Complete {
        id: String,
    },
    Refused {
        id: Option<String>,
        message: String,
    },
}

/// The socket's handles, shared by the Studio's parts.
#[derive(Clone, Copy)]
pub struct Live {
    eval: Signal<Option<document::Eval>>,
    pub up: Signal<bool>,
    pub updates: Signal<HashMap<String, Update>>,
}

impl Live {
    /// Opens the socket for the signed-in creator and provides it to the page.
    pub fn provide() -> Live {
        let platform = use_context::<PlatformHandle>();
        let session = Session::get();
        let live = use_context_provider(|| Live {
            eval: Signal::new(None),
            up: Signal::new(false),
            updates: Signal::new(HashMap::new()),
        });
        use_future(move || {
            let platform = platform.clone();
            let mut live = live;
            async move {
                let Some(token) = session.token.peek().clone() else {
                    return;
                };
                let base = platform.0.api_base();
                let url = match base.split_once("://") {
                    Some(("https", rest)) => format!("wss://{rest}/graphql/ws"),
                    Some((_, rest)) => format!("ws://{rest}/graphql/ws"),
                    None => return,
                };
                let mut eval = document::eval(SCRIPT);
                let _ = eval.send(json!({ "url": url, "token": token }));
                live.eval.set(Some(eval));
                loop {
                    let news = match eval.recv::<News>().await {
                        Ok(n) => n,
                        Err(dioxus::document::EvalError::Serialization(_)) => continue,
                        Err(_) => return,
                    };
                    match news {
                        News::Up => live.up.set(true),
                        News::Down => live.up.set(false),
                        News::Update {
                            id,
                            state,
                            progress,
                            failure,
                        } => {
                            live.updates.write().insert(
                                id,
                                Update {
                                    state: state.to_lowercase(),
                                    progress,
                                    failure,
                                    done: false,
                                },
                            );
                        }
                        News::Complete { id } => {
                            if let Some(u) = live.updates.write().get_mut(&id) {
                                u.done = true;
                            }
                        }
                        News::Refused { id, message } => {
                            tracing::warn!("following processing of {id:?}: {message}");
                            // That video is followed by asking instead.
                            if let Some(id) = id {
                                live.updates.write().insert(
                                    id,
                                    Update {
                                        state: REFUSED.to_owned(),
                                        progress: None,
                                        failure: None,
                                        done: true,
                                    },
                                );
                            }
                        }
                    }
                }
            }
        });
        use_drop(move || {
            if let Some(eval) = *live.eval.peek() {
                let _ = eval.send(json!({ "op": "close" }));
            }
        });
        live
    }

    pub fn get() -> Live {
        use_context::<Live>()
    }

    /// Asks the socket to follow `video_id`.
    pub fn follow(&self, video_id: &str) {
        if let Some(eval) = *self.eval.peek() {
            let _ = eval.send(json!({ "op": "follow", "id": video_id }));
        }
    }

    pub fn is_up(&self) -> bool {
        *self.up.peek()
    }

    pub fn latest(&self, video_id: &str) -> Option<Update> {
        self.updates.peek().get(video_id).cloned()
    }
}
