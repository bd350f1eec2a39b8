//! The desktop app (`kino-app`), driven through WebDriver as a user would: a virtual X
//! display (Xvfb), a private D-Bus session (the single-instance hand-over uses it),
//! `tauri-driver` in front of WebKitWebDriver, and the app's own config, data and credential
//! entries isolated in a temporary home.

use crate::process::free_port;
use fantoccini::{Client, ClientBuilder};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The built app: `$KINO_APP_BIN`, else `kino-app` beside `kino`.
pub fn bin() -> PathBuf {
    std::env::var_os("KINO_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::kino::bin().with_file_name("kino-app"))
}

/// A process group killed when the test ends: a driver's browser and the app die with it.
#[derive(Debug)]
struct Group(Child);

impl Group {
    fn spawn(cmd: &mut Command, what: &str) -> Group {
        Group(
            cmd.process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("{what} starts: {e}")),
        )
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// What the app's processes share: the display, the bus and the home.
#[derive(Debug)]
pub struct Desktop {
    // Fields drop in this order: the driver (and the app) first, the home last.
    /// The driver and its port.
    driver: Option<(Group, u16)>,
    _bus: Group,
    _display: Group,
    env: Vec<(String, String)>,
    home: tempfile::TempDir,
}

impl Desktop {
    /// A display and a bus, and a home no other test shares.
    pub fn start() -> Desktop {
        let home = tempfile::tempdir().unwrap();
        let (display, number) = first_line(
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stderr(Stdio::null()),
            "Xvfb (Debian package xvfb)",
        );
        let (bus, address) = first_line(
            Command::new("dbus-daemon")
                .args([
                    "--session",
                    "--nofork",
                    "--print-address=1",
                    "--address=unix:tmpdir=/tmp",
                ])
                .stderr(Stdio::null()),
            "dbus-daemon",
        );
        let h = home.path();
        let env = vec![
            ("DISPLAY".to_owned(), format!(":{number}")),
            ("DBUS_SESSION_BUS_ADDRESS".into(), address),
            ("HOME".into(), h.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                h.join("config").display().to_string(),
            ),
            ("XDG_DATA_HOME".into(), h.join("data").display().to_string()),
            (
                "XDG_CACHE_HOME".into(),
                h.join("cache").display().to_string(),
            ),
        ];
        Desktop {
            env,
            home,
            driver: None,
            _bus: bus,
            _display: display,
        }
    }

    /// The app's config directory (its server list lives there).
    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config/org.kino.app")
    }

    /// Launches the app through `tauri-driver` and returns the WebDriver session.
    pub async fn launch(&mut self) -> Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // On a loaded machine WebKitWebDriver now and then never answers a new session (the
        // app is not even started): a fresh driver gets it going.
        for _ in 0..3 {
            let port = self.driver();
            match tokio::time::timeout(Duration::from_secs(60), connect(port)).await {
                Ok(client) => return client,
                Err(_) => {
                    eprintln!(
                        "tauri-driver did not start the app within a minute; starting a new driver                          ({})",
                        self.home.path().join("driver.log").display()
                    );
                    self.driver = None;
                }
            }
        }
        panic!("could not start the app through tauri-driver three times");
    }

    /// The running driver's port, starting one if there is none.
    fn driver(&mut self) -> u16 {
        if let Some((_, port)) = &self.driver {
            return *port;
        }
        let (port, native) = (free_port(), free_port());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.home.path().join("driver.log"))
            .expect("a log for the driver");
        let group = Group::spawn(
            Command::new("tauri-driver")
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .stdout(log.try_clone().expect("the log again"))
                .stderr(log),
            "tauri-driver (cargo install tauri-driver)",
        );
        self.driver = Some((group, port));
        port
    }
    /// Runs the app a second time with `args` (as the desktop does for a `kino://` link) and
    /// waits for it to exit.
    pub fn run_again(&self, args: &[&str]) -> std::process::ExitStatus {
        let mut child = Command::new(bin())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the app starts a second time");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "a second instance kept running instead of handing over"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Answers the system's file chooser titled `title` with `file`, by keys as a user
    /// would: the location field (Ctrl+L), the path, Enter (Debian's `xdotool`).
    pub fn choose_file(&self, title: &str, file: &Path) {
        let xdotool = |args: &[&str]| {
            let out = Command::new("xdotool")
                .args(args)
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .output()
                .expect("xdotool runs (Debian package xdotool)");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let window = loop {
            let found = xdotool(&["search", "--onlyvisible", "--name", &format!("^{title}$")]);
            if let Some(w) = found.lines().next() {
                break w.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no file chooser titled {title:?} appeared"
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        // The chooser takes keys once it has the focus and has drawn its fields.
        xdotool(&["windowfocus", "--sync", &window]);
        std::thread::sleep(Duration::from_millis(500));
        xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["type", "--delay", "10", &file.display().to_string()]);
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["key", "Return"]);
    }
}

/// A WebDriver session on the driver at `port`, retried while the driver starts listening.
async fn connect(port: u16) -> Client {
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({ "tauri:options": { "application": bin() } }))
            .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    loop {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Starts `cmd` and reads the first line it prints (a display number, a bus address).
fn first_line(cmd: &mut Command, what: &str) -> (Group, String) {
    let mut group = Group::spawn(cmd.stdout(Stdio::piped()), what);
    let out = group.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{what} prints where it listens: {e}"));
    assert!(!line.trim().is_empty(), "{what} printed nothing");
    (group, line.trim().to_owned())
}
