//! A viewer's library: playback progress (reported by players, read on any device), what to
//! continue watching, history and the watchlist. Rows are keyed by (user, video), so a report
//! replaces the last one and a video is on a watchlist once.

pub mod home;

use crate::catalog::cache::Cache;
use crate::catalog::videos::Video;
use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::User;
use serde::Deserialize;

/// Below this share of a video, there is nothing worth resuming.
pub const RESUME_FROM: f64 = 0.05;
/// Past this share, the video counts as watched.
pub const COMPLETED_AT: f64 = 0.90;

/// Where a viewer is in a video.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Progress {
    pub video_id: String,
    pub position_s: f64,
    pub completed: bool,
    pub updated_at: String,
}

impl Progress {
    /// The position to offer resuming from, if it is between 5% and 90% of `duration_s`.
    pub fn resume_at(&self, duration_s: Option<f64>) -> Option<f64> {
        let d = duration_s.filter(|d| *d > 0.0)?;
        let share = self.position_s / d;
        (!self.completed && (RESUME_FROM..=COMPLETED_AT).contains(&share))
            .then_some(self.position_s)
    }
}

const FIELDS: &str = "video_id, position_s, completed, updated_at";

/// Records how far `user` got in a video they may watch (the first report of a day also
/// counts a view).
pub async fn report(
    db: &Db,
    user: &User,
    video: &Video,
    position_s: f64,
) -> Result<Progress, ApiError> {
    if !position_s.is_finite() || position_s < 0.0 {
        return Err(ApiError::new(
            Code::InvalidPosition,
            "the position is a number of seconds from 0",
        ));
    }
    let duration = video.duration_s.unwrap_or(0.0);
    let position = if duration > 0.0 {
        position_s.min(duration)
    } else {
        position_s
    };
    let completed = duration > 0.0 && position / duration > COMPLETED_AT;
    let now = db::now();
    let mut r = db
        .query(
            "UPSERT type::record('progress', [$user, $video]) SET user_id = $user,
                video_id = $video, position_s = $pos, completed = $done,
                updated_at = $now
             RETURN BEFORE",
        )
        .bind(("user", user.id.clone()))
        .bind(("video", video.id.clone()))
        .bind(("pos", position))
        .bind(("done", completed))
        .bind(("now", now.clone()))
        .await?;
    // A first report has nothing before it (NONE).
    let before: Option<serde_json::Value> = db::first(&mut r, 0)?;
    let before: Option<Progress> = before
        .filter(|b| !b.is_null())
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| ApiError::Internal(e.into()))?;
    // Timestamps start with the UTC date: a first report today counts a view.
    if before.is_none_or(|b| b.updated_at.get(..10) != now.get(..10)) {
        crate::catalog::views::record(db, video, &crate::catalog::views::user_key(user)).await?;
    }
    Ok(Progress {
        video_id: video.id.clone(),
        position_s: position,
        completed,
        updated_at: now,
    })
}

/// The user's progress in one video, if any.
pub async fn get(db: &Db, user: &User, video_id: &str) -> Result<Option<Progress>, ApiError> {
    let mut r = db
        .query(format!(
            "SELECT {FIELDS} FROM type::record('progress', [$user, $video])"
        ))
        .bind(("user", user.id.clone()))
        .bind(("video", video_id.to_owned()))
        .await?;
    Ok(db::first(&mut r, 0)?)
}

/// Videos the user has watched, most recent first, with their progress; only those the user
/// may still see. The user's rows come from the `progress_user` index in a subquery and are
/// sorted after: asked for `ORDER BY updated_at DESC LIMIT n` directly, SurrealDB scans that
/// index backwards from its far end, which grows with the whole table instead of the user's
/// rows. The videos come from the cache of hot reads.
pub async fn history(
    db: &Db,
    cache: &Cache,
    user: &User,
    limit: u32,
) -> Result<Vec<(Video, Progress)>, ApiError> {
    let mut r = db
        .query(format!(
            "SELECT {FIELDS} FROM (SELECT {FIELDS} FROM progress WHERE user_id = $user)
                 ORDER BY updated_at DESC LIMIT $n"
        ))
        .bind(("user", user.id.clone()))
        .bind(("n", i64::from(limit.clamp(1, 200))))
        .await?;
    let rows: Vec<Progress> = db::rows(&mut r, 0)?;
    let ids: Vec<String> = rows.iter().map(|p| p.video_id.clone()).collect();
    let mut found: std::collections::HashMap<String, Video> = cache
        .videos(db, &ids)
        .await?
        .into_iter()
        .map(|v| (v.id.clone(), v))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|p| found.remove(&p.video_id).map(|v| (v, p)))
        .filter(|(v, _)| v.visible_to(Some(user)))
        .collect())
}

/// What the user stopped in the middle of (between 5% and 90%), most recent first.
pub async fn continue_watching(
    db: &Db,
    cache: &Cache,
    user: &User,
    limit: u32,
) -> Result<Vec<(Video, Progress)>, ApiError> {
    Ok(history(db, cache, user, 200)
        .await?
        .into_iter()
        .filter(|(v, p)| p.resume_at(v.duration_s).is_some())
        .take(limit as usize)
        .collect())
}

/// Puts a video on the user's watchlist (again is fine).
pub async fn add_to_watchlist(db: &Db, user: &User, video: &Video) -> Result<(), ApiError> {
    db.query(
        "UPSERT type::record('watchlist', [$user, $video]) SET user_id = $user,
            video_id = $video, added_at = added_at ?? $now",
    )
    .bind(("user", user.id.clone()))
    .bind(("video", video.id.clone()))
    .bind(("now", db::now()))
    .await?
    .check()?;
    Ok(())
}

/// Takes a video off the watchlist (absent is fine).
pub async fn remove_from_watchlist(db: &Db, user: &User, video_id: &str) -> Result<(), ApiError> {
    db.query("DELETE type::record('watchlist', [$user, $video])")
        .bind(("user", user.id.clone()))
        .bind(("video", video_id.to_owned()))
        .await?
        .check()?;
    Ok(())
}

/// The watchlist, most recently added first, of videos the user may still see.
pub async fn watchlist(db: &Db, cache: &Cache, user: &User) -> Result<Vec<Video>, ApiError> {
    let mut r = db
        .query(
            "SELECT VALUE video_id FROM (SELECT video_id, added_at FROM watchlist WHERE user_id = $user)
                 ORDER BY added_at DESC LIMIT 500",
        )
        .bind(("user", user.id.clone()))
        .await?;
    let ids: Vec<String> = r.take(0)?;
    let mut list = cache.videos(db, &ids).await?;
    list.retain(|v| v.visible_to(Some(user)));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_is_offered_between_five_and_ninety_percent() {
        let at = |pos: f64, completed: bool| Progress {
            video_id: "v".into(),
            position_s: pos,
            completed,
            updated_at: String::new(),
        };
        assert_eq!(at(20.0, false).resume_at(Some(1000.0)), None);
        assert_eq!(at(300.0, false).resume_at(Some(1000.0)), Some(300.0));
        assert_eq!(at(950.0, false).resume_at(Some(1000.0)), None);
        assert_eq!(at(300.0, true).resume_at(Some(1000.0)), None);
        assert_eq!(at(300.0, false).resume_at(None), None);
    }
}
