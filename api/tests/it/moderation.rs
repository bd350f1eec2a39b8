//! Admin moderation and poster choice: a hidden video leaves every public surface and its
//! public links stop working, its owner sees why and cannot undo it; owners pick a poster
//! from the candidates.

use crate::helpers::{TestApp, code, eventually, spawn_app};
use crate::library::published;
use serde_json::Value;
use shared::client::types;
use shared::store::ObjectStore;

async fn gql(app: &TestApp, token: &str, query: &str) -> Value {
    app.graphql(Some(token), query).await
}

/// The status of a media link (relative to the app, as the api hands them out).
async fn status(app: &TestApp, link: &str) -> u16 {
    reqwest::get(format!("{}{link}", app.base))
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Whether an anonymous viewer finds `id` anywhere: by id, listed, searched, on the home page.
async fn publicly_found(app: &TestApp, id: &str) -> [bool; 4] {
    let c = app.anon();
    let by_id = c.get_video(id).await.is_ok();
    let listed = c
        .list_videos(None, None, None, None, None, None, None)
        .await
        .unwrap()
        .into_inner()
        .items
        .iter()
        .any(|v| v.id == id);
    let searched = c
        .search_videos(None, None, "lighthouse")
        .await
        .unwrap()
        .into_inner()
        .hits
        .iter()
        .any(|h| h.video.id == id);
    let on_home = c
        .get_home()
        .await
        .unwrap()
        .into_inner()
        .rails
        .iter()
        .any(|r| r.videos.iter().any(|v| v.id == id));
    [by_id, listed, searched, on_home]
}

#[tokio::test]
async fn admins_hide_a_video_everywhere_and_only_they_bring_it_back() {
    let app = spawn_app(0).await;
    let (admin, _) = app.admin("admin").await;
    let (owner, _) = app.user("owner").await;
    let (viewer, _) = app.user("viewer").await;
    let video = published(&app, &owner, "The lighthouse keeper").await;
    // A poster in the store, so links can be followed.
    let poster = format!(
        "{}/{}",
        shared::layout::version_prefix(&video, 1),
        shared::layout::POSTER
    );
    app.store()
        .await
        .put_bytes(&poster, vec![0xff, 0xd8, 0xff, 0xe0].into())
        .await
        .unwrap();
    let public_link = app
        .anon()
        .get_video(&video)
        .await
        .unwrap()
        .into_inner()
        .playback
        .unwrap()
        .poster_url;
    assert_eq!(status(&app, &public_link).await, 200);
    assert_eq!(publicly_found(&app, &video).await, [true; 4]);
    app.as_user(&viewer).add_to_watchlist(&video).await.unwrap();

    // Only admins hide, with a reason.
    let why = types::HideVideoRequest {
        reason: "Reported: copyrighted soundtrack".into(),
    };
    let o = app.as_user(&owner);
    assert_eq!(
        code(o.hide_video(&video, &why).await),
        (403, "forbidden".into())
    );
    assert_eq!(
        code(app.anon().hide_video(&video, &why).await),
        (401, "unauthenticated".into())
    );
    let a = app.as_user(&admin);
    let blank = types::HideVideoRequest {
        reason: "  ".into(),
    };
    assert_eq!(
        code(a.hide_video(&video, &blank).await),
        (400, "invalid_reason".into())
    );
    assert_eq!(
        code(a.hide_video("01NOSUCHVIDEO", &why).await),
        (404, "video_not_found".into())
    );
    let hidden = a.hide_video(&video, &why).await.unwrap().into_inner();
    assert_eq!(hidden.moderation.unwrap().reason, why.reason);

    // Gone from every public surface, the old public link dead, other viewers' lists too.
    eventually("the hidden video leaving the catalogue", || async {
        publicly_found(&app, &video).await == [false; 4]
    })
    .await;
    assert_eq!(status(&app, &public_link).await, 404);
    assert!(
        app.as_user(&viewer)
            .list_watchlist()
            .await
            .unwrap()
            .into_inner()
            .is_empty()
    );
    assert_eq!(
        code(app.as_user(&viewer).get_video(&video).await),
        (404, "video_not_found".into())
    );

    // The owner sees why and can still play it; changing visibility does not unhide it.
    let mine = o.get_video(&video).await.unwrap().into_inner();
    assert_eq!(mine.moderation.unwrap().reason, why.reason);
    assert_eq!(status(&app, &mine.playback.unwrap().poster_url).await, 200);
    o.update_video(
        &video,
        &types::UpdateVideoRequest {
            visibility: Some(types::Visibility::Public),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        code(o.restore_video(&video).await),
        (403, "forbidden".into())
    );
    assert_eq!(publicly_found(&app, &video).await, [false; 4]);

    // GraphQL follows the same rules.
    let r = gql(
        &app,
        &owner,
        &format!(r#"mutation {{ restoreVideo(id: "{video}") {{ id }} }}"#),
    )
    .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "forbidden", "{r}");
    let r = gql(
        &app,
        &owner,
        &format!(r#"{{ video(id: "{video}") {{ moderation {{ reason hiddenAt }} }} }}"#),
    )
    .await;
    assert_eq!(
        r["data"]["video"]["moderation"]["reason"],
        why.reason.as_str()
    );

    // The admin restores it: back everywhere, on the viewer's watchlist too.
    let r = gql(
        &app,
        &admin,
        &format!(r#"mutation {{ restoreVideo(id: "{video}") {{ moderation {{ reason }} }} }}"#),
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    assert!(r["data"]["restoreVideo"]["moderation"].is_null());
    eventually("the restored video returning", || async {
        publicly_found(&app, &video).await == [true; 4]
    })
    .await;
    assert_eq!(
        app.as_user(&viewer)
            .list_watchlist()
            .await
            .unwrap()
            .into_inner()
            .len(),
        1
    );
}

#[tokio::test]
async fn owners_pick_a_poster_from_the_candidates() {
    let app = spawn_app(0).await;
    let (owner, _) = app.user("owner").await;
    let (other, _) = app.user("other").await;
    let video = published(&app, &owner, "Sunsets").await;
    let o = app.as_user(&owner);
    let pick = |poster| types::UpdateVideoRequest {
        poster: Some(poster),
        ..Default::default()
    };

    let v = o.get_video(&video).await.unwrap().into_inner();
    assert_eq!(v.poster, 0);
    let p = v.playback.unwrap();
    assert_eq!(
        p.poster_options.len(),
        shared::layout::POSTER_CANDIDATES as usize
    );
    assert_eq!(p.poster_url, p.poster_options[0]);

    let v = o.update_video(&video, &pick(2)).await.unwrap().into_inner();
    assert_eq!(v.poster, 2);
    let p = v.playback.unwrap();
    assert!(p.poster_url.ends_with("/posters/2.jpg"), "{}", p.poster_url);
    assert_eq!(p.poster_url, p.poster_options[2]);
    // Everyone sees the choice.
    let seen = app.anon().get_video(&video).await.unwrap().into_inner();
    assert_eq!(seen.poster, 2);

    assert_eq!(
        code(
            o.update_video(&video, &pick(shared::layout::POSTER_CANDIDATES))
                .await
        ),
        (400, "invalid_poster".into())
    );
    assert_eq!(
        code(app.as_user(&other).update_video(&video, &pick(1)).await),
        (403, "forbidden".into())
    );
    // Nothing to choose from before processing.
    let file = app.dir.path().join("raw.mp4");
    std::fs::write(&file, vec![1u8; 512]).unwrap();
    let raw = app.upload(&owner, &file, "Raw").await;
    assert_eq!(
        code(o.update_video(&raw, &pick(1)).await),
        (409, "poster_not_ready".into())
    );

    // GraphQL takes the same input.
    let r = gql(
        &app,
        &owner,
        &format!(
            r#"mutation {{ updateVideo(id: "{video}", input: {{ poster: 3 }}) {{ poster playback {{ posterUrl posterOptions }} }} }}"#
        ),
    )
    .await;
    assert_eq!(r["data"]["updateVideo"]["poster"], 3, "{r}");
    let url = r["data"]["updateVideo"]["playback"]["posterUrl"]
        .as_str()
        .unwrap();
    assert!(url.ends_with("/posters/3.jpg"));
}
