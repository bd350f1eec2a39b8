//! Typed settings, layered: built-in defaults, then the config file (`--config`, default
//! `kino.toml` when present), then `KINO_*` environment variables, then command-line flags.

use clap::Parser;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Command line of `kino`. Every flag is optional; unset flags fall through to the lower layers.
#[derive(Debug, Parser, Default)]
#[command(name = "kino", version, about = "Kino video-on-demand server")]
pub struct Cli {
    /// Config file (TOML). Default: ./kino.toml when it exists.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Directory for the embedded database and the default object store.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: surrealkv://PATH, mem://, ws://HOST:PORT.
    #[arg(long)]
    pub db: Option<String>,
    /// Object store URL: file:///PATH or s3://BUCKET?endpoint=URL[,URL...]&region=REGION[&path_style=true]
    /// (several endpoints are nodes of one cluster, the nearest first).
    #[arg(long)]
    pub store: Option<String>,
    /// In-process transcoder workers.
    #[arg(long)]
    pub workers: Option<u32>,
    /// How clients reach this server, e.g. https://kino.example.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Directory holding the built web app (index.html and assets).
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    /// Write the OpenAPI spec and the GraphQL schema into DIR and exit.
    #[arg(long, value_name = "DIR")]
    pub export_schemas: Option<PathBuf>,
    /// Add N realistic videos (with creators, viewers and their history, no media) to the
    /// database and exit.
    #[arg(long, value_name = "N")]
    pub seed_videos: Option<usize>,
    /// Write the whole database (accounts, catalogue, jobs, the installation's secrets) to FILE
    /// as SurrealQL and exit. FILE must not exist yet. The embedded database can be exported
    /// only while no `kino` runs on it; a database server, at any time.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["import_db", "seed_videos"])]
    pub export_db: Option<PathBuf>,
    /// Load a file written by --export-db into an empty database, bring its schema up to date
    /// and exit.
    #[arg(long, value_name = "FILE", conflicts_with = "seed_videos")]
    pub import_db: Option<PathBuf>,
    /// Log lines as JSON objects, one per line, rather than as text.
    #[arg(long, env = "KINO_LOG_JSON")]
    pub log_json: bool,
}

/// Everything the server needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub db: Option<String>,
    /// SurrealDB namespace and database.
    pub db_namespace: String,
    pub db_database: String,
    /// Root credentials for a remote database (`ws://`).
    pub db_user: Option<String>,
    pub db_pass: Option<String>,
    pub store: Option<String>,
    pub workers: u32,
    pub public_url: Option<String>,
    pub web_dir: Option<PathBuf>,
    /// Secret that signs media URLs and part-upload URLs. Generated and kept in the database
    /// when not set, so every replica on one database agrees (and a backup carries it).
    pub signing_secret: Option<String>,
    /// Token transcoder workers present to register. Generated and kept in the database when
    /// not set.
    pub worker_registration_token: Option<String>,
    /// Lifetime of signed media URLs, in seconds (at least).
    pub media_url_ttl_s: u64,
    /// Media URLs expire at a multiple of this many seconds, so viewers asking within one
    /// window share each file's URL and an edge cache one copy (0: each URL its own expiry).
    pub media_url_window_s: u64,
    /// Memory for media objects recently served (segments, playlists, posters), in MiB;
    /// a hot segment then costs no store request (0: none).
    pub media_memory_mb: u64,
    /// Lifetime of an open upload, in seconds.
    pub upload_ttl_s: u64,
    /// Largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Lease a worker holds on a job before it must heartbeat, in seconds.
    pub job_lease_s: u64,
    /// Attempts before a job is dead-lettered.
    pub job_max_attempts: u32,
    /// A retryable failure waits 2^attempt times this many seconds before the next attempt.
    pub job_retry_base_s: u64,
    /// Days a worker's token stays valid without being used (it then registers again).
    pub worker_token_idle_days: u32,
    /// Seconds a TV's sign-in code can be approved (RFC 8628 suggests minutes, not hours).
    pub device_code_lifetime_s: u32,
    /// Scratch directory of in-process workers.
    pub scratch_dir: Option<PathBuf>,
    /// In-process workers publish sources at least this long (seconds) as their lowest rung
    /// first (the first playable version), before the whole ladder. `preview_min_s`, its
    /// former name, is still read (see [`Settings::load`]).
    pub first_playable_min_s: f64,
    /// S3 credentials; when unset, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` are used.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Uploads one user may have open at once.
    pub max_open_uploads_per_user: u32,
    /// How often abandoned uploads are looked for, in seconds.
    pub upload_sweep_interval_s: u64,
    /// A completion still unfinished after this many seconds was cut short by a crash and is
    /// settled by the sweeper.
    pub upload_completing_timeout_s: u64,
    /// Largest request body of a REST operation, in bytes (part uploads stream and are bounded
    /// by their upload instead).
    pub max_body_bytes: usize,
    /// Largest GraphQL request body, and largest graphql-ws message, in bytes.
    pub max_graphql_body_bytes: usize,
    /// Seconds a connection may go without a byte either way before it is closed.
    pub idle_timeout_s: u64,
    /// Seconds a client has to send a request's head (its line and headers).
    pub header_read_timeout_s: u64,
    /// Proxies (addresses or networks such as `10.0.0.0/8`) whose `X-Forwarded-For` names the
    /// client; from anyone else the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <this>`
    /// (unset: whoever reaches the replica may read its figures).
    pub metrics_token: Option<String>,
    /// New accounts one client address may create per hour (0: no limit).
    pub signups_per_hour_per_address: u32,
    /// Searches one client address may run per minute (0: no limit).
    pub searches_per_minute_per_address: u32,
    /// GraphQL requests and subscription sockets one client address may open per minute
    /// (0: no limit).
    pub graphql_per_minute_per_address: u32,
    /// Views one client address may report per hour, signed in or not (0: no limit).
    pub views_per_hour_per_address: u32,
    /// Who may create an account: anyone (`open`), holders of an admin's invitation
    /// (`invite`), or nobody (`closed`; the setup token still makes the first admin).
    pub registration: Registration,
    /// The role new accounts get; admins promote from there.
    pub new_account_role: shared::Role,
    /// The one-time token that makes its account the first admin. When unset, one is
    /// generated and printed at start-up for as long as the install has no admin.
    pub setup_token: Option<String>,
    /// Bytes of sources one account may keep (0: no limit).
    pub storage_quota_bytes: u64,
    /// Uploads one account may open in 24 hours (0: no limit).
    pub uploads_per_day: u32,
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    Open,
    Invite,
    Closed,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            data_dir: PathBuf::from("data"),
            db: None,
            db_namespace: "kino".into(),
            db_database: "main".into(),
            db_user: None,
            db_pass: None,
            store: None,
            workers: 1,
            public_url: None,
            web_dir: None,
            signing_secret: None,
            worker_registration_token: None,
            media_url_ttl_s: 6 * 3600,
            media_url_window_s: 3600,
            media_memory_mb: 256,
            upload_ttl_s: 24 * 3600,
            max_upload_bytes: 50 * 1024 * 1024 * 1024,
            job_lease_s: 120,
            job_max_attempts: 5,
            job_retry_base_s: 5,
            worker_token_idle_days: 30,
            device_code_lifetime_s: 600,
            scratch_dir: None,
            first_playable_min_s: 30.0,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            max_open_uploads_per_user: 5,
            upload_sweep_interval_s: 60,
            upload_completing_timeout_s: 900,
            max_body_bytes: 1024 * 1024,
            max_graphql_body_bytes: 256 * 1024,
            idle_timeout_s: 120,
            header_read_timeout_s: 20,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            signups_per_hour_per_address: 10,
            searches_per_minute_per_address: 120,
            graphql_per_minute_per_address: 1200,
            views_per_hour_per_address: 300,
            registration: Registration::Open,
            new_account_role: shared::Role::Viewer,
            setup_token: None,
            storage_quota_bytes: 100 * 1024 * 1024 * 1024,
            uploads_per_day: 20,
        }
    }
}

/// How long media links live.
#[derive(Debug, Clone, Copy)]
pub struct LinkLifetime {
    /// At least this long.
    pub ttl_s: u64,
    /// Links are made to expire at a multiple of this, so every viewer asking within one
    /// window gets the same link to the same file and an edge cache keeps one copy of it for
    /// all of them (0 or 1: each link expires exactly `ttl_s` after it is made).
    pub window_s: u64,
}

impl LinkLifetime {
    /// The longest a link made now may still work.
    pub fn longest_s(&self) -> u64 {
        self.ttl_s + self.window_s
    }

    /// When a link made at `now` (Unix seconds) expires.
    pub fn expiry(&self, now: i64) -> i64 {
        let at = now + self.ttl_s as i64;
        let window = self.window_s.max(1) as i64;
        (at + window - 1).div_euclid(window) * window
    }
}

/// Settings under their former names, read for one release: (former, now).
const RENAMED: &[(&str, &str)] = &[("preview_min_s", "first_playable_min_s")];

impl Settings {
    /// How long the media links this replica hands out live.
    pub fn media_links(&self) -> LinkLifetime {
        LinkLifetime {
            ttl_s: self.media_url_ttl_s,
            window_s: self.media_url_window_s,
        }
    }

    /// Layers defaults, file, environment and flags.
    pub fn load(cli: &Cli) -> Result<Settings, Box<figment::Error>> {
        let mut given = match &cli.config {
            Some(path) => Figment::from(Toml::file_exact(path)),
            None => Figment::from(Toml::file("kino.toml")),
        };
        given = given.merge(Env::prefixed("KINO_").ignore(&[
            "config",
            "export_schemas",
            "seed_videos",
            "export_db",
            "import_db",
        ]));
        // Settings renamed keep their former names for a release; the new name wins.
        for (former, now) in RENAMED {
            if let (Ok(v), Err(_)) = (
                given.extract_inner::<figment::value::Value>(former),
                given.extract_inner::<figment::value::Value>(now),
            ) {
                given = given.merge(Serialized::default(now, v));
            }
        }
        let fig = Figment::from(Serialized::defaults(Settings::default())).merge(given);
        let mut s: Settings = fig.extract().map_err(Box::new)?;
        if let Some(v) = cli.listen {
            s.listen = v;
        }
        if let Some(v) = &cli.data_dir {
            s.data_dir = v.clone();
        }
        if let Some(v) = &cli.db {
            s.db = Some(v.clone());
        }
        if let Some(v) = &cli.store {
            s.store = Some(v.clone());
        }
        if let Some(v) = cli.workers {
            s.workers = v;
        }
        if let Some(v) = &cli.public_url {
            s.public_url = Some(v.trim_end_matches('/').to_owned());
        }
        if let Some(v) = &cli.web_dir {
            s.web_dir = Some(v.clone());
        }
        Ok(s)
    }

    /// The database URL, defaulting to SurrealKV under the data dir, synced to disk at every
    /// commit: an answered write survives a power cut. (It is the engine's default too; named
    /// here so that no environment setting of the engine can quietly turn it off.)
    pub fn db_url(&self) -> String {
        self.db.clone().unwrap_or_else(|| {
            format!(
                "surrealkv://{}?sync=every",
                self.data_dir.join("db").display()
            )
        })
    }

    /// Root credentials for a remote database, when both halves are set.
    pub fn db_root(&self) -> Option<(String, String)> {
        match (&self.db_user, &self.db_pass) {
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            _ => None,
        }
    }

    /// Explicit S3 credentials from the settings, when both halves are set.
    pub fn s3_credentials(&self) -> Option<(String, String)> {
        match (&self.s3_access_key_id, &self.s3_secret_access_key) {
            (Some(k), Some(s)) => Some((k.clone(), s.clone())),
            _ => None,
        }
    }

    /// The object store URL, defaulting to a directory under the data dir.
    pub fn store_url(&self) -> String {
        self.store.clone().unwrap_or_else(|| {
            let dir = self.data_dir.join("objects");
            let abs = std::path::absolute(&dir).unwrap_or(dir);
            format!("file://{}", abs.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn a_setting_under_its_former_name_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kino.toml");
        std::fs::write(&file, "preview_min_s = 5.0\n").unwrap();
        let cli = Cli::parse_from(["kino", "--config", file.to_str().unwrap()]);
        assert_eq!(Settings::load(&cli).unwrap().first_playable_min_s, 5.0);
        std::fs::write(&file, "preview_min_s = 5.0\nfirst_playable_min_s = 7.0\n").unwrap();
        assert_eq!(Settings::load(&cli).unwrap().first_playable_min_s, 7.0);
    }
}
