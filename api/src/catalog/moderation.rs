//! Moderation: admins hide a video with a reason (and restore it). A hidden video leaves the
//! catalogue, search, rails and other viewers' libraries at once and its media links stop
//! working for everyone but its owner and admins, who see why it was hidden. Owners cannot
//! undo it; editing the video's visibility does not bring it back.

pub use crate::catalog::videos::Moderation;
use crate::catalog::videos::{self, Video};
use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::User;
use shared::{Role, VideoState};

/// The longest reason an admin may give.
pub const MAX_REASON_CHARS: usize = 500;

/// Refuses anyone but an admin.
pub fn require_admin(user: &User) -> Result<(), ApiError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins moderate videos"))
    }
}

/// Validates a reason: the owner reads it, so it must say something.
pub fn check_reason(reason: &str) -> Result<String, ApiError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::new(
            Code::InvalidReason,
            format!("a reason is 1 to {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(r.to_owned())
}

/// The video an admin moderates: any that is not deleted.
async fn target(db: &Db, id: &str) -> Result<Video, ApiError> {
    match videos::get(db, id).await? {
        Some(v) if v.state != VideoState::Deleted => Ok(v),
        _ => Err(ApiError::new(Code::VideoNotFound, format!("no video {id}"))),
    }
}

/// Hides a video (or changes the reason of a hidden one).
pub async fn hide(db: &Db, admin: &User, id: &str, reason: &str) -> Result<Video, ApiError> {
    require_admin(admin)?;
    let reason = check_reason(reason)?;
    let v = target(db, id).await?;
    db.query(
        "UPDATE type::record('video', $id) SET moderation = { reason: $reason, by: $by, at: $now }",
    )
    .bind(("id", v.id.clone()))
    .bind(("reason", reason))
    .bind(("by", admin.id.clone()))
    .bind(("now", db::now()))
    .await?
    .check()?;
    reread(db, &v.id).await
}

/// Brings a hidden video back where its visibility puts it.
pub async fn restore(db: &Db, admin: &User, id: &str) -> Result<Video, ApiError> {
    require_admin(admin)?;
    let v = target(db, id).await?;
    db.query("UPDATE type::record('video', $id) SET moderation = NONE")
        .bind(("id", v.id.clone()))
        .await?
        .check()?;
    reread(db, &v.id).await
}

/// The most hidden videos one listing returns.
pub const HIDDEN_LIMIT: u32 = 200;

/// Hidden videos, most recently hidden first, with their reasons (admins only).
pub async fn hidden(db: &Db, admin: &User) -> Result<Vec<Video>, ApiError> {
    require_admin(admin)?;
    let mut r = db
        .query(format!(
            "SELECT {} FROM video WHERE moderation != NONE AND state != 'deleted'
             ORDER BY moderation.at DESC LIMIT {HIDDEN_LIMIT}",
            videos::FIELDS
        ))
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

async fn reread(db: &Db, id: &str) -> Result<Video, ApiError> {
    videos::get(db, id)
        .await?
        .ok_or_else(|| ApiError::new(Code::VideoNotFound, "video vanished"))
}
