//! Broken object-level authorisation, checked across the whole API: every mutation and every
//! private read of one creator's things, called by another user, by an anonymous client and
//! with a worker's token, is refused, and afterwards nothing has changed.

use crate::helpers::spawn_app;
use serde_json::{Value, json};
use shared::client::types;

#[tokio::test]
async fn nobody_but_the_owner_reaches_a_creators_things() {
    let app = spawn_app(0).await;
    let (admin, _) = app.admin("admin").await;
    let (owner, owner_id) = app.user("owner").await;
    let (stranger, _) = app.user("stranger").await;
    let worker = app.worker("w").await.token;
    let o = app.as_user(&owner);

    // A published private video with a subtitle track, and an open upload.
    let file = app.dir.path().join("v.mp4");
    std::fs::write(&file, vec![1u8; 1024]).unwrap();
    let video = app.upload(&owner, &file, "Private diary").await;
    app.db
        .query(
            "UPDATE type::record('video', $id) SET state = 'published', published_version = 1,
                duration_s = 60.0, visibility = 'private'",
        )
        .bind(("id", video.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    o.add_subtitle(
        &video,
        &types::AddSubtitleRequest {
            language: "en".into(),
            label: "English".into(),
            vtt: "WEBVTT\n".into(),
        },
    )
    .await
    .unwrap();
    let upload = o
        .create_upload(&types::CreateUploadRequest {
            filename: "next.mp4".into(),
            size: 100,
            content_type: "video/mp4".into(),
            title: "Next".into(),
            description: None,
        })
        .await
        .unwrap()
        .into_inner();
    let up = &upload.upload_id;

    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/api/v1/videos/{video}"), None),
        (
            "PATCH",
            format!("/api/v1/videos/{video}"),
            Some(json!({"title": "Mine now"})),
        ),
        ("DELETE", format!("/api/v1/videos/{video}"), None),
        ("GET", format!("/api/v1/videos/{video}/subtitles"), None),
        (
            "POST",
            format!("/api/v1/videos/{video}/subtitles"),
            Some(json!({"language": "fr", "label": "x", "vtt": "WEBVTT\n"})),
        ),
        (
            "DELETE",
            format!("/api/v1/videos/{video}/subtitles/en"),
            None,
        ),
        (
            "PUT",
            format!("/api/v1/me/progress/{video}"),
            Some(json!({"position_s": 10.0})),
        ),
        ("GET", format!("/api/v1/me/progress/{video}"), None),
        ("PUT", format!("/api/v1/me/watchlist/{video}"), None),
        ("POST", format!("/api/v1/videos/{video}/views"), None),
        ("GET", format!("/api/v1/uploads/{up}"), None),
        ("DELETE", format!("/api/v1/uploads/{up}"), None),
        (
            "POST",
            format!("/api/v1/uploads/{up}/complete"),
            Some(json!({"parts": []})),
        ),
        (
            "PUT",
            format!("/api/v1/users/{owner_id}/role"),
            Some(json!({"role": "viewer"})),
        ),
        ("GET", "/api/v1/users".to_owned(), None),
        (
            "PUT",
            format!("/api/v1/videos/{video}/moderation"),
            Some(json!({"reason": "spam"})),
        ),
        ("DELETE", format!("/api/v1/videos/{video}/moderation"), None),
        ("GET", "/api/v1/jobs".to_owned(), None),
        ("POST", format!("/api/v1/jobs/{video}/retry"), None),
        ("GET", "/api/v1/moderation/hidden".to_owned(), None),
    ];
    let http = reqwest::Client::new();
    for (who, token) in [
        ("anonymous", None),
        ("stranger", Some(stranger.as_str())),
        ("worker", Some(worker.as_str())),
    ] {
        for (method, path, body) in &calls {
            let mut req = http.request(method.parse().unwrap(), format!("{}{path}", app.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            // Signed-out callers (a worker token signs in no user) get 401, or 404 where
            // anonymous reads are allowed but this video is private; users get 403 or 404.
            let refused = match who {
                "anonymous" | "worker" => matches!(status, 401 | 404),
                _ => matches!(status, 403 | 404),
            };
            assert!(refused, "{who} {method} {path} answered {status}");
            let body: Value = resp.json().await.unwrap();
            assert!(body["code"].is_string(), "{who} {method} {path}: {body}");
        }
    }
    // A user's token is not a worker's.
    let lease = http
        .post(format!("{}/api/v1/jobs/lease", app.base))
        .bearer_auth(&owner)
        .json(&json!({"wait_s": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(lease.status(), 401);

    // The same through GraphQL: every mutation and private read is refused with a stable code.
    let gql: Vec<String> = vec![
        format!(
            r#"mutation {{ updateVideo(id: "{video}", input: {{ title: "Mine now" }}) {{ id }} }}"#
        ),
        format!(r#"mutation {{ deleteVideo(id: "{video}") }}"#),
        format!(r#"mutation {{ hideVideo(id: "{video}", reason: "spam") {{ id }} }}"#),
        format!(r#"mutation {{ restoreVideo(id: "{video}") {{ id }} }}"#),
        format!(r#"mutation {{ retryJob(id: "{video}") }}"#),
        format!(r#"mutation {{ addToWatchlist(videoId: "{video}") }}"#),
        format!(
            r#"mutation {{ reportProgress(videoId: "{video}", positionS: 10) {{ positionS }} }}"#
        ),
        "{ watchlist { id } }".to_owned(),
        "{ continueWatching { positionS } }".to_owned(),
        "{ history { positionS } }".to_owned(),
    ];
    for (who, token) in [("anonymous", None), ("stranger", Some(stranger.as_str()))] {
        for q in &gql {
            let mut req = http
                .post(format!("{}/graphql", app.base))
                .json(&json!({ "query": q }));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r: Value = req.send().await.unwrap().json().await.unwrap();
            let code = r["errors"][0]["extensions"]["code"].as_str().unwrap_or("");
            let private_read = q.starts_with('{');
            let refused = match (who, private_read) {
                ("anonymous", _) => code == "unauthenticated",
                // A stranger's own library is empty of the owner's things.
                (_, true) => r["errors"].is_null() && r["data"].to_string().find(&video).is_none(),
                _ => matches!(code, "forbidden" | "video_not_found"),
            };
            assert!(refused, "{who} {q}: {r}");
        }
        let mut req = http
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": format!(r#"{{ video(id: "{video}") {{ title }} }}"#) }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(
            r["data"]["video"].is_null(),
            "{who} read a private video: {r}"
        );
    }

    // The admin console's reads are refused to everyone but admins.
    for (who, token) in [("anonymous", None), ("stranger", Some(stranger.as_str()))] {
        for q in ["{ jobs { id } }", "{ hiddenVideos { id } }"] {
            let mut req = http
                .post(format!("{}/graphql", app.base))
                .json(&json!({ "query": q }));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r: Value = req.send().await.unwrap().json().await.unwrap();
            let code = r["errors"][0]["extensions"]["code"].as_str().unwrap_or("");
            let expected = if who == "anonymous" {
                "unauthenticated"
            } else {
                "forbidden"
            };
            assert_eq!(code, expected, "{who} {q}: {r}");
        }
    }

    // Nothing changed; the owner (and the admin) still see everything as it was.
    let v = o.get_video(&video).await.unwrap().into_inner();
    assert_eq!(v.title, "Private diary");
    assert_eq!(v.state, types::VideoState::Published);
    assert!(v.moderation.is_none());
    let subs = o.list_subtitles(&video).await.unwrap().into_inner();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        o.get_upload(up).await.unwrap().into_inner().state,
        types::UploadState::Open
    );
    assert_eq!(
        o.get_me().await.unwrap().into_inner().role,
        types::Role::Creator
    );
    app.as_user(&admin).get_video(&video).await.unwrap();
    // The stranger's own library did not pick the video up either.
    let s = app.as_user(&stranger);
    assert!(s.list_watchlist().await.unwrap().into_inner().is_empty());
    assert!(s.list_history(None).await.unwrap().into_inner().is_empty());
    assert!(
        s.list_my_videos(None, None)
            .await
            .unwrap()
            .into_inner()
            .items
            .is_empty()
    );
}
