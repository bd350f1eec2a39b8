//! Who is asking: accounts (argon2id passwords, roles, the last-admin rule), signed-in
//! sessions kept in memory behind the change feed, and rate limits on failed sign-ins.

pub mod accounts;
pub mod ratelimit;
pub mod sessions;
