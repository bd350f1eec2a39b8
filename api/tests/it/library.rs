//! A viewer's library across devices: progress reported on one session is offered for
//! resuming on another, continue watching keeps what is between 5% and 90%, history and the
//! watchlist list only what the viewer may see.

use crate::helpers::{TestApp, code, spawn_app};
use shared::client::types;

/// A published ten-minute video (no transcode needed for the library's rules).
pub async fn published(app: &TestApp, token: &str, title: &str) -> String {
    let file = app.dir.path().join("v.mp4");
    std::fs::write(&file, vec![7u8; 1024]).unwrap();
    let id = app.upload(token, &file, title).await;
    app.db
        .query(
            "UPDATE type::record('video', $id) SET state = 'published', published_version = 1,
                duration_s = 600.0, published_at = $now",
        )
        .bind(("id", id.clone()))
        .bind(("now", "2026-01-01T00:00:00.000000Z"))
        .await
        .unwrap()
        .check()
        .unwrap();
    app.indexed(&id).await;
    id
}

async fn a_new_one(app: &TestApp, creator: &str) -> String {
    published(app, creator, "Not started").await
}

fn at(position_s: f64) -> types::ReportProgressRequest {
    types::ReportProgressRequest { position_s }
}

#[tokio::test]
async fn progress_follows_the_viewer_across_devices() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let long = published(&app, &creator, "Long").await;
    let short_stop = published(&app, &creator, "Barely started").await;
    let finished = published(&app, &creator, "Finished").await;

    let email = "viewer@example.com";
    let signup = app
        .anon()
        .signup(&types::SignupRequest {
            email: email.into(),
            password: "correct horse battery".into(),
            display_name: "Viewer".into(),
            invite_code: None,
        })
        .await
        .unwrap()
        .into_inner();
    let tv = app.as_user(&signup.token);
    let phone_token = app
        .anon()
        .login(&types::LoginRequest {
            email: email.into(),
            password: "correct horse battery".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .token;
    let phone = app.as_user(&phone_token);

    // Watched on the TV...
    let p = tv
        .report_progress(&long, &at(180.0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (p.position_s, p.completed, p.resume_at_s),
        (180.0, false, Some(180.0))
    );
    tv.report_progress(&short_stop, &at(10.0)).await.unwrap();
    let done = tv
        .report_progress(&finished, &at(590.0))
        .await
        .unwrap()
        .into_inner();
    assert!(done.completed && done.resume_at_s.is_none());
    assert_eq!(
        code(tv.report_progress(&long, &at(-1.0)).await),
        (400, "invalid_position".into())
    );

    // ... resumed on the phone.
    let p = phone.get_progress(&long).await.unwrap().into_inner();
    assert_eq!(p.resume_at_s, Some(180.0));
    let cont = phone.continue_watching(None).await.unwrap().into_inner();
    let ids: Vec<&str> = cont.iter().map(|i| i.video.id.as_str()).collect();
    assert_eq!(ids, [long.as_str()], "only what is between 5% and 90%");
    let history = phone.list_history(None).await.unwrap().into_inner();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].video.id, finished, "most recent first");

    assert_eq!(
        code(phone.get_progress(&a_new_one(&app, &creator).await).await),
        (404, "progress_not_found".into())
    );

    // Positions past the end are clamped; a stranger's private video cannot be reported on.
    let p = phone
        .report_progress(&long, &at(9999.0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((p.position_s, p.completed), (600.0, true));
    assert!(
        phone
            .continue_watching(None)
            .await
            .unwrap()
            .into_inner()
            .is_empty()
    );
    app.as_user(&creator)
        .update_video(
            &short_stop,
            &types::UpdateVideoRequest {
                visibility: Some(types::Visibility::Private),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        code(phone.report_progress(&short_stop, &at(1.0)).await),
        (404, "video_not_found".into())
    );
    let history = phone.list_history(None).await.unwrap().into_inner();
    assert!(
        history.iter().all(|i| i.video.id != short_stop),
        "private now"
    );
}

#[tokio::test]
async fn the_watchlist_keeps_each_video_once() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let a = published(&app, &creator, "A").await;
    let b = published(&app, &creator, "B").await;
    let (viewer, _) = app.user("viewer").await;
    let me = app.as_user(&viewer);
    me.add_to_watchlist(&a).await.unwrap();
    me.add_to_watchlist(&b).await.unwrap();
    me.add_to_watchlist(&a).await.unwrap();
    let list: Vec<String> = me
        .list_watchlist()
        .await
        .unwrap()
        .into_inner()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(list.len(), 2);
    assert!(list.contains(&a) && list.contains(&b));
    me.remove_from_watchlist(&a).await.unwrap();
    me.remove_from_watchlist(&a).await.unwrap();
    let list = me.list_watchlist().await.unwrap().into_inner();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, b);
    assert_eq!(
        code(me.add_to_watchlist("01NOSUCHVIDEO").await),
        (404, "video_not_found".into())
    );
    assert_eq!(
        code(app.anon().list_watchlist().await),
        (401, "unauthenticated".into())
    );
}

#[tokio::test]
async fn third_parties_read_the_library_over_graphql() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let a = published(&app, &creator, "Halfway").await;
    let b = published(&app, &creator, "Later").await;
    let (viewer, viewer_id) = app.user("viewer").await;
    let me = app.as_user(&viewer);
    me.report_progress(&a, &at(300.0)).await.unwrap();
    me.add_to_watchlist(&b).await.unwrap();

    let query = "{ me { id role } continueWatching { video { id title } positionS resumeAtS completed } watchlist { id } }";
    let ask = |token: Option<String>| {
        let url = format!("{}/graphql", app.base);
        async move {
            let mut req = reqwest::Client::new()
                .post(url)
                .json(&serde_json::json!({ "query": query }));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let r = ask(Some(viewer.clone())).await;
    assert!(r["errors"].is_null(), "{r}");
    let d = &r["data"];
    assert_eq!(d["me"]["id"], viewer_id.as_str());
    assert_eq!(d["me"]["role"], "CREATOR");
    assert_eq!(d["continueWatching"][0]["video"]["id"], a.as_str());
    assert_eq!(d["continueWatching"][0]["resumeAtS"], 300.0);
    assert_eq!(d["continueWatching"][0]["completed"], false);
    assert_eq!(d["watchlist"][0]["id"], b.as_str());

    // Anonymous: `me` is null and the personal fields fail with the REST code.
    let r = ask(None).await;
    assert!(r["data"].is_null() || r["data"]["me"].is_null(), "{r}");
    let codes: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert!(codes.contains(&"unauthenticated"), "{r}");
}

/// Sends a GraphQL query as `token`; the raw answer.
async fn graphql(app: &TestApp, token: &str, query: &str) -> String {
    reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .json(&serde_json::json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_home_page_asked_again_comes_from_memory_until_what_it_shows_changes() {
    let app = spawn_app(0).await;
    let (creator, _) = app.user("creator").await;
    let a = published(&app, &creator, "First").await;
    let b = published(&app, &creator, "Second").await;
    let (viewer, viewer_id) = app.user("viewer").await;
    let home = "{ home { continueWatching { positionS video { id } }
                         new { videos { id title inWatchlist progress { positionS } } } } }";
    let page = |token: String| {
        let app = &app;
        async move {
            let raw = graphql(app, &token, home).await;
            let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
            assert!(v["errors"].is_null(), "{raw}");
            (raw, v["data"]["home"].clone())
        }
    };
    let card = |h: &serde_json::Value, id: &str| {
        h["new"]["videos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} is not in New: {h}"))
    };

    // Asked twice: the second answer is the first one, from memory.
    let (first, h) = page(viewer.clone()).await;
    assert_eq!(card(&h, &a)["title"], "First");
    let served = app.state.pages.served_from_memory();
    let (again, _) = page(viewer.clone()).await;
    assert_eq!(again, first);
    assert_eq!(app.state.pages.served_from_memory(), served + 1);

    // Someone else's saved page is not this viewer's.
    let (other, _) = app.user("other").await;
    app.as_user(&other).add_to_watchlist(&a).await.unwrap();
    let (_, h) = page(other.clone()).await;
    assert_eq!(card(&h, &a)["inWatchlist"], true);
    let (_, h) = page(viewer.clone()).await;
    assert_eq!(card(&h, &a)["inWatchlist"], false);

    // The viewer's own writes show on their very next page: progress through REST, the
    // watchlist through GraphQL.
    app.as_user(&viewer)
        .report_progress(&a, &at(300.0))
        .await
        .unwrap();
    let (_, h) = page(viewer.clone()).await;
    assert_eq!(h["continueWatching"][0]["video"]["id"], a.as_str(), "{h}");
    assert_eq!(h["continueWatching"][0]["positionS"], 300.0);
    assert_eq!(card(&h, &a)["progress"]["positionS"], 300.0);
    let added = graphql(
        &app,
        &viewer,
        &format!("mutation {{ addToWatchlist(videoId: \"{b}\") }}"),
    )
    .await;
    assert!(added.contains("true"), "{added}");
    let (_, h) = page(viewer.clone()).await;
    assert_eq!(card(&h, &b)["inWatchlist"], true);

    // Progress written by another replica (straight into the database here) shows too.
    app.db
        .query("UPDATE type::record('progress', [$u, $v]) SET position_s = 420.0")
        .bind(("u", viewer_id.clone()))
        .bind(("v", a.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    crate::helpers::eventually("the page to show progress written elsewhere", || async {
        page(viewer.clone()).await.1["continueWatching"][0]["positionS"] == 420.0
    })
    .await;

    // The creator renames a video: every viewer's page shows the new title.
    let renamed = graphql(
        &app,
        &creator,
        &format!(
            "mutation {{ updateVideo(id: \"{b}\", input: {{ title: \"Renamed\" }}) {{ title }} }}"
        ),
    )
    .await;
    assert!(renamed.contains("Renamed"), "{renamed}");
    crate::helpers::eventually("the page to show the new title", || async {
        card(&page(viewer.clone()).await.1, &b)["title"] == "Renamed"
    })
    .await;
}
