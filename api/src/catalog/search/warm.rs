//! Keeps the words much of the catalogue holds in memory for search ahead of being asked.
//!
//! Looking a word up costs the indexes about 10 µs per field that holds it, so a word in a
//! fifth of a 100k catalogue takes a quarter to half a second the first time, while the rare
//! words most queries are made of take milliseconds. Every couple of seconds this looks for
//! frequent words missing from memory (never asked yet, dropped by an edit, or expired) and
//! looks them up, one at a time, most frequent first, up to half of the memory kept for words
//! (beyond that they would push each other out and be looked up over and over). Words are
//! counted again every ten minutes, or sooner once a tenth of the catalogue has changed.

use crate::catalog::analyzer::{self, QueryWord};
use crate::catalog::cache::{Cache, WORDS_WARM_BUDGET};
use crate::db::Db;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often memory is checked for frequent words.
const PASS_EVERY: Duration = Duration::from_secs(2);
/// How often the words are counted again at most.
const RECOUNT_EVERY: Duration = Duration::from_secs(600);

/// Runs until aborted; `min_matches` of 0 does nothing.
pub async fn keep_frequent_words(db: Db, cache: Arc<Cache>, min_matches: usize) {
    if min_matches == 0 {
        return;
    }
    let mut frequent: Vec<QueryWord> = Vec::new();
    // When the words were counted, the changes seen then, and the catalogue's size.
    let mut counted: Option<(Instant, u64, u64)> = None;
    loop {
        tokio::time::sleep(PASS_EVERY).await;
        if cache.edit_stamp().is_none() {
            continue;
        }
        let changes = cache.changes_seen();
        if counted.is_none_or(|(at, seen, videos)| {
            at.elapsed() > RECOUNT_EVERY || changes - seen > videos / 10
        }) {
            match count(&db, min_matches).await {
                Ok((words, videos)) => {
                    tracing::debug!(words = words.len(), videos, "counted frequent words");
                    frequent = words;
                    counted = Some((Instant::now(), changes, videos));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "counting frequent words");
                    continue;
                }
            }
        }
        let mut complete = true;
        for word in &frequent {
            if cache.has_word(&word.stem) {
                continue;
            }
            if let Err(e) = cache.word(&db, word).await {
                tracing::warn!(error = %e, word = %word.text, "looking up a frequent word");
                complete = false;
                break;
            }
            // An edit may have dropped it again; the next pass looks it up once more.
            complete &= cache.has_word(&word.stem);
        }
        if complete {
            cache.note_words_warm(changes);
        }
    }
}

#[derive(Deserialize)]
struct Text {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// The words (stop words aside) held by at least `min_matches` searched fields, most held
/// first, as many as hold `budget` fields between them; and the number of videos counted.
async fn count(db: &Db, min_matches: usize) -> anyhow::Result<(Vec<QueryWord>, u64)> {
    let mut r = db
        .query("SELECT title, description, tags FROM video")
        .await?;
    let rows: Vec<Text> = crate::db::rows(&mut r, 0)?;
    let videos = rows.len() as u64;
    let words =
        tokio::task::spawn_blocking(move || frequent(&rows, min_matches, WORDS_WARM_BUDGET))
            .await?;
    Ok((words, videos))
}

fn frequent(rows: &[Text], min_matches: usize, budget: usize) -> Vec<QueryWord> {
    // Per stem: fields holding it, and the word as first seen.
    let mut counts: HashMap<String, (usize, String)> = HashMap::new();
    let mut in_field: HashSet<String> = HashSet::new();
    let mut count_field = |text: &str| {
        in_field.clear();
        for t in analyzer::tokens(text) {
            if !in_field.insert(t.stem.clone()) {
                continue;
            }
            match counts.get_mut(&t.stem) {
                Some(c) => c.0 += 1,
                None => {
                    let word: String = text.chars().skip(t.start).take(t.end - t.start).collect();
                    counts.insert(t.stem, (1, word.to_lowercase()));
                }
            }
        }
    };
    for row in rows {
        count_field(&row.title);
        count_field(row.description.as_deref().unwrap_or_default());
        count_field(&row.tags.join(" "));
    }
    let mut words: Vec<(usize, QueryWord)> = counts
        .into_iter()
        .filter(|(stem, (n, _))| *n >= min_matches && !analyzer::is_stop_word(stem))
        .map(|(stem, (n, text))| (n, QueryWord { stem, text }))
        .collect();
    words.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.stem.cmp(&b.1.stem)));
    let mut room = budget;
    words
        .into_iter()
        .take_while(|(n, _)| match room.checked_sub(*n) {
            Some(left) => {
                room = left;
                true
            }
            None => false,
        })
        .map(|(_, w)| w)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_counted_once_per_field_that_holds_them_without_stop_words_within_a_budget() {
        let row = |title: &str, description: &str, tags: &[&str]| Text {
            title: title.into(),
            description: Some(description.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        };
        let rows = [
            row(
                "The River",
                "A river, rivers and the sea",
                &["river life", "sea"],
            ),
            row("Sea of Rivers", "", &[]),
            row("Jazz", "jazz", &["jazz"]),
        ];
        let texts = |min, budget| -> Vec<String> {
            frequent(&rows, min, budget)
                .into_iter()
                .map(|w| w.text)
                .collect()
        };
        assert_eq!(texts(3, 100), ["river", "jazz", "sea"]);
        assert_eq!(texts(4, 100), ["river"]);
        // Most frequent first, as many as the memory budget holds.
        assert_eq!(texts(3, 7), ["river", "jazz"]);
        assert!(texts(3, 3).is_empty());
    }
}
