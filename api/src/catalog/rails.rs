//! The rails every viewer sees (New, Popular, one per genre) and what viewers of a video also
//! watched: the same for everyone, so the cache keeps them (see [`crate::catalog::cache`]).

use crate::catalog::videos::{CATALOGUE, FIELDS, Genre, Video};
use crate::db::{self, Db};
use crate::error::ApiError;
use serde::Deserialize;

/// Videos per rail.
pub const RAIL_LEN: usize = 20;
/// Genre rails on a home page.
pub const GENRE_RAILS: usize = 8;
/// Videos of each genre "Because you watched" may fall back on.
pub const GENRE_FILL: usize = 100;

/// A row of videos on the home page.
#[derive(Debug, Clone)]
pub struct Rail {
    /// Stable key: `new`, `popular`, `genre:<name>` or `because:<video id>`.
    pub key: String,
    /// Heading to show.
    pub title: String,
    pub videos: Vec<Video>,
}

/// The rails every viewer sees.
#[derive(Debug, Clone)]
pub struct PublicRails {
    pub new: Rail,
    pub popular: Rail,
    pub genres: Vec<Rail>,
}

/// New, Popular and the largest genres' rails: two queries.
pub async fn public_rails(db: &Db, genres: &[Genre]) -> Result<PublicRails, ApiError> {
    let top: Vec<String> = genres
        .iter()
        .take(GENRE_RAILS)
        .map(|g| g.name.clone())
        .collect();
    let mut sql = format!(
        "SELECT {FIELDS} FROM video WHERE {CATALOGUE} ORDER BY id DESC LIMIT {RAIL_LEN};
         SELECT {FIELDS} FROM video WHERE {CATALOGUE} ORDER BY views DESC, id DESC LIMIT {RAIL_LEN};"
    );
    for i in 0..top.len() {
        sql.push_str(&format!(
            "SELECT {FIELDS} FROM video WHERE {CATALOGUE} AND $genres[{i}] IN genres
             ORDER BY views DESC, id DESC LIMIT {RAIL_LEN};"
        ));
    }
    let mut r = db.query(sql).bind(("genres", top.clone())).await?;
    let new = db::rows(&mut r, 0)?;
    let popular = db::rows(&mut r, 1)?;
    let mut rails = Vec::new();
    for (i, name) in top.into_iter().enumerate() {
        let videos: Vec<Video> = db::rows(&mut r, i + 2)?;
        if !videos.is_empty() {
            rails.push(Rail {
                key: format!("genre:{name}"),
                title: shared::genre_title(&name),
                videos,
            });
        }
    }
    Ok(PublicRails {
        new: Rail {
            key: "new".into(),
            title: "New".into(),
            videos: new,
        },
        popular: Rail {
            key: "popular".into(),
            title: "Popular".into(),
            videos: popular,
        },
        genres: rails,
    })
}

/// The most viewed listed videos of one genre (see [`crate::catalog::cache::Cache::popular_in`]).
pub async fn popular_in(db: &Db, genre: &str) -> Result<Vec<Video>, ApiError> {
    let mut r = db
        .query(format!(
            "SELECT {FIELDS} FROM video WHERE {CATALOGUE} AND $genre IN genres
                 ORDER BY views DESC, id DESC LIMIT {GENRE_FILL}"
        ))
        .bind(("genre", genre.to_owned()))
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

/// How many viewers of a video the co-watch count looks at.
const CO_WATCH_PEERS: u32 = 1000;

/// What viewers of `video` also watched, with how many of them did, most shared first (no
/// more than 200). The same for every viewer, so it is cached (see [`Cache::co_watched`]).
pub async fn co_watched(db: &Db, video: &str) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct CoWatched {
        video_id: String,
        n: u64,
    }
    let mut r = db
        .query(
            "LET $peers = array::distinct(
                 SELECT VALUE viewer FROM view WHERE video_id = $x LIMIT $peers_max);
             SELECT video_id, count() AS n FROM view
                 WHERE viewer IN $peers AND video_id != $x GROUP BY video_id;",
        )
        .bind(("x", video.to_owned()))
        .bind(("peers_max", CO_WATCH_PEERS))
        .await?;
    let mut co: Vec<CoWatched> = db::rows(&mut r, 1)?;
    co.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| b.video_id.cmp(&a.video_id)));
    Ok(co.into_iter().take(200).map(|c| c.video_id).collect())
}
