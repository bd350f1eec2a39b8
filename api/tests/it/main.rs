//! The api, in-process on port 0 with a fresh in-memory database per test, driven through the
//! generated REST client.

mod accounts;
mod admin_queue;
mod bodies;
mod bola;
mod catalogue;
mod conformance;
mod devices;
mod discover;
mod graphql_limits;
mod headers;
mod helpers;
mod layering;
mod library;
mod media;
mod metrics;
mod moderation;
mod previews;
mod queue;
mod rate_limits;
mod registration;
mod s3_uploads;
mod schemas;
mod search;
mod seed;
mod sockets;
mod subscriptions;
mod uploads;
