//! The public catalogue's filters: genre, tag and creator, alone and combined.

use crate::helpers::spawn_app;
use crate::library::published;
use shared::client::types;

#[tokio::test]
async fn the_catalogue_filters_by_tag_and_creator() {
    let app = spawn_app(0).await;
    let (ann, ann_id) = app.user("ann").await;
    let (bob, _) = app.user("bob").await;
    let labels = |tags: &[&str], genres: &[&str]| types::UpdateVideoRequest {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        genres: genres.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    };
    let a1 = published(&app, &ann, "Ann's hike").await;
    let a2 = published(&app, &ann, "Ann's bread").await;
    let b1 = published(&app, &bob, "Bob's hike").await;
    let ann_c = app.as_user(&ann);
    ann_c
        .update_video(&a1, &labels(&["Alps", "hiking"], &["travel"]))
        .await
        .unwrap();
    ann_c
        .update_video(&a2, &labels(&["baking"], &["food"]))
        .await
        .unwrap();
    app.as_user(&bob)
        .update_video(&b1, &labels(&["hiking"], &["travel"]))
        .await
        .unwrap();

    let ids = |page: types::VideoPage| {
        let mut v: Vec<String> = page.items.into_iter().map(|v| v.id).collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let c = app.anon();
    let hiking = c
        .list_videos(None, None, None, None, None, None, Some("Hiking"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(hiking), sorted(vec![a1.clone(), b1.clone()]));
    let anns = c
        .list_videos(Some(&ann_id), None, None, None, None, None, None)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(anns), sorted(vec![a1.clone(), a2.clone()]));
    let anns_hikes = c
        .list_videos(
            Some(&ann_id),
            None,
            Some("travel"),
            None,
            None,
            None,
            Some("hiking"),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ids(anns_hikes), vec![a1]);
    let none = c
        .list_videos(None, None, None, None, None, None, Some("sailing"))
        .await
        .unwrap()
        .into_inner();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn an_owner_reads_their_own_edit_at_once() {
    let app = spawn_app(0).await;
    let (owner, _) = app.user("owner").await;
    let (stranger, _) = app.user("stranger").await;
    let id = published(&app, &owner, "Holiday").await;
    let c = app.as_user(&owner);
    // Each read comes straight after the write, before the change feed can have told the
    // cache: the replica that wrote must not answer from what it held before.
    for round in 0..10 {
        let visibility = if round % 2 == 0 {
            types::Visibility::Private
        } else {
            types::Visibility::Public
        };
        // Cached first, so a stale entry would be there to serve.
        c.get_video(&id).await.unwrap();
        app.as_user(&stranger).get_video(&id).await.ok();
        c.update_video(
            &id,
            &types::UpdateVideoRequest {
                visibility: Some(visibility),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let seen = c.get_video(&id).await.unwrap().into_inner();
        assert_eq!(seen.visibility, visibility, "round {round}");
        let stranger_sees = app.as_user(&stranger).get_video(&id).await.is_ok();
        assert_eq!(
            stranger_sees,
            visibility == types::Visibility::Public,
            "round {round}"
        );
    }
}
