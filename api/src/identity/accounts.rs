//! Accounts: users, argon2id password hashes and opaque bearer tokens.
//!
//! A token is 32 random bytes shown to the client once; the database keeps only its SHA-256,
//! so a leaked database cannot be replayed as sessions. Logging out deletes the row.

use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::Role;

/// How long a sign-in lasts.
const SESSION_DAYS: i64 = 30;

/// A signed-in user as handlers see it.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

#[derive(Deserialize)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    role: Role,
    password_hash: String,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
        }
    }
}

/// A new random secret, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Lower-cases and trims an email and checks its shape.
pub fn normalise_email(email: &str) -> Result<String, ApiError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.contains(char::is_whitespace);
    if valid {
        Ok(e)
    } else {
        Err(ApiError::new(
            Code::InvalidEmail,
            "that does not look like an email address",
        ))
    }
}

/// argon2id with OWASP's recommended parameters: 19 MiB of memory, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub(crate) fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Refuses passwords too short to resist guessing, or too long to hash cheaply.
fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::new(
            Code::WeakPassword,
            "passwords need at least 8 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(ApiError::new(
            Code::InvalidPassword,
            "passwords are at most 1024 bytes",
        ));
    }
    Ok(())
}

/// Hashes running at once. Each holds 19 MiB for tens of milliseconds: a flood of sign-ins
/// waits here (and is turned away after [`HASH_WAIT`]) instead of growing the heap by
/// gigabytes across the blocking pool.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(2 * cores)
});
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `f` on the blocking pool once a hashing slot is free.
async fn hashing<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(HASH_WAIT, HASHING.acquire())
        .await
        .map_err(|_| {
            ApiError::new(
                Code::TooManyRequests,
                "the server is busy checking passwords; try again in a few seconds",
            )
        })?
        .map_err(|e| ApiError::Internal(e.into()))?;
    let out = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.into()));
    drop(permit);
    out
}

pub(crate) async fn hash_off_thread(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    hashing(move || hash_password(&password)).await?
}

async fn verify_off_thread(password: &str, hash: String) -> Result<bool, ApiError> {
    let password = password.to_owned();
    hashing(move || verify_password(&password, &hash)).await
}

/// A hash no password matches, checked when the email names no account so that an unknown
/// email costs what a known one does and cannot be told apart by timing.
static NOBODY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_token()).expect("hashing a random password"));

/// Changes a user's password after checking the current one, and signs out every other
/// session of the user (the one making the change, `keep_token`, stays).
pub async fn change_password(
    db: &Db,
    user: &User,
    current: &str,
    new: &str,
    keep_token: &str,
) -> Result<(), ApiError> {
    let mut resp = db
        .query("SELECT VALUE password_hash FROM type::record('user', $id)")
        .bind(("id", user.id.clone()))
        .await?;
    let hashes: Vec<String> = resp.take(0)?;
    let hash = hashes.into_iter().next().unwrap_or_default();
    if !verify_off_thread(current, hash).await? {
        return Err(ApiError::new(
            Code::InvalidCredentials,
            "the current password is wrong",
        ));
    }
    check_password(new)?;
    let hash = hash_off_thread(new).await?;
    db.query(
        "UPDATE type::record('user', $id) SET password_hash = $hash, password_changed_at = $now;
         DELETE session WHERE user_id = $id AND token_hash != $keep;",
    )
    .bind(("id", user.id.clone()))
    .bind(("hash", hash))
    .bind(("now", db::now()))
    .bind(("keep", token_hash(keep_token)))
    .await?
    .check()?;
    Ok(())
}

/// Which accounts an admin asks for.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Part of the email or the display name, in any case.
    pub query: Option<String>,
    pub role: Option<Role>,
}

/// Longest account search an admin may type.
const MAX_USER_QUERY: usize = 100;

/// Users, oldest first, for admins (paged by id), those matching `filter` only.
pub async fn list_users(
    db: &Db,
    filter: &UserFilter,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<User>, Option<String>), ApiError> {
    let limit = limit.clamp(1, 200);
    // Matched in lower case on both sides: emails are stored lower-cased, names as typed.
    let query = filter
        .query
        .as_deref()
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    if query
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_USER_QUERY)
    {
        return Err(ApiError::new(
            Code::InvalidQuery,
            format!("an account search is at most {MAX_USER_QUERY} characters"),
        ));
    }
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, email, display_name, role FROM user
             WHERE ($cursor = NONE OR record::id(id) > $cursor)
               AND ($role = NONE OR role = $role)
               AND ($q = NONE OR string::contains(email, $q)
                    OR string::contains(string::lowercase(display_name), $q))
             ORDER BY id LIMIT $limit",
        )
        .bind(("cursor", cursor.map(str::to_owned)))
        .bind(("role", filter.role.map(|r| r.as_str().to_owned())))
        .bind(("q", query))
        .bind(("limit", i64::from(limit) + 1))
        .await?;
    let mut users: Vec<User> = db::rows(&mut r, 0)?;
    let next = if users.len() > limit as usize {
        users.truncate(limit as usize);
        users.last().map(|u| u.id.clone())
    } else {
        None
    };
    Ok((users, next))
}

/// Gives a user another role. Only admins may, and the last admin cannot step down.
pub async fn set_role(db: &Db, by: &User, user_id: &str, role: Role) -> Result<User, ApiError> {
    if by.role != Role::Admin {
        return Err(ApiError::forbidden("only admins change roles"));
    }
    let target = user_by_id(db, user_id)
        .await?
        .ok_or_else(|| ApiError::new(Code::UserNotFound, format!("no user {user_id}")))?;
    if target.role == Role::Admin && role != Role::Admin {
        let mut r = db
            .query("SELECT count() AS n FROM user WHERE role = 'admin' GROUP ALL")
            .await?;
        let row: Option<serde_json::Value> = db::first(&mut r, 0)?;
        if row.and_then(|v| v["n"].as_u64()).unwrap_or(0) <= 1 {
            return Err(ApiError::new(
                Code::LastAdmin,
                "an install needs at least one admin; make someone else admin first",
            ));
        }
    }
    db.query("UPDATE type::record('user', $id) SET role = $role")
        .bind(("id", target.id.clone()))
        .bind(("role", role.as_str().to_owned()))
        .await?
        .check()?;
    user_by_id(db, &target.id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("user vanished")))
}

/// Checks a signup's fields; the normalised email and the trimmed display name.
pub fn check_signup<'a>(
    email: &str,
    password: &str,
    display_name: &'a str,
) -> Result<(String, &'a str), ApiError> {
    let email = normalise_email(email)?;
    check_password(password)?;
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 80 {
        return Err(ApiError::new(
            Code::InvalidDisplayName,
            "display names are 1 to 80 characters",
        ));
    }
    Ok((email, display_name))
}

/// Checks credentials and opens a session; returns the token and the user.
pub async fn login(db: &Db, email: &str, password: &str) -> Result<(String, User), ApiError> {
    let bad = || ApiError::new(Code::InvalidCredentials, "wrong email or password");
    let row: Option<UserRow> = match normalise_email(email) {
        Ok(email) => {
            let mut resp = db
                .query("SELECT record::id(id) AS id, email, display_name, role, password_hash FROM user WHERE email = $email")
                .bind(("email", email))
                .await?;
            db::first(&mut resp, 0)?
        }
        Err(_) => None,
    };
    let hash = row
        .as_ref()
        .map_or_else(|| NOBODY.clone(), |r| r.password_hash.clone());
    let ok = verify_off_thread(password, hash).await?;
    let Some(row) = row.filter(|_| ok) else {
        return Err(bad());
    };
    let user = User::from(row);
    let token = open_session(db, &user.id).await?;
    Ok((token, user))
}

/// Opens a session for a user and returns its bearer token.
pub async fn open_session(db: &Db, user_id: &str) -> Result<String, ApiError> {
    let token = random_token();
    let expires = chrono::Utc::now() + chrono::Duration::days(SESSION_DAYS);
    db.query(
        "CREATE session SET token_hash = $h, user_id = $u, created_at = $now, expires_at = $exp",
    )
    .bind(("h", token_hash(&token)))
    .bind(("u", user_id.to_owned()))
    .bind(("now", db::now()))
    .bind(("exp", db::ts(expires)))
    .await?
    .check()?;
    Ok(token)
}

/// Revokes a session.
pub async fn logout(db: &Db, token: &str) -> Result<(), ApiError> {
    db.query("DELETE session WHERE token_hash = $h")
        .bind(("h", token_hash(token)))
        .await?
        .check()?;
    Ok(())
}

/// A live session: whose it is and until when it lasts.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The session a token hash names, if it is live, in one round trip. Requests authenticate
/// through [`crate::identity::sessions::Sessions`], which keeps what this reads in memory.
pub async fn session(db: &Db, hash: &str) -> Result<Option<Session>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(flatten)]
        user: User,
        expires_at: String,
    }
    let mut resp = db
        .query(
            "LET $s = (SELECT user_id, expires_at FROM session
                 WHERE token_hash = $h AND expires_at > $now LIMIT 1)[0];
             IF $s = NONE { [] } ELSE {
                 SELECT record::id(id) AS id, email, display_name, role, $s.expires_at AS expires_at
                 FROM type::record('user', $s.user_id)
             };",
        )
        .bind(("h", hash.to_owned()))
        .bind(("now", db::now()))
        .await?;
    let row: Option<Row> = db::first(&mut resp, 1)?;
    Ok(row.map(|r| Session {
        user: r.user,
        expires_at: db::parse_ts(&r.expires_at),
    }))
}

/// A creator as shown next to their videos. Display names are set at signup and never change.
#[derive(Debug, Clone, Deserialize)]
pub struct Creator {
    pub id: String,
    pub display_name: String,
}

/// Creators by user id, in one query; unknown ids are left out.
pub async fn creators(db: &Db, ids: &[String]) -> Result<Vec<Creator>, ApiError> {
    let ids: Vec<String> = ids
        .iter()
        .filter(|k| shared::layout::is_safe_id(k))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, display_name
             FROM $ids.map(|$i| type::record('user', $i))",
        )
        .bind(("ids", ids))
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

pub async fn user_by_id(db: &Db, id: &str) -> Result<Option<User>, ApiError> {
    let mut resp = db
        .query(
            "SELECT record::id(id) AS id, email, display_name, role FROM type::record('user', $id)",
        )
        .bind(("id", id.to_owned()))
        .await?;
    Ok(db::first(&mut resp, 0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        assert!(normalise_email("nope").is_err());
        assert!(normalise_email("a@b").is_err());
        assert!(normalise_email("a b@c.d").is_err());
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
    }
}
