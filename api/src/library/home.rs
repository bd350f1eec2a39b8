//! The home page's personal rails (Continue watching, Because you watched X), built per
//! viewer in a fixed number of queries however many videos they hold; the public rails come
//! from [`crate::catalog::rails`] through the cache.

use crate::catalog::cache::Cache;
use crate::catalog::rails::{RAIL_LEN, Rail};
use crate::catalog::videos::Video;
use crate::db::Db;
use crate::error::ApiError;
use crate::identity::accounts::User;
use crate::library::{self, Progress};
use std::collections::HashSet;

/// What the viewer stopped in the middle of: two queries.
pub async fn continue_watching(
    db: &Db,
    cache: &Cache,
    user: &User,
) -> Result<Vec<(Video, Progress)>, ApiError> {
    library::continue_watching(db, cache, user, RAIL_LEN as u32).await
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
        .bind(("me", crate::catalog::views::user_key(user)))
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
    let videos = crate::catalog::related::like(db, cache, &anchor, &mut skip, RAIL_LEN).await?;
    if videos.is_empty() {
        return Ok(None);
    }
    Ok(Some(Rail {
        key: format!("because:{}", anchor.id),
        title: format!("Because you watched {}", anchor.title),
        videos,
    }))
}
