//! What the app owes the server and learns from it once it is reachable: positions watched
//! offline are sent with `report_progress` (the latest per video), and a download of a video
//! the viewer may no longer watch (made private, hidden, deleted: the api answers 404) is
//! removed.

use super::Downloads;
use crate::credentials;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;

const FILE: &str = "progress-queue.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Owed {
    server: String,
    video_id: String,
    position_s: f64,
}

/// Positions watched offline, kept on disk until the server has them.
pub struct Outbox {
    path: PathBuf,
    owed: Mutex<Vec<Owed>>,
}

impl Outbox {
    pub fn open(dir: PathBuf) -> Outbox {
        let path = dir.join(FILE);
        let owed = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Outbox {
            path,
            owed: Mutex::new(owed),
        }
    }

    fn owed(&self) -> std::sync::MutexGuard<'_, Vec<Owed>> {
        self.owed.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save(&self, owed: &[Owed]) {
        let tmp = self.path.with_extension("json.new");
        let written = serde_json::to_vec(owed)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(&tmp, b))
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            eprintln!("kino: could not keep the offline progress: {e}");
        }
    }

    /// Owes the server this position (replacing an older one for the video).
    pub fn queue(&self, server: &str, video_id: &str, position_s: f64) {
        let mut owed = self.owed();
        owed.retain(|o| !(o.server == server && o.video_id == video_id));
        owed.push(Owed {
            server: server.to_owned(),
            video_id: video_id.to_owned(),
            position_s,
        });
        self.save(&owed);
    }

    fn settle(&self, done: &Owed) {
        let mut owed = self.owed();
        owed.retain(|o| o != done);
        self.save(&owed);
    }
}

/// One round with `server`: what is owed is sent, downloads of videos gone are removed. Stops
/// at the first sign the server cannot be reached.
pub async fn once(downloads: &Downloads, outbox: &Outbox, server: &str) {
    let Some(token) = credentials::token(server) else {
        return;
    };
    let api = shared::client::connect(server, Some(&token));
    let owed: Vec<Owed> = outbox
        .owed()
        .iter()
        .filter(|o| o.server == server)
        .cloned()
        .collect();
    for o in owed {
        let body = shared::client::types::ReportProgressRequest {
            position_s: o.position_s,
        };
        match api.report_progress(&o.video_id, &body).await {
            Ok(_) => outbox.settle(&o),
            Err(e) => match shared::client::error_code(&e).0 {
                // Unreachable, or the session is gone: keep it for later.
                None | Some(401) => return,
                // The video is gone or cannot take it: nothing to keep.
                Some(_) => outbox.settle(&o),
            },
        }
    }
    for id in downloads.of_server(server) {
        match api.get_video(&id).await {
            Ok(_) => {}
            Err(e) => match shared::client::error_code(&e).0 {
                Some(404) => downloads.remove(&id),
                None => return,
                Some(_) => {}
            },
        }
    }
}
