//! The handles every request needs, built once at start-up and passed in (no globals).

use crate::config::Settings;
use crate::db::Db;
use crate::signing::Signer;
use shared::store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

/// Shared application state; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub store: Store,
    pub signer: Signer,
    pub settings: Settings,
    /// The secret workers present to register.
    pub registration_token: String,
    /// Woken whenever a job is queued, so long-polling workers pick it up at once.
    pub job_wake: Arc<Notify>,
    /// Cancelled when the server begins to shut down: a worker's long poll then answers at
    /// once, so the worker asks another replica instead of the drain holding its connection
    /// until it is cut.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Rate limits per client address and per account.
    pub limits: crate::identity::ratelimit::Limits,
    /// The proxies whose `X-Forwarded-For` is believed.
    pub proxies: crate::identity::address::Proxies,
    /// Hot reads, kept coherent by the database's change feed.
    pub cache: Arc<crate::catalog::cache::Cache>,
    /// Signed-in sessions, kept coherent by the database's change feed.
    pub sessions: Arc<crate::identity::sessions::Sessions>,
    /// Media objects recently served.
    pub hot_media: crate::delivery::hot::HotMedia,
    /// Answers to page queries, per viewer.
    pub pages: Arc<crate::pages::Pages>,
    /// Requests and operations counted for `/metrics`.
    pub metrics: crate::metrics::Metrics,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        AppState(Arc::new(inner))
    }
}

impl AppState {
    /// The key rate limits count a request's client under.
    pub fn client_key(&self, req: &poem::Request) -> Option<String> {
        self.proxies.client(req).map(crate::identity::address::key)
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
