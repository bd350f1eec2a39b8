//! The Kino api server.
//!
//! One process holds the catalogue, accounts, uploads, the transcode job queue and media
//! delivery, and serves REST (`/api/v1`, poem-openapi), GraphQL (`/graphql`), signed media
//! (`/media`) and the web app (`/`). It is the only component that talks to the database.
//! Start at [`app::Application`]; configuration is in [`config`].

pub mod accounts;
pub mod analyzer;
pub mod app;
pub mod background;
pub mod cache;
pub mod changes;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod home;
pub mod jobs;
pub mod library;
pub mod media;
pub mod moderation;
pub mod parts;
pub mod ratelimit;
pub mod rest;
pub mod search;
pub mod seed;
pub mod sessions;
pub mod signing;
pub mod state;
pub mod subtitles;
pub mod uploads;
pub mod videos;
pub mod views;
pub mod web;

pub use app::Application;
pub use config::Settings;

/// The OpenAPI document as committed in `openapi/kino.openapi.json`.
pub fn openapi_json() -> String {
    let mut spec = rest::service(None).spec();
    spec.push('\n');
    spec
}

/// The GraphQL schema as committed in `openapi/schema.graphql`.
pub fn graphql_sdl() -> String {
    graphql::sdl()
}
