//! Where the CLI keeps its state: the signed-in session (`session.json`) and one file per
//! upload in progress (`uploads/*.json`), under the user's config dir (`$KINO_CLI_HOME`
//! overrides it). Files are written atomically and readable by their owner only.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The signed-in session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub token: String,
    pub email: String,
}

/// The CLI's state directory.
#[derive(Debug, Clone)]
pub struct Profile {
    dir: PathBuf,
}

impl Profile {
    pub fn open(explicit: Option<PathBuf>) -> Result<Profile> {
        let dir = match explicit {
            Some(d) => d,
            None => directories::ProjectDirs::from("", "", "kino")
                .map(|p| p.config_dir().to_path_buf())
                .context("no home directory; set KINO_CLI_HOME")?,
        };
        std::fs::create_dir_all(dir.join("uploads"))
            .with_context(|| format!("creating {}", dir.display()))?;
        Ok(Profile { dir })
    }

    pub fn session(&self) -> Result<Session> {
        let path = self.dir.join("session.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|_| anyhow::anyhow!("not signed in: run `kino-cli login` first"))?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    pub fn save_session(&self, s: &Session) -> Result<()> {
        write_private(
            &self.dir.join("session.json"),
            &serde_json::to_vec_pretty(s)?,
        )
    }

    pub fn forget_session(&self) -> Result<()> {
        match std::fs::remove_file(self.dir.join("session.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// The file that remembers the upload of the file with this fingerprint.
    pub fn upload_state(&self, fingerprint: &str) -> PathBuf {
        self.dir.join("uploads").join(format!("{fingerprint}.json"))
    }
}

/// Writes a file that only its owner can read, replacing it atomically.
pub fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
