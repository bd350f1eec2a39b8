//! A SurrealDB server (the workspace's `surreal` binary, in memory) on a free loopback port,
//! for tests that run several `kino` processes on one database.

use crate::process::{Guard, free_port};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the `surreal` binary is: `KINO_SURREAL_BIN`, else next to the test executable.
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KINO_SURREAL_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test executable has a path");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("surreal"))
        .expect("the test runs from a target dir")
}

/// A running server; killed on drop.
#[derive(Debug)]
pub struct Surreal {
    pub process: Guard,
    pub port: u16,
}

pub const USER: &str = "root";
pub const PASS: &str = "root";

impl Surreal {
    /// Starts the server and waits until it answers its health check.
    pub fn start() -> Surreal {
        let bin = bin();
        assert!(
            bin.is_file(),
            "{} is missing: build it with `cargo build -p surreal-server`",
            bin.display()
        );
        // A port found free may be taken by another test's process before the server binds
        // it: then the server exits and another port is tried.
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&bin)
                .args(["start", "--user", USER, "--pass", PASS, "--bind"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("memory")
                .env("SURREAL_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("surreal starts");
            let mut process = Guard(child);
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if process.0.try_wait().ok().flatten().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    // Listening, and still running: the listener is this server.
                    std::thread::sleep(Duration::from_millis(100));
                    if process.0.try_wait().ok().flatten().is_none() {
                        return Surreal { process, port };
                    }
                    break;
                }
                assert!(Instant::now() < deadline, "surreal did not start listening");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("surreal exited at start five times");
    }

    /// The URL `kino --db` takes.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// Settings for a `kino` using this server with namespace `ns`.
    pub fn kino_env(&self, ns: &str) -> Vec<(String, String)> {
        kino_env(ns)
    }
}

/// Settings for a `kino` using a server started here, with namespace `ns`.
pub fn kino_env(ns: &str) -> Vec<(String, String)> {
    vec![
        ("KINO_DB_USER".into(), USER.into()),
        ("KINO_DB_PASS".into(), PASS.into()),
        ("KINO_DB_NAMESPACE".into(), ns.into()),
    ]
}
