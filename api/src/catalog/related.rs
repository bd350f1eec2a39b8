//! "More like this": what viewers of a video also watched (most shared first), then the most
//! viewed videos sharing its genres. Every read comes from the cache of hot reads, so a watch
//! page or a "Because you watched" rail costs no query of its own.

use crate::catalog::cache::Cache;
use crate::catalog::videos::Video;
use crate::db::Db;
use crate::error::ApiError;
use std::collections::HashSet;

/// Up to `n` listed videos like `anchor`, leaving out `anchor` and every id in `skip` (which
/// gains the ids returned, so a caller can keep filling without repeats).
pub async fn like(
    db: &Db,
    cache: &Cache,
    anchor: &Video,
    skip: &mut HashSet<String>,
    n: usize,
) -> Result<Vec<Video>, ApiError> {
    skip.insert(anchor.id.clone());
    // Twice as many candidates as needed, so the list is still full once unlisted ones go.
    let order: Vec<String> = cache
        .co_watched(db, &anchor.id)
        .await?
        .iter()
        .filter(|id| !skip.contains(*id))
        .take(n * 2)
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
        if videos.len() == n {
            break;
        }
        if v.listed() && skip.insert(v.id.clone()) {
            videos.push(v);
        }
    }
    Ok(videos)
}
