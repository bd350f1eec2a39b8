//! What every browser journey needs: the real binaries started on free ports, and (from
//! `testkit`) a headless Chromium session and generated clips uploaded through the REST
//! client.

pub use fantoccini::Client as Browser;
pub use serde_json::Value;
pub use shared::client::{self, types};
pub use std::path::{Path, PathBuf};
pub use std::process::Command;
pub use std::time::{Duration, Instant};
pub use testkit::browser::{Screen, click, element, start_browser, start_browser_as, type_into};
pub use testkit::catalog::{clip, creator, upload, upload_titled, wait_published};
pub use testkit::kino;
pub use testkit::process::{Guard, free_port};

pub fn web_dir() -> PathBuf {
    let dir = std::env::var_os("KINO_WEB_DIR")
        .map(PathBuf::from)
        .expect("KINO_WEB_DIR must name the built web app: run the tests with `cargo xtask test`");
    assert!(
        dir.join("index.html").is_file(),
        "{} holds no index.html",
        dir.display()
    );
    dir
}

/// Starts `kino` on a free port and returns it with its base URL.
pub fn start_kino(data: &Path) -> (Guard, String) {
    start_kino_with(data, 1, &[])
}

/// Starts `kino` with `workers` in-process workers and extra `KINO_*` settings in `env`.
pub fn start_kino_with(data: &Path, workers: u32, env: &[(&str, &str)]) -> (Guard, String) {
    let k = kino::start(
        data,
        &kino::Options {
            workers,
            db: Some("mem://".into()),
            web_dir: Some(web_dir()),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            listen: None,
        },
    );
    (k.process, k.url)
}

/// Starts a standalone `kino-transcoder` for the api at `base`, sharing the data dir's store.
pub fn start_worker(base: &str, token: &str, data: &Path, scratch: &str) -> Guard {
    start_worker_with(base, token, data, scratch, &[], None)
}

/// Starts a `kino-transcoder` with `extra` arguments, its log (at info) written to `log`
/// when given.
pub fn start_worker_with(
    base: &str,
    token: &str,
    data: &Path,
    scratch: &str,
    extra: &[&str],
    log: Option<&Path>,
) -> Guard {
    let bin = kino::bin().with_file_name("kino-transcoder");
    let store = format!("file://{}", data.join("objects").display());
    let mut cmd = Command::new(&bin);
    cmd.args([
        "--api",
        base,
        "--registration-token",
        token,
        "--store",
        &store,
        "--scratch-dir",
    ])
    .arg(data.join(scratch))
    .args(extra);
    match log {
        Some(path) => {
            cmd.env("RUST_LOG", "info")
                .stderr(std::fs::File::create(path).unwrap());
        }
        None => {
            cmd.env("RUST_LOG", "warn");
        }
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{} starts: {e}", bin.display()));
    Guard(child)
}

/// Runs `script` in the page and returns its value.
pub async fn js(browser: &Browser, script: &str) -> Value {
    browser
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("running {script}: {e}"))
}

/// Polls `script` until `ok` holds for its value (up to `secs` seconds), and returns it.
pub async fn until(
    browser: &Browser,
    secs: u64,
    what: &str,
    script: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = browser.execute(script, vec![]).await.unwrap_or(Value::Null);
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: still {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Saves a screenshot as `$KINO_SCREENSHOTS/{name}.png` when that directory is set.
pub async fn screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("KINO_SCREENSHOTS") {
        let png = browser.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Runs axe-core on the page and fails on any serious or critical violation.
pub async fn accessible(browser: &Browser, page: &str) {
    let axe = std::env::var_os("KINO_AXE")
        .map(PathBuf::from)
        .expect("KINO_AXE must name axe-core's axe.min.js: run the tests with `cargo xtask test`");
    let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| panic!("{}: {e}", axe.display()));
    browser.execute(&source, vec![]).await.unwrap();
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations \
               .filter(v => v.impact === 'serious' || v.impact === 'critical') \
               .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))) \
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    let found: Vec<String> = serde_json::from_value(found).unwrap();
    assert!(
        found.is_empty(),
        "accessibility of {page}:\n{}",
        found.join("\n")
    );
}

/// Signs up `email` through the REST client (with an invitation or setup code, if given).
pub async fn sign_up_by_api(base: &str, email: &str, invite: Option<&str>) -> types::AuthResponse {
    client::connect(base, None)
        .signup(&types::SignupRequest {
            email: email.into(),
            password: "correct horse battery".into(),
            display_name: email.split('@').next().unwrap_or("Someone").into(),
            invite_code: invite.map(str::to_owned),
        })
        .await
        .unwrap_or_else(|e| panic!("signing up {email}: {e}"))
        .into_inner()
}

/// Makes the browser's app signed in with `token` (as it keeps it), from the app's origin.
pub async fn sign_in_browser(browser: &Browser, base: &str, token: &str) {
    browser.goto(base).await.unwrap();
    js(
        browser,
        &format!("localStorage.setItem('kino.token', '{token}'); return null;"),
    )
    .await;
}
