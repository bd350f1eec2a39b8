//! The seeded catalogue is one the product can browse: listings, search, genres and personal
//! rails all come back full, and seeded accounts sign in.

use crate::helpers::spawn_app;
use shared::client::types;

#[tokio::test]
async fn a_seeded_catalogue_lists_searches_and_fills_every_rail() {
    let app = spawn_app(0).await;
    let seeded = api::seed::seed(&app.db, 300).await.unwrap();
    assert_eq!(seeded.videos, 300);
    assert!(seeded.views > 100, "{seeded:?}");

    let anon = app.anon();
    let popular = anon
        .list_videos(
            None,
            None,
            None,
            Some(50),
            None,
            Some(types::ListSort::Popular),
            None,
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(popular.items.len(), 50);
    assert!(popular.items.windows(2).all(|w| w[0].views >= w[1].views));
    let genres = anon.list_genres().await.unwrap().into_inner();
    assert_eq!(genres.len(), 12);
    // The seed writes to the database as another replica would; the search index follows.
    crate::helpers::eventually("seeded videos to be found", || async {
        !anon
            .search_videos(None, None, "river")
            .await
            .unwrap()
            .into_inner()
            .hits
            .is_empty()
    })
    .await;

    // A seeded viewer with history gets personal rails.
    let mut r = app
        .db
        .query("SELECT VALUE email FROM user WHERE role = 'viewer' AND record::id(id) IN (SELECT VALUE string::slice(viewer, 2) FROM view) LIMIT 1")
        .await
        .unwrap();
    let email: Option<String> = r.take(0).unwrap();
    let email = email.expect("a viewer with views");
    let login = anon
        .login(&types::LoginRequest {
            email,
            password: api::seed::PASSWORD.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let home = app
        .as_user(&login.token)
        .get_home()
        .await
        .unwrap()
        .into_inner();
    assert!(
        home.rails[0].key.starts_with("because:"),
        "{:?}",
        home.rails[0].key
    );
    assert!(!home.rails[0].videos.is_empty());
    assert!(home.rails.len() >= 2 + 8);
}
