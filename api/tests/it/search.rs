//! Search from the replica's own index: a video matches when one of its fields holds every
//! word, a title match counts most, stop words narrow nothing, the replica's own edits show in
//! its next search, a replica starting on a catalogue searches it at once, and saved later
//! pages move up when a video leaves them.

use crate::discover::{found, hits, rename, titled};
use crate::helpers::{spawn_app, spawn_app_in};
use api::catalog::analyzer::{query_words, stems};
use std::collections::HashSet;

#[tokio::test]
async fn a_video_matches_when_one_field_holds_every_word_and_titles_count_most() {
    let app = spawn_app(0).await;
    let (c, _) = app.user("creator").await;
    let videos: [(&str, &str, &[&str]); 6] = [
        (
            "River city lights",
            "A city on the river, rivers everywhere",
            &["city life"],
        ),
        ("City of rivers", "", &[]),
        (
            "Jazz in the city",
            "river jazz, more jazz",
            &["jazz", "river city"],
        ),
        ("River", "city", &[]),
        ("Quiet streets", "the city sleeps by the river", &["river"]),
        ("Mountain bread", "no match here", &["baking"]),
    ];
    let mut ids = Vec::new();
    for (title, description, tags) in videos {
        ids.push(titled(&app, &c, title, description, tags, &[]).await);
    }
    for q in [
        "river city",
        "jazz river city",
        "rivers",
        "city jazz",
        "bread",
    ] {
        let words: HashSet<String> = query_words(q).into_iter().map(|w| w.stem).collect();
        let holds = |text: &str| words.is_subset(&stems(text));
        let expect: HashSet<&String> = videos
            .iter()
            .zip(&ids)
            .filter(|((title, description, tags), _)| {
                holds(title) || holds(description) || holds(&tags.join(" "))
            })
            .map(|(_, id)| id)
            .collect();
        let got = found(&app, q).await;
        assert_eq!(
            got.iter().collect::<HashSet<_>>(),
            expect,
            "{q}: the videos with a field holding every word"
        );
    }
    // Both words in the title ranks first; in the description alone, last.
    let ranked = found(&app, "river city").await;
    assert_eq!(ranked.first(), Some(&ids[0]), "{ranked:?}");
    assert_eq!(ranked.last(), Some(&ids[4]), "{ranked:?}");
}

#[tokio::test]
async fn a_replicas_own_edit_shows_in_its_next_search_and_a_restart_searches_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir, None, 0).await;
    let (c, _) = app.user("creator").await;
    let id = titled(&app, &c, "Lantern festival", "", &["lights"], &[]).await;
    assert_eq!(found(&app, "lantern").await, vec![id.clone()]);
    // Through the api: no waiting for the change feed.
    rename(&app, &c, &id, "Paper boats").await;
    assert!(found(&app, "lantern").await.is_empty());
    assert_eq!(found(&app, "boats").await, vec![id.clone()]);
    assert_eq!(found(&app, "lights").await, vec![id.clone()]);

    // A replica starting on this catalogue builds its index before it says it is ready, and
    // its first search already finds the video.
    let dir = app.stop().await;
    let again = spawn_app_in(dir, None, 0).await;
    assert_eq!(found(&again, "boats").await, vec![id.clone()]);
    let ready = reqwest::get(format!("{}/readyz", again.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
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
