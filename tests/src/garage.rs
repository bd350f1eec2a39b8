//! A single-node Garage (a real, distributed S3 implementation) for tests: its own temp dir,
//! free loopback ports, one bucket with one key, ready when [`Garage::start`] returns.
//!
//! The `garage` binary comes from `cargo install garage` (done by `cargo xtask test`); it is
//! found through `KINO_GARAGE_BIN`, then `PATH`, then `$CARGO_HOME/bin`.

use crate::process::{Guard, free_port};
use shared::store::{ObjectStore, Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bucket every test node serves.
pub const BUCKET: &str = "kino";
/// The region the node answers for.
pub const REGION: &str = "garage";

/// A running Garage node; stopped and wiped on drop.
#[derive(Debug)]
pub struct Garage {
    process: Guard,
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    _dir: tempfile::TempDir,
}

/// Where the `garage` binary is.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("KINO_GARAGE_BIN") {
        return PathBuf::from(p);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("garage");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    cargo_home.join("bin").join("garage")
}

/// A node's configuration: data under `root`, RPC and S3 on loopback ports, objects kept
/// `replication` times across the cluster the secret joins it to.
pub fn config(root: &Path, replication: u32, rpc: u16, s3: u16, secret: &str) -> String {
    format!(
        r#"metadata_dir = "{root}/meta"
data_dir = "{root}/data"
db_engine = "sqlite"
replication_factor = {replication}
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"
"#,
        root = root.display(),
    )
}

/// `bytes` random bytes as hex (keys and secrets for test services).
pub fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

impl Garage {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Stops the node at once, as a crash would; its port refuses connections after.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts a node and waits until its bucket takes writes.
    pub async fn start() -> Garage {
        let bin = binary();
        assert!(
            bin.is_file(),
            "{} is missing: `cargo xtask test` installs it (cargo install garage --locked)",
            bin.display()
        );
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start(&bin).await {
                Ok(g) => return g,
                Err(e) => last_error = e,
            }
        }
        panic!("garage did not start: {last_error}");
    }

    async fn try_start(bin: &std::path::Path) -> Result<Garage, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (rpc, s3) = (free_port(), free_port());
        let config = dir.path().join("garage.toml");
        let toml = self::config(dir.path(), 1, rpc, s3, &random_hex(32));
        std::fs::write(&config, toml).map_err(|e| e.to_string())?;
        let access_key_id = format!("GK{}", random_hex(12));
        let secret_access_key = random_hex(32);
        let log =
            std::fs::File::create(dir.path().join("garage.log")).map_err(|e| e.to_string())?;
        let child = Command::new(bin)
            .arg("-c")
            .arg(&config)
            .args(["server", "--single-node", "--default-bucket"])
            .env("GARAGE_DEFAULT_ACCESS_KEY", &access_key_id)
            .env("GARAGE_DEFAULT_SECRET_KEY", &secret_access_key)
            .env("GARAGE_DEFAULT_BUCKET", BUCKET)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut garage = Garage {
            process: Guard(child),
            endpoint: format!("http://127.0.0.1:{s3}"),
            access_key_id,
            secret_access_key,
            _dir: dir,
        };
        let store = garage.store().await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match store.put_bytes(".ready", "ok".into()).await {
                Ok(_) => return Ok(garage),
                Err(e) => {
                    if let Ok(Some(status)) = garage.process.0.try_wait() {
                        let log = std::fs::read_to_string(garage._dir.path().join("garage.log"))
                            .unwrap_or_default();
                        return Err(format!("garage exited with {status}: {log}"));
                    }
                    if Instant::now() > deadline {
                        garage.process.kill();
                        return Err(format!("no bucket after 30 s: {e}"));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The store URL for `--store`.
    pub fn store_url(&self) -> String {
        format!(
            "s3://{BUCKET}?endpoint={}&region={REGION}&path_style=true",
            self.endpoint
        )
    }

    /// The environment a process needs to reach the bucket.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ]
    }

    /// The environment of a `kino` whose store is this bucket: `KINO_STORE` and credentials.
    pub fn kino_env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        env.push(("KINO_STORE".into(), self.store_url()));
        env
    }

    /// A store client for the bucket.
    pub async fn store(&self) -> Store {
        self.try_store().await.expect("the garage store opens")
    }

    async fn try_store(&self) -> Result<Store, StoreError> {
        Store::open_with(
            &self.store_url(),
            Some((self.access_key_id.clone(), self.secret_access_key.clone())),
        )
        .await
    }
}
