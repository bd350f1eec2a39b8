//! The search queries `bench api` and `bench search` ask: the seed's vocabulary, alone and in
//! pairs.

/// Search words from the seeded vocabulary: the most frequent ones ("new" is in about half
/// of the descriptions, "london" in a quarter), common subjects, and rare ones.
pub const WORDS: &[&str] = &[
    "new",
    "london",
    "recipe",
    "family",
    "jazz",
    "football",
    "lighthouse",
    "accordion",
    "tbilisi",
    "black hole",
    "street food",
    "glacier",
    "robot",
    "kyoto",
    "marathon",
    "vaccine",
    "shipwreck",
    "sourdough",
    "compiler",
    "orca",
    "golden",
    "paris",
];

/// 400 queries: each word alone, and paired with another, in a fixed order.
pub fn queries() -> Vec<String> {
    (0..400)
        .map(|i| {
            let a = WORDS[i % WORDS.len()];
            if i % 2 == 0 {
                a.to_owned()
            } else {
                format!("{a} {}", WORDS[(i * 7 + 3) % WORDS.len()])
            }
        })
        .collect()
}
