//! A realistic catalogue without transcoding, for demos and benchmarks (`kino --seed-videos N`,
//! run by `cargo xtask seed --videos N`): creators, published videos with titles, genres,
//! tags and long-tailed view counts spread over a year, and viewers whose views and progress
//! form a co-watch history (each viewer prefers a genre). Deterministic for a given size.
//! Seeded accounts sign in with [`PASSWORD`]; their media does not exist, so they list,
//! search and fill rails but do not play.

use crate::db::{self, Db};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use words::GENRES;

mod words;

/// The password of every seeded account.
pub const PASSWORD: &str = "kino-seed-password";

/// Display names of seeded accounts.
const NAMES: &[&str] = &[
    "Ada", "Bruno", "Chiara", "Dmitri", "Esther", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tove",
];
const SURNAMES: &[&str] = &[
    "Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Gallo", "Haddad", "Ito", "Jansen",
    "Kowalski", "Laine", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
];

/// What was written.
#[derive(Debug, Default)]
pub struct Seeded {
    pub creators: usize,
    pub viewers: usize,
    pub videos: usize,
    pub views: usize,
}

/// A long-tailed draw: most videos get a few views, a few get very many.
fn views(rng: &mut StdRng) -> u64 {
    let u: f64 = rng.random_range(0.0001..1.0);
    (20.0 / u.powf(1.3)) as u64
}

async fn insert(db: &Db, table: &str, rows: Vec<Value>) -> anyhow::Result<()> {
    for chunk in rows.chunks(500) {
        db.query(format!("INSERT INTO {table} $rows"))
            .bind(("rows", chunk.to_vec()))
            .await?
            .check()?;
    }
    Ok(())
}

/// Adds `videos` videos (and about one creator per 25 and one viewer per 10 of them) to the
/// database.
pub async fn seed(db: &Db, videos: usize) -> anyhow::Result<Seeded> {
    let mut rng = StdRng::seed_from_u64(videos as u64);
    let hash = crate::identity::accounts::hash_password(PASSWORD)?;
    let now = chrono::Utc::now();
    let year_ms = 365 * 24 * 3600 * 1000u64;
    let run = ulid::Ulid::new().to_string()[20..].to_lowercase();

    let account = |kind: &str, i: usize, rng: &mut StdRng| {
        let id = ulid::Ulid::from_parts(
            now.timestamp_millis() as u64 - year_ms - rng.random_range(0..1000u64),
            rng.random(),
        )
        .to_string();
        let row = json!({
            "id": id, "email": format!("{kind}{i}.{run}@seed.kino.test"),
            "display_name": format!("{} {}", NAMES.choose(rng).unwrap(), SURNAMES.choose(rng).unwrap()),
            "password_hash": hash, "role": if kind == "creator" { "creator" } else { "viewer" },
            "created_at": db::ts(now - chrono::Duration::days(365)),
        });
        (id, row)
    };
    let creators: Vec<(String, Value)> = (0..(videos / 25).max(3))
        .map(|i| account("creator", i, &mut rng))
        .collect();
    let viewers: Vec<(String, Value)> = (0..(videos / 10).clamp(10, 2_000))
        .map(|i| account("viewer", i, &mut rng))
        .collect();

    let mut rows = Vec::with_capacity(videos);
    let mut by_genre: Vec<Vec<usize>> = vec![Vec::new(); GENRES.len()];
    let mut ids = Vec::with_capacity(videos);
    for i in 0..videos {
        let at_ms = now.timestamp_millis() as u64 - rng.random_range(0..year_ms);
        let id = ulid::Ulid::from_parts(at_ms, rng.random()).to_string();
        let at = chrono::DateTime::from_timestamp_millis(at_ms as i64).unwrap_or(now);
        let g1 = rng.random_range(0..GENRES.len());
        let genre = &GENRES[g1];
        let mut genres = vec![genre.name];
        by_genre[g1].push(i);
        if rng.random_bool(0.4) {
            let g2 = rng.random_range(0..GENRES.len());
            if g2 != g1 {
                genres.push(GENRES[g2].name);
                by_genre[g2].push(i);
            }
        }
        let tags = words::tags(&mut rng, genre);
        let title = words::title(&mut rng, genre);
        let minutes = rng.random_range(15..140);
        let description = words::description(&mut rng, genre, &title, minutes);
        let visibility = if rng.random_bool(0.95) {
            "public"
        } else {
            "unlisted"
        };
        rows.push(json!({
            "id": id, "owner_id": creators.choose(&mut rng).unwrap().0, "title": title,
            "description": description, "genres": genres, "tags": tags,
            "visibility": visibility, "state": "published", "created_at": db::ts(at),
            "published_at": db::ts(at), "published_version": 1, "version_seq": 1,
            "duration_s": rng.random_range(900.0..7200.0), "views": views(&mut rng),
        }));
        ids.push(id);
    }

    // Each viewer prefers a genre: most of what they watch is from it.
    let mut view_rows = Vec::new();
    let mut progress_rows = Vec::new();
    for (viewer, _) in &viewers {
        let favourite = &by_genre[rng.random_range(0..GENRES.len())];
        let n = rng.random_range(5..30).min(videos);
        for _ in 0..n {
            let i = if !favourite.is_empty() && rng.random_bool(0.7) {
                *favourite.choose(&mut rng).unwrap()
            } else {
                rng.random_range(0..videos)
            };
            let at = now - chrono::Duration::minutes(rng.random_range(0..60 * 24 * 90));
            let day = at.format("%Y-%m-%d").to_string();
            view_rows.push(json!({
                "id": [ids[i], format!("u:{viewer}"), day], "video_id": ids[i],
                "viewer": format!("u:{viewer}"), "day": day, "at": db::ts(at),
            }));
            if rng.random_bool(0.3) {
                let duration = rows[i]["duration_s"].as_f64().unwrap_or(1800.0);
                let position = rng.random_range(0.0..duration);
                progress_rows.push(json!({
                    "id": [viewer, ids[i]], "user_id": viewer, "video_id": ids[i],
                    "position_s": position, "completed": position / duration > 0.9,
                    "updated_at": db::ts(at),
                }));
            }
        }
    }

    insert(db, "user", creators.into_iter().map(|(_, r)| r).collect()).await?;
    let n_viewers = viewers.len();
    insert(db, "user", viewers.into_iter().map(|(_, r)| r).collect()).await?;
    insert(db, "video", rows).await?;
    let n_views = view_rows.len();
    // Duplicate (video, viewer, day) draws are skipped, as the live counter would.
    for chunk in view_rows.chunks(500) {
        db.query("INSERT IGNORE INTO view $rows")
            .bind(("rows", chunk.to_vec()))
            .await?
            .check()?;
    }
    for chunk in progress_rows.chunks(500) {
        db.query("INSERT IGNORE INTO progress $rows")
            .bind(("rows", chunk.to_vec()))
            .await?
            .check()?;
    }
    Ok(Seeded {
        creators: (videos / 25).max(3),
        viewers: n_viewers,
        videos,
        views: n_views,
    })
}
