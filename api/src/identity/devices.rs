//! Signing a TV in by code, after RFC 8628 (OAuth 2.0 device authorization grant).
//!
//! The TV asks for a pair of codes: a long `device_code` it keeps secret and polls with, and
//! a short `user_code` it shows with the address of `/activate`. A viewer signed in on a phone
//! or a computer enters the short code there and approves; the TV's next poll gets a session
//! of that viewer's, once. Codes last 10 minutes. A TV that polls faster than the interval it
//! was given is told to slow down, and its interval grows by 5 s, as the RFC has it.
//!
//! Only hashes of both codes are stored. Short codes are 8 letters from an alphabet without
//! vowels or look-alikes (20^8, about 2.6e10, of them), entered against a rate limit per
//! address and per account, so guessing one that is live is hopeless.

use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use crate::identity::accounts::{self, User, token_hash};
use rand::Rng;
use serde::Deserialize;

/// The polling interval a TV is given.
pub const INTERVAL_S: u64 = 5;
/// The letters of a short code: no vowels (no words), none that look alike (0/O, 1/I/L).
const ALPHABET: &[u8] = b"BCDFGHJKMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;

/// What a TV shows and keeps.
#[derive(Debug, Clone)]
pub struct Started {
    pub device_code: String,
    /// `ABCD-EFGH`, as the viewer types it (case, spaces and dashes do not matter).
    pub user_code: String,
    pub expires_in: u64,
    pub interval: u64,
}

impl Started {
    /// Where a viewer enters the code on the server at `base`, and the same with the code
    /// filled in (for a QR code).
    pub fn verification_uris(&self, base: &str) -> (String, String) {
        let uri = format!("{base}/activate");
        let complete = format!("{uri}?code={}", self.user_code);
        (uri, complete)
    }
}

fn new_user_code() -> String {
    let mut rng = rand::rng();
    let letters: String = (0..USER_CODE_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// A typed short code as stored: upper case, letters only.
pub fn normalise_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Starts a sign-in for a device named `name` (shown to the viewer who approves it), whose
/// codes work for `lifetime_s` seconds.
pub async fn start(db: &Db, name: &str, lifetime_s: u32) -> Result<Started, ApiError> {
    let lifetime_s = i64::from(lifetime_s.max(1));
    let name: String = name.trim().chars().take(60).collect();
    let name = if name.is_empty() {
        "A TV".to_owned()
    } else {
        name
    };
    let device_code = accounts::random_token();
    let user_code = new_user_code();
    let now = chrono::Utc::now();
    db.query(
        "CREATE type::record('device_login', $id) SET user_code = $uc, name = $name,
             state = 'pending', interval_s = $interval, created_at = $now, expires_at = $exp",
    )
    .bind(("id", token_hash(&device_code)))
    .bind(("uc", token_hash(&normalise_user_code(&user_code))))
    .bind(("name", name))
    .bind(("interval", INTERVAL_S))
    .bind(("now", db::ts(now)))
    .bind(("exp", db::ts(now + chrono::Duration::seconds(lifetime_s))))
    .await?
    .check()?;
    Ok(Started {
        device_code,
        user_code,
        expires_in: lifetime_s as u64,
        interval: INTERVAL_S,
    })
}

/// A viewer approves the device whose short code they typed; returns the device's name.
pub async fn approve(db: &Db, by: &User, user_code: &str) -> Result<String, ApiError> {
    let code = normalise_user_code(user_code);
    let refused = || {
        ApiError::new(
            Code::InvalidUserCode,
            "no TV is waiting for that code: check it, or start again on the TV",
        )
    };
    if code.len() != USER_CODE_LEN {
        return Err(refused());
    }
    // Two viewers approving one code at once conflict; the retry finds it approved.
    let names: Vec<String> = db::retry_conflicts(|| async {
        let mut r = db
            .query(
                "UPDATE device_login SET state = 'approved', user_id = $user, approved_at = $now
                 WHERE user_code = $uc AND state = 'pending' AND expires_at > $now
                 RETURN VALUE name",
            )
            .bind(("uc", token_hash(&code)))
            .bind(("user", by.id.clone()))
            .bind(("now", db::now()))
            .await?;
        Ok(r.take(0)?)
    })
    .await?;
    names.into_iter().next().ok_or_else(refused)
}

#[derive(Deserialize)]
struct Row {
    state: String,
    user_id: Option<String>,
    expires_at: String,
    interval_s: u64,
    last_poll_at: Option<String>,
}

/// A TV's poll: the session token and its user once approved (once only), or why not yet.
pub async fn poll(db: &Db, device_code: &str) -> Result<(String, User), ApiError> {
    let id = token_hash(device_code);
    let now = chrono::Utc::now();
    let mut r = db
        .query(
            "SELECT state, user_id, expires_at, interval_s, last_poll_at
             FROM type::record('device_login', $id)",
        )
        .bind(("id", id.clone()))
        .await?;
    let row: Option<Row> = db::first(&mut r, 0)?;
    let Some(row) = row else {
        return Err(ApiError::new(
            Code::InvalidGrant,
            "unknown device code: start again",
        ));
    };
    if db::parse_ts(&row.expires_at) <= now || row.state == "used" {
        return Err(ApiError::new(
            Code::ExpiredToken,
            "this code has expired or was used: start again",
        ));
    }
    let too_soon = row
        .last_poll_at
        .as_deref()
        .is_some_and(|t| now - db::parse_ts(t) < chrono::Duration::seconds(row.interval_s as i64));
    if too_soon {
        // The RFC's answer: wait 5 s more between polls from now on.
        db.query(
            "UPDATE type::record('device_login', $id) SET interval_s += 5, last_poll_at = $now",
        )
        .bind(("id", id))
        .bind(("now", db::ts(now)))
        .await?
        .check()?;
        return Err(ApiError::new(
            Code::SlowDown,
            format!("poll at most every {} seconds", row.interval_s + 5),
        ));
    }
    if row.state != "approved" {
        db.query("UPDATE type::record('device_login', $id) SET last_poll_at = $now")
            .bind(("id", id))
            .bind(("now", db::ts(now)))
            .await?
            .check()?;
        return Err(ApiError::new(
            Code::AuthorizationPending,
            "waiting for a viewer to enter the code",
        ));
    }
    // Spent before the session is opened: two racing polls cannot both sign in.
    let mut r = db
        .query(
            "UPDATE type::record('device_login', $id) SET state = 'used', used_at = $now
             WHERE state = 'approved' RETURN VALUE user_id",
        )
        .bind(("id", id))
        .bind(("now", db::ts(now)))
        .await?;
    let spent: Vec<String> = r.take(0)?;
    let (Some(user_id), Some(_)) = (spent.into_iter().next(), row.user_id) else {
        return Err(ApiError::new(
            Code::ExpiredToken,
            "this code has expired or was used: start again",
        ));
    };
    let user = accounts::user_by_id(db, &user_id)
        .await?
        .ok_or_else(|| ApiError::new(Code::ExpiredToken, "the account is gone"))?;
    let token = accounts::open_session(db, &user.id).await?;
    Ok((token, user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_read_well_and_are_typed_loosely() {
        for _ in 0..100 {
            let c = new_user_code();
            assert_eq!(c.len(), 9);
            assert_eq!(&c[4..5], "-");
            assert!(c.replace('-', "").bytes().all(|b| ALPHABET.contains(&b)));
        }
        assert_eq!(normalise_user_code(" bcdf - ghjk "), "BCDFGHJK");
    }
}
