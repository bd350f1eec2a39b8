//! The Kino api server.
//!
//! One process holds the catalogue, accounts, uploads, the transcode job queue and media
//! delivery, and serves REST (`/api/v1`, poem-openapi), GraphQL (`/graphql`), signed media
//! (`/media`) and the web app (`/`). It is the only component that talks to the database.
//! Start at [`app::Application`]; configuration is in [`config`].

// Layers, each module using only those before it (`tests/it/layering.rs` checks this and that
// no modules at any depth import each other in a cycle):
//   foundations  error, config, metrics, db, backup, changes, signing;
//   capabilities identity, catalog, library, queue, ingest, delivery, seed;
//   wiring       pages, state, background;
//   adapters     rest, graphql, http, app.
pub mod backup;
pub mod changes;
pub mod config;
pub mod db;
pub mod error;
pub mod metrics;
pub mod signing;

pub mod catalog;
pub mod delivery;
pub mod identity;
pub mod ingest;
pub mod library;
pub mod queue;
pub mod seed;

pub mod background;
pub mod pages;
pub mod state;

pub mod app;
pub mod graphql;
pub mod http;
pub mod rest;

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
