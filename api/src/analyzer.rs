//! The `video_text` analyzer of the search indexes (split at blanks and where the class of
//! character changes, lower case, ASCII, English snowball stems), mirrored in Rust so that
//! highlights are computed for the hits of a page only: asking the index for match offsets
//! costs the database a lookup per matching document, which on a word common to 15 % of a
//! 100k catalogue was half of the search time.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashSet;
use std::sync::LazyLock;

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// A word of a text: its stem, and where it is (in characters, end exclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub stem: String,
    pub start: usize,
    pub end: usize,
}

#[derive(PartialEq, Clone, Copy)]
enum Class {
    Letter,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_alphabetic() {
        Class::Letter
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Other
    }
}

/// The words of `text`, as the index sees them (punctuation is left out).
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut start = 0;
    let mut current = Class::Other;
    let mut flush = |word: &mut String, start: usize, end: usize| {
        if !word.is_empty() {
            let folded = deunicode::deunicode(word).to_lowercase();
            out.push(Token {
                stem: ENGLISH.stem(&folded).into_owned(),
                start,
                end,
            });
            word.clear();
        }
    };
    let mut n = 0;
    for (i, c) in text.chars().enumerate() {
        n = i + 1;
        let k = class(c);
        if k != current || c.is_whitespace() {
            flush(&mut word, start, i);
            start = i;
            current = k;
        }
        if k != Class::Other {
            word.push(c);
        }
    }
    flush(&mut word, start, n);
    out
}

/// The stems of a query.
pub fn stems(q: &str) -> HashSet<String> {
    tokens(q).into_iter().map(|t| t.stem).collect()
}

/// Where in `text` a word of the query is, as `(start, end)` character spans.
pub fn matches(text: &str, query: &HashSet<String>) -> Vec<(usize, usize)> {
    tokens(text)
        .into_iter()
        .filter(|t| query.contains(&t.stem))
        .map(|t| (t.start, t.end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_at_blanks_and_class_changes_and_stemmed() {
        let t = tokens("Running wolves, 2024-Édition!");
        let words: Vec<(&str, usize, usize)> = t
            .iter()
            .map(|t| (t.stem.as_str(), t.start, t.end))
            .collect();
        assert_eq!(
            words,
            [
                ("run", 0, 7),
                ("wolv", 8, 14),
                ("2024", 16, 20),
                ("edit", 21, 28)
            ]
        );
    }

    #[test]
    fn matches_find_every_form_of_a_query_word() {
        let q = stems("river");
        assert_eq!(matches("Rivers of the river", &q), [(0, 6), (14, 19)]);
        assert!(matches("riverside", &q).is_empty());
    }
}
