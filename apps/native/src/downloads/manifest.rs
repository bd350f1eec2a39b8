//! What the app keeps about one download, beside its files (`download.json`), written after
//! every finished file so a restart resumes where it stopped.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FILE: &str = "download.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Downloading,
    Paused,
    Done,
    Failed,
}

/// One file of a download, at its path relative to the master playlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub done: bool,
    /// Bytes on disk.
    pub size: u64,
    /// The server's ETag for the file: a partial file resumes only if it still matches.
    pub etag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub video_id: String,
    pub title: String,
    /// The rung asked for (the one kept is the closest the server had).
    pub height: u32,
    /// The server the video came from.
    pub server: String,
    pub state: State,
    pub error: Option<String>,
    /// Known once the playlists are read; empty before.
    pub files: Vec<Entry>,
    /// Bytes expected in all (the rung's bandwidth times the duration until every file is in).
    pub expected: u64,
    pub duration_s: f64,
    /// Where the viewer stopped watching it.
    pub position_s: f64,
    /// When the download was asked for, milliseconds since the Unix epoch.
    pub created_ms: u64,
}

impl Manifest {
    pub fn load(dir: &Path) -> Option<Manifest> {
        serde_json::from_slice(&std::fs::read(dir.join(FILE)).ok()?).ok()
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp: PathBuf = dir.join(format!("{FILE}.new"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(tmp, dir.join(FILE))
    }

    pub fn bytes_done(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Every file listed and in.
    pub fn complete(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.done)
    }

    /// Takes the list of files a fresh read of the playlists gave, keeping what is already
    /// in of the files still listed.
    pub fn relist(&mut self, paths: Vec<String>) {
        let old = std::mem::take(&mut self.files);
        self.files = paths
            .into_iter()
            .map(|path| {
                old.iter()
                    .find(|e| e.path == path)
                    .cloned()
                    .unwrap_or(Entry {
                        path,
                        done: false,
                        size: 0,
                        etag: None,
                    })
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relisted_download_keeps_what_it_has() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest {
            video_id: "v".into(),
            title: "T".into(),
            height: 360,
            server: "https://kino.example".into(),
            state: State::Downloading,
            error: None,
            files: vec![],
            expected: 100,
            duration_s: 8.0,
            position_s: 0.0,
            created_ms: 1,
        };
        m.relist(vec!["a".into(), "b".into()]);
        m.files[0].done = true;
        m.files[0].size = 10;
        m.save(dir.path()).unwrap();
        let mut back = Manifest::load(dir.path()).unwrap();
        assert_eq!(back, m);
        back.relist(vec!["a".into(), "c".into()]);
        assert!(back.files[0].done && !back.files[1].done);
        assert_eq!(back.bytes_done(), 10);
        assert!(!back.complete());
    }
}
