//! The home page's rails. The public part (New, Popular, one rail per genre) is the same for
//! everyone and is cached; the personal part (Continue watching, Because you watched X) is
//! built per viewer in a fixed number of queries, however many videos the rails hold.

use crate::accounts::User;
use crate::cache::Cache;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::library::{self, Progress};
use crate::videos::{CATALOGUE, FIELDS, Genre, Video};
use serde::Deserialize;
use std::collections::HashSet;

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

/// A genre's display name: its first letter in upper case.
pub fn genre_title(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
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
                title: genre_title(&name),
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

/// The most viewed listed videos of one genre (see [`crate::cache::Cache::popular_in`]).
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

/// What the viewer stopped in the middle of: two queries.
pub async fn continue_watching(
    db: &Db,
    cache: &Cache,
    user: &User,
) -> Result<Vec<(Video, Progress)>, ApiError> {
    library::continue_watching(db, cache, user, RAIL_LEN as u32).await
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

/// "Because you watched X": X is the viewer's most recent view that is still in the
/// catalogue; the rail holds what other viewers of X also watched (most shared first), then
/// popular videos sharing X's genres, leaving out everything the viewer has seen. One query
/// reads the viewer's recent views; the co-watch list, the genre fill and the videos come
/// from the cache of hot reads. (Like every "latest of one owner" read here, it selects the
/// owner's rows in a subquery and sorts those: a descending index scan under a LIMIT walks
/// the whole index instead, see [`crate::library::history`].)
pub async fn because_you_watched(
    db: &Db,
    cache: &Cache,
    user: &User,
) -> Result<Option<Rail>, ApiError> {
    let mut r = db
        .query(
            "array::distinct(
                 SELECT VALUE video_id FROM (SELECT video_id, at FROM view WHERE viewer = $me)
                     ORDER BY at DESC LIMIT 500)",
        )
        .bind(("me", crate::views::user_key(user)))
        .await?;
    let seen: Vec<String> = r.take(0)?;
    let mut anchor = None;
    for id in seen.iter().take(20) {
        if let Some(v) = cache.video(db, id).await?.filter(Video::listed) {
            anchor = Some(v);
            break;
        }
    }
    let Some(anchor) = anchor else {
        return Ok(None);
    };
    let mut skip: HashSet<String> = seen.into_iter().collect();
    skip.insert(anchor.id.clone());
    // Enough candidates to fill the rail once unlisted ones are left out.
    let order: Vec<String> = cache
        .co_watched(db, &anchor.id)
        .await?
        .iter()
        .filter(|id| !skip.contains(*id))
        .take(RAIL_LEN * 2)
        .cloned()
        .collect();
    let co_videos = cache.videos(db, &order).await?;
    let mut same_genre: Vec<Video> = Vec::new();
    for g in &anchor.genres {
        same_genre.extend(cache.popular_in(db, g).await?.iter().cloned());
    }
    same_genre.sort_by(|a, b| b.views.cmp(&a.views).then_with(|| b.id.cmp(&a.id)));
    let mut videos = Vec::new();
    for v in co_videos.into_iter().chain(same_genre) {
        if videos.len() == RAIL_LEN {
            break;
        }
        if v.listed() && skip.insert(v.id.clone()) {
            videos.push(v);
        }
    }
    if videos.is_empty() {
        return Ok(None);
    }
    Ok(Some(Rail {
        key: format!("because:{}", anchor.id),
        title: format!("Because you watched {}", anchor.title),
        videos,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genre_titles_are_capitalised() {
        assert_eq!(genre_title("drama"), "Drama");
        assert_eq!(genre_title("éclair"), "Éclair");
        assert_eq!(genre_title(""), "");
    }
}
