//! Failed sign-in attempts, counted per account and per client address over a sliding window,
//! so guessing passwords is slow whether one account or many are targeted. Kept in memory: each
//! replica counts what it sees.

use crate::error::{ApiError, Code};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an account may see in a window before sign-ins to it pause.
pub const PER_ACCOUNT: usize = 10;
/// Failures one address may cause in a window, across accounts.
pub const PER_ADDRESS: usize = 30;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    fn keys(account: &str, address: Option<&str>) -> Vec<(String, usize)> {
        let mut keys = vec![(format!("account:{account}"), PER_ACCOUNT)];
        if let Some(a) = address {
            keys.push((format!("address:{a}"), PER_ADDRESS));
        }
        keys
    }

    /// Refuses a sign-in while the account or the address has failed too often recently.
    pub fn check(&self, account: &str, address: Option<&str>) -> Result<(), ApiError> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for (key, limit) in Self::keys(account, address) {
            if let Some(q) = map.get_mut(&key) {
                while q.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let wait = q
                        .front()
                        .map(|t| WINDOW.saturating_sub(now.duration_since(*t)).as_secs() / 60 + 1)
                        .unwrap_or(15);
                    return Err(ApiError::new(
                        Code::TooManyAttempts,
                        format!("too many failed sign-ins; try again in {wait} minutes"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, account: &str, address: Option<&str>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // Forget quiet keys so the map cannot grow without bound.
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) <= WINDOW));
        }
        for (key, _) in Self::keys(account, address) {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn succeeded(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("account:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_addresses_are_limited_separately() {
        let l = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            l.check("ann", Some("10.0.0.1")).unwrap();
            l.failed("ann", Some("10.0.0.1"));
        }
        assert!(l.check("ann", Some("10.0.0.2")).is_err());
        assert!(l.check("bob", Some("10.0.0.1")).is_ok());
        l.succeeded("bob");
        for i in 0..PER_ADDRESS - PER_ACCOUNT {
            l.failed(&format!("user{i}"), Some("10.0.0.1"));
        }
        assert!(l.check("carol", Some("10.0.0.1")).is_err());
        assert!(l.check("carol", Some("10.0.0.9")).is_ok());
    }
}
