//! Signed-in sessions held in memory, so naming the user behind a bearer token costs no
//! database round trip (reading the session and its user costs more than the rest of a home
//! page served from the cache).
//!
//! The database stays the authority. Every replica follows the `session` and `user` tables
//! through live queries and drops an entry the moment any replica signs the session out,
//! changes the user's password (which ends their other sessions) or role; the replica that
//! made the change drops it before answering. Entries are checked against their expiry on
//! every use, and while the feeds are down every request is checked at the database.

use crate::changes::{Action, Follower, record_key};
use crate::db::Db;
use crate::error::ApiError;
use crate::identity::accounts::{self, Session, User, token_hash};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How long an unused session stays in memory.
const SESSION_TTI: Duration = Duration::from_secs(600);

#[derive(Debug)]
pub struct Sessions {
    /// Live sessions by the hash of their token.
    by_hash: moka::future::Cache<String, Arc<Session>>,
    /// Whether the change feeds run, so entries can be trusted.
    live: AtomicBool,
    /// Bumped by every change that drops entries: a read that saw it move while it was at the
    /// database does not keep what it read, since that may predate the change.
    drops: AtomicU64,
    /// Told of every such change, so open sockets check at once that their session lives.
    dropped: tokio::sync::watch::Sender<u64>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            by_hash: moka::future::Cache::builder()
                .max_capacity(200_000)
                .time_to_idle(SESSION_TTI)
                .support_invalidation_closures()
                .build(),
            live: AtomicBool::new(false),
            drops: AtomicU64::new(0),
            dropped: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl Sessions {
    /// The user a bearer token belongs to, if its session is live.
    pub async fn authenticate(&self, db: &Db, token: &str) -> Result<Option<User>, ApiError> {
        let hash = token_hash(token);
        if self.live.load(Ordering::Acquire)
            && let Some(session) = self.by_hash.get(&hash).await
        {
            if session.expires_at > chrono::Utc::now() {
                return Ok(Some(session.user.clone()));
            }
            self.by_hash.invalidate(&hash).await;
            return Ok(None);
        }
        let before = self.drops.load(Ordering::Acquire);
        let found = accounts::session(db, &hash).await?;
        if let Some(session) = &found
            && self.live.load(Ordering::Acquire)
        {
            self.by_hash
                .insert(hash.clone(), Arc::new(session.clone()))
                .await;
            // Checked after inserting, so either this or the change feed removes the entry.
            if self.drops.load(Ordering::Acquire) != before {
                self.by_hash.invalidate(&hash).await;
            }
        }
        Ok(found.map(|s| s.user))
    }

    /// Wakes whoever waits for sessions to change (after the entries are gone).
    fn tell(&self) {
        self.dropped.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees a new value whenever sessions may have ended or users changed.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.dropped.subscribe()
    }

    /// Forgets the session of `token` on this replica at once (signing out).
    pub async fn forget(&self, token: &str) {
        self.drops.fetch_add(1, Ordering::AcqRel);
        self.by_hash.invalidate(&token_hash(token)).await;
        self.tell();
    }

    /// Forgets every session of a user on this replica at once (a new password or role).
    pub fn forget_user(&self, user_id: &str) {
        self.drops.fetch_add(1, Ordering::AcqRel);
        let user_id = user_id.to_owned();
        if self
            .by_hash
            .invalidate_entries_if(move |_, s| s.user.id == user_id)
            .is_err()
        {
            self.by_hash.invalidate_all();
        }
        self.tell();
    }

    fn forget_all(&self) {
        self.drops.fetch_add(1, Ordering::AcqRel);
        self.by_hash.invalidate_all();
        self.tell();
    }
}

impl Follower for Sessions {
    const NAME: &'static str = "sessions";
    const TABLES: &'static [&'static str] = &["session", "user"];

    async fn live(&self, up: bool) {
        self.forget_all();
        self.live.store(up, Ordering::Release);
    }

    async fn changed(&self, table: &'static str, action: Action, record: serde_json::Value) {
        // A new session or a new account cannot be in memory yet.
        if action == Action::Create {
            return;
        }
        match table {
            "session" => match record["token_hash"].as_str() {
                Some(hash) => {
                    self.drops.fetch_add(1, Ordering::AcqRel);
                    self.by_hash.invalidate(hash).await;
                    self.tell();
                }
                None => self.forget_all(),
            },
            _ => match record_key(&record) {
                Some(user_id) => self.forget_user(&user_id),
                None => self.forget_all(),
            },
        }
    }
}

/// The bearer token of a request, if it has one.
pub fn bearer_token(req: &poem::Request) -> Option<&str> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}
