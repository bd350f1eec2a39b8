//! Who is asking: accounts (argon2id passwords, roles, the last-admin rule), signed-in
//! sessions kept in memory behind the change feed, client addresses and the rate limits keyed
//! by them.

pub mod accounts;
pub mod address;
pub mod devices;
pub mod ratelimit;
pub mod registration;
pub mod sessions;
