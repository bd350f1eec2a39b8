//! The real `kino` binary, started on a free port for a test.
//!
//! `cargo xtask test` builds it and passes its path in `KINO_BIN`; without that, it is looked
//! for next to the running test executable (`target/debug/kino`).

use crate::process::Guard;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the `kino` binary is.
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KINO_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/<test>-<hash> -> target/debug/kino
    let exe = std::env::current_exe().expect("the test executable has a path");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("kino"))
        .expect("the test runs from a target dir")
}

/// How to start one `kino`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// In-process transcoder workers.
    pub workers: u32,
    /// Database URL; `None` is the embedded store under the data dir (survives restarts).
    pub db: Option<String>,
    pub web_dir: Option<PathBuf>,
    /// Extra environment, e.g. `KINO_*` settings or S3 credentials.
    pub env: Vec<(String, String)>,
    /// A fixed address (to come back on the same one after a restart); default a free port.
    pub listen: Option<String>,
}

/// A running `kino` and the URL it printed.
#[derive(Debug)]
pub struct Kino {
    pub process: Guard,
    pub url: String,
}

/// The setup token every `kino` the tests start is given: signing up with it as the
/// `invite_code` makes the admin.
pub const SETUP_TOKEN: &str = "kino-test-setup";

/// Starts `kino` on a free port with its data in `data` and waits until it listens.
pub fn start(data: &Path, opts: &Options) -> Kino {
    start_with_bin(&bin(), data, opts)
}

/// Starts a particular `kino` binary (a release build for benchmarks, say).
pub fn start_with_bin(bin: &Path, data: &Path, opts: &Options) -> Kino {
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p api --bin kino`",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    cmd.arg("--listen")
        .arg(opts.listen.as_deref().unwrap_or("127.0.0.1:0"))
        .arg("--data-dir")
        .arg(data)
        .arg("--workers")
        .arg(opts.workers.to_string());
    if let Some(db) = &opts.db {
        cmd.args(["--db", db]);
    }
    if let Some(web) = &opts.web_dir {
        cmd.arg("--web-dir").arg(web);
    }
    // Accounts the tests create upload, and the admin comes from a known setup token; a
    // test's own `env` may say otherwise.
    let mut child = cmd
        .env("KINO_NEW_ACCOUNT_ROLE", "creator")
        .env("KINO_SETUP_TOKEN", SETUP_TOKEN)
        .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kino starts");
    let stdout = child.stdout.take().expect("kino's stdout is piped");
    let process = Guard(child);
    let mut line = String::new();
    let mut out = BufReader::new(stdout);
    // Lines before the address (the first admin's setup code) are skipped.
    while !line.starts_with("kino listening on") {
        line.clear();
        let n = out.read_line(&mut line).expect("kino prints its address");
        assert!(n > 0, "kino exited before listening");
    }
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "kino printed {line:?}"
    );
    Kino { process, url }
}

/// Runs `kino` to completion with `args` (a one-shot command such as `--export-db`) on the
/// data dir `data`, the database `db` (`None`: the embedded one) and extra environment `env`.
pub fn run(
    data: &Path,
    db: Option<&str>,
    env: &[(String, String)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new(bin());
    cmd.arg("--data-dir").arg(data);
    if let Some(db) = db {
        cmd.args(["--db", db]);
    }
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .expect("kino runs")
}

/// Seeds `videos` realistic videos into a fresh database under `data`, then starts `kino` on it
/// with one worker, serving `$KINO_WEB_DIR` (what the benchmarks of the apps measure against).
/// Prints what the seeding printed.
pub fn start_seeded(data: &Path, videos: u64) -> Kino {
    let web = std::env::var_os("KINO_WEB_DIR")
        .map(PathBuf::from)
        .expect("KINO_WEB_DIR names the web bundle");
    let seeded = Command::new(bin())
        .arg("--data-dir")
        .arg(data)
        .args(["--seed-videos", &videos.to_string()])
        .output()
        .expect("kino seeds");
    assert!(seeded.status.success(), "{seeded:?}");
    print!("{}", String::from_utf8_lossy(&seeded.stdout));
    start(
        data,
        &Options {
            workers: 1,
            db: None,
            web_dir: Some(web),
            env: Vec::new(),
            listen: None,
        },
    )
}
