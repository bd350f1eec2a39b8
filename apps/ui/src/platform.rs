//! What the UI needs from the platform it runs on.

pub use shared::upload::PutError;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A future the platform returns; not `Send`, as browser futures are not.
pub type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Capabilities that differ between the browser, the TV shell and the native apps.
pub trait Platform {
    /// Absolute base URL of the api, without a trailing slash.
    fn api_base(&self) -> String;
    /// A value kept across restarts (the browser's localStorage), if any.
    fn load(&self, key: &str) -> Option<String>;
    /// Keeps a value for the next start (or forgets it with `None`).
    fn save(&self, key: &str, value: Option<&str>);
    /// Reads bytes `start..end` of a file the user picked, without reading the rest, so an
    /// upload holds one part in memory however large the file is.
    fn read_range(
        &self,
        file: &dioxus::html::FileData,
        start: u64,
        end: u64,
    ) -> LocalFuture<Result<Vec<u8>, String>>;
    /// PUTs bytes `start..end` of a file the user picked to `url` (a part of an upload) and
    /// returns the ETag the receiver gave it. The platform streams the range from the file,
    /// so a part need not pass through the app's memory.
    fn put_range(
        &self,
        file: &dioxus::html::FileData,
        start: u64,
        end: u64,
        url: &str,
    ) -> LocalFuture<Result<String, PutError>>;
    /// Resolves after `ms` milliseconds (timers for hiding controls, countdowns, link refresh).
    fn sleep(&self, ms: u32) -> LocalFuture<()>;
    /// Milliseconds since the Unix epoch, by the device's clock.
    fn now_ms(&self) -> f64;
}

/// A shareable handle to the platform, provided as Dioxus context by each launcher.
#[derive(Clone)]
pub struct PlatformHandle(pub Rc<dyn Platform>);

impl PlatformHandle {
    /// A REST client for the api, signed out.
    pub fn client(&self) -> shared::client::Client {
        shared::client::connect(&self.0.api_base(), None)
    }
}
