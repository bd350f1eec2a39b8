//! Rate limits: token buckets keyed by client address, by account, or by both.
//!
//! A request takes its tokens before the costly work, under one lock, so a hundred parallel
//! requests cannot all pass between a check and a count. Sign-ins that succeed give theirs back:
//! only failures add up. Kept in memory: each replica counts what it sees.

use crate::config::Settings;
use crate::error::{ApiError, Code};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bucket's shape: `burst` tokens at most, one more every `every`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    pub burst: u32,
    pub every: Duration,
}

impl Rule {
    /// `n` per `window`, all of them usable at once; `None` (no limit) when `n` is 0.
    pub fn per(name: &'static str, n: u32, window: Duration) -> Option<Rule> {
        (n > 0).then(|| Rule {
            name,
            burst: n,
            every: window / n,
        })
    }
}

/// Wrong passwords for one account from one address: the guessing limit itself.
pub const SIGN_IN_PAIR: Rule = Rule {
    name: "sign-in pair",
    burst: 10,
    every: Duration::from_secs(90),
};
/// Wrong passwords from one address, whatever the account (spraying many accounts).
pub const SIGN_IN_ADDRESS: Rule = Rule {
    name: "sign-in address",
    burst: 30,
    every: Duration::from_secs(30),
};
/// Wrong passwords for one account from addresses it has never signed in from: past a burst
/// they are paced, not stopped, so a botnet cannot lock the owner out, and the owner's own
/// addresses are not paced at all.
pub const SIGN_IN_ACCOUNT: Rule = Rule {
    name: "sign-in account",
    burst: 20,
    every: Duration::from_secs(3),
};
/// Codes typed on a device being linked (TV sign-in), per address.
pub const CODE_ENTRY: Rule = Rule {
    name: "code entry",
    burst: 10,
    every: Duration::from_secs(30),
};

/// TV sign-ins started per address: each is a row that lives 10 minutes.
pub const DEVICE_START: Rule = Rule {
    name: "device start",
    burst: 30,
    every: Duration::from_secs(120),
};

/// How long an address that signed in to an account stays exempt from the account's pacing.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Past this many keys, full buckets (which mean the same as none) are forgotten.
const PRUNE_AT: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, rule: &Rule, now: Instant) {
        let gained = now.duration_since(self.at).as_secs_f64() / rule.every.as_secs_f64();
        self.tokens = (self.tokens + gained).min(f64::from(rule.burst));
        self.at = now;
    }
}

/// A refusal: which limit, and how long until it lets one request through.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    pub rule: &'static str,
    pub wait: Duration,
}

/// Token buckets for any number of rules and keys.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<(&'static str, String), Bucket>>,
}

impl Limiter {
    /// Takes one token from each named bucket, or none of them if any is empty.
    pub fn take(&self, asks: &[(Rule, &str)]) -> Result<Taken<'_>, Refused> {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > PRUNE_AT {
            map.retain(|_, b| now.duration_since(b.at) < Duration::from_secs(24 * 3600));
        }
        let mut refused: Option<Refused> = None;
        for (rule, key) in asks {
            let b = map.entry((rule.name, (*key).to_owned())).or_insert(Bucket {
                tokens: f64::from(rule.burst),
                at: now,
            });
            b.refill(rule, now);
            if b.tokens < 1.0 {
                let wait = rule.every.mul_f64(1.0 - b.tokens);
                if refused.is_none_or(|r| r.wait < wait) {
                    refused = Some(Refused {
                        rule: rule.name,
                        wait,
                    });
                }
            }
        }
        if let Some(r) = refused {
            return Err(r);
        }
        let mut keys = Vec::with_capacity(asks.len());
        for (rule, key) in asks {
            if let Some(b) = map.get_mut(&(rule.name, (*key).to_owned())) {
                b.tokens -= 1.0;
            }
            keys.push((*rule, (*key).to_owned()));
        }
        Ok(Taken {
            limiter: self,
            keys,
        })
    }

    fn refund(&self, keys: &[(Rule, String)]) {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for (rule, key) in keys {
            if let Some(b) = map.get_mut(&(rule.name, key.clone())) {
                b.refill(rule, now);
                b.tokens = (b.tokens + 1.0).min(f64::from(rule.burst));
            }
        }
    }
}

/// Tokens taken; dropped, they are given back (the work did not count against anyone), and
/// [`Taken::spend`] keeps them spent.
#[must_use]
#[derive(Debug)]
pub struct Taken<'a> {
    limiter: &'a Limiter,
    keys: Vec<(Rule, String)>,
}

impl Taken<'_> {
    pub fn spend(mut self) {
        self.keys.clear();
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if !self.keys.is_empty() {
            self.limiter.refund(&self.keys);
        }
    }
}

/// Things one key may hold open at once, such as an account's running subscriptions.
#[derive(Debug, Default, Clone)]
pub struct Concurrent(std::sync::Arc<Mutex<HashMap<String, usize>>>);

impl Concurrent {
    /// Takes one of `key`'s `max` places, or `None` when all are held.
    pub fn hold(&self, key: &str, max: usize) -> Option<Held> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(key.to_owned()).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Held {
            of: self.clone(),
            key: key.to_owned(),
        })
    }

    /// Places `key` holds now.
    pub fn held(&self, key: &str) -> usize {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).copied().unwrap_or(0)
    }
}

/// A place taken from a [`Concurrent`]; given back when dropped.
#[derive(Debug)]
pub struct Held {
    of: Concurrent,
    key: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut map = self.of.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// Every limit the api applies, shaped by the settings.
#[derive(Debug)]
pub struct Limits {
    /// Subscriptions running per account on this replica.
    pub subscriptions: Concurrent,
    limiter: Limiter,
    /// (account, address) pairs that signed in, and when.
    known: Mutex<HashMap<(String, String), Instant>>,
    signup: Option<Rule>,
    search: Option<Rule>,
    view: Option<Rule>,
    graphql: Option<Rule>,
}

impl Limits {
    pub fn new(s: &Settings) -> Limits {
        Limits {
            subscriptions: Concurrent::default(),
            limiter: Limiter::default(),
            known: Mutex::default(),
            signup: Rule::per(
                "signup",
                s.signups_per_hour_per_address,
                Duration::from_secs(3600),
            ),
            search: Rule::per(
                "search",
                s.searches_per_minute_per_address,
                Duration::from_secs(60),
            ),
            view: Rule::per(
                "view",
                s.views_per_hour_per_address,
                Duration::from_secs(3600),
            ),
            graphql: Rule::per(
                "graphql",
                s.graphql_per_minute_per_address,
                Duration::from_secs(60),
            ),
        }
    }

    /// Reserves a sign-in attempt before the password is checked; the answer says whether it
    /// counted (a wrong password) or not.
    pub fn sign_in(&self, account: &str, address: Option<&str>) -> Result<SignIn<'_>, ApiError> {
        let mut asks = vec![];
        let known = address.is_some_and(|a| self.is_known(account, a));
        if !known {
            asks.push((SIGN_IN_ACCOUNT, account.to_owned()));
        }
        if let Some(a) = address {
            asks.push((SIGN_IN_PAIR, format!("{account} {a}")));
            asks.push((SIGN_IN_ADDRESS, a.to_owned()));
        }
        let asks: Vec<(Rule, &str)> = asks.iter().map(|(r, k)| (*r, k.as_str())).collect();
        let taken = self.limiter.take(&asks).map_err(|r| {
            ApiError::new(
                Code::TooManyAttempts,
                format!(
                    "too many failed sign-ins; try again in {}",
                    wait_text(r.wait)
                ),
            )
        })?;
        Ok(SignIn {
            limits: self,
            taken,
            account: account.to_owned(),
            address: address.map(str::to_owned),
        })
    }

    fn is_known(&self, account: &str, address: &str) -> bool {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(&(account.to_owned(), address.to_owned()))
            .is_some_and(|t| t.elapsed() < KNOWN_FOR)
    }

    /// One signup from an address.
    pub fn signup(&self, address: Option<&str>) -> Result<(), ApiError> {
        self.charge(
            self.signup,
            address,
            "too many new accounts from this address",
        )
    }

    /// One search from an address.
    pub fn search(&self, address: Option<&str>) -> Result<(), ApiError> {
        self.charge(self.search, address, "too many searches")
    }

    /// One view reported from an address.
    pub fn view(&self, address: Option<&str>) -> Result<(), ApiError> {
        self.charge(
            self.view,
            address,
            "too many views reported from this address",
        )
    }

    /// One GraphQL request (or subscription socket) from an address.
    pub fn graphql(&self, address: Option<&str>) -> Result<(), ApiError> {
        self.charge(self.graphql, address, "too many GraphQL requests")
    }

    /// One TV sign-in code typed, by an account from an address: counted for both, so
    /// neither many addresses nor many accounts can guess faster.
    pub fn code_entry(&self, address: Option<&str>, account: &str) -> Result<(), ApiError> {
        let account = format!("account {account}");
        let mut asks = vec![(CODE_ENTRY, account.as_str())];
        if let Some(a) = address {
            asks.push((CODE_ENTRY, a));
        }
        match self.limiter.take(&asks) {
            Ok(t) => {
                t.spend();
                Ok(())
            }
            Err(r) => Err(ApiError::new(
                Code::TooManyAttempts,
                format!("too many codes tried; try again in {}", wait_text(r.wait)),
            )),
        }
    }

    /// One TV sign-in started from an address.
    pub fn device_start(&self, address: Option<&str>) -> Result<(), ApiError> {
        self.charge(
            Some(DEVICE_START),
            address,
            "too many TV sign-ins started from this address",
        )
    }

    fn charge(
        &self,
        rule: Option<Rule>,
        address: Option<&str>,
        what: &str,
    ) -> Result<(), ApiError> {
        let (Some(rule), Some(address)) = (rule, address) else {
            return Ok(());
        };
        match self.limiter.take(&[(rule, address)]) {
            Ok(t) => {
                t.spend();
                Ok(())
            }
            Err(r) => Err(ApiError::new(
                Code::TooManyRequests,
                format!("{what}; try again in {}", wait_text(r.wait)),
            )),
        }
    }
}

fn wait_text(wait: Duration) -> String {
    let s = wait.as_secs() + 1;
    if s < 120 {
        format!("{s} seconds")
    } else {
        format!("{} minutes", s.div_ceil(60))
    }
}

/// A sign-in attempt holding its place in the limits until its verdict.
#[must_use]
#[derive(Debug)]
pub struct SignIn<'a> {
    limits: &'a Limits,
    taken: Taken<'a>,
    account: String,
    address: Option<String>,
}

impl SignIn<'_> {
    /// A wrong password: it counts.
    pub fn failed(self) {
        self.taken.spend();
    }

    /// The right password: nothing counts, and the address is known to the account from now.
    pub fn succeeded(self) {
        if let Some(a) = &self.address {
            let mut known = self.limits.known.lock().unwrap_or_else(|p| p.into_inner());
            if known.len() > PRUNE_AT {
                known.retain(|_, t| t.elapsed() < KNOWN_FOR);
            }
            known.insert((self.account.clone(), a.clone()), Instant::now());
        }
        drop(self.taken);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::new(&Settings::default())
    }

    #[test]
    fn a_pair_gets_its_burst_of_wrong_guesses_then_waits() {
        let l = limits();
        for _ in 0..SIGN_IN_PAIR.burst {
            l.sign_in("ann", Some("10.0.0.1")).unwrap().failed();
        }
        let err = l.sign_in("ann", Some("10.0.0.1")).unwrap_err();
        assert_eq!(err.code(), Code::TooManyAttempts);
        // Another address may still try the account, and the address other accounts.
        l.sign_in("ann", Some("10.0.0.2")).unwrap().failed();
        l.sign_in("bob", Some("10.0.0.1")).unwrap().failed();
    }

    #[test]
    fn right_passwords_and_abandoned_attempts_cost_nothing() {
        let l = limits();
        for _ in 0..100 {
            l.sign_in("ann", Some("10.0.0.1")).unwrap().succeeded();
            drop(l.sign_in("ann", Some("10.0.0.1")).unwrap());
        }
    }

    #[test]
    fn spraying_accounts_from_one_address_is_limited() {
        let l = limits();
        for i in 0..SIGN_IN_ADDRESS.burst {
            l.sign_in(&format!("user{i}"), Some("10.0.0.1"))
                .unwrap()
                .failed();
        }
        assert!(l.sign_in("carol", Some("10.0.0.1")).is_err());
        assert!(l.sign_in("carol", Some("10.0.0.9")).is_ok());
    }

    #[test]
    fn a_known_address_is_not_paced_by_attacks_from_elsewhere() {
        let l = limits();
        l.sign_in("ann", Some("192.0.2.1")).unwrap().succeeded();
        for i in 0..SIGN_IN_ACCOUNT.burst {
            l.sign_in("ann", Some(&format!("10.0.0.{i}")))
                .unwrap()
                .failed();
        }
        let err = l.sign_in("ann", Some("10.0.1.1")).unwrap_err();
        assert!(err.to_string().contains("seconds"), "{err}");
        l.sign_in("ann", Some("192.0.2.1")).unwrap().succeeded();
    }

    #[test]
    fn tokens_come_back_at_the_rule_rate() {
        let limiter = Limiter::default();
        let rule = Rule {
            name: "t",
            burst: 2,
            every: Duration::from_millis(50),
        };
        limiter.take(&[(rule, "k")]).unwrap().spend();
        limiter.take(&[(rule, "k")]).unwrap().spend();
        let refused = limiter.take(&[(rule, "k")]).unwrap_err();
        assert!(refused.wait <= Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(60));
        limiter.take(&[(rule, "k")]).unwrap().spend();
    }

    #[test]
    fn a_refusal_takes_nothing_from_the_other_buckets() {
        let limiter = Limiter::default();
        let one = Rule {
            name: "one",
            burst: 1,
            every: Duration::from_secs(3600),
        };
        let many = Rule {
            name: "many",
            burst: 5,
            every: Duration::from_secs(3600),
        };
        limiter.take(&[(one, "k")]).unwrap().spend();
        for _ in 0..10 {
            assert!(limiter.take(&[(many, "k"), (one, "k")]).is_err());
        }
        for _ in 0..5 {
            limiter.take(&[(many, "k")]).unwrap().spend();
        }
    }
}
