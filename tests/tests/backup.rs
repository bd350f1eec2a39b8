//! Backups as the deployment guide prescribes them: `kino --export-db` and `kino --import-db`
//! bring an install back (its catalogue, accounts, sessions and lists) from its export, for
//! the embedded database and for a database server, and neither command ever writes over
//! data or leaves a half-written backup under its final name. With the bucket copied off and
//! back by `rclone sync`, a restored install plays its videos byte for byte.

use reqwest::Url;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::client::{self, types};
use shared::store::ObjectStore;
use std::path::Path;
use std::process::Command;
use testkit::catalog;
use testkit::garage::{self, Garage};
use testkit::kino::{self, Options};
use testkit::load;
use testkit::surreal::{self, Surreal};

struct Site {
    http: reqwest::Client,
    base: String,
}

impl Site {
    fn new(base: &str) -> Site {
        Site {
            http: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// Signs the first admin up with the setup code; the session's token.
    async fn admin(&self) -> String {
        let (status, body) = self
            .send(
                self.http
                    .post(format!("{}/api/v1/auth/signup", self.base))
                    .json(&json!({
                        "email": "admin@kino.test",
                        "password": "correct horse battery",
                        "display_name": "Admin",
                        "invite_code": kino::SETUP_TOKEN,
                    })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// What a restore must bring back, as the api shows it: the catalogue's first page, the
    /// admin's account and watchlist (through the session made before the backup) and the
    /// users list. Playback links are left out: they are signed for a time window, which may
    /// turn between two looks.
    async fn state(&self, token: &str) -> Value {
        let (s1, mut videos) = self.get("/api/v1/videos?limit=100", None).await;
        let (s2, me) = self.get("/api/v1/me", Some(token)).await;
        let (s3, mut watchlist) = self.get("/api/v1/me/watchlist", Some(token)).await;
        let (s4, users) = self.get("/api/v1/users", Some(token)).await;
        assert_eq!((s1, s2, s3, s4), (200, 200, 200, 200), "{me} {users}");
        without_links(&mut videos);
        without_links(&mut watchlist);
        json!({ "videos": videos, "me": me, "watchlist": watchlist, "users": users })
    }

    /// Signs in with the admin's password; the status.
    async fn login(&self) -> u16 {
        self.send(
            self.http
                .post(format!("{}/api/v1/auth/login", self.base))
                .json(&json!({
                    "email": "admin@kino.test",
                    "password": "correct horse battery",
                })),
        )
        .await
        .0
    }
}

/// Adds the catalogue's first video to the watchlist of `token`'s account; its id.
async fn watch_later(site: &Site, token: &str) -> String {
    let (_, videos) = site.get("/api/v1/videos?limit=1", None).await;
    let id = videos["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = site
        .send(
            site.http
                .put(format!("{}/api/v1/me/watchlist/{id}", site.base))
                .bearer_auth(token),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    id
}

fn without_links(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("playback");
            o.values_mut().for_each(without_links);
        }
        Value::Array(a) => a.iter_mut().for_each(without_links),
        _ => {}
    }
}

fn succeeds(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "kino failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that the command failed, saying `why`.
fn refuses(out: &std::process::Output, why: &str) {
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "kino succeeded: {said}");
    assert!(said.contains(why), "expected {why:?} in: {said}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn plain(db: Option<String>, env: Vec<(String, String)>) -> Options {
    Options {
        workers: 0,
        db,
        web_dir: None,
        env,
        listen: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_all_in_one_install_comes_back_from_its_export() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let backup = tmp.path().join("kino.surql");
    succeeds(&kino::run(&a, None, &[], &["--seed-videos", "25"]));

    let mut server = kino::start(&a, &plain(None, Vec::new()));
    let site = Site::new(&server.url);
    let token = site.admin().await;
    let saved = watch_later(&site, &token).await;
    let before = site.state(&token).await;
    assert!(
        !before["videos"]["items"].as_array().unwrap().is_empty(),
        "{before}"
    );

    // The embedded database is the running server's alone.
    refuses(
        &kino::run(&a, None, &[], &["--export-db", path(&backup)]),
        "stop kino first",
    );
    assert!(!backup.exists());
    server.process.stop();

    let said = succeeds(&kino::run(&a, None, &[], &["--export-db", path(&backup)]));
    assert!(said.starts_with("exported "), "{said}");
    let written = std::fs::read(&backup).unwrap();
    let dir: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !dir.iter().any(|n| n.ends_with(".partial")),
        "a partial file was left: {dir:?}"
    );

    // Never written over, and never from a data dir that holds no database.
    refuses(
        &kino::run(&a, None, &[], &["--export-db", path(&backup)]),
        "already exists",
    );
    assert_eq!(std::fs::read(&backup).unwrap(), written);
    let elsewhere = tmp.path().join("other.surql");
    refuses(
        &kino::run(
            &tmp.path().join("typo"),
            None,
            &[],
            &["--export-db", path(&elsewhere)],
        ),
        "there is no database",
    );
    assert!(!elsewhere.exists() && !tmp.path().join("typo").exists());

    let said = succeeds(&kino::run(&b, None, &[], &["--import-db", path(&backup)]));
    assert!(said.starts_with("imported "), "{said}");
    // A second import would mix two installs: refused, and the first is intact.
    refuses(
        &kino::run(&b, None, &[], &["--import-db", path(&backup)]),
        "already holds tables",
    );

    let restored = kino::start(&b, &plain(None, Vec::new()));
    let site = Site::new(&restored.url);
    assert_eq!(site.state(&token).await, before);
    assert_eq!(
        before["watchlist"][0]["id"].as_str(),
        Some(saved.as_str()),
        "{before}"
    );
    assert_eq!(site.login().await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_server_comes_back_from_its_export_while_replicas_run() {
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join("kino.surql");
    let first = Surreal::start();
    let env = surreal::kino_env("backup");
    succeeds(&kino::run(
        tmp.path(),
        Some(&first.url()),
        &env,
        &["--seed-videos", "10"],
    ));
    let replica = kino::start(
        &tmp.path().join("r1"),
        &plain(Some(first.url()), env.clone()),
    );
    let site = Site::new(&replica.url);
    let token = site.admin().await;
    watch_later(&site, &token).await;
    let before = site.state(&token).await;

    // A server is exported while replicas serve.
    let said = succeeds(&kino::run(
        tmp.path(),
        Some(&first.url()),
        &env,
        &["--export-db", path(&backup)],
    ));
    assert!(said.starts_with("exported "), "{said}");
    // Without credentials the server refuses, and says which are missing.
    refuses(
        &kino::run(
            tmp.path(),
            Some(&first.url()),
            &[("KINO_DB_NAMESPACE".into(), "backup".into())],
            &["--export-db", path(&tmp.path().join("anon.surql"))],
        ),
        "needs KINO_DB_USER and KINO_DB_PASS",
    );

    let second = Surreal::start();
    // Something that is not an export is refused before the database is touched.
    let junk = tmp.path().join("notes.txt");
    std::fs::write(&junk, "not a backup").unwrap();
    refuses(
        &kino::run(
            tmp.path(),
            Some(&second.url()),
            &env,
            &["--import-db", path(&junk)],
        ),
        "is not a database export",
    );
    let said = succeeds(&kino::run(
        tmp.path(),
        Some(&second.url()),
        &env,
        &["--import-db", path(&backup)],
    ));
    assert!(said.starts_with("imported "), "{said}");
    refuses(
        &kino::run(
            tmp.path(),
            Some(&second.url()),
            &env,
            &["--import-db", path(&backup)],
        ),
        "already holds tables",
    );

    let restored = kino::start(
        &tmp.path().join("r2"),
        &plain(Some(second.url()), env.clone()),
    );
    let site = Site::new(&restored.url);
    assert_eq!(site.state(&token).await, before);
    assert_eq!(site.login().await, 200);
}

/// `rclone sync from to`, where `garage:` is the bucket of `store`, set up in the environment
/// as an operator's rclone.conf would set it up.
fn rclone(from: &str, to: &str, store: &Garage) {
    let mut cmd = Command::new("rclone");
    cmd.args(["sync", from, to])
        // Only the remote below: nothing from the machine's rclone.conf, and no CA bundle for
        // a plain-HTTP loopback endpoint (rclone refuses to start when it cannot apply one).
        .env("RCLONE_CONFIG", "/dev/null")
        .env_remove("AWS_CA_BUNDLE");
    for (k, v) in [
        ("TYPE", "s3"),
        ("PROVIDER", "Other"),
        ("ENDPOINT", store.endpoint.as_str()),
        ("REGION", garage::REGION),
        ("FORCE_PATH_STYLE", "true"),
        // The bucket exists; creating it is not the backup's business.
        ("NO_CHECK_BUCKET", "true"),
        ("ACCESS_KEY_ID", store.access_key_id.as_str()),
        ("SECRET_ACCESS_KEY", store.secret_access_key.as_str()),
    ] {
        cmd.env(format!("RCLONE_CONFIG_GARAGE_{k}"), v);
    }
    let out = cmd
        .output()
        .expect("rclone runs: `cargo xtask test` installs it (apt install rclone)");
    assert!(
        out.status.success(),
        "rclone sync {from} {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a viewer of `id` downloads on `base`: the poster, then every byte of the lowest
/// rendition (its init segment and each segment), through the signed links the api gives.
async fn played(base: &str, id: &str) -> Vec<Vec<u8>> {
    let video = client::connect(base, None)
        .get_video(id)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(video.state, types::VideoState::Published);
    let playback = video
        .playback
        .expect("a published video has playback links");
    let base = Url::parse(base).unwrap();
    let http = reqwest::Client::new();
    let get = async |url: &Url| {
        let r = http.get(url.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {url}");
        r.bytes().await.unwrap().to_vec()
    };
    let mut files = vec![get(&base.join(&playback.poster_url).unwrap()).await];
    let master = base.join(&playback.master_url).unwrap();
    let text = String::from_utf8(get(&master).await).unwrap();
    let lowest = load::variants(&text, &master)
        .into_iter()
        .next()
        .expect("the master playlist names a rendition");
    let rendition = load::rendition(&String::from_utf8(get(&lowest).await).unwrap(), &lowest);
    assert!(!rendition.segments.is_empty(), "{lowest} has no segments");
    for url in rendition
        .init
        .iter()
        .chain(rendition.segments.iter().map(|(_, u)| u))
    {
        files.push(get(url).await);
    }
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn videos_play_again_from_the_database_export_and_the_bucket_synced_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let backup = tmp.path().join("kino.surql");
    let first = Garage::start().await;
    let mut opts = plain(None, first.kino_env());
    opts.workers = 1;
    let mut server = kino::start(&a, &opts);
    let api = catalog::creator(&server.url, "creator@kino.test").await;
    let clip = catalog::clip(tmp.path()).await;
    let id = catalog::upload(&api, &clip).await;
    catalog::wait_published(&api, &id).await;
    let before = played(&server.url, &id).await;
    server.process.stop();
    succeeds(&kino::run(&a, None, &[], &["--export-db", path(&backup)]));

    // Off to another site, then back into a new store once the first is gone, as the
    // guide's nightly sync and its restore do.
    let offsite = tmp.path().join("offsite");
    rclone("garage:kino", path(&offsite), &first);
    drop(first);
    let second = Garage::start().await;
    rclone(path(&offsite), "garage:kino", &second);
    succeeds(&kino::run(&b, None, &[], &["--import-db", path(&backup)]));

    let restored = kino::start(&b, &plain(None, second.kino_env()));
    assert_eq!(played(&restored.url, &id).await, before);
    // The source is kept too, so the video can be transcoded again (a new ladder, say).
    let source = tmp.path().join("source");
    second
        .store()
        .await
        .get_to_file(&shared::layout::source_key(&id), &source)
        .await
        .unwrap();
    assert_eq!(
        Sha256::digest(std::fs::read(&source).unwrap()),
        Sha256::digest(std::fs::read(&clip).unwrap()),
        "the restored source is the upload"
    );
}
