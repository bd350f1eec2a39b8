//! The shipped edge (nginx with `deploy/nginx/kino.conf`) in front of the real `kino`: viewers
//! of a public video share its cached files, a herd asking for a new segment reaches the api
//! once, ranges are answered, private media is never stored, the api keys its limits by the
//! client address the edge passes, and the request id is the client's or the edge's own.

use shared::client::{self, types};
use std::net::IpAddr;
use std::time::Duration;
use testkit::edge::Edge;
use testkit::{catalog, kino};

/// A client whose connections come from `ip` (any 127.x address is this machine).
fn viewer(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The api's count of media requests answered with `status`.
async fn media_served(kino: &str, status: &str) -> f64 {
    let text = reqwest::get(format!("{kino}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix =
        format!(r#"kino_http_requests_total{{route="media",method="GET",status="{status}"}} "#);
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0.0, |v| v.parse().unwrap())
}

async fn get(c: &reqwest::Client, url: &str) -> reqwest::Response {
    let r = c.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r
}

fn cache_status(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-cache-status")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The URIs a playlist names, resolved against its own URL.
fn named(playlist: &str, url: &str) -> Vec<String> {
    let base = &url[..url.rfind('/').unwrap() + 1];
    playlist
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            if let Some(rest) = l.strip_prefix("#EXT-X-MAP:URI=\"") {
                return rest.split('"').next().map(str::to_owned);
            }
            (!l.is_empty() && !l.starts_with('#')).then(|| l.to_owned())
        })
        .map(|u| format!("{base}{u}"))
        .collect()
}

#[tokio::test]
async fn the_edge_shares_public_media_collapses_herds_and_passes_the_client() {
    let data = tempfile::tempdir().unwrap();
    let api = kino::start(
        data.path(),
        &kino::Options {
            workers: 1,
            env: vec![
                ("KINO_TRUSTED_PROXIES".into(), r#"["127.0.0.1"]"#.into()),
                ("KINO_SIGNUPS_PER_HOUR_PER_ADDRESS".into(), "2".into()),
            ],
            ..Default::default()
        },
    );
    let edge_dir = tempfile::tempdir().unwrap();
    let upstream = api.url.trim_start_matches("http://").to_owned();
    let edge = Edge::start(edge_dir.path(), &[upstream]);

    // A creator publishes a clip (straight to the api, as a Studio behind the edge would).
    let creator = catalog::creator(&api.url, "creator@example.com").await;
    let clip = catalog::clip(data.path()).await;
    let id = catalog::upload(&creator, &clip).await;
    catalog::wait_published(&creator, &id).await;

    // Two viewers, from two addresses, are handed the same links.
    let (a, b) = (viewer("127.0.0.2"), viewer("127.0.0.3"));
    let master_of = |c: reqwest::Client| {
        let url = format!("{}/api/v1/videos/{id}", edge.url);
        async move {
            let v: types::Video = get(&c, &url).await.json().await.unwrap();
            v.playback.expect("published").master_url
        }
    };
    let master = master_of(a.clone()).await;
    assert_eq!(master, master_of(b.clone()).await, "one link for everyone");
    let master = format!("{}{master}", edge.url);
    let ladder = get(&a, &master).await.text().await.unwrap();
    let rendition = named(&ladder, &master)
        .into_iter()
        .find(|u| u.ends_with(".m3u8"))
        .expect("a rendition");
    let files = named(&get(&a, &rendition).await.text().await.unwrap(), &rendition);
    assert!(files.len() >= 3, "{files:?}");

    // The second viewer's segment comes from the edge.
    let first = get(&a, &files[0]).await;
    assert_eq!(cache_status(&first), "MISS");
    let first = first.bytes().await.unwrap();
    let again = get(&b, &files[0]).await;
    assert_eq!(cache_status(&again), "HIT");
    let again_id = again.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(again.bytes().await.unwrap(), first);

    // Twenty viewers ask for a segment nobody has asked for yet, at once: the api serves it
    // once.
    let before = media_served(&api.url, "200").await;
    let herd: Vec<_> = (0..20)
        .map(|i| {
            let c = viewer(&format!("127.0.1.{}", i + 1));
            let url = files[1].clone();
            tokio::spawn(async move { get(&c, &url).await.bytes().await.unwrap() })
        })
        .collect();
    let mut bodies = Vec::new();
    for h in herd {
        bodies.push(h.await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(media_served(&api.url, "200").await - before, 1.0);

    // A range of a file the edge does not hold yet, then the whole file from its cache.
    let part = a
        .get(&files[2])
        .header("range", "bytes=10-109")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    let part = part.bytes().await.unwrap();
    let whole = get(&b, &files[2]).await;
    assert_eq!(cache_status(&whole), "HIT");
    assert_eq!(part, whole.bytes().await.unwrap().slice(10..110));

    // Made private: its owner's links are served, and never stored at the edge.
    creator
        .update_video(
            &id,
            &types::UpdateVideoRequest {
                visibility: Some(types::Visibility::Private),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let own = creator.get_video(&id).await.unwrap().into_inner();
    let own_master = format!("{}{}", edge.url, own.playback.unwrap().master_url);
    let own_files = named(
        &get(&a, &own_master).await.text().await.unwrap(),
        &own_master,
    );
    let own_rendition = own_files.iter().find(|u| u.ends_with(".m3u8")).unwrap();
    let own_segment = named(
        &get(&a, own_rendition).await.text().await.unwrap(),
        own_rendition,
    )[0]
    .clone();
    let before = media_served(&api.url, "200").await;
    for _ in 0..2 {
        let r = get(&a, &own_segment).await;
        assert_ne!(cache_status(&r), "HIT");
    }
    assert_eq!(media_served(&api.url, "200").await - before, 2.0);

    // The api limits sign-ups per client address, as the edge tells it: two from one address,
    // then 429, while another address is still welcome; a client's own X-Forwarded-For is
    // replaced, not believed.
    let signup = |c: reqwest::Client, n: u32, forged: Option<&'static str>| {
        let url = format!("{}/api/v1/auth/signup", edge.url);
        async move {
            let mut req = c.post(url).json(&serde_json::json!({
                "email": format!("viewer{n}@example.com"),
                "password": "correct horse battery",
                "display_name": "Viewer",
            }));
            if let Some(f) = forged {
                req = req.header("x-forwarded-for", f);
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(signup(a.clone(), 1, None).await, 201);
    assert_eq!(signup(a.clone(), 2, Some("10.9.9.9")).await, 201);
    assert_eq!(signup(a.clone(), 3, Some("10.9.9.10")).await, 429);
    assert_eq!(signup(b.clone(), 4, None).await, 201);

    // The request id: the client's, or one the edge made, on the answer and in its log.
    let mine = a
        .get(format!("{}/healthz", edge.url))
        .header("x-request-id", "edge-check-1")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = mine.headers().get_all("x-request-id").iter().collect();
    assert_eq!(ids, ["edge-check-1"]);
    let made = get(&a, &format!("{}/healthz", edge.url)).await;
    let made = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 32, "{made}");
    let cached = get(&b, &files[0]).await;
    assert_eq!(cache_status(&cached), "HIT");
    assert_ne!(
        cached.headers()["x-request-id"].to_str().unwrap(),
        again_id,
        "a cached answer carries this request's id"
    );
    let log = edge.access_log();
    assert!(log.contains("id=edge-check-1"), "{log}");
    assert!(log.contains(&format!("id={made}")), "{log}");
    // The replicas' figures are not public.
    let metrics = a.get(format!("{}/metrics", edge.url)).send().await.unwrap();
    assert_eq!(metrics.status(), 404);
    // The generated client works through the edge as it does against the api.
    let through = client::connect(&edge.url, None);
    assert!(through.list_genres().await.is_ok());
}
