//! Two `kino` processes on one SurrealDB server, as two replicas behind a load balancer: an
//! edit made through one is served by the other within a second, and a session signed out or
//! changed through one is honoured by the other within a second, although the other keeps hot
//! reads and sessions in memory.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::kino::{self, Options};
use testkit::surreal::Surreal;

/// Sends the request `req` makes until `done` holds for its status and JSON, for at most
/// `limit`; returns how long it took.
async fn until(
    req: impl Fn() -> reqwest::RequestBuilder,
    limit: Duration,
    done: impl Fn(u16, &Value) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = send(req()).await;
        if done(status, &body) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "still answered {status} {body} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends a request; its status and JSON body (null when it has none).
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json::<Value>().await.unwrap_or(Value::Null))
}

/// Signs `email` up through `base`; the new session's token.
async fn signup(http: &reqwest::Client, base: &str, email: &str) -> String {
    signup_with(http, base, email, None).await
}

/// Signs `email` up through `base` with an invitation or setup code; the session's token.
async fn signup_with(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    code: Option<&str>,
) -> String {
    let (status, body) = send(
        http.post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({
                "email": email,
                "password": "correct horse battery",
                "display_name": "Someone",
                "invite_code": code,
            })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().expect("a session token").to_owned()
}

/// One SurrealDB server and two `kino` processes on it (workers register with `let-me-in`).
struct Replicas {
    // Fields drop in order: the replicas stop before their database.
    a: kino::Kino,
    b: kino::Kino,
    db: Surreal,
    namespace: &'static str,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Replicas {
    fn start(namespace: &'static str) -> Replicas {
        let db = Surreal::start();
        let mut env = db.kino_env(namespace);
        env.push(("KINO_WORKER_REGISTRATION_TOKEN".into(), "let-me-in".into()));
        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let opts = Options {
            db: Some(db.url()),
            env,
            ..Options::default()
        };
        let a = kino::start(dirs.0.path(), &opts);
        let b = kino::start(dirs.1.path(), &opts);
        Replicas {
            db,
            a,
            b,
            namespace,
            _dirs: dirs,
        }
    }

    /// Marks a video published with a 60 s rendition, as the transcoder would leave it.
    async fn publish(&self, id: &str) {
        let sql = format!(
            "UPDATE video:{id} SET state = 'published', published_version = 1, duration_s = 60.0,
                published_at = '2026-01-01T00:00:00.000Z'"
        );
        let r = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/sql", self.db.port))
            .basic_auth(testkit::surreal::USER, Some(testkit::surreal::PASS))
            .header("Accept", "application/json")
            .header("surreal-ns", self.namespace)
            .header("surreal-db", "main")
            .body(sql)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn an_edit_on_one_replica_is_served_by_the_other_within_a_second() {
    let r = Replicas::start("replicas");
    let (a, b) = (&r.a, &r.b);
    let http = reqwest::Client::new();

    // A creator signs up on A and has a published video (written as the transcoder would).
    let token = signup(&http, &a.url, "c@example.com").await;
    let (status, created) = send(
        http.post(format!("{}/api/v1/uploads", a.url))
            .bearer_auth(&token)
            .json(&json!({"filename": "v.mp4", "size": 10, "content_type": "video/mp4", "title": "Before"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["video_id"].as_str().expect("a video id").to_owned();
    let patch = |body: Value| {
        let (http, token, url) = (
            http.clone(),
            token.clone(),
            format!("{}/api/v1/videos/{id}", a.url),
        );
        async move {
            let r = http
                .patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    };
    r.publish(&id).await;

    // B serves it (and now holds it, the home rails and the genres in memory).
    let video_on_b = format!("{}/api/v1/videos/{id}", b.url);
    let home_on_b = format!("{}/api/v1/home", b.url);
    let genres_on_b = format!("{}/api/v1/genres", b.url);
    let wait = Duration::from_secs(10);
    until(
        || http.get(&video_on_b),
        wait,
        |s, v| s == 200 && v["title"] == "Before",
    )
    .await;
    until(
        || http.get(&home_on_b),
        wait,
        |_, h| h["rails"][0]["videos"][0]["title"] == "Before",
    )
    .await;
    until(|| http.get(&genres_on_b), wait, |_, g| g == &json!([])).await;
    let search_on_b = |q: &str| format!("{}/api/v1/search?q={q}", b.url);
    let finds = |v: &Value, id: &str| {
        v["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["video"]["id"] == id))
    };
    until(
        || http.get(search_on_b("before")),
        wait,
        |_, v| finds(v, &id),
    )
    .await;
    for _ in 0..3 {
        let v: Value = http
            .get(&video_on_b)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["title"], "Before");
    }

    // Edited through A: B stops serving the old title within a second.
    patch(json!({"title": "After", "genres": ["drama"]})).await;
    let second = Duration::from_secs(1);
    let t_video = until(
        || http.get(&video_on_b),
        second,
        |_, v| v["title"] == "After",
    )
    .await;
    let t_home = until(
        || http.get(&home_on_b),
        second,
        |_, h| h["rails"][0]["videos"][0]["title"] == "After",
    )
    .await;
    let t_genres = until(
        || http.get(&genres_on_b),
        second,
        |_, g| g[0]["name"] == "drama",
    )
    .await;
    // B's own search index follows the edit too.
    let t_search = until(
        || http.get(search_on_b("after")),
        second,
        |_, v| finds(v, &id),
    )
    .await;
    until(
        || http.get(search_on_b("before")),
        second,
        |_, v| !finds(v, &id),
    )
    .await;
    eprintln!(
        "B caught up: video {t_video:?}, home {t_home:?}, genres {t_genres:?}, search {t_search:?}"
    );

    // Made private through A: B stops showing it to anyone but its owner within a second.
    patch(json!({"visibility": "private"})).await;
    until(|| http.get(&video_on_b), second, |s, _| s == 404).await;
    until(
        || http.get(search_on_b("after")),
        second,
        |_, v| !finds(v, &id),
    )
    .await;
    until(
        || http.get(&home_on_b),
        second,
        |_, h| h["rails"].as_array().is_some_and(|r| r.is_empty()),
    )
    .await;
    let owner_view = http
        .get(&video_on_b)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(owner_view.status(), 200);
}

#[tokio::test]
async fn a_job_queued_through_one_replica_wakes_a_worker_waiting_on_the_other() {
    let r = Replicas::start("queue");
    let (a, b) = (&r.a, &r.b);
    let http = reqwest::Client::new();
    let post = |url: String, token: Option<String>, body: Value| {
        let mut req = http.post(url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        send(req)
    };
    let token = signup(&http, &a.url, "c@example.com").await;
    let (_, worker) = post(
        format!("{}/api/v1/workers", b.url),
        None,
        json!({"name": "on-b", "registration_token": "let-me-in"}),
    )
    .await;
    let worker = worker["token"].as_str().expect("a worker token").to_owned();

    // A worker long-polls B; B has no job and naps.
    let lease = tokio::spawn(post(
        format!("{}/api/v1/jobs/lease", b.url),
        Some(worker),
        json!({"wait_s": 30}),
    ));
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // An upload completed through A queues a job.
    let (status, up) = post(
        format!("{}/api/v1/uploads", a.url),
        Some(token.clone()),
        json!({"filename": "v.mp4", "size": 4, "content_type": "video/mp4", "title": "Queued"}),
    )
    .await;
    assert_eq!(status, 201, "{up}");
    let part = http
        .put(up["parts"][0]["url"].as_str().unwrap())
        .body(vec![0u8; 4])
        .send()
        .await
        .unwrap();
    assert!(part.status().is_success());
    let etag = part.headers()["etag"].to_str().unwrap().to_owned();
    let (status, done) = post(
        format!(
            "{}/api/v1/uploads/{}/complete",
            a.url,
            up["upload_id"].as_str().unwrap()
        ),
        Some(token),
        json!({"parts": [{"number": 1, "etag": etag}]}),
    )
    .await;
    assert!(status < 300, "{status} {done}");
    let queued = Instant::now();

    // B's worker gets it at once, not at its next look.
    let (status, leased) = lease.await.unwrap();
    let waited = queued.elapsed();
    assert_eq!(status, 200, "{leased}");
    assert_eq!(leased["job"]["video_id"], up["video_id"], "{leased}");
    eprintln!("leased on B {waited:?} after A queued the job");
    assert!(
        waited < Duration::from_millis(1000),
        "the worker on B waited {waited:?}"
    );
}

#[tokio::test]
async fn progress_written_through_one_replica_resumes_on_the_other() {
    let r = Replicas::start("progress");
    let (a, b) = (&r.a, &r.b);
    let http = reqwest::Client::new();
    let get = |url: String, token: &str| send(http.get(url).bearer_auth(token));
    let put =
        |url: String, token: &str, body: Value| send(http.put(url).bearer_auth(token).json(&body));
    let account = json!({"email": "v@example.com", "password": "correct horse battery"});

    // The phone signs up through A; the TV signs in to the same account through B.
    let phone = signup(&http, &a.url, "v@example.com").await;
    let (status, login) = send(
        http.post(format!("{}/api/v1/auth/login", b.url))
            .json(&account),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let tv = login["token"].as_str().expect("a session token").to_owned();
    let (status, up) = send(
        http.post(format!("{}/api/v1/uploads", a.url))
            .bearer_auth(&phone)
            .json(&json!({"filename": "v.mp4", "size": 10, "content_type": "video/mp4", "title": "Long film"})),
    )
    .await;
    assert_eq!(status, 201, "{up}");
    let id = up["video_id"].as_str().unwrap().to_owned();
    r.publish(&id).await;
    let progress = |base: &str| format!("{base}/api/v1/me/progress/{id}");
    let continue_at = |base: &str| format!("{base}/api/v1/me/continue");

    // The TV shows its home screen (B saves the answer).
    let home = || {
        http.post(format!("{}/graphql", b.url))
            .bearer_auth(&tv)
            .json(&json!({"query": "{ home { continueWatching { positionS video { id } } } }"}))
    };
    let (status, h) = send(home()).await;
    assert_eq!(
        (status, &h["data"]["home"]["continueWatching"]),
        (200, &json!([])),
        "{h}"
    );

    // Watched to 24 s of 60 on the phone (through A): the TV (through B) offers to resume there,
    // on its home screen within a second.
    let (status, p) = put(progress(&a.url), &phone, json!({"position_s": 24.0})).await;
    assert_eq!(status, 200, "{p}");
    until(home, Duration::from_secs(1), |_, h| {
        h["data"]["home"]["continueWatching"][0]["positionS"] == 24.0
    })
    .await;
    let (status, p) = get(progress(&b.url), &tv).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["resume_at_s"], 24.0, "{p}");
    let (_, cont) = get(continue_at(&b.url), &tv).await;
    assert_eq!(cont[0]["video"]["id"], id.as_str(), "{cont}");
    assert_eq!(cont[0]["progress"]["position_s"], 24.0, "{cont}");

    // Finished on the TV: the phone sees it completed and no longer offers it.
    let (status, p) = put(progress(&b.url), &tv, json!({"position_s": 57.0})).await;
    assert_eq!(status, 200, "{p}");
    let (_, p) = get(progress(&a.url), &phone).await;
    assert_eq!(p["completed"], true, "{p}");
    assert!(p["resume_at_s"].is_null(), "{p}");
    let (_, cont) = get(continue_at(&a.url), &phone).await;
    assert_eq!(cont, json!([]));

    // Signing the phone out through B ends its session on A too (A holds it in memory).
    let (status, _) = send(
        http.post(format!("{}/api/v1/auth/logout", b.url))
            .bearer_auth(&phone),
    )
    .await;
    assert!(status < 300, "logout answered {status}");
    let second = Duration::from_secs(1);
    until(
        || http.get(continue_at(&a.url)).bearer_auth(&phone),
        second,
        |s, _| s == 401,
    )
    .await;
    let (status, _) = get(continue_at(&a.url), &tv).await;
    assert_eq!(status, 200, "the TV's own session stays");
}

#[tokio::test]
async fn sessions_ended_or_changed_through_one_replica_are_honoured_by_the_other_within_a_second() {
    let r = Replicas::start("sessions");
    let (a, b) = (&r.a, &r.b);
    let http = reqwest::Client::new();
    let me = |base: &str, token: &str| http.get(format!("{base}/api/v1/me")).bearer_auth(token);
    let second = Duration::from_secs(1);

    // The setup token makes the admin; a creator signs in on two devices, both used on A, so
    // A holds both sessions in memory.
    let admin = signup_with(&http, &b.url, "admin@example.com", Some(kino::SETUP_TOKEN)).await;
    let laptop = signup(&http, &b.url, "c@example.com").await;
    let (status, login) = send(
        http.post(format!("{}/api/v1/auth/login", b.url))
            .json(&json!({"email": "c@example.com", "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let phone = login["token"].as_str().expect("a session token").to_owned();
    for token in [&laptop, &phone, &laptop, &phone] {
        let (status, user) = send(me(&a.url, token)).await;
        assert_eq!((status, user["role"].as_str()), (200, Some("creator")));
    }
    let id = send(me(&a.url, &laptop)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The admin makes them a viewer through B: A serves the new role within a second.
    let (status, body) = send(
        http.put(format!("{}/api/v1/users/{id}/role", b.url))
            .bearer_auth(&admin)
            .json(&json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let t_role = until(|| me(&a.url, &phone), second, |_, u| u["role"] == "viewer").await;

    // A new password set on the laptop through B signs the phone out on A within a second;
    // the laptop stays signed in everywhere.
    let (status, body) = send(
        http.post(format!("{}/api/v1/me/password", b.url))
            .bearer_auth(&laptop)
            .json(&json!({"current_password": "correct horse battery",
                          "new_password": "another long passphrase"})),
    )
    .await;
    assert!(status < 300, "{status} {body}");
    let t_password = until(|| me(&a.url, &phone), second, |s, _| s == 401).await;
    assert_eq!(send(me(&a.url, &laptop)).await.0, 200);

    // Signing the laptop out through B ends it on A within a second.
    let (status, _) = send(
        http.post(format!("{}/api/v1/auth/logout", b.url))
            .bearer_auth(&laptop),
    )
    .await;
    assert!(status < 300, "logout answered {status}");
    let t_logout = until(|| me(&a.url, &laptop), second, |s, _| s == 401).await;
    assert_eq!(send(me(&a.url, &admin)).await.0, 200, "other accounts stay");
    eprintln!("A caught up: role {t_role:?}, password {t_password:?}, sign-out {t_logout:?}");
}
