//! nginx in front of `kino` replicas, with the shipped edge configuration
//! (`deploy/nginx/kino.conf`) rendered for loopback: its example replica addresses, port,
//! cache directory and log file replaced, nothing else. What the edge does in a test is what
//! it does in production.
//!
//! nginx comes from Debian's package (installed by `cargo xtask test`); `KINO_NGINX_BIN`
//! names another binary.

use crate::process::{Guard, free_port};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The shipped configuration.
pub fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx/kino.conf")
}

/// Where the nginx binary is.
pub fn bin() -> PathBuf {
    std::env::var_os("KINO_NGINX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}

/// The lines of the shipped file that name its example deployment.
const EXAMPLE_UPSTREAM: &str = "    server 127.0.0.1:808";
const EXAMPLE_LISTEN: &str = "    listen 8080;";
const EXAMPLE_CACHE: &str = "/var/cache/nginx/kino";
const EXAMPLE_LOG: &str = "/var/log/nginx/kino-access.log";

/// The shipped configuration for replicas at `upstreams` (`host:port`), listening on
/// `127.0.0.1:port`, keeping its cache and log under `dir`.
///
/// Panics when the shipped file no longer has the lines it replaces, so the file and what
/// tests run cannot drift apart.
pub fn render(shipped: &str, port: u16, upstreams: &[String], dir: &Path) -> String {
    for line in [EXAMPLE_UPSTREAM, EXAMPLE_LISTEN, EXAMPLE_CACHE, EXAMPLE_LOG] {
        assert!(shipped.contains(line), "kino.conf no longer has {line:?}");
    }
    let mut out = String::new();
    let mut servers_written = false;
    for line in shipped.lines() {
        if line.starts_with(EXAMPLE_UPSTREAM) {
            if !servers_written {
                for u in upstreams {
                    out.push_str(&format!("    server {u} max_fails=1 fail_timeout=5s;\n"));
                }
                servers_written = true;
            }
            continue;
        }
        if line == EXAMPLE_LISTEN {
            out.push_str(&format!("    listen 127.0.0.1:{port};\n"));
            continue;
        }
        out.push_str(
            &line
                .replace(EXAMPLE_CACHE, &dir.join("cache").display().to_string())
                .replace(EXAMPLE_LOG, &dir.join("access.log").display().to_string()),
        );
        out.push('\n');
    }
    out
}

/// The main configuration around the edge's: one worker, everything under `dir`.
fn main_conf(dir: &Path) -> String {
    let d = dir.display();
    // As root, nginx's workers would run as `nobody`, who may not enter a private directory.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    format!(
        "{user}daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    include {d}/kino.conf;
}}
",
        user = if root { "user root;\n" } else { "" },
    )
}

/// Writes the configuration for `upstreams` into `dir`, checks it with `nginx -t`, and
/// returns the command that runs nginx on it in the foreground.
pub fn command(dir: &Path, port: u16, upstreams: &[String]) -> Command {
    let bin = bin();
    assert!(
        bin.is_file(),
        "{} is missing: `cargo xtask test` installs Debian's nginx",
        bin.display()
    );
    std::fs::create_dir_all(dir.join("tmp")).expect("the edge's directory");
    let shipped = std::fs::read_to_string(shipped()).expect("deploy/nginx/kino.conf");
    std::fs::write(
        dir.join("kino.conf"),
        render(&shipped, port, upstreams, dir),
    )
    .expect("writing kino.conf");
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, main_conf(dir)).expect("writing nginx.conf");
    let check = Command::new(&bin)
        .arg("-t")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .output()
        .expect("nginx runs");
    assert!(
        check.status.success(),
        "nginx refuses the configuration: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let mut cmd = Command::new(&bin);
    cmd.arg("-p").arg(dir).arg("-c").arg(&conf);
    cmd
}

/// Waits until something listens on a loopback port (ten seconds at most).
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A running edge; stopped on drop.
#[derive(Debug)]
pub struct Edge {
    pub process: Guard,
    pub url: String,
    pub port: u16,
    pub dir: PathBuf,
}

impl Edge {
    /// Writes the configuration for `upstreams` into `dir`, starts nginx on a free port and
    /// waits until it answers.
    pub fn start(dir: &Path, upstreams: &[String]) -> Edge {
        Self::start_on(dir, free_port(), upstreams)
    }

    /// As [`Edge::start`], on a given port.
    pub fn start_on(dir: &Path, port: u16, upstreams: &[String]) -> Edge {
        let child = command(dir, port, upstreams)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let process = Guard(child);
        wait_listening(port);
        Edge {
            process,
            url: format!("http://127.0.0.1:{port}"),
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// Stops nginx as an operator would (SIGTERM: the master takes its workers down with it,
    /// which a SIGKILL would leave running and listening).
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.process.0.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.process.kill();
    }

    /// The edge's access log so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_rendered_with_only_its_example_addresses_replaced() {
        let shipped = std::fs::read_to_string(shipped()).unwrap();
        let out = render(
            &shipped,
            9000,
            &["127.0.0.1:1".into(), "127.0.0.1:2".into()],
            Path::new("/x"),
        );
        assert!(out.contains(
            "    server 127.0.0.1:1 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:2 max_fails"
        ));
        assert!(!out.contains("127.0.0.1:808"));
        assert!(out.contains("listen 127.0.0.1:9000;"));
        assert!(out.contains("proxy_cache_path /x/cache "));
        assert!(out.contains("/x/access.log kino_edge;"));
        assert_eq!(
            out.lines().count(),
            shipped.lines().count() - 1,
            "three example servers became two"
        );
    }
}
