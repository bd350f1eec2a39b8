//! Full-text search over the catalogue: BM25 over title, description and tags, title matches
//! weighing most. The replica's search index ([`crate::catalog::index`]) finds and scores the
//! matches; the ranking's tie-break, the catalogue rule and the videos come from here and the
//! cache of hot reads, and highlights are computed for the page's hits with the analyzer the
//! index cuts words with ([`crate::catalog::analyzer`]): the text is HTML-escaped and matches
//! are wrapped in `<mark>`, so clients can show them as they are. Stop words ("the", "of") are
//! left out of a query that has other words.

use crate::catalog::analyzer::{self, QueryWord};
use crate::catalog::cache::Cache;
use crate::catalog::videos::Video;
use crate::db::Db;
use crate::error::{ApiError, Code};
use std::collections::{HashMap, HashSet};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Deepest a result list may be paged.
pub const MAX_OFFSET: u32 = 1_000;
/// Characters of description shown around its first match.
const SNIPPET_CHARS: usize = 180;

/// One result.
#[derive(Debug, Clone)]
pub struct Hit {
    pub video: Video,
    /// Relevance: per matched field its weight plus its BM25 score times that weight.
    pub score: f64,
    /// The title, HTML-escaped, with matches in `<mark>`.
    pub title_marked: String,
    /// Part of the description around its first match, marked the same way.
    pub snippet_marked: Option<String>,
    /// The tags that matched.
    pub matched_tags: Vec<String>,
}

/// A match, as character offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub s: usize,
    pub e: usize,
}

/// Validates and normalises a query.
pub fn check_query(q: &str) -> Result<String, ApiError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::new(
            Code::InvalidQuery,
            format!("a search is 1 to {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(q.to_owned())
}

/// Published public videos matching every word of `q`, best first.
pub async fn search(
    db: &Db,
    cache: &Cache,
    q: &str,
    limit: u32,
    offset: u32,
) -> Result<Vec<Hit>, ApiError> {
    let q = check_query(q)?;
    if offset > MAX_OFFSET {
        return Err(ApiError::new(
            Code::InvalidOffset,
            format!("results can be paged up to offset {MAX_OFFSET}"),
        ));
    }
    let words = analyzer::query_words(&q);
    // Queries that differ only in case, spacing, punctuation or stop words rank the same.
    let key = (
        words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        limit,
        offset,
    );
    let ranked = cache
        .search(key, rank(db, cache, &words, limit.clamp(1, 100), offset))
        .await?;
    let ids: Vec<String> = ranked.hits.iter().map(|(id, _)| id.clone()).collect();
    let mut found: HashMap<String, Video> = cache
        .videos(db, &ids)
        .await?
        .into_iter()
        .map(|v| (v.id.clone(), v))
        .collect();
    let terms: HashSet<String> = words.into_iter().map(|w| w.stem).collect();
    Ok(ranked
        .hits
        .iter()
        .filter_map(|(id, score)| found.remove(id).map(|v| hit(v, *score, &terms)))
        // A video edited out of the catalogue since it was ranked is left out.
        .filter(|h| h.video.listed())
        .collect())
}

/// Ranks the listed videos matching every word: ids and scores of results
/// `offset..offset + limit`, best first, ties broken by views and then id (newest first).
///
/// The index holds listed videos only, but one may have left the catalogue since it was last
/// told: the catalogue rule is applied again here, walking down the ranking with the videos
/// from the cache, so the database never reads the matching rows.
async fn rank(
    db: &Db,
    cache: &Cache,
    words: &[QueryWord],
    limit: u32,
    offset: u32,
) -> Result<Vec<(String, f64)>, ApiError> {
    let index = cache.index();
    let wanted = (offset + limit) as usize;
    // The index's best few, asked for more while the page is not settled: equal scores are
    // common (same words, same length) and each run of them is ordered by views, so the run
    // the page ends in must be whole.
    let mut n = (wanted * 2).max(64);
    loop {
        let (ranked, complete) = index.best(words, n).await?;
        let runs: Vec<&[(u32, f32)]> = ranked.chunk_by(|a, b| a.1 == b.1).collect();
        let mut listed: Vec<(String, f64)> = Vec::with_capacity(wanted);
        for (i, run) in runs.iter().enumerate() {
            if listed.len() >= wanted || (i + 1 == runs.len() && !complete) {
                break;
            }
            let ids = index.ids().ids(run.iter().map(|e| e.0));
            let mut videos = cache.videos(db, &ids).await?;
            videos.retain(Video::listed);
            videos.sort_by(|a, b| b.views.cmp(&a.views).then_with(|| b.id.cmp(&a.id)));
            listed.extend(videos.into_iter().map(|v| (v.id, f64::from(run[0].1))));
        }
        if complete || listed.len() >= wanted {
            return Ok(listed
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect());
        }
        n *= 4;
    }
}

fn hit(video: Video, score: f64, terms: &HashSet<String>) -> Hit {
    let spans = |text: &str| -> Vec<Span> {
        analyzer::matches(text, terms)
            .into_iter()
            .map(|(s, e)| Span { s, e })
            .collect()
    };
    let title_marked = mark(&video.title, &spans(&video.title));
    let snippet_marked = video.description.as_deref().and_then(|d| {
        let found = spans(d);
        (!found.is_empty()).then(|| snippet(d, &found))
    });
    let matched_tags = video
        .tags
        .iter()
        .filter(|t| !analyzer::matches(t, terms).is_empty())
        .cloned()
        .collect();
    Hit {
        score,
        title_marked,
        snippet_marked,
        matched_tags,
        video,
    }
}

fn escape_into(out: &mut String, chars: &[char]) {
    for c in chars {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(*c),
        }
    }
}

/// `text` HTML-escaped with each span wrapped in `<mark>`; overlapping or out-of-range spans
/// are clipped.
pub fn mark(text: &str, spans: &[Span]) -> String {
    let chars: Vec<char> = text.chars().collect();
    mark_chars(&chars, spans)
}

fn mark_chars(chars: &[char], spans: &[Span]) -> String {
    let mut spans: Vec<Span> = spans.to_vec();
    spans.sort_by_key(|s| s.s);
    let mut out = String::with_capacity(chars.len() + spans.len() * 13);
    let mut at = 0;
    for Span { s, e } in spans {
        let (s, e) = (s.max(at).min(chars.len()), e.min(chars.len()));
        if s >= e {
            continue;
        }
        escape_into(&mut out, &chars[at..s]);
        out.push_str("<mark>");
        escape_into(&mut out, &chars[s..e]);
        out.push_str("</mark>");
        at = e;
    }
    escape_into(&mut out, &chars[at.min(chars.len())..]);
    out
}

/// About [`SNIPPET_CHARS`] characters of `text` around its first match, cut at word
/// boundaries, with `…` where text was left out.
pub fn snippet(text: &str, spans: &[Span]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let first = spans
        .iter()
        .map(|s| s.s)
        .min()
        .unwrap_or(0)
        .min(chars.len());
    let mut start = first.saturating_sub(SNIPPET_CHARS / 3);
    while start > 0 && start < first && !chars[start - 1].is_whitespace() {
        start += 1;
    }
    let mut end = (start + SNIPPET_CHARS).min(chars.len());
    while end < chars.len() && end > first && !chars[end].is_whitespace() {
        end -= 1;
    }
    let shifted: Vec<Span> = spans
        .iter()
        .filter(|s| s.s >= start && s.e <= end)
        .map(|s| Span {
            s: s.s - start,
            e: s.e - start,
        })
        .collect();
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&mark_chars(&chars[start..end], &shifted));
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_escape_the_text_around_and_inside_matches() {
        let spans = [Span { s: 13, e: 19 }, Span { s: 0, e: 7 }];
        assert_eq!(
            mark("Running with wolves & <b>", &spans),
            "<mark>Running</mark> with <mark>wolves</mark> &amp; &lt;b&gt;"
        );
        assert_eq!(mark("abc", &[Span { s: 2, e: 99 }]), "ab<mark>c</mark>");
        assert_eq!(mark("abc", &[Span { s: 5, e: 9 }]), "abc");
    }

    #[test]
    fn snippets_centre_on_the_first_match_and_cut_at_words() {
        let text = format!(
            "{} wolves {}",
            "lorem ipsum ".repeat(30),
            "dolor sit ".repeat(30)
        );
        let at = text.find("wolves").unwrap();
        let s = snippet(&text, &[Span { s: at, e: at + 6 }]);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>wolves</mark>"), "{s}");
        assert!(s.chars().count() <= SNIPPET_CHARS + 15, "{s}");
        assert!(
            !s.contains("…m ") && !s.contains(" lo…"),
            "cut mid-word: {s}"
        );
        assert_eq!(
            snippet("short wolves", &[Span { s: 6, e: 12 }]),
            "short <mark>wolves</mark>"
        );
    }
}
