//! The real `kino` under a body flood: a 256 MiB sign-in body, declared or chunked, gets 413
//! and leaves the process's peak memory where it was.

use testkit::flood::{self, Framing};
use testkit::kino;

const MIB: u64 = 1024 * 1024;

/// The process's peak resident memory so far, in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kib * 1024
}

#[tokio::test]
async fn a_256_mib_sign_in_body_is_refused_without_being_held() {
    let data = tempfile::tempdir().unwrap();
    let k = kino::start(
        data.path(),
        &kino::Options {
            db: Some("mem://".into()),
            ..Default::default()
        },
    );
    // Warm up the sign-in path so what it allocates anyway is in the baseline.
    let a = flood::post(&k.url, "/api/v1/auth/login", 1024, Framing::Declared).await;
    assert_eq!(a.status, 400, "{a:?}");
    let before = peak_rss(k.process.id());
    println!("peak RSS before {:.1} MiB", before as f64 / MIB as f64);
    for framing in [Framing::Declared, Framing::Chunked] {
        let a = flood::post(&k.url, "/api/v1/auth/login", 256 * MIB, framing).await;
        assert_eq!(a.status, 413, "{framing:?}: {a:?}");
        assert!(a.body.contains("too_large"), "{a:?}");
        // Refused long before the end: what the server read is the limit, not the body.
        assert!(
            a.sent < 64 * MIB,
            "{framing:?}: {} bytes sent first",
            a.sent
        );
        println!(
            "{framing:?}: {:.1} MiB sent, peak RSS now {:.1} MiB",
            a.sent as f64 / MIB as f64,
            peak_rss(k.process.id()) as f64 / MIB as f64
        );
    }
    let grown = peak_rss(k.process.id()).saturating_sub(before);
    println!("peak RSS grew by {:.1} MiB", grown as f64 / MIB as f64);
    // One body's worth of limit and the buffers around it (about 13 MiB measured), where
    // holding the body would be hundreds.
    assert!(grown < 32 * MIB, "peak RSS grew by {grown} bytes");
    // And it goes on serving.
    let r = reqwest::get(format!("{}/healthz", k.url)).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_signup_flood_waits_for_hashing_slots_instead_of_growing_the_heap() {
    let data = tempfile::tempdir().unwrap();
    let k = kino::start(
        data.path(),
        &kino::Options {
            db: Some("mem://".into()),
            // Every hash is let through the address limit: the slots are what is under test.
            env: vec![("KINO_SIGNUPS_PER_HOUR_PER_ADDRESS".into(), "0".into())],
            ..Default::default()
        },
    );
    let http = reqwest::Client::new();
    let signup = |n: usize| {
        let http = http.clone();
        let url = format!("{}/api/v1/auth/signup", k.url);
        async move {
            let r = http
                .post(url)
                .json(&serde_json::json!({
                    "email": format!("flood{n}@example.com"),
                    "password": "a long enough password",
                    "display_name": format!("Flood {n}"),
                }))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(signup(0).await, 201);
    let before = peak_rss(k.process.id());
    let answers = futures::future::join_all((1..=200).map(signup)).await;
    let grown = peak_rss(k.process.id()).saturating_sub(before);
    let created = answers.iter().filter(|s| **s == 201).count();
    let busy = answers.iter().filter(|s| **s == 429).count();
    println!(
        "200 parallel signups: {created} created, {busy} told to retry; peak RSS grew by {:.1} MiB",
        grown as f64 / MIB as f64
    );
    assert_eq!(created + busy, 200, "{answers:?}");
    assert!(created > 0);
    // A few hashes' 19 MiB at a time; unbounded, 200 of them held 3.8 GiB.
    assert!(grown < 192 * MIB, "peak RSS grew by {grown} bytes");
}
