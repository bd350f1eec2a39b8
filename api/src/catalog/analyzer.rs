//! How search cuts text into words: split at blanks and where the class of character changes,
//! folded to ASCII, lower case, English snowball stems. The search index is built with it
//! ([`crate::catalog::index::Analyzer`]) and highlights are computed with it for the hits of a
//! page, so a mark is exactly what matched.

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

/// Words that are in nearly every text, so they narrow a search by nothing while costing the
/// index a lookup per document that holds them.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "i",
    "in", "into", "is", "it", "its", "of", "on", "or", "our", "so", "that", "the", "their", "this",
    "to", "was", "we", "were", "with", "you", "your",
];

static STOP_STEMS: LazyLock<HashSet<String>> =
    LazyLock::new(|| STOP_WORDS.iter().flat_map(|w| stems(w)).collect());

/// Whether a stem is a stop word's.
pub fn is_stop_word(stem: &str) -> bool {
    STOP_STEMS.contains(stem)
}

/// A word of a query: its stem, and the word as typed, lower-cased.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    pub stem: String,
    pub text: String,
}

/// The words of a query that narrow it, each once, in order: stop words are left out unless
/// nothing else is left.
pub fn query_words(q: &str) -> Vec<QueryWord> {
    let chars: Vec<char> = q.chars().collect();
    let mut words: Vec<QueryWord> = Vec::new();
    for t in tokens(q) {
        if !words.iter().any(|w| w.stem == t.stem) {
            let text: String = chars[t.start..t.end].iter().collect();
            words.push(QueryWord {
                stem: t.stem,
                text: text.to_lowercase(),
            });
        }
    }
    if words.iter().any(|w| !STOP_STEMS.contains(&w.stem)) {
        words.retain(|w| !STOP_STEMS.contains(&w.stem));
    }
    words
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
    fn a_query_keeps_each_word_once_and_drops_stop_words_unless_nothing_else_is_left() {
        let texts =
            |q: &str| -> Vec<String> { query_words(q).into_iter().map(|w| w.text).collect() };
        assert_eq!(texts("The River and the RIVERS"), ["river"]);
        assert_eq!(texts("jazz in the city"), ["jazz", "city"]);
        assert_eq!(texts("The Who"), ["who"]);
        assert_eq!(texts("to be or not to be"), ["not"]);
        assert_eq!(texts("the and"), ["the", "and"]);
        assert!(query_words("!!!").is_empty());
    }

    #[test]
    fn matches_find_every_form_of_a_query_word() {
        let q = stems("river");
        assert_eq!(matches("Rivers of the river", &q), [(0, 6), (14, 19)]);
        assert!(matches("riverside", &q).is_empty());
    }
}
