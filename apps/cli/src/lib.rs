//! The creator's command-line client, as a library: the session and resume state it keeps
//! ([`profile`]), the resumable parallel part uploader ([`upload`]) and its rate cap
//! ([`throttle`]). The `kino-cli` binary is a thin clap front end over these.

pub mod profile;
pub mod throttle;
pub mod upload;
