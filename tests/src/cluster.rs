//! A whole deployment on loopback, from the binaries the tests use: a SurrealDB server on
//! persistent storage, a three-node Garage cluster keeping three copies of every object (one
//! node per zone), three `kino` replicas without in-process workers, two standalone
//! `kino-transcoder` workers and nginx in front with the shipped edge configuration.
//!
//! Every part runs detached in its own process group, so the cluster outlives the command
//! that started it; `cluster.json` in its directory records how each part was started and its
//! process id, which is how [`Cluster::down`] stops it and how a part is restarted.

use crate::{edge, garage, kino, surreal};
use serde::{Deserialize, Serialize};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bucket the replicas and workers share.
pub const BUCKET: &str = "kino";
/// Replicas and workers.
pub const REPLICAS: usize = 3;
pub const WORKERS: usize = 2;
pub const GARAGE_NODES: usize = 3;

/// How one part is started, and its process while it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The port it serves on, to wait for.
    pub port: u16,
    pub pid: Option<u32>,
}

/// A cluster's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    pub dir: PathBuf,
    /// The edge, where viewers and workers come in.
    pub url: String,
    /// The one-time code that makes the first account its admin.
    pub setup_token: String,
    pub parts: Vec<Part>,
}

/// Where the parts' binaries are.
#[derive(Debug, Clone)]
pub struct Bins {
    pub kino: PathBuf,
    pub transcoder: PathBuf,
    pub surreal: PathBuf,
    pub garage: PathBuf,
    pub web: Option<PathBuf>,
}

impl Bins {
    /// As the tests find them (`KINO_BIN` and `kino-transcoder` beside it,
    /// `KINO_SURREAL_BIN`, `KINO_GARAGE_BIN`, `KINO_WEB_DIR`).
    pub fn from_env() -> Bins {
        Bins {
            kino: kino::bin(),
            transcoder: kino::bin().with_file_name("kino-transcoder"),
            surreal: surreal::bin(),
            garage: garage::binary(),
            web: std::env::var_os("KINO_WEB_DIR").map(PathBuf::from),
        }
    }
}

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Ports by name, the same on every start (Garage nodes find each other again at the
/// addresses they remember), unless one is taken.
struct Ports {
    file: PathBuf,
    known: std::collections::BTreeMap<String, u16>,
}

impl Ports {
    fn load(dir: &Path) -> Ports {
        let file = dir.join("ports.json");
        let known = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Ports { file, known }
    }

    fn get(&mut self, name: &str) -> u16 {
        if let Some(p) = self.known.get(name)
            && !listening(*p)
        {
            return *p;
        }
        let p = crate::process::free_port();
        self.known.insert(name.to_owned(), p);
        let _ = std::fs::write(
            &self.file,
            serde_json::to_string_pretty(&self.known).unwrap_or_default(),
        );
        p
    }
}

impl Part {
    /// Starts the part detached, its output appended to `logs/{name}.log`.
    pub fn start(&mut self, dir: &Path) -> Result<(), String> {
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logs.join(format!("{}.log", self.name)))
            .map_err(|e| e.to_string())?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            // Its own process group: an interrupt of the command that started it does not
            // reach it.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.program.display()))?;
        self.pid = Some(child.id());
        // Reaped by whoever outlives us; the record is what matters.
        std::mem::forget(child);
        Ok(())
    }

    /// Waits until the part listens, or fails when it exits first.
    pub fn wait(&self, dir: &Path, patience: Duration) -> Result<(), String> {
        let deadline = Instant::now() + patience;
        while !listening(self.port) {
            if self.pid.is_none_or(|p| !alive(p)) || Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join(format!("logs/{}.log", self.name)))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                return Err(format!(
                    "{} did not start listening on {}:\n{}",
                    self.name,
                    self.port,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Stops the part: SIGTERM, then SIGKILL after `patience`.
    pub fn stop(&mut self, patience: Duration) {
        let Some(pid) = self.pid.take() else { return };
        signal(pid, "-TERM");
        let deadline = Instant::now() + patience;
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive(pid) {
            signal(pid, "-KILL");
        }
    }

    /// Kills the part at once, as a crash would.
    pub fn crash(&mut self) {
        if let Some(pid) = self.pid.take() {
            signal(pid, "-KILL");
        }
    }
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{:?} failed: {}{}",
            cmd,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Cluster {
    fn record(dir: &Path) -> PathBuf {
        dir.join("cluster.json")
    }

    /// The cluster recorded in `dir`, if any.
    pub fn load(dir: &Path) -> Option<Cluster> {
        let text = std::fs::read_to_string(Self::record(dir)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the record.
    pub fn save(&self) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(Self::record(&self.dir), text).map_err(|e| e.to_string())
    }

    /// A part by name.
    pub fn part(&mut self, name: &str) -> &mut Part {
        self.parts
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no part {name}"))
    }

    /// Starts a whole cluster in `dir` (its data kept there between runs), its edge on
    /// `port`, the replicas given `settings` (`KINO_*` variables) besides their own.
    pub fn up(
        dir: &Path,
        port: u16,
        bins: &Bins,
        settings: &[(String, String)],
    ) -> Result<Cluster, String> {
        if let Some(c) = Cluster::load(dir)
            && c.parts.iter().any(|p| p.pid.is_some_and(alive))
        {
            return Err(format!(
                "a cluster is already running from {} (at {}): stop it first",
                dir.display(),
                c.url
            ));
        }
        for (what, path) in [
            ("kino", &bins.kino),
            ("kino-transcoder", &bins.transcoder),
            ("surreal", &bins.surreal),
            ("garage", &bins.garage),
        ] {
            if !path.is_file() {
                return Err(format!("{what} is missing at {}", path.display()));
            }
        }
        if listening(port) {
            return Err(format!("port {port} is taken"));
        }
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let dir = dir.canonicalize().map_err(|e| e.to_string())?;
        // Secrets survive restarts of the cluster: its data does.
        let secrets = dir.join("secrets.json");
        let secrets: serde_json::Value = match std::fs::read_to_string(&secrets) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| e.to_string())?,
            Err(_) => {
                let s = serde_json::json!({
                    "rpc_secret": garage::random_hex(32),
                    "key_id": format!("GK{}", garage::random_hex(12)),
                    "key_secret": garage::random_hex(32),
                    "registration_token": garage::random_hex(16),
                    "setup_token": garage::random_hex(16),
                });
                std::fs::write(&secrets, s.to_string()).map_err(|e| e.to_string())?;
                s
            }
        };
        let secret = |k: &str| secrets[k].as_str().unwrap_or_default().to_owned();
        let mut ports = Ports::load(&dir);
        let url = format!("http://127.0.0.1:{port}");
        let mut cluster = Cluster {
            dir: dir.clone(),
            url: url.clone(),
            setup_token: secret("setup_token"),
            parts: Vec::new(),
        };

        // The database, on disk.
        let db_port = ports.get("surreal");
        cluster.parts.push(Part {
            name: "surreal".into(),
            program: bins.surreal.clone(),
            args: vec![
                "start".into(),
                "--user".into(),
                surreal::USER.into(),
                "--pass".into(),
                surreal::PASS.into(),
                "--bind".into(),
                format!("127.0.0.1:{db_port}"),
                format!("surrealkv://{}", dir.join("surreal").display()),
            ],
            env: vec![("SURREAL_LOG".into(), "warn".into())],
            port: db_port,
            pid: None,
        });

        // Three Garage nodes, one per zone, three copies of everything.
        let mut s3_ports = Vec::new();
        for n in 1..=GARAGE_NODES {
            let (rpc, s3) = (
                ports.get(&format!("garage-{n}-rpc")),
                ports.get(&format!("garage-{n}")),
            );
            s3_ports.push(s3);
            let root = dir.join(format!("garage-{n}"));
            std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
            let config = root.join("garage.toml");
            std::fs::write(
                &config,
                garage::config(&root, GARAGE_NODES as u32, rpc, s3, &secret("rpc_secret")),
            )
            .map_err(|e| e.to_string())?;
            cluster.parts.push(Part {
                name: format!("garage-{n}"),
                program: bins.garage.clone(),
                args: vec!["-c".into(), config.display().to_string(), "server".into()],
                env: vec![("RUST_LOG".into(), "warn".into())],
                port: s3,
                pid: None,
            });
        }
        for p in &mut cluster.parts {
            p.start(&dir)?;
        }
        cluster.save()?;
        for p in &cluster.parts {
            p.wait(&dir, Duration::from_secs(60))?;
        }
        cluster.garage_layout(bins)?;

        // Each replica and worker prefers one node and moves to the others when it is down.
        let store = |n: usize| {
            let endpoints: Vec<String> = (0..s3_ports.len())
                .map(|k| format!("http://127.0.0.1:{}", s3_ports[(n + k) % s3_ports.len()]))
                .collect();
            format!(
                "s3://{BUCKET}?endpoint={}&region={}&path_style=true",
                endpoints.join(","),
                garage::REGION
            )
        };
        let credentials = [
            ("AWS_ACCESS_KEY_ID".to_owned(), secret("key_id")),
            ("AWS_SECRET_ACCESS_KEY".to_owned(), secret("key_secret")),
        ];
        let mut upstreams = Vec::new();
        for n in 1..=REPLICAS {
            let p = ports.get(&format!("kino-{n}"));
            upstreams.push(format!("127.0.0.1:{p}"));
            let mut args = vec![
                "--listen".into(),
                format!("127.0.0.1:{p}"),
                "--data-dir".into(),
                dir.join(format!("kino-{n}")).display().to_string(),
                "--workers".into(),
                "0".into(),
                "--db".into(),
                format!("ws://127.0.0.1:{db_port}"),
                "--store".into(),
                store(n - 1),
                "--public-url".into(),
                url.clone(),
            ];
            if let Some(web) = &bins.web {
                args.extend(["--web-dir".into(), web.display().to_string()]);
            }
            let mut env: Vec<(String, String)> = credentials.to_vec();
            env.extend(surreal::kino_env("kino"));
            env.extend([
                ("KINO_TRUSTED_PROXIES".into(), r#"["127.0.0.1"]"#.into()),
                (
                    "KINO_WORKER_REGISTRATION_TOKEN".into(),
                    secret("registration_token"),
                ),
                ("KINO_SETUP_TOKEN".into(), secret("setup_token")),
                ("KINO_LOG_JSON".into(), "true".into()),
            ]);
            env.extend(settings.iter().cloned());
            cluster.parts.push(Part {
                name: format!("kino-{n}"),
                program: bins.kino.clone(),
                args,
                env,
                port: p,
                pid: None,
            });
        }
        let edge_dir = dir.join("edge");
        std::fs::create_dir_all(&edge_dir).map_err(|e| e.to_string())?;
        let nginx = edge::command(&edge_dir, port, &upstreams);
        cluster.parts.push(Part {
            name: "edge".into(),
            program: nginx.get_program().into(),
            args: nginx
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            env: Vec::new(),
            port,
            pid: None,
        });
        for n in 1..=WORKERS {
            let metrics = ports.get(&format!("transcoder-{n}"));
            let scratch = dir.join(format!("transcoder-{n}"));
            let mut env: Vec<(String, String)> = credentials.to_vec();
            env.push(("KINO_LOG_JSON".into(), "true".into()));
            cluster.parts.push(Part {
                name: format!("transcoder-{n}"),
                program: bins.transcoder.clone(),
                args: vec![
                    "--api".into(),
                    url.clone(),
                    "--registration-token".into(),
                    secret("registration_token"),
                    "--store".into(),
                    store(n),
                    "--scratch-dir".into(),
                    scratch.display().to_string(),
                    "--metrics-listen".into(),
                    format!("127.0.0.1:{metrics}"),
                ],
                env,
                port: metrics,
                pid: None,
            });
        }
        let started = 1 + GARAGE_NODES;
        for p in &mut cluster.parts[started..] {
            p.start(&dir)?;
            // Replicas migrate the database one after the other; the edge and workers need
            // a replica to answer.
            p.wait(&dir, Duration::from_secs(120))?;
        }
        cluster.save()?;
        Ok(cluster)
    }

    /// Joins the Garage nodes into one layout (once) and gives the key its bucket.
    fn garage_layout(&self, bins: &Bins) -> Result<(), String> {
        let config = |n: usize| self.dir.join(format!("garage-{n}/garage.toml"));
        let garage = |n: usize| {
            let mut c = Command::new(&bins.garage);
            c.arg("-c").arg(config(n));
            c
        };
        // Nodes find each other at every start: a node that ran briefly may not have kept
        // its peers' addresses yet.
        let mut ids = Vec::new();
        for n in 1..=GARAGE_NODES {
            ids.push(run(garage(n).args(["node", "id", "-q"]))?.trim().to_owned());
        }
        for id in &ids[1..] {
            run(garage(1).args(["node", "connect", id]))?;
        }
        let status = run(garage(1).args(["layout", "show"]))?;
        if !status.contains("z1") {
            for (n, id) in ids.iter().enumerate() {
                let node = id.split('@').next().unwrap_or(id);
                run(garage(1).args([
                    "layout",
                    "assign",
                    "-z",
                    &format!("z{}", n + 1),
                    "-c",
                    "1G",
                    node,
                ]))?;
            }
            run(garage(1).args(["layout", "apply", "--version", "1"]))?;
        }
        // The key and bucket, once; later starts find them.
        let secrets: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir.join("secrets.json")).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let key_id = secrets["key_id"].as_str().unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(60);
        // A new layout takes a moment to reach every node, and restarted nodes a moment to
        // find each other.
        loop {
            let attempt = (|| -> Result<(), String> {
                let keys = run(garage(1).args(["key", "list"]))?;
                if !keys.contains(key_id) {
                    run(garage(1).args([
                        "key",
                        "import",
                        "--yes",
                        "-n",
                        BUCKET,
                        key_id,
                        secrets["key_secret"].as_str().unwrap_or_default(),
                    ]))?;
                }
                let buckets = run(garage(1).args(["bucket", "list"]))?;
                if !buckets.contains(BUCKET) {
                    run(garage(1).args(["bucket", "create", BUCKET]))?;
                }
                run(garage(1).args([
                    "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", key_id,
                ]))?;
                Ok(())
            })();
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(500)),
            }
        }
    }

    /// A client of the bucket through Garage node `node` (from 1), with the cluster's key.
    pub async fn store(&self, node: usize) -> Result<shared::store::Store, String> {
        let secrets: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir.join("secrets.json")).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let port = self
            .parts
            .iter()
            .find(|p| p.name == format!("garage-{node}"))
            .ok_or_else(|| format!("no garage-{node}"))?
            .port;
        let key = |k: &str| secrets[k].as_str().unwrap_or_default().to_owned();
        shared::store::Store::open_with(
            &format!(
                "s3://{BUCKET}?endpoint=http://127.0.0.1:{port}&region={}&path_style=true",
                garage::REGION
            ),
            Some((key("key_id"), key("key_secret"))),
        )
        .await
        .map_err(|e| e.to_string())
    }

    /// Stops every part, the edge and workers first, the database last.
    pub fn down(&mut self) {
        for p in self.parts.iter_mut().rev() {
            p.stop(Duration::from_secs(10));
        }
        let _ = self.save();
    }
}
