//! Search from the words held in memory: a query of several words scores exactly as the
//! indexes score it whole, stop words narrow nothing, and frequent words are looked up before
//! anyone asks and again after an edit drops them.

use crate::discover::{found, hits, rename, titled};
use crate::helpers::{spawn_app, spawn_app_with};
use api::catalog::analyzer::query_words;
use api::catalog::words::{FIELDS, combine};
use std::collections::HashMap;
use std::time::Duration;

/// What the indexes score `q` as, asked whole: per matching video, each matched field's
/// weight plus its BM25 score times that weight.
async fn scored_whole(app: &crate::helpers::TestApp, q: &str) -> HashMap<String, f64> {
    let mut r = app
        .db
        .query(
            "SELECT VALUE [record::id(id), search::score(0)] FROM video WHERE title @0@ $q;
             SELECT VALUE [record::id(id), search::score(1)] FROM video WHERE description @1@ $q;
             SELECT VALUE [record::id(id), search::score(2)] FROM video WHERE tags @2@ $q;",
        )
        .bind(("q", q.to_owned()))
        .await
        .unwrap();
    let mut out = HashMap::new();
    for (i, (_, weight)) in FIELDS.iter().enumerate() {
        let rows: Vec<(String, f64)> = r.take(i).unwrap();
        for (id, score) in rows {
            *out.entry(id).or_default() += weight * (1.0 + score);
        }
    }
    out
}

#[tokio::test]
async fn a_query_of_several_words_scores_as_the_indexes_score_it_whole() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    for (title, description, tags) in [
        (
            "River city lights",
            "A city on the river, rivers everywhere",
            &["city life"][..],
        ),
        ("City of rivers", "", &[][..]),
        (
            "Jazz in the city",
            "river jazz, more jazz",
            &["jazz", "river city"][..],
        ),
        ("River", "city", &[][..]),
        (
            "Quiet river city river",
            "the city sleeps by the river",
            &["river"][..],
        ),
        ("Mountain bread", "no match here", &["baking"][..]),
    ] {
        titled(&app, &c, title, description, tags, &[]).await;
    }
    let cache = &app.state.cache;
    for q in ["river city", "jazz river city", "rivers", "city jazz"] {
        let mut words = Vec::new();
        for w in query_words(q) {
            words.push(cache.word(&app.db, &w).await.unwrap());
        }
        let combined = combine(&words);
        let ids = cache.ids().ids(combined.keys().copied());
        let ours: HashMap<String, f64> = ids.into_iter().zip(combined.values().copied()).collect();
        let whole = scored_whole(&app, q).await;
        assert!(!whole.is_empty(), "{q} matches nothing");
        let mut a: Vec<&String> = ours.keys().collect();
        let mut b: Vec<&String> = whole.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{q}: the same videos match");
        for (id, score) in &whole {
            assert!(
                (ours[id] - score).abs() < 1e-5 * score.abs().max(1.0),
                "{q}: {id} scored {} against {score} asked whole",
                ours[id]
            );
        }
    }
}

#[tokio::test]
async fn stop_words_neither_narrow_a_search_nor_are_marked() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let river = titled(&app, &c, "The River", "", &[], &[]).await;
    let city = titled(&app, &c, "River City", "", &[], &[]).await;
    let mut both = found(&app, "river").await;
    both.sort();
    let mut expect = vec![river.clone(), city.clone()];
    expect.sort();
    assert_eq!(both, expect);
    let mut with_stop_words = found(&app, "the river of").await;
    with_stop_words.sort();
    assert_eq!(with_stop_words, expect);
    assert_eq!(found(&app, "the city").await, vec![city]);
    let hits = hits(&app, "the river").await;
    let marked: Vec<&str> = hits.iter().map(|h| h.title_marked.as_str()).collect();
    assert!(marked.contains(&"The <mark>River</mark>"), "{marked:?}");
    // A query of stop words alone still searches them.
    assert_eq!(found(&app, "The").await, vec![river]);
}

/// Waits up to ten seconds for `check`.
async fn within_ten_seconds(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within ten seconds");
}

#[tokio::test]
async fn frequent_words_are_in_memory_before_anyone_asks_and_again_after_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(dir, None, 0, |s| s.search_warm_matches = 3).await;
    let (c, _) = app.user("creator").await;
    let mut lanterns = Vec::new();
    for title in [
        "Paper lantern",
        "Lanterns at night",
        "The lantern maker",
        "Lantern festival",
    ] {
        lanterns.push(titled(&app, &c, title, "", &[], &[]).await);
    }
    titled(&app, &c, "A rare word", "", &[], &[]).await;
    let cache = app.state.cache.clone();
    within_ten_seconds("the frequent word to be looked up", || {
        cache.has_word("lantern")
    })
    .await;
    assert!(
        !cache.has_word("rare"),
        "only words in 3 fields or more are looked up ahead"
    );

    let fetched = cache.words_fetched();
    assert_eq!(found(&app, "lanterns").await.len(), 4);
    assert_eq!(
        cache.words_fetched(),
        fetched,
        "the search looked the word up again"
    );

    // An edit to a video holding the word drops it; it is looked up again without its match.
    rename(&app, &c, &lanterns[0], "Paper boats").await;
    within_ten_seconds("the edit to drop the word", || {
        cache.words_fetched() > fetched
    })
    .await;
    within_ten_seconds("the word to be looked up again", || {
        cache.has_word("lantern")
    })
    .await;
    let fetched = cache.words_fetched();
    let now = found(&app, "lantern").await;
    assert_eq!(now.len(), 3);
    assert!(!now.contains(&lanterns[0]));
    assert_eq!(cache.words_fetched(), fetched);
}

#[tokio::test]
async fn a_video_that_stops_matching_moves_saved_later_pages_up_at_once() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    // Titles of growing length, so "comet" ranks them in this order (other videos make the
    // word rare enough to score at all).
    for title in ["Harbour", "Bridges", "Rain", "Trains", "Boats"] {
        titled(&app, &c, title, "", &[], &[]).await;
    }
    let mut ids = Vec::new();
    for title in ["Comet", "Comet watch", "Comet watch tonight"] {
        ids.push(titled(&app, &c, title, "", &[], &[]).await);
    }
    let page = |offset: u32| {
        let app = &app;
        async move {
            app.anon()
                .search_videos(Some(1), Some(offset), "comet")
                .await
                .unwrap()
                .into_inner()
                .hits
                .into_iter()
                .map(|h| h.video.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page(0).await, [ids[0].clone()]);
    assert_eq!(page(1).await, [ids[1].clone()]);

    // The first video stops matching: the saved second page, which does not list it, moves up.
    rename(&app, &c, &ids[0], "Meteor").await;
    crate::helpers::eventually("the second page to move up", || async {
        page(1).await == [ids[2].clone()]
    })
    .await;
    assert_eq!(page(0).await, [ids[1].clone()]);
}
