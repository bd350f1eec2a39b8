//! The words seeded titles, descriptions and tags are made of, and how often each is used.
//!
//! Real catalogues follow Zipf's law: a few words are in many videos and most words are in
//! few. Each genre has its own subjects, so a word like "recipe" is common among food videos
//! and absent elsewhere, and every list is drawn from with a Zipf weight (the k-th entry
//! `1/k` as likely as the first), so the catalogue has both the head a search index must cope
//! with and the long tail most queries land in.

use rand::Rng;
use rand::rngs::StdRng;

/// A genre: its name, the subjects its videos are about, and tags its creators use.
pub struct Genre {
    pub name: &'static str,
    pub subjects: &'static [&'static str],
    pub tags: &'static [&'static str],
}

pub const GENRES: &[Genre] = &[
    Genre {
        name: "drama",
        subjects: &[
            "family",
            "secret",
            "letter",
            "inheritance",
            "wedding",
            "trial",
            "brother",
            "daughter",
            "promise",
            "stranger",
            "winter",
            "lighthouse",
            "affair",
            "farm",
            "hospital",
            "school",
            "violin",
            "debt",
            "funeral",
            "reunion",
            "confession",
            "neighbour",
            "island",
            "orphan",
            "detective",
            "widow",
            "portrait",
            "harvest",
        ],
        tags: &[
            "short film",
            "festival",
            "period piece",
            "thriller",
            "romance",
            "indie",
        ],
    },
    Genre {
        name: "comedy",
        subjects: &[
            "roommate",
            "wedding",
            "office",
            "holiday",
            "dog",
            "neighbour",
            "road trip",
            "stand-up",
            "sketch",
            "interview",
            "parents",
            "date",
            "karaoke",
            "camping",
            "birthday",
            "prank",
            "landlord",
            "talent show",
            "job",
            "cat",
            "diet",
            "sitcom",
            "impression",
            "podcast",
            "awkward",
            "cousin",
        ],
        tags: &["stand-up", "sketch", "improv", "parody", "family", "live"],
    },
    Genre {
        name: "documentary",
        subjects: &[
            "factory",
            "prison",
            "election",
            "climate",
            "refugee",
            "village",
            "river",
            "mine",
            "newspaper",
            "hospital",
            "court",
            "border",
            "fishermen",
            "railway",
            "archive",
            "protest",
            "monastery",
            "miners",
            "nurses",
            "farmers",
            "harbour",
            "orphanage",
            "glacier",
            "market",
            "dam",
            "circus",
            "shipyard",
        ],
        tags: &[
            "investigation",
            "interview",
            "award winner",
            "archive",
            "long form",
            "true story",
        ],
    },
    Genre {
        name: "science",
        subjects: &[
            "black hole",
            "quantum",
            "telescope",
            "brain",
            "vaccine",
            "gene",
            "volcano",
            "earthquake",
            "fusion",
            "bacteria",
            "galaxy",
            "comet",
            "microscope",
            "battery",
            "laser",
            "fossil",
            "evolution",
            "gravity",
            "mars",
            "moon",
            "neuron",
            "enzyme",
            "crystal",
            "magnet",
            "particle",
            "experiment",
            "theory",
            "sleep",
            "memory",
        ],
        tags: &[
            "explainer",
            "lecture",
            "space",
            "physics",
            "biology",
            "chemistry",
        ],
    },
    Genre {
        name: "travel",
        subjects: &[
            "lisbon",
            "kyoto",
            "iceland",
            "patagonia",
            "marrakech",
            "norway",
            "vietnam",
            "sicily",
            "mongolia",
            "peru",
            "scotland",
            "istanbul",
            "tasmania",
            "alaska",
            "georgia",
            "madeira",
            "laos",
            "bolivia",
            "ferry",
            "night train",
            "hostel",
            "backpacking",
            "road trip",
            "coastline",
            "old town",
            "border crossing",
            "island hopping",
            "desert",
        ],
        tags: &["road trip", "vlog", "4k", "drone", "budget", "slow tv"],
    },
    Genre {
        name: "music",
        subjects: &[
            "jazz",
            "piano",
            "guitar",
            "orchestra",
            "choir",
            "festival",
            "drummer",
            "concert",
            "album",
            "synthesizer",
            "cello",
            "blues",
            "opera",
            "folk",
            "violin",
            "rehearsal",
            "studio",
            "soundcheck",
            "quartet",
            "vinyl",
            "saxophone",
            "hip hop",
            "techno",
            "accordion",
            "songwriter",
            "tour",
        ],
        tags: &[
            "live",
            "concert",
            "session",
            "acoustic",
            "behind the scenes",
            "jazz",
        ],
    },
    Genre {
        name: "food",
        subjects: &[
            "recipe",
            "bread",
            "pasta",
            "ramen",
            "curry",
            "sourdough",
            "dumplings",
            "barbecue",
            "cheese",
            "chocolate",
            "coffee",
            "street food",
            "kitchen",
            "noodles",
            "pastry",
            "tacos",
            "sushi",
            "soup",
            "pizza",
            "fermentation",
            "spices",
            "market",
            "breakfast",
            "dessert",
            "wine",
            "vegetables",
            "knife skills",
            "pie",
        ],
        tags: &[
            "recipe",
            "cooking",
            "street food",
            "vegetarian",
            "baking",
            "tutorial",
        ],
    },
    Genre {
        name: "sports",
        subjects: &[
            "football",
            "marathon",
            "climbing",
            "surfing",
            "cycling",
            "tennis",
            "boxing",
            "skiing",
            "rugby",
            "swimming",
            "basketball",
            "sailing",
            "rowing",
            "chess",
            "skateboarding",
            "final",
            "derby",
            "training",
            "comeback",
            "coach",
            "season",
            "olympics",
            "triathlon",
            "goalkeeper",
            "tournament",
            "match",
        ],
        tags: &[
            "highlights",
            "football",
            "training",
            "extreme",
            "live",
            "analysis",
        ],
    },
    Genre {
        name: "animation",
        subjects: &[
            "robot",
            "dragon",
            "fox",
            "princess",
            "spaceship",
            "forest spirit",
            "monster",
            "witch",
            "pirate",
            "mouse",
            "knight",
            "cloud",
            "penguin",
            "owl",
            "clockwork",
            "puppet",
            "paper",
            "toy",
            "bear",
            "moon",
            "giant",
            "snowman",
            "whale",
            "lantern",
            "rabbit",
        ],
        tags: &["kids", "stop motion", "short film", "2d", "3d", "family"],
    },
    Genre {
        name: "history",
        subjects: &[
            "rome",
            "empire",
            "war",
            "revolution",
            "castle",
            "pharaoh",
            "vikings",
            "cathedral",
            "plague",
            "dynasty",
            "samurai",
            "crusade",
            "silk road",
            "treaty",
            "queen",
            "emperor",
            "battle",
            "colony",
            "shipwreck",
            "manuscript",
            "temple",
            "pyramid",
            "invasion",
            "republic",
            "spy",
            "kingdom",
            "railway",
        ],
        tags: &[
            "archive",
            "lecture",
            "ancient",
            "medieval",
            "war",
            "biography",
        ],
    },
    Genre {
        name: "nature",
        subjects: &[
            "wolf",
            "whale",
            "forest",
            "coral reef",
            "eagle",
            "rainforest",
            "savanna",
            "glacier",
            "bees",
            "octopus",
            "elephant",
            "mountain",
            "wetland",
            "tiger",
            "migration",
            "river",
            "ocean",
            "desert",
            "owl",
            "orca",
            "bear",
            "fungi",
            "butterflies",
            "volcano",
            "tundra",
            "seals",
            "hummingbird",
            "storm",
        ],
        tags: &[
            "wildlife",
            "4k",
            "ocean",
            "slow tv",
            "birds",
            "conservation",
        ],
    },
    Genre {
        name: "technology",
        subjects: &[
            "rust",
            "compiler",
            "keyboard",
            "smartphone",
            "laptop",
            "server",
            "database",
            "robotics",
            "drone",
            "chip",
            "linux",
            "network",
            "camera",
            "encryption",
            "startup",
            "algorithm",
            "browser",
            "satellite",
            "electric car",
            "3d printer",
            "retro computer",
            "game engine",
            "open source",
            "home lab",
            "solar panel",
        ],
        tags: &[
            "tutorial",
            "review",
            "retro",
            "programming",
            "teardown",
            "open source",
        ],
    },
];

/// Words that describe anything, most used first.
pub const ADJECTIVES: &[&str] = &[
    "new",
    "little",
    "last",
    "great",
    "hidden",
    "secret",
    "wild",
    "lost",
    "golden",
    "silent",
    "perfect",
    "ancient",
    "modern",
    "strange",
    "beautiful",
    "forgotten",
    "northern",
    "broken",
    "endless",
    "simple",
    "frozen",
    "midnight",
    "burning",
    "electric",
    "quiet",
    "impossible",
    "distant",
    "restless",
    "crimson",
    "gentle",
    "hollow",
    "brave",
    "fragile",
    "curious",
    "humble",
    "stubborn",
    "luminous",
    "untold",
    "vanishing",
    "unexpected",
];

/// Places that stories happen in, most used first.
pub const PLACES: &[&str] = &[
    "london",
    "paris",
    "new york",
    "tokyo",
    "berlin",
    "the north",
    "the city",
    "the coast",
    "the valley",
    "the mountains",
    "naples",
    "glasgow",
    "lagos",
    "montreal",
    "bogota",
    "seoul",
    "cairo",
    "oslo",
    "the highlands",
    "the delta",
    "the outback",
    "the fjords",
    "the steppe",
    "the lowlands",
    "marseille",
    "porto",
    "hanoi",
    "valparaiso",
    "tbilisi",
    "reykjavik",
    "the border",
    "the harbour",
    "the old quarter",
    "the suburbs",
];

/// Title shapes: `{a}` an adjective, `{s}` and `{t}` subjects, `{p}` a place, `{n}` a number.
const TITLES: &[&str] = &[
    "The {a} {s}",
    "{a} {s}",
    "{s} in {p}",
    "How the {s} Works",
    "A Year with the {s}",
    "The {s} and the {t}",
    "Inside the {s}",
    "{s}: The {a} Story",
    "Journey to {p}",
    "{n} Days of {s}",
    "The Last {s} of {p}",
    "Why the {s} Matters",
    "{a} {s}, {a} {t}",
    "Everything About the {s}",
    "Notes on the {s}",
    "{s} After Dark",
    "Return to {p}",
    "The {s} Diaries, Part {n}",
];

/// Description sentences, with the same placeholders.
const SENTENCES: &[&str] = &[
    "A {a} look at the {s} and the people around it.",
    "Filmed over {n} months in {p}.",
    "We follow the {s} from the first day to the last.",
    "What happens when the {s} meets the {t}?",
    "The {a} story of the {s}, told by those who were there.",
    "Part {n} of a series on the {s}.",
    "Shot on location in {p} with a small crew.",
    "The {s}, the {t} and a {a} ending nobody saw coming.",
    "Everything you wanted to know about the {s}, in {n} minutes.",
    "Featuring interviews, archive footage and a {a} score.",
    "Recorded live in {p}.",
    "From {p} to {p}: a {a} portrait of the {s}.",
    "A beginner-friendly guide to the {s}.",
    "Thanks for watching; the next episode covers the {t}.",
];

/// Draws entries with Zipf weights: the k-th entry `1/k` as likely as the first.
pub fn zipf<'a>(rng: &mut StdRng, items: &'a [&'a str]) -> &'a str {
    // Harmonic numbers are cheap for lists this short.
    let total: f64 = (1..=items.len()).map(|k| 1.0 / k as f64).sum();
    let mut u = rng.random_range(0.0..total);
    for (k, item) in items.iter().enumerate() {
        u -= 1.0 / (k + 1) as f64;
        if u < 0.0 {
            return item;
        }
    }
    items[items.len() - 1]
}

/// Capitalises the first letter of each word, as titles are written.
fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fills a title or sentence shape for a video of `genre`.
fn fill(rng: &mut StdRng, shape: &str, genre: &Genre, titled: bool) -> String {
    let mut out = String::with_capacity(shape.len() + 32);
    let mut chars = shape.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        let key = chars.next();
        chars.next(); // the closing brace
        let word = match key {
            Some('a') => zipf(rng, ADJECTIVES).to_owned(),
            Some('s') | Some('t') => zipf(rng, genre.subjects).to_owned(),
            Some('p') => zipf(rng, PLACES).to_owned(),
            _ => rng.random_range(2..40).to_string(),
        };
        out.push_str(&if titled { title_case(&word) } else { word });
    }
    out
}

/// A title for a video of `genre`.
pub fn title(rng: &mut StdRng, genre: &Genre) -> String {
    let shape = zipf(rng, TITLES);
    fill(rng, shape, genre, true)
}

/// A description of two to five sentences, opening with the title.
pub fn description(rng: &mut StdRng, genre: &Genre, title: &str, minutes: u32) -> String {
    let mut out = format!("{title}. A {} film, {minutes} minutes long.", genre.name);
    for _ in 0..rng.random_range(2..6) {
        out.push(' ');
        let shape = zipf(rng, SENTENCES);
        let sentence = fill(rng, shape, genre, false);
        let mut c = sentence.chars();
        if let Some(f) = c.next() {
            out.extend(f.to_uppercase().chain(c));
        }
    }
    out
}

/// Two to five tags: mostly the genre's own, some from any genre.
pub fn tags(rng: &mut StdRng, genre: &Genre) -> Vec<String> {
    let n = rng.random_range(2..6);
    let mut out: Vec<String> = Vec::with_capacity(n);
    while out.len() < n {
        let from = if rng.random_bool(0.8) {
            genre
        } else {
            &GENRES[rng.random_range(0..GENRES.len())]
        };
        let tag = zipf(rng, from.tags).to_owned();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}
