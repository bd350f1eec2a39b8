//! Rate limits under attack: parallel guesses, spoofed `X-Forwarded-For`, signup, search and
//! GraphQL floods from one address.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Instant;

async fn login(app: &TestApp, email: &str, password: &str, xff: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"email": email, "password": password}));
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn signup(app: &TestApp, n: usize, xff: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/signup", app.base))
        .json(&json!({
            "email": format!("new{n}@example.com"),
            "password": "long enough password",
            "display_name": format!("New {n}"),
        }));
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn email_of(app: &TestApp, token: &str) -> String {
    app.as_user(token)
        .get_me()
        .await
        .unwrap()
        .into_inner()
        .email
}

#[tokio::test]
async fn a_hundred_parallel_guesses_get_ten_verdicts() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("target").await;
    let email = email_of(&app, &token).await;
    let guesses = (0..100).map(|i| {
        let app = &app;
        let email = email.clone();
        async move { login(app, &email, &format!("guess {i}"), None).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let verdicts = answers.iter().filter(|(s, _)| *s == 400).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 429 && b["code"] == "too_many_attempts")
        .count();
    assert_eq!(verdicts, 10, "{answers:?}");
    assert_eq!(refused, 90);
}

#[tokio::test]
async fn the_owner_still_signs_in_while_others_guess() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.trusted_proxies = vec!["127.0.0.1".into()];
        },
    )
    .await;
    let (token, _) = app.user("owner").await;
    let email = email_of(&app, &token).await;
    let (s, _) = login(&app, &email, "correct horse battery", Some("192.0.2.10")).await;
    assert_eq!(s, 200);
    // A botnet: many addresses, ten guesses each, until the account is paced.
    let mut paced = false;
    'bots: for bot in 0..10 {
        for i in 0..10 {
            let (s, b) = login(
                &app,
                &email,
                &format!("g{i}"),
                Some(&format!("10.0.{bot}.1")),
            )
            .await;
            if s == 429 {
                assert_eq!(b["code"], "too_many_attempts");
                paced = true;
                break 'bots;
            }
        }
    }
    assert!(paced, "guesses from many addresses are paced per account");
    let (s, b) = login(&app, &email, "correct horse battery", Some("192.0.2.10")).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("target").await;
    let email = email_of(&app, &token).await;
    for i in 0..10 {
        let (s, _) = login(&app, &email, "wrong", Some(&format!("198.51.100.{i}"))).await;
        assert_eq!(s, 400);
    }
    // A fresh claimed address changes nothing: the peer is who counts.
    let (s, b) = login(&app, &email, "wrong", Some("203.0.113.77")).await;
    assert_eq!((s, b["code"].as_str()), (429, Some("too_many_attempts")));
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.trusted_proxies = vec!["127.0.0.0/8".into()];
        },
    )
    .await;
    let (token, _) = app.user("target").await;
    let email = email_of(&app, &token).await;
    for _ in 0..10 {
        let (s, _) = login(&app, &email, "wrong", Some("198.51.100.1")).await;
        assert_eq!(s, 400);
    }
    let (s, _) = login(&app, &email, "wrong", Some("198.51.100.1")).await;
    assert_eq!(s, 429);
    // What the client put before our proxy's hop is not believed.
    let (s, _) = login(&app, &email, "wrong", Some("203.0.113.5, 198.51.100.1")).await;
    assert_eq!(s, 429);
    // Another client behind the same proxy has its own allowance.
    let (s, _) = login(&app, &email, "wrong", Some("198.51.100.2")).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn unknown_emails_answer_like_wrong_passwords() {
    let app = spawn_app(0).await;
    let (token, _) = app.user("known").await;
    let email = email_of(&app, &token).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..4 {
        let t = Instant::now();
        let a = login(&app, &email, "wrong", None).await;
        known.push(t.elapsed());
        let t = Instant::now();
        let b = login(&app, &format!("nobody{i}@example.com"), "wrong", None).await;
        unknown.push(t.elapsed());
        assert_eq!(a, b);
    }
    known.sort();
    unknown.sort();
    // Both check a password hash: an unknown email is not the quick answer.
    assert!(
        unknown[1] * 3 > known[1],
        "unknown {unknown:?} vs known {known:?}"
    );
}

#[tokio::test]
async fn signups_from_one_address_are_limited() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.signups_per_hour_per_address = 5;
            s.trusted_proxies = vec!["127.0.0.1".into()];
        },
    )
    .await;
    let answers =
        futures::future::join_all((0..20).map(|n| signup(&app, n, Some("192.0.2.1")))).await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 5, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 201 || (*s == 429 && b["code"] == "too_many_requests"))
    );
    // Other addresses have their own allowance, and forms refused for their fields do not use
    // it up.
    for n in 0..10 {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/signup", app.base))
            .header("x-forwarded-for", "192.0.2.2")
            .json(&json!({"email": format!("weak{n}@example.com"), "password": "short", "display_name": "W"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
    }
    let (s, _) = signup(&app, 100, Some("192.0.2.2")).await;
    assert_eq!(s, 201);
}

#[tokio::test]
async fn graphql_and_searches_from_one_address_are_limited() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.graphql_per_minute_per_address = 20;
            s.searches_per_minute_per_address = 5;
        },
    )
    .await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let r = http
            .post(format!("{}/graphql", app.base))
            .json(&json!({"query": "{ videos(first: 1) { edges { cursor } } }"}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        if status == 429 {
            assert_eq!(body["errors"][0]["extensions"]["code"], "too_many_requests");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5);

    let mut searches = Vec::new();
    for _ in 0..7 {
        let r = http
            .get(format!("{}/api/v1/search?q=cats", app.base))
            .send()
            .await
            .unwrap();
        searches.push(r.status().as_u16());
    }
    assert_eq!(searches, [200, 200, 200, 200, 200, 429, 429]);
}

#[tokio::test]
async fn rotating_user_agents_count_one_anonymous_view() {
    let app = spawn_app_with(
        tempfile::tempdir().unwrap(),
        Some("mem://".into()),
        0,
        |s| {
            s.trusted_proxies = vec!["127.0.0.1".into()];
            s.views_per_hour_per_address = 30;
        },
    )
    .await;
    let (creator, _) = app.user("creator").await;
    let video = crate::library::published(&app, &creator, "Popular").await;
    let http = reqwest::Client::new();
    let view = |agent: String, xff: Option<&'static str>| {
        let mut req = http
            .post(format!("{}/api/v1/videos/{video}/views", app.base))
            .header("user-agent", agent);
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let mut counted = 0;
    for i in 0..20 {
        let (s, b) = view(format!("Agent/{i}"), Some("198.51.100.1")).await;
        assert_eq!(s, 200, "{b}");
        counted += usize::from(b["counted"] == true);
    }
    assert_eq!(
        counted, 1,
        "one address counts once a day whatever its user agent"
    );
    // Another client behind the proxy is another viewer.
    let (_, b) = view("Agent/0".into(), Some("198.51.100.2")).await;
    assert_eq!(b["counted"], true);
    let views = app
        .anon()
        .get_video(&video)
        .await
        .unwrap()
        .into_inner()
        .views;
    assert_eq!(views, 2);
    // Past its hourly allowance an address is turned away before anything is written.
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(view(format!("Agent/{i}"), Some("198.51.100.1")).await.0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
}
