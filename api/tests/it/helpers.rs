use crate::conformance::Conformance;
use shared::client::{self, Client, Error, types};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The setup token every test app is given.
pub const SETUP: &str = "test-setup-token";
/// The worker registration token of every test app.
pub const REGISTRATION: &str = "test-registration-token";

/// A running api with its own database and data directory.
pub struct TestApp {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub settings: api::Settings,
    /// The app's database, for setting up states no request can reach.
    pub db: api::db::Db,
    /// The app's handles, for what only counters show (what was served from memory).
    pub state: api::state::AppState,
    stop: CancellationToken,
    handle: Option<tokio::task::JoinHandle<()>>,
    /// Every REST answer checked against the published spec.
    conformance: Arc<Conformance>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(h) = self.handle.take() {
            h.abort();
        }
        let violations = std::mem::take(&mut *self.conformance.violations.lock().unwrap());
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "{} answer(s) did not match the published spec:\n{}",
                violations.len(),
                violations.join("\n")
            );
        }
    }
}

/// Starts the api with `workers` in-process transcoder workers.
pub async fn spawn_app(workers: u32) -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), Some("mem://".into()), workers).await
}

/// Starts the api on the data in `dir`, with its database at `db` (default: embedded on disk
/// under `dir`).
pub async fn spawn_app_in(dir: tempfile::TempDir, db: Option<String>, workers: u32) -> TestApp {
    spawn_app_with(dir, db, workers, |_| {}).await
}

/// Starts the api with its object store in a Garage bucket.
pub async fn spawn_app_on(
    garage: &testkit::garage::Garage,
    workers: u32,
    tweak: impl FnOnce(&mut api::Settings),
) -> TestApp {
    // Logs show with RUST_LOG set, e.g. RUST_LOG=api=debug.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        workers,
        |s| {
            s.store = Some(garage.store_url());
            s.s3_access_key_id = Some(garage.access_key_id.clone());
            s.s3_secret_access_key = Some(garage.secret_access_key.clone());
            tweak(s);
        },
    )
    .await
}

/// Starts the api with settings changed by `tweak`.
pub async fn spawn_app_with(
    dir: tempfile::TempDir,
    db: Option<String>,
    workers: u32,
    tweak: impl FnOnce(&mut api::Settings),
) -> TestApp {
    // A namespace of its own per data dir, the same again when the app restarts on it.
    let name: String = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let mut settings = api::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        db,
        db_namespace: format!("t{name}"),
        workers,
        worker_registration_token: Some(REGISTRATION.into()),
        // Every test drives its app from one address; the tests of the limits set them.
        signups_per_hour_per_address: 100_000,
        searches_per_minute_per_address: 100_000,
        graphql_per_minute_per_address: 100_000,
        // Most tests upload as the accounts they create; the tests of registration and
        // quotas use the defaults.
        new_account_role: shared::Role::Creator,
        uploads_per_day: 0,
        setup_token: Some(SETUP.into()),
        ..api::Settings::default()
    };
    tweak(&mut settings);
    // The embedded engine lets go of its lock file a moment after the previous app on this
    // data dir stopped (a process restart frees it at exit); wait for that.
    let conformance = Conformance::new();
    let mut tries = 0;
    let app = loop {
        match api::Application::build(settings.clone()).await {
            Ok(app) => break app.observe_responses(conformance.observer()),
            Err(e) if tries < 50 && format!("{e:#}").contains("already locked") => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("app builds: {e:#}"),
        }
    };
    let base = format!("http://{}", app.addr());
    let db = app.state().db.clone();
    let state = app.state().clone();
    let stop = CancellationToken::new();
    let s = stop.clone();
    let handle = tokio::spawn(async move {
        app.run(s).await.expect("app runs");
    });
    TestApp {
        base,
        dir,
        settings,
        db,
        state,
        stop,
        handle: Some(handle),
        conformance,
    }
}

impl TestApp {
    /// Stops the api and waits until it has let go of its data, which it hands back.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.stop.cancel();
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// Waits until the app's search index holds a video as the database now has it: a test
    /// that writes to the database directly is another replica to the app, whose index
    /// follows such writes through the change feed.
    pub async fn indexed(&self, id: &str) {
        let index = self.state.cache.index();
        for _ in 0..200 {
            let video = api::catalog::videos::get(&self.db, id).await.unwrap();
            if video.is_some_and(|v| index.holds(&v)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the search index did not take video {id} in within five seconds");
    }

    /// The app's object store, opened as the app opens it.
    pub async fn store(&self) -> shared::store::Store {
        shared::store::Store::open_with(&self.settings.store_url(), self.settings.s3_credentials())
            .await
            .expect("the app's store opens")
    }

    pub fn anon(&self) -> Client {
        client::connect(&self.base, None)
    }

    pub fn as_user(&self, token: &str) -> Client {
        client::connect(&self.base, Some(token))
    }

    /// Signs up a fresh user and returns its token and id.
    pub async fn user(&self, name: &str) -> (String, String) {
        let r = self.sign_up(name, None).await;
        (r.token, r.user.id)
    }

    /// Creates the install's admin with the setup token; returns its token and id.
    pub async fn admin(&self, name: &str) -> (String, String) {
        let r = self.sign_up(name, Some(SETUP)).await;
        assert_eq!(r.user.role, types::Role::Admin);
        (r.token, r.user.id)
    }

    /// Creates an account named `name` (with a unique email), with an invitation or setup
    /// code when given one.
    pub async fn sign_up(&self, name: &str, code: Option<&str>) -> types::AuthResponse {
        self.anon()
            .signup(&types::SignupRequest {
                email: format!("{name}-{}@example.com", ulid::Ulid::new()),
                password: "correct horse battery".into(),
                display_name: name.into(),
                invite_code: code.map(str::to_owned),
            })
            .await
            .expect("signup")
            .into_inner()
    }

    /// Sends a GraphQL query over POST, as `token` or anonymously; the JSON answer.
    pub async fn graphql(&self, token: Option<&str>, query: &str) -> serde_json::Value {
        let mut req = reqwest::Client::new()
            .post(format!("{}/graphql", self.base))
            .json(&serde_json::json!({ "query": query }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// Registers a transcoder worker named `name` with the installation's token.
    pub async fn worker(&self, name: &str) -> types::WorkerRegistered {
        self.anon()
            .register_worker(&types::RegisterWorkerRequest {
                name: name.into(),
                registration_token: REGISTRATION.into(),
            })
            .await
            .expect("worker registration")
            .into_inner()
    }

    /// Uploads `file` as `token` through the clients' upload engine; returns the video id.
    pub async fn upload(&self, token: &str, file: &Path, title: &str) -> String {
        testkit::catalog::upload_titled(&self.as_user(token), file, title).await
    }

    /// Polls a video until it reaches a terminal state.
    pub async fn wait_terminal(&self, token: &str, video_id: &str) -> types::Video {
        let c = self.as_user(token);
        for _ in 0..600 {
            let v = c.get_video(video_id).await.expect("get_video").into_inner();
            if matches!(
                v.state,
                types::VideoState::Published | types::VideoState::Failed
            ) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("video {video_id} never finished processing");
    }
}

/// PUTs each part to its URL and returns the parts list `complete_upload` wants.
pub async fn put_parts(
    urls: &[types::PartUrl],
    part_size: u64,
    data: &[u8],
) -> Vec<types::CompletedPart> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for p in urls {
        let start = (u64::from(p.number) - 1) * part_size;
        let end = (start + part_size).min(data.len() as u64);
        let r = http
            .put(&p.url)
            .body(data[start as usize..end as usize].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "part {} upload: {}",
            p.number,
            r.text().await.unwrap_or_default()
        );
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        out.push(types::CompletedPart {
            number: p.number,
            etag,
        });
    }
    out
}

/// The HTTP status and stable code of a failed call.
pub fn code<T: std::fmt::Debug>(r: Result<T, Error<types::ErrorBody>>) -> (u16, String) {
    let e = r.expect_err("the call should fail");
    let (status, code, _) = client::error_code(&e);
    (status.unwrap_or(0), code)
}

/// A clip made by ffmpeg from its test sources, cached per shape for the test run.
pub async fn clip(width: u32, height: u32, seconds: u32) -> PathBuf {
    let dir = std::env::temp_dir().join("kino-test-clips");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("clip-{width}x{height}-{seconds}s.mp4"));
    if !path.exists() {
        let tmp = dir.join(format!("{}.tmp.mp4", ulid::Ulid::new()));
        transcoder::ffmpeg::generate_test_clip(&tmp, width, height, 30, seconds, true)
            .await
            .expect("ffmpeg makes a clip");
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// Polls `check` until it holds, for up to two seconds: for what other parts of the app
/// learn through the database's change feed (cached reads).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} did not happen within two seconds");
}

/// A graphql-ws socket.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql/ws` on `base` (`http://…`) speaking `graphql-transport-ws`, not yet
/// initialised.
pub async fn graphql_ws(base: &str) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("{}/graphql/ws", base.replacen("http", "ws", 1))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The value of the sample named exactly `series` (name and labels) in a `/metrics` text,
/// if there is one.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The app's `/metrics`, checked to be the Prometheus text format.
pub async fn scrape(app: &TestApp) -> String {
    let r = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    r.text().await.unwrap()
}
