//! Registered transcoder workers and their tokens. A worker registers with the installation's
//! registration token and gets a token of its own (only its hash is kept). That token lapses
//! after `idle_days` without use, and an admin can revoke it at once; either way the worker is
//! refused with 401 and registers again, so revoking a host for good also needs a new
//! registration token.

use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::{User, random_token, token_hash};
use serde::Deserialize;

/// A use refreshes a token's `seen_at` at most this often, so heartbeats do not each write.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(10);

/// Registers a worker and returns its id and bearer token.
pub async fn register(db: &Db, name: &str) -> Result<(String, String), ApiError> {
    let id = ulid::Ulid::new().to_string();
    let token = random_token();
    db.query(
        "CREATE type::record('worker', $id) SET name = $name, token_hash = $th, created_at = $now,
            seen_at = $now",
    )
    .bind(("id", id.clone()))
    .bind(("name", name.to_owned()))
    .bind(("th", token_hash(&token)))
    .bind(("now", db::now()))
    .await?
    .check()?;
    Ok((id, token))
}

/// The worker a token belongs to, if the token is neither revoked nor lapsed.
pub async fn by_token(db: &Db, token: &str, idle_days: u32) -> Result<Option<String>, ApiError> {
    let now = chrono::Utc::now();
    let mut r = db
        .query(
            "LET $w = (SELECT record::id(id) AS id, seen_at FROM worker
                 WHERE token_hash = $th AND revoked_at = NONE AND seen_at > $cutoff LIMIT 1)[0];
             IF $w != NONE AND $w.seen_at < $touch {
                 UPDATE type::record('worker', $w.id) SET seen_at = $now
             };
             RETURN $w.id;",
        )
        .bind(("th", token_hash(token)))
        .bind((
            "cutoff",
            db::ts(now - chrono::Duration::days(i64::from(idle_days))),
        ))
        .bind(("touch", db::ts(now - TOUCH_EVERY)))
        .bind(("now", db::ts(now)))
        .await?;
    if let Some(e) = db::failure(&mut r) {
        return Err(e.into());
    }
    // `RETURN` of no worker is a null row.
    let id: Option<Option<String>> = db::first(&mut r, 2)?;
    Ok(id.flatten())
}

/// A worker as the admin console lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Worker {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub seen_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Refuses anyone but an admin: the queue and its workers are the installation's business.
pub(crate) fn admin_only(by: &User) -> Result<(), ApiError> {
    if by.role == shared::Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins manage workers and jobs"))
    }
}

/// Every registered worker, most recently seen first (admins only).
pub async fn list(db: &Db, by: &User) -> Result<Vec<Worker>, ApiError> {
    admin_only(by)?;
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, name, created_at, seen_at, revoked_at FROM worker
             ORDER BY seen_at DESC LIMIT 500",
        )
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

/// Revokes a worker's token at once (admins only).
pub async fn revoke(db: &Db, by: &User, id: &str) -> Result<(), ApiError> {
    admin_only(by)?;
    if !shared::layout::is_safe_id(id) {
        return Err(ApiError::new(
            Code::WorkerNotFound,
            format!("no worker {id}"),
        ));
    }
    let mut r = db
        .query(
            "UPDATE type::record('worker', $id) SET revoked_at = revoked_at ?? $now
             WHERE token_hash != NONE RETURN VALUE record::id(id)",
        )
        .bind(("id", id.to_owned()))
        .bind(("now", db::now()))
        .await?;
    let found: Vec<serde_json::Value> = r.take(0)?;
    if found.is_empty() {
        return Err(ApiError::new(
            Code::WorkerNotFound,
            format!("no worker {id}"),
        ));
    }
    Ok(())
}
