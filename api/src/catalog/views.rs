//! View counts: one view per viewer per video per UTC day. A view row is keyed by
//! (video, viewer, day), so counting it and bumping the video's counter happen in one
//! transaction that fails as a whole when the row already exists. The rows also feed the
//! co-watch graph behind "Because you watched".

use crate::catalog::videos::Video;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::identity::accounts::User;
use crate::signing::Signer;

/// The viewer key of a signed-in account.
pub fn user_key(user: &User) -> String {
    format!("u:{}", user.id)
}

/// Who is watching: a signed-in account, or an anonymous viewer known only by a keyed hash
/// of their client address (never stored in the clear). The user agent is left out on
/// purpose: anyone can rotate it, so counting it would let one client count as many.
pub fn viewer_key(signer: &Signer, user: Option<&User>, address: Option<&str>) -> String {
    match user {
        Some(u) => user_key(u),
        None => {
            let message = format!("viewer\n{}", address.unwrap_or(""));
            let sig = signer.sign(&message, 0);
            format!("a:{}", &sig[..sig.len().min(22)])
        }
    }
}

/// Counts a view of `video` by `viewer` unless they already viewed it today. Returns whether
/// this call counted.
pub async fn record(db: &Db, video: &Video, viewer: &str) -> Result<bool, ApiError> {
    let now = chrono::Utc::now();
    let day = now.format("%Y-%m-%d").to_string();
    db::retry_conflicts(|| async {
        let mut r = db
            .query(
                "BEGIN TRANSACTION;
                 CREATE type::record('view', [$video, $viewer, $day]) SET video_id = $video,
                    viewer = $viewer, day = $day, at = $now;
                 UPDATE type::record('video', $video) SET views += 1;
                 COMMIT TRANSACTION;",
            )
            .bind(("video", video.id.clone()))
            .bind(("viewer", viewer.to_owned()))
            .bind(("day", day.clone()))
            .bind(("now", db::ts(now)))
            .await?;
        let errors = r.take_errors();
        if errors.is_empty() {
            return Ok(true);
        }
        if errors
            .values()
            .any(|e| e.to_string().contains("already exists"))
        {
            return Ok(false);
        }
        let message = errors
            .into_values()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        Err(ApiError::Internal(anyhow::anyhow!(
            "counting a view: {message}"
        )))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_viewers_are_hashed_and_stable() {
        let signer = Signer::new("secret");
        let a = viewer_key(&signer, None, Some("10.0.0.1"));
        assert_eq!(a, viewer_key(&signer, None, Some("10.0.0.1")));
        assert_ne!(a, viewer_key(&signer, None, Some("10.0.0.2")));
        assert!(a.starts_with("a:") && !a.contains("10.0.0.1"));
    }
}
