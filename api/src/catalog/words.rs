//! Each query word's matches and BM25 scores in each searched field, as the database's
//! FULLTEXT indexes give them, kept in memory by [`crate::catalog::cache::Cache`].
//!
//! A query of several words is scored here by adding its words' scores field by field. That
//! is how the index scores it too: BM25 sums one score per term (each with the term's own
//! document frequency), and a field matches when it holds every term. So a word asked once
//! serves every later query it is part of, and the cost the index charges per matching
//! document (about 10 µs) is paid once per word rather than once per query.

use crate::db::Db;
use crate::error::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The searched fields, in the order of [`WordScores::fields`], with their weights: a match
/// in the title counts most, then tags, then the description.
pub const FIELDS: [(&str, f64); 3] = [("title", 3.0), ("description", 1.0), ("tags", 2.0)];

/// Video ids as small numbers, so word lists are compact and quick to intersect. Ids are
/// never forgotten: a catalogue of a million videos costs about 50 MB here.
#[derive(Debug, Default)]
pub struct Ids {
    inner: RwLock<IdTable>,
}

#[derive(Debug, Default)]
struct IdTable {
    numbers: HashMap<Arc<str>, u32>,
    ids: Vec<Arc<str>>,
}

impl Ids {
    /// The number of each id, given one if it has none.
    pub(crate) fn intern(&self, ids: &[String]) -> Vec<u32> {
        let mut t = self.inner.write().unwrap_or_else(|e| e.into_inner());
        ids.iter()
            .map(|id| {
                if let Some(n) = t.numbers.get(id.as_str()) {
                    return *n;
                }
                let n = t.ids.len() as u32;
                let id: Arc<str> = Arc::from(id.as_str());
                t.ids.push(id.clone());
                t.numbers.insert(id, n);
                n
            })
            .collect()
    }

    /// The ids of numbers.
    pub fn ids(&self, numbers: impl Iterator<Item = u32>) -> Vec<String> {
        let t = self.inner.read().unwrap_or_else(|e| e.into_inner());
        numbers.map(|n| t.ids[n as usize].to_string()).collect()
    }
}

/// One word's matches: per field, the videos holding it (by number, ascending) and its BM25
/// score there.
#[derive(Debug, Default)]
pub struct WordScores {
    pub fields: [Vec<(u32, f32)>; 3],
}

impl WordScores {
    /// Matches over all fields, which is what the word cost the index.
    pub fn hits(&self) -> usize {
        self.fields.iter().map(Vec::len).sum()
    }

    /// Whether the word is in any field of the video.
    pub fn holds(&self, video: u32) -> bool {
        self.fields
            .iter()
            .any(|f| f.binary_search_by_key(&video, |e| e.0).is_ok())
    }
}

/// Asks each field's index for the videos holding `word` and their scores.
pub async fn fetch(db: &Db, ids: &Ids, word: &str) -> Result<WordScores, ApiError> {
    let mut r = db
        .query(
            "SELECT VALUE [record::id(id), search::score(0)] FROM video WHERE title @0@ $q;
             SELECT VALUE [record::id(id), search::score(1)] FROM video WHERE description @1@ $q;
             SELECT VALUE [record::id(id), search::score(2)] FROM video WHERE tags @2@ $q;",
        )
        .bind(("q", word.to_owned()))
        .await?;
    let mut out = WordScores::default();
    for (i, field) in out.fields.iter_mut().enumerate() {
        let rows: Vec<(String, Option<f64>)> = crate::db::rows(&mut r, i)?;
        let (names, scores): (Vec<String>, Vec<f32>) = rows
            .into_iter()
            .map(|(id, s)| (id, s.unwrap_or(0.0) as f32))
            .unzip();
        *field = ids.intern(&names).into_iter().zip(scores).collect();
        field.sort_unstable_by_key(|e| e.0);
    }
    Ok(out)
}

/// The videos holding every word in at least one field, with their relevance: per matched
/// field its weight plus the summed BM25 score of the words times that weight.
pub fn combine(words: &[Arc<WordScores>]) -> HashMap<u32, f64> {
    let mut scores: HashMap<u32, f64> = HashMap::new();
    for (f, (_, weight)) in FIELDS.iter().enumerate() {
        let mut lists: Vec<&[(u32, f32)]> = words.iter().map(|w| &w.fields[f][..]).collect();
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            continue;
        };
        'video: for &(video, score) in *first {
            let mut sum = score as f64;
            for list in rest {
                match list.binary_search_by_key(&video, |e| e.0) {
                    Ok(i) => sum += list[i].1 as f64,
                    Err(_) => continue 'video,
                }
            }
            *scores.entry(video).or_default() += weight * (1.0 + sum);
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(fields: [&[(u32, f32)]; 3]) -> Arc<WordScores> {
        Arc::new(WordScores {
            fields: fields.map(|f| f.to_vec()),
        })
    }

    #[test]
    fn a_field_counts_only_when_it_holds_every_word_and_adds_their_scores() {
        let river = word([&[(1, 0.5), (2, 0.25)], &[(1, 0.1), (3, 0.2)], &[]]);
        let city = word([&[(2, 0.5)], &[(1, 0.3), (3, 0.4)], &[(1, 1.0)]]);
        let got = combine(&[river, city]);
        let expect: HashMap<u32, f64> = [
            // Description only: weight 1 plus 0.1 + 0.3.
            (1, 1.0 + (0.1f32 as f64 + 0.3f32 as f64)),
            // Title: weight 3 times (1 + 0.25 + 0.5).
            (2, 3.0 * (1.0 + 0.25 + 0.5)),
            (3, 1.0 + (0.2f32 as f64 + 0.4f32 as f64)),
        ]
        .into();
        assert_eq!(got.len(), 3);
        for (k, v) in expect {
            assert!((got[&k] - v).abs() < 1e-9, "{k}: {} != {v}", got[&k]);
        }
        assert!(combine(&[]).is_empty());
    }
}
