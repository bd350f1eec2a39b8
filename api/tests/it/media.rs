use crate::helpers::{clip, code, spawn_app};
use shared::client::types;

#[tokio::test]
async fn media_is_signed_ranged_cached_and_typed() {
    let app = spawn_app(1).await;
    let (token, _) = app.user("creator").await;
    let video_id = app.upload(&token, &clip(960, 540, 4).await, "Ranges").await;
    let v = app.wait_terminal(&token, &video_id).await;
    let master_url = format!("{}{}", app.base, v.playback.expect("published").master_url);
    let http = reqwest::Client::new();

    let master = http.get(&master_url).send().await.unwrap();
    assert_eq!(master.status(), 200);
    assert_eq!(
        master.headers()["content-type"],
        "application/vnd.apple.mpegurl"
    );
    let text = master.text().await.unwrap();
    assert!(
        text.contains("RESOLUTION=640x360") && text.contains("RESOLUTION=960x540"),
        "{text}"
    );
    assert!(text.contains("AVERAGE-BANDWIDTH=") && text.contains("FRAME-RATE=30.000"));

    // Relative URLs inherit the token.
    let base = master_url.rsplit_once('/').unwrap().0;
    let seg = format!("{base}/360p/seg_00000.m4s");
    let full = http.get(&seg).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["content-type"], "video/iso.segment");
    assert!(
        full.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    let len = full.bytes().await.unwrap().len();

    let part = http
        .get(&seg)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{len}").as_str()
    );
    let part = part.bytes().await.unwrap();
    assert_eq!(part.len(), 10);
    // The range is the same bytes as in the whole file; the file came from memory the
    // second time.
    let whole = http.get(&seg).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(whole.len(), len);
    assert_eq!(&whole[10..20], &part[..]);
    let (asked, loaded) = app.state.hot_media.stats();
    assert!(
        asked > loaded,
        "segments asked again are served from memory ({asked} asked, {loaded} read)"
    );

    let cached = http
        .get(&seg)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);

    let beyond = http
        .get(&seg)
        .header("Range", format!("bytes={len}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);

    // A token for one video does not open another path, and forged tokens are refused.
    let forged = seg.replace("/media/", "/media/1").to_string();
    assert_eq!(http.get(&forged).send().await.unwrap().status(), 403);
    let traversal = format!("{base}/../../etc/passwd");
    let body = http
        .get(&traversal)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains("root:"),
        "path traversal reached the file system"
    );

    let poster = http.get(format!("{base}/poster.jpg")).send().await.unwrap();
    assert_eq!(poster.headers()["content-type"], "image/jpeg");

    // Public media may sit in shared caches; an unlisted video's may not, through the same
    // links.
    let cache_control = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.headers()["cache-control"].to_str().unwrap().to_owned()
        }
    };
    assert!(cache_control(seg.clone()).await.starts_with("public,"));
    // What an edge or CDN in front keeps, and for how long.
    let edge = |url: String| {
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
            (h("x-accel-expires"), h("cdn-cache-control"))
        }
    };
    assert_eq!(
        edge(seg.clone()).await,
        (Some("600".into()), Some("public, max-age=600".into()))
    );
    assert!(
        cache_control(master_url.clone())
            .await
            .starts_with("public,")
    );
    let c = app.as_user(&token);
    let unlisted = types::UpdateVideoRequest {
        visibility: Some(types::Visibility::Unlisted),
        ..Default::default()
    };
    c.update_video(&video_id, &unlisted).await.unwrap();
    assert_eq!(
        cache_control(seg.clone()).await,
        "private, max-age=31536000, immutable"
    );
    assert_eq!(
        cache_control(master_url.clone()).await,
        "private, max-age=60"
    );
    assert_eq!(edge(seg.clone()).await, (Some("0".into()), None));
    assert_eq!(edge(master_url.clone()).await, (Some("0".into()), None));

    // Private: gone for everyone else, media links included.
    let patch = types::UpdateVideoRequest {
        visibility: Some(types::Visibility::Private),
        ..Default::default()
    };
    c.update_video(&video_id, &patch).await.unwrap();
    assert_eq!(
        code(app.anon().get_video(&video_id).await),
        (404, "video_not_found".into())
    );
    let (other, _) = app.user("other").await;
    assert_eq!(
        code(app.as_user(&other).update_video(&video_id, &patch).await),
        (404, "video_not_found".into())
    );
    assert_eq!(
        code(app.as_user(&other).delete_video(&video_id).await),
        (404, "video_not_found".into())
    );

    // GraphQL reads through the same rules.
    let q = format!(
        "{{ video(id: \"{video_id}\") {{ title }} videos {{ edges {{ node {{ id }} }} }} }}"
    );
    let anon = app.graphql(None, &q).await;
    assert_eq!(anon["data"]["video"], serde_json::Value::Null);
    let owner = app.graphql(Some(&token), &q).await;
    assert_eq!(owner["data"]["video"]["title"], "Ranges");

    c.delete_video(&video_id).await.unwrap();
    assert_eq!(
        code(c.get_video(&video_id).await),
        (404, "video_not_found".into())
    );
}

#[tokio::test]
async fn the_typed_graphql_client_reads_the_catalogue() {
    use cynic::QueryBuilder;
    use cynic::http::ReqwestExt;
    use shared::graphql::{VideoArgs, VideoQuery, VideoState, VideosArgs, VideosQuery};

    let app = spawn_app(1).await;
    let (token, _) = app.user("creator").await;
    let video_id = app
        .upload(&token, &clip(960, 540, 2).await, "Graph of things")
        .await;
    app.wait_terminal(&token, &video_id).await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", app.base);

    let page = http
        .post(&url)
        .run_graphql(VideosQuery::build(VideosArgs {
            q: Some("graph".into()),
            after: None,
        }))
        .await
        .unwrap();
    assert!(page.errors.is_none(), "{:?}", page.errors);
    let page = page.data.unwrap().videos;
    assert!(!page.page_info.has_next_page);
    let items: Vec<_> = page.edges.into_iter().map(|e| e.node).collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].state, VideoState::Published);
    assert!(
        items[0]
            .playback
            .as_ref()
            .unwrap()
            .master_url
            .ends_with("master.m3u8")
    );

    let none = http
        .post(&url)
        .run_graphql(VideoQuery::build(VideoArgs {
            id: cynic::Id::new("01NOSUCHVIDEO"),
        }))
        .await
        .unwrap();
    assert!(none.data.unwrap().video.is_none());
}

#[tokio::test]
async fn a_video_turned_private_takes_its_public_links_with_it() {
    let app = spawn_app(1).await;
    let (token, _) = app.user("creator").await;
    let video_id = app
        .upload(&token, &clip(640, 360, 2).await, "Soon private")
        .await;
    app.wait_terminal(&token, &video_id).await;
    let public = app
        .anon()
        .get_video(&video_id)
        .await
        .unwrap()
        .into_inner()
        .playback
        .unwrap()
        .master_url;
    let base = app.base.clone();
    let fetch = |url: String| {
        let base = base.clone();
        async move {
            reqwest::get(format!("{base}{url}"))
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(fetch(public.clone()).await, 200);

    let owner = app.as_user(&token);
    let private = types::UpdateVideoRequest {
        visibility: Some(types::Visibility::Private),
        ..Default::default()
    };
    owner.update_video(&video_id, &private).await.unwrap();
    assert_eq!(
        fetch(public.clone()).await,
        404,
        "the public link died with the change"
    );
    let mine = owner
        .get_video(&video_id)
        .await
        .unwrap()
        .into_inner()
        .playback
        .unwrap()
        .master_url;
    assert_eq!(fetch(mine.clone()).await, 200, "the owner still plays it");

    // Public again: both links work; deleted: neither.
    let public_again = types::UpdateVideoRequest {
        visibility: Some(types::Visibility::Public),
        ..Default::default()
    };
    owner.update_video(&video_id, &public_again).await.unwrap();
    assert_eq!(fetch(public.clone()).await, 200);
    owner.delete_video(&video_id).await.unwrap();
    assert_eq!(fetch(public).await, 404);
    assert_eq!(fetch(mine).await, 404);
}

#[tokio::test]
async fn media_waits_for_a_paused_database_rather_than_failing() {
    let db = testkit::surreal::Surreal::start();
    let app =
        crate::helpers::spawn_app_with(tempfile::tempdir().unwrap(), Some(db.url()), 0, |s| {
            s.db_user = Some(testkit::surreal::USER.into());
            s.db_pass = Some(testkit::surreal::PASS.into());
        })
        .await;
    // A link as the api signs them, to a video no replica has in memory.
    let video_id = "01J00000000000000000000000";
    let expires = chrono::Utc::now().timestamp() + 3600;
    let token =
        app.state
            .signer
            .media_token(video_id, 1, api::signing::MediaScope::Public, expires);
    let url = format!("{}/media/{token}/{video_id}/v1/master.m3u8", app.base);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);

    // The database stops answering without closing its connections (draining before a
    // restart), for two seconds. Every replica shares it: the request waits for it rather
    // than failing on each replica in turn.
    let pid = db.process.id().to_string();
    let signal = move |sig: &str| {
        assert!(
            std::process::Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        )
    };
    signal("-STOP");
    let resume = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        signal("-CONT");
    });
    let started = std::time::Instant::now();
    let r = reqwest::get(&url).await.unwrap();
    resume.await.unwrap();
    assert_eq!(
        r.status(),
        404,
        "answered as usual once the database is back"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
}
