//! Backups as the deployment guide prescribes them: `kino --export-db` and `kino --import-db`
//! bring an install back (its catalogue, accounts, sessions and lists) from its export, for
//! the embedded database and for a database server, and neither command ever writes over
//! data or leaves a half-written backup under its final name.

use serde_json::{Value, json};
use std::path::Path;
use testkit::kino::{self, Options};
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
