//! Kino's shared vocabulary: the types every crate agrees on.
//!
//! What belongs here: domain values with no I/O (video states, visibility, roles, the encoding
//! ladder, object-store key layout) and, behind features, the two pieces of I/O that several
//! crates share: `store` (the object store, used by the api and the transcoder) and `client`
//! (the REST client generated from `openapi/kino.openapi.json` and the GraphQL queries typed
//! against `openapi/schema.graphql`, used by the transcoder, the UI and the tests), and
//! `upload` on top of it: the one upload engine of the CLI, the Studio and the tests.
//!
//! What does not: anything that knows about SurrealDB, poem or a particular platform. Without
//! features this crate pulls in no async runtime and builds for `wasm32-unknown-unknown`.

pub mod domain;
pub mod ladder;
pub mod layout;
pub mod metrics;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod graphql;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "upload")]
pub mod upload;

pub use domain::{
    JobState, Role, UploadState, VideoState, Visibility, duration_label, genre_title,
};
