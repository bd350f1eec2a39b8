//! Finding something to watch: full-text search relevance and highlights, view counts and
//! the popular order, genres, the home page's rails (REST and GraphQL), and a rail that fails
//! without taking the page down.

use crate::helpers::{TestApp, code, spawn_app};
use crate::library::published;
use serde_json::{Value, json};
use shared::client::types;

/// A published public video with this text.
pub async fn titled(
    app: &TestApp,
    token: &str,
    title: &str,
    description: &str,
    tags: &[&str],
    genres: &[&str],
) -> String {
    let id = published(app, token, title).await;
    app.db
        .query("UPDATE type::record('video', $id) SET description = $d, tags = $t, genres = $g")
        .bind(("id", id.clone()))
        .bind(("d", description.to_owned()))
        .bind(("t", tags.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
        .bind((
            "g",
            genres.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ))
        .await
        .unwrap()
        .check()
        .unwrap();
    app.indexed(&id).await;
    id
}

/// The first page of what a search finds.
pub async fn hits(app: &TestApp, q: &str) -> Vec<types::SearchHit> {
    app.anon()
        .search_videos(None, None, q)
        .await
        .unwrap()
        .into_inner()
        .hits
}

/// Ids of the videos a search finds.
pub async fn found(app: &TestApp, q: &str) -> Vec<String> {
    hits(app, q).await.into_iter().map(|h| h.video.id).collect()
}

/// Renames a video as its owner.
pub async fn rename(app: &TestApp, token: &str, id: &str, title: &str) {
    app.as_user(token)
        .update_video(
            id,
            &types::UpdateVideoRequest {
                title: Some(title.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn search_results_follow_the_edits_that_change_them_and_ignore_case_and_spacing() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let id = titled(&app, &c, "Lighthouse keepers", "", &[], &[]).await;
    assert_eq!(found(&app, "lighthouse").await, vec![id.clone()]);
    // Asked again, in other words' case and spacing: the same ranked page.
    assert_eq!(found(&app, "  LIGHTHOUSE ").await, vec![id.clone()]);

    rename(&app, &c, &id, "Harbour pilots").await;
    crate::helpers::eventually("the renamed video to be found by its new title", || async {
        found(&app, "harbour").await == vec![id.clone()]
            && found(&app, "lighthouse").await.is_empty()
    })
    .await;
    let hit = hits(&app, "pilot").await;
    assert_eq!(hit[0].title_marked, "Harbour <mark>pilots</mark>");

    // A video that does not match leaves the ranking in memory; one that matches joins it.
    let other = titled(&app, &c, "Baking bread", "", &[], &[]).await;
    crate::helpers::eventually("the new video to be found", || async {
        found(&app, "baking").await == vec![other.clone()]
    })
    .await;
    let ranked = app.state.cache.searches_ranked();
    assert_eq!(found(&app, "harbour").await, vec![id.clone()]);
    assert_eq!(
        app.state.cache.searches_ranked(),
        ranked,
        "the ranking was dropped"
    );
    let seals = titled(&app, &c, "Harbour seals", "", &[], &[]).await;
    crate::helpers::eventually("the new match to be found", || async {
        let found = found(&app, "harbour").await;
        found.contains(&seals) && found.contains(&id)
    })
    .await;
}

async fn gql(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    app.graphql(token, query).await
}

#[tokio::test]
async fn search_ranks_title_matches_first_stems_words_and_marks_them_safely() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let title = titled(
        &app,
        &c,
        "Wolves of the <North>",
        "A winter documentary.",
        &["nature"],
        &[],
    )
    .await;
    let desc = titled(
        &app,
        &c,
        "Winter documentary",
        "Following a pack of wolves across the tundra.",
        &["nature"],
        &[],
    )
    .await;
    let tag = titled(
        &app,
        &c,
        "Tundra nights",
        "Cold and quiet.",
        &["wolves", "night"],
        &[],
    )
    .await;
    let cafe = titled(&app, &c, "Café wolves", "", &[], &[]).await;
    let _noise = titled(
        &app,
        &c,
        "Baking bread",
        "Sourdough, step by step.",
        &["food"],
        &[],
    )
    .await;
    let hidden = titled(
        &app,
        &c,
        "Private wolves",
        "wolves wolves",
        &["wolves"],
        &[],
    )
    .await;
    app.db
        .query("UPDATE type::record('video', $id) SET visibility = 'private'")
        .bind(("id", hidden.clone()))
        .await
        .unwrap();
    let anon = app.anon();

    let r = anon
        .search_videos(None, None, "wolves")
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = r.hits.iter().map(|h| h.video.id.as_str()).collect();
    assert!(
        !ids.contains(&hidden.as_str()),
        "a private video was found: {ids:?}"
    );
    assert_eq!(ids.len(), 4, "{ids:?}");
    let pos = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    // Titles weigh most, then tags, then descriptions.
    let scores: Vec<(String, f64)> = r
        .hits
        .iter()
        .map(|h| (h.video.title.clone(), h.score))
        .collect();
    assert!(
        pos(&title) < pos(&tag) && pos(&cafe) < pos(&tag),
        "{scores:?}"
    );
    assert!(pos(&tag) < pos(&desc), "{scores:?}");
    assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score));

    let hit = |id: &str| r.hits.iter().find(|h| h.video.id == id).unwrap();
    assert_eq!(
        hit(&title).title_marked,
        "<mark>Wolves</mark> of the &lt;North&gt;"
    );
    assert_eq!(hit(&cafe).title_marked, "Café <mark>wolves</mark>");
    assert_eq!(
        hit(&desc).snippet_marked.as_deref(),
        Some("Following a pack of <mark>wolves</mark> across the tundra.")
    );
    assert_eq!(hit(&tag).matched_tags, vec!["wolves".to_owned()]);

    // Stemming: "wolf" and "wolves" are different stems, but "documentaries" finds
    // "documentary"; every word must match.
    let r = anon
        .search_videos(None, None, "documentaries winter")
        .await
        .unwrap()
        .into_inner();
    let mut ids: Vec<String> = r.hits.into_iter().map(|h| h.video.id).collect();
    ids.sort();
    let mut want = vec![title.clone(), desc.clone()];
    want.sort();
    assert_eq!(ids, want);
    let r = anon
        .search_videos(None, None, "sourdough wolves")
        .await
        .unwrap()
        .into_inner();
    assert!(r.hits.is_empty());

    // Paging.
    let p1 = anon
        .search_videos(Some(2), None, "wolves")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p1.hits.len(), 2);
    assert_eq!(p1.next_offset, Some(2));
    let p2 = anon
        .search_videos(Some(2), Some(2), "wolves")
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p2.hits.len(), 2);
    assert_eq!(p2.next_offset, None);

    // Bad queries get a clear error.
    assert_eq!(
        code(anon.search_videos(None, None, "   ").await),
        (400, "invalid_query".into())
    );
    let long = "a".repeat(201);
    assert_eq!(
        code(anon.search_videos(None, None, &long).await),
        (400, "invalid_query".into())
    );
    assert_eq!(
        code(anon.search_videos(None, Some(5000), "wolves").await),
        (400, "invalid_offset".into())
    );

    // GraphQL answers the same.
    let r = gql(
        &app,
        None,
        r#"{ search(query: "wolves", first: 1) {
            edges { cursor node { titleMarked video { id } } }
            pageInfo { hasNextPage endCursor } } }"#,
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["search"]["pageInfo"]["hasNextPage"], true, "{r}");
    assert_eq!(r["data"]["search"]["pageInfo"]["endCursor"], "1", "{r}");
    let second = gql(
        &app,
        None,
        r#"{ search(query: "wolves", first: 1, after: "1") { edges { node { video { id } } } } }"#,
    )
    .await;
    assert_ne!(
        second["data"]["search"]["edges"][0]["node"]["video"]["id"],
        r["data"]["search"]["edges"][0]["node"]["video"]["id"],
        "{second}"
    );
    let bad = gql(
        &app,
        None,
        r#"{ search(query: "wolves", after: "x") { edges { cursor } } }"#,
    )
    .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "invalid_cursor",
        "{bad}"
    );
    let r = gql(&app, None, r#"{ search(query: "") { edges { cursor } } }"#).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_query", "{r}");
}

#[tokio::test]
async fn views_count_once_per_viewer_per_day_and_order_the_popular_listing() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let (v1, _) = app.user("viewer1").await;
    let (v2, _) = app.user("viewer2").await;
    let quiet = published(&app, &c, "Quiet").await;
    let hit = published(&app, &c, "Hit").await;
    let middling = published(&app, &c, "Middling").await;

    let counted = |t: Option<&String>, id: &String| {
        let client = match t {
            Some(t) => app.as_user(t),
            None => app.anon(),
        };
        let id = id.clone();
        async move { client.record_view(&id).await.unwrap().into_inner().counted }
    };
    assert!(counted(Some(&v1), &hit).await);
    assert!(!counted(Some(&v1), &hit).await, "counted twice in a day");
    assert!(counted(Some(&v2), &hit).await);
    assert!(counted(None, &hit).await);
    assert!(
        !counted(None, &hit).await,
        "an anonymous device counted twice"
    );
    assert!(counted(Some(&v1), &middling).await);
    // Reporting progress counts a view too (once).
    app.as_user(&v2)
        .report_progress(
            &middling,
            &types::ReportProgressRequest { position_s: 30.0 },
        )
        .await
        .unwrap();
    app.as_user(&v2)
        .report_progress(
            &middling,
            &types::ReportProgressRequest { position_s: 60.0 },
        )
        .await
        .unwrap();

    let anon = app.anon();
    assert_eq!(anon.get_video(&hit).await.unwrap().into_inner().views, 3);
    assert_eq!(
        anon.get_video(&middling).await.unwrap().into_inner().views,
        2
    );
    assert_eq!(anon.get_video(&quiet).await.unwrap().into_inner().views, 0);

    let page = anon
        .list_videos(
            None,
            None,
            None,
            None,
            None,
            Some(types::ListSort::Popular),
            None,
        )
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<String> = page.items.into_iter().map(|v| v.id).collect();
    assert_eq!(ids, vec![hit.clone(), middling.clone(), quiet.clone()]);

    // Pages of one follow each other without gaps or repeats.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = anon
            .list_videos(
                None,
                cursor.as_deref(),
                None,
                Some(1),
                None,
                Some(types::ListSort::Popular),
                None,
            )
            .await
            .unwrap()
            .into_inner();
        seen.extend(p.items.into_iter().map(|v| v.id));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    // A cursor from elsewhere is refused, not silently restarted.
    assert_eq!(
        code(
            anon.list_videos(
                None,
                Some("nonsense"),
                None,
                None,
                None,
                Some(types::ListSort::Popular),
                None
            )
            .await
        ),
        (400, "invalid_cursor".into())
    );

    // A private video cannot be viewed by others; an unpublished one by nobody.
    app.db
        .query("UPDATE type::record('video', $id) SET visibility = 'private'")
        .bind(("id", quiet.clone()))
        .await
        .unwrap();
    assert_eq!(code(anon.record_view(&quiet).await).0, 404);
}

#[tokio::test]
async fn home_rails_follow_what_viewers_watch() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let (ann, _) = app.user("ann").await;
    let (bob, _) = app.user("bob").await;
    let space = titled(&app, &c, "Space", "", &[], &["science"]).await;
    let stars = titled(&app, &c, "Stars", "", &[], &["science"]).await;
    let cells = titled(&app, &c, "Cells", "", &[], &["science"]).await;
    let pasta = titled(&app, &c, "Pasta", "", &[], &["food"]).await;
    let bread = titled(&app, &c, "Bread", "", &[], &["food"]).await;

    // Ann watched Space, then Pasta; Bob watches Space: Pasta is what viewers of Space also
    // watched, then Space's genre fills the rail; what Bob saw is left out.
    for (who, id) in [
        (&ann, &space),
        (&ann, &pasta),
        (&bob, &stars),
        (&bob, &space),
    ] {
        app.as_user(who).record_view(id).await.unwrap();
    }
    app.as_user(&bob)
        .report_progress(&space, &types::ReportProgressRequest { position_s: 120.0 })
        .await
        .unwrap();

    let home = app.as_user(&bob).get_home().await.unwrap().into_inner();
    let keys: Vec<&str> = home.rails.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            format!("because:{space}").as_str(),
            "new",
            "popular",
            "genre:science",
            "genre:food"
        ]
    );
    let byw: Vec<&str> = home.rails[0].videos.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        byw,
        vec![pasta.as_str(), cells.as_str()],
        "{:?}",
        home.rails[0].title
    );
    assert_eq!(home.rails[0].title, "Because you watched Space");
    assert_eq!(home.continue_watching.len(), 1);
    assert_eq!(home.continue_watching[0].video.id, space);
    assert_eq!(home.continue_watching[0].progress.resume_at_s, Some(120.0));
    let food: Vec<&str> = home.rails[4].videos.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(food, vec![pasta.as_str(), bread.as_str()]);
    assert_eq!(home.rails[4].title, "Food");

    // Anonymous: the public rails only.
    let home = app.anon().get_home().await.unwrap().into_inner();
    assert!(home.continue_watching.is_empty());
    assert_eq!(home.rails[0].key, "new");
    let genres = app.anon().list_genres().await.unwrap().into_inner();
    let names: Vec<(&str, u64)> = genres.iter().map(|g| (g.name.as_str(), g.videos)).collect();
    assert_eq!(names, vec![("science", 3), ("food", 2)]);

    // GraphQL: the same page, each rail on its own; per-video lookups batched.
    let page = r#"{ home {
        continueWatching { positionS video { title } }
        becauseYouWatched { title videos { id creator { displayName } progress { positionS } inWatchlist } }
        new { videos { id } } popular { key } genres { key }
    } genres { name videos } }"#;
    let r = gql(&app, Some(&bob), page).await;
    assert!(r["errors"].is_null(), "{r}");
    let h = &r["data"]["home"];
    assert_eq!(h["becauseYouWatched"]["title"], "Because you watched Space");
    assert_eq!(
        h["becauseYouWatched"]["videos"][0]["creator"]["displayName"],
        "creator"
    );
    assert_eq!(h["continueWatching"][0]["positionS"], 120.0);
    assert_eq!(h["genres"].as_array().unwrap().len(), 2);
    assert_eq!(r["data"]["genres"][0]["name"], "science");

    // A rail that cannot be built is null with an error; the rest of the page resolves.
    app.db
        .query("CREATE view SET viewer = $v, video_id = 42, at = '9999-01-01T00:00:00.000Z'")
        .bind(("v", format!("u:{}", bob_id(&app, &bob).await)))
        .await
        .unwrap()
        .check()
        .unwrap();
    let r = gql(&app, Some(&bob), page).await;
    assert!(r["data"]["home"]["becauseYouWatched"].is_null(), "{r}");
    assert_eq!(r["errors"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["errors"][0]["path"], json!(["home", "becauseYouWatched"]));
    assert_eq!(r["errors"][0]["extensions"]["code"], "internal");
    assert_eq!(r["data"]["home"]["continueWatching"][0]["positionS"], 120.0);
    assert!(
        !r["data"]["home"]["new"]["videos"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn bob_id(app: &TestApp, token: &str) -> String {
    app.as_user(token).get_me().await.unwrap().into_inner().id
}

#[tokio::test]
async fn graphql_mutations_edit_and_file_videos_with_rest_rules() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let (v, _) = app.user("viewer").await;
    let id = published(&app, &c, "Draft title").await;
    let r = gql(
        &app,
        Some(&c),
        &format!(
            r#"mutation {{ updateVideo(id: "{id}", input: {{ title: "Final title", genres: ["Drama"], visibility: UNLISTED }}) {{ title genres visibility }} }}"#
        ),
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["updateVideo"]["genres"], json!(["drama"]));
    let r = gql(
        &app,
        Some(&c),
        &format!(r#"mutation {{ updateVideo(id: "{id}", input: {{ title: "" }}) {{ title }} }}"#),
    )
    .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "invalid_title", "{r}");

    let r = gql(
        &app,
        Some(&v),
        &format!(
            r#"mutation {{ addToWatchlist(videoId: "{id}") p: reportProgress(videoId: "{id}", positionS: 300) {{ resumeAtS completed }} }}"#
        ),
    )
    .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["p"]["resumeAtS"], 300.0);
    let r = gql(&app, Some(&v), &format!(r#"{{ video(id: "{id}") {{ title inWatchlist progress {{ positionS }} views }} watchlist {{ id }} }}"#)).await;
    assert_eq!(r["data"]["video"]["title"], "Final title", "{r}");
    assert_eq!(r["data"]["video"]["inWatchlist"], true);
    assert_eq!(r["data"]["video"]["progress"]["positionS"], 300.0);
    assert_eq!(r["data"]["video"]["views"], 1);
    let r = gql(
        &app,
        Some(&v),
        &format!(r#"mutation {{ removeFromWatchlist(videoId: "{id}") }}"#),
    )
    .await;
    assert_eq!(r["data"]["removeFromWatchlist"], true);

    let r = gql(
        &app,
        Some(&c),
        &format!(r#"mutation {{ deleteVideo(id: "{id}") }}"#),
    )
    .await;
    assert_eq!(r["data"]["deleteVideo"], id, "{r}");
    let r = gql(
        &app,
        Some(&v),
        &format!(r#"{{ video(id: "{id}") {{ title }} }}"#),
    )
    .await;
    assert!(r["data"]["video"].is_null(), "{r}");
}

#[tokio::test]
async fn search_results_that_score_the_same_are_ordered_by_views_then_newest() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let mut ids = Vec::new();
    for views in [5, 50, 5] {
        let id = titled(&app, &c, "Harbour lights", "", &[], &[]).await;
        app.db
            .query("UPDATE type::record('video', $id) SET views = $n")
            .bind(("id", id.clone()))
            .bind(("n", views))
            .await
            .unwrap()
            .check()
            .unwrap();
        ids.push(id);
    }
    let (oldest, most_viewed, newest) = (&ids[0], &ids[1], &ids[2]);
    let want = vec![most_viewed.clone(), newest.clone(), oldest.clone()];
    crate::helpers::eventually("ties to be ordered by views", || async {
        found(&app, "harbour").await == want
    })
    .await;
    assert!(
        hits(&app, "harbour")
            .await
            .windows(2)
            .all(|w| w[0].score == w[1].score)
    );
    // Paged one at a time, the order holds.
    let mut paged = Vec::new();
    for offset in 0..3 {
        let page = app
            .anon()
            .search_videos(Some(1), Some(offset), "harbour")
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.hits.into_iter().map(|h| h.video.id));
    }
    assert_eq!(paged, want);
}
